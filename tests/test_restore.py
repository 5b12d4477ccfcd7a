"""Backups that are real, and restoring one that is safe: a backup cut short by kill -9 is never a
.db that doctor calls good; doctor opens and checks every backup; `rettidig gendan` checks the
backup, keeps the current file aside, never merges a stale WAL into the restored file, and a
kill -9 at any of its steps leaves a data file that opens.

Killed runs are real processes (the same entry point as the installed `rettidig`); files are read
back straight with SQLite (conftest.raw_connect)."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
from pathlib import Path

import pytest

from conftest import ENTER, bar_points, db_file, query, raw_connect
from test_faults import child_script, close_connections, fails, flat, folder_bytes, new_case, ok, spawn, stop, wait_for

pytestmark = pytest.mark.both_storages  # backup and gendan of either kind of data file (and its key file)

BACKUPS = "sikkerhedskopier"


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".kryptering")


def codes(path: Path) -> set[str]:
    close_connections()
    conn = raw_connect(path, dicts=False)
    try:
        return {r[0] for r in conn.execute("SELECT code FROM cases")}
    finally:
        conn.close()


def take_backup(cli, *args: str) -> Path:
    out = ok(cli, "backup", *args).out
    close_connections()
    return Path(re.search(r"Sikkerhedskopi gemt[^:]*: (\S+)", flat(out)).group(1))


def doctor(cli, db: Path | None = None):
    result = cli(["doctor", *(["--db", str(db)] if db else [])])
    assert "Traceback" not in result.err + result.out
    close_connections()
    return result


def errors_of(result) -> list[str]:
    return [line for line in result.out.splitlines() if line.startswith("Fejl")]


def damage(path: Path) -> None:
    """Garbage over every page after the first (the header still says SQLite / the key still fits page 1)."""
    data = bytearray(path.read_bytes())
    garbage = random.Random(5)
    for i in range(4096, len(data)):
        data[i] = garbage.randrange(256)
    path.write_bytes(bytes(data))


STALE_WRITER = """
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    from conftest import raw_connect
    conn = raw_connect(Path(sys.argv[1]), dicts=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("INSERT INTO audit_log (at, action) VALUES ('2000-01-01', 'forældet-wal')")
    os.kill(os.getpid(), signal.SIGKILL)  # the WAL stays, with a committed row the file does not have
"""


def leave_stale_wal(tmp_path: Path, path: Path) -> None:
    script = child_script(tmp_path, "stale.py", STALE_WRITER.format(tests=str(Path(__file__).parent)))
    proc = spawn(script, str(path))
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    wal = path.with_name(path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0


# ================================================================ backups that are real


KILLED_BACKUP = """
    import os, signal, sys
    point = sys.argv[1]
    from rettidig_cli.storage import store

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if point == "forbindelse":  # the copy's file exists, nothing copied yet
        real_connect = store.connect
        def connect(path, key=None):
            conn = real_connect(path, key)
            if "sikkerhedskopier" in str(path):
                die()
            return conn
        store.connect = connect
    elif point == "fsync":  # copied and checked, not yet synced
        os.fsync = lambda fd: die()
    elif point == "omdøbning":  # synced, sidecar written, not yet given its .db name
        from rettidig_cli.storage import safefile
        safefile.fault_hook = lambda name: die() if name == "link:kopi" else None
    sys.argv = ["rettidig", "backup"]
    from rettidig_cli.commands import app as cli
    cli.main()
"""


@pytest.mark.parametrize("point", ["forbindelse", "fsync", "omdøbning"])
def test_a_backup_killed_midway_never_leaves_a_db_that_doctor_calls_good(cli, tmp_path, data_home, point):
    code = new_case(cli, tmp_path)
    close_connections()
    script = child_script(tmp_path, "killed_backup.py", KILLED_BACKUP)
    proc = spawn(script, point)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"not killed ({proc.returncode}): {out}\n{err}"
    folder = data_home / BACKUPS
    # Every .db in the folder is a whole copy with the case in it (today: a 0-byte .db was left).
    for copy in folder.glob("*.db"):
        assert copy.stat().st_size > 0, f"{copy.name} is empty"
        assert codes(copy) == {code}
    unfinished = sorted(folder.glob("*.ufaerdig"))
    assert unfinished, sorted(p.name for p in folder.iterdir())
    result = doctor(cli)
    assert result.code == 0, result.out
    assert "afbrudt sikkerhedskopi" in flat(result.out) and unfinished[0].name in flat(result.out)
    assert "Ingen hele endnu" in flat(result.out)

    # The next backup removes the leftover (and a sidecar written for it), and is itself whole.
    made = take_backup(cli)
    assert not list(folder.glob("*.ufaerdig"))
    assert sorted(p.name for p in folder.glob("*.kryptering")) == ([sidecar(made).name] if sidecar(made).exists() else [])
    assert codes(made) == {code}
    assert "1 hele i" in flat(doctor(cli).out)


def test_a_backup_that_fails_its_check_is_not_kept(cli, tmp_path, data_home, monkeypatch):
    """The copy is compared with the data file's migrations; a copy that differs is removed."""
    from rettidig_cli.storage.store import Store

    new_case(cli, tmp_path)
    real = Store._migration_names
    calls = []

    def differing(conn):
        calls.append(1)
        names = real(conn)
        return names if len(calls) % 2 else names[:-2]  # the copy's answer lacks a migration

    monkeypatch.setattr(Store, "_migration_names", staticmethod(differing))
    result = fails(cli, 4, "backup")
    assert "Sikkerhedskopien kunne ikke kontrolleres og er slettet igen." in flat(result.err)
    folder = data_home / BACKUPS
    assert sorted(p.name for p in folder.iterdir()) == []


def test_backups_are_single_files_with_the_same_migrations(cli, tmp_path, data_home):
    new_case(cli, tmp_path)
    made = take_backup(cli)
    assert made.read_bytes()[:16] != b"SQLite format 3\x00" or made.read_bytes()[18:20] == b"\x01\x01"  # no WAL
    assert query(data_home, "SELECT name FROM _sqlite_migrations ORDER BY rowid", path=made) == \
        query(data_home, "SELECT name FROM _sqlite_migrations ORDER BY rowid")


def test_a_zero_byte_backup_is_an_error_in_doctor(cli, tmp_path, data_home):
    new_case(cli, tmp_path)
    take_backup(cli)
    empty = data_home / BACKUPS / "rettidig-før-opdatering-20260101-120000-000000.db"
    os.close(os.open(empty, os.O_CREAT | os.O_WRONLY, 0o600))
    result = doctor(cli)
    assert result.code == 1
    assert any(empty.name in line and "tom (0 byte)" in line for line in errors_of(result)), result.out
    assert "1 hele i" in flat(result.out)  # the good one is still counted, the empty one is not


def test_a_broken_or_unopenable_backup_is_an_error_in_doctor(cli, tmp_path, data_home, storage):
    new_case(cli, tmp_path)
    made = take_backup(cli)
    folder = data_home / BACKUPS
    truncated = folder / "rettidig-kopi-20260101-120000-000001.db"
    truncated.write_bytes(made.read_bytes()[: made.stat().st_size // 2])
    text = folder / "rettidig-kopi-20260101-120000-000002.db"
    text.write_text("ikke en database\n", encoding="utf-8")
    for extra in (truncated, text):
        os.chmod(extra, 0o600)
    if storage == "krypteret":
        shutil.copyfile(sidecar(made), sidecar(truncated))
        # A backup whose keyring entry is gone cannot be opened: an error, not "good".
        lost = folder / "rettidig-kopi-20260101-120000-000003.db"
        shutil.copyfile(made, lost)
        sidecar(lost).write_text('metode = "nøglering"\nnoegle_id = "datafil-findes-ikke"\n', encoding="utf-8")
        for extra in (lost, sidecar(lost), sidecar(truncated)):
            os.chmod(extra, 0o600)
    result = doctor(cli)
    assert result.code == 1
    lines = errors_of(result)
    assert any(truncated.name in line and "beskadiget" in line for line in lines), result.out
    assert any(text.name in line for line in lines), result.out
    if storage == "krypteret":
        assert any("000003" in line and "nøglering" in line for line in lines), result.out
    assert "1 hele i" in flat(result.out)


def test_doctor_lists_whole_backups_even_when_the_data_file_does_not_open(cli, tmp_path, data_home):
    new_case(cli, tmp_path)
    take_backup(cli)
    damage(db_file(data_home))
    result = doctor(cli)
    assert result.code == 1
    assert "1 hele i" in flat(result.out) and "rettidig gendan" in flat(result.out)


# ================================================================ rettidig gendan


def setup_before_and_after(cli, tmp_path, home: Path) -> tuple[str, str, Path]:
    """Case A, a backup, then case B: the backup holds A only."""
    before = new_case(cli, tmp_path)
    copy = take_backup(cli)
    after = new_case(cli, tmp_path)
    close_connections()
    assert codes(db_file(home)) == {before, after}
    return before, after, copy


def test_gendan_beside_a_stale_wal_restores_exactly_the_backup(cli, tmp_path, data_home):
    """The crash case of the README's old manual steps: a broken data file with a WAL left by a
    killed process. The restored file holds the backup's content and nothing from that WAL."""
    before, after, copy = setup_before_and_after(cli, tmp_path, data_home)
    path = db_file(data_home)
    leave_stale_wal(tmp_path, path)
    damage(path)
    old_bytes = path.read_bytes()
    old_wal = path.with_name(path.name + "-wal").read_bytes()
    backup_bytes = copy.read_bytes()

    result = ok(cli, "gendan", str(copy), "--ja")
    close_connections()
    text = flat(result.out)
    assert codes(path) == {before}
    assert query(data_home, "SELECT count(*) AS n FROM audit_log WHERE action = 'forældet-wal'") == [{"n": 0}]
    assert not path.with_name(path.name + "-wal").exists() or path.with_name(path.name + "-wal").stat().st_size == 0
    assert copy.read_bytes() == backup_bytes  # the backup itself is only read
    # Kept aside, byte for byte, with its WAL; the output says where, and what is missing.
    kept = list((data_home / BACKUPS / "gemt-ved-gendannelse").glob("*.db"))
    assert len(kept) == 1 and kept[0].read_bytes() == old_bytes
    assert kept[0].with_name(kept[0].name + "-wal").read_bytes() == old_wal
    assert str(kept[0]) in text
    assert "ikke slettet" in text and "Det, der blev gemt efter, er ikke i den." in text
    assert "kunne ikke åbnes" in text
    # One general audit row, and one for every case the copy brought back; without content.
    rows = query(data_home, "SELECT action, case_code, detail, purpose FROM audit_log WHERE action = 'gendan'")
    assert rows[0]["case_code"] is None and all(r["purpose"] == "gendan" for r in rows)
    assert all(r["detail"].startswith("sikkerhedskopi fra ") for r in rows)
    restored = {r["code"] for r in query(data_home, "SELECT code FROM cases")}
    assert sorted(r["case_code"] for r in rows[1:]) == sorted(restored) and before in restored
    assert not any(p.name.endswith((".gendannes", ".gendannelse")) for p in data_home.iterdir())

    result = doctor(cli)
    assert result.code == 0 and not errors_of(result), result.out
    ok(cli, "observation", before, "--hvad", "Efter gendannelsen")
    assert after not in {r["kode"] for r in json.loads(ok(cli, "list", "--json").out)}


def test_gendan_keeps_a_healthy_file_aside_and_can_be_undone(cli, tmp_path, data_home, storage):
    before, after, copy = setup_before_and_after(cli, tmp_path, data_home)
    path = db_file(data_home)
    result = ok(cli, "gendan", str(copy), "--ja")
    close_connections()
    assert codes(path) == {before}
    kept = next((data_home / BACKUPS / "gemt-ved-gendannelse").glob("*.db"))
    assert codes(kept) == {before, after}  # opens with its own sidecar
    assert kept.name.startswith("rettidig-før-gendannelse-")
    assert (storage == "krypteret") == sidecar(kept).exists() == sidecar(path).exists()
    assert f"rettidig gendan {kept}" in flat(result.out)
    if storage == "krypteret":
        assert path.read_bytes()[:16] != b"SQLite format 3\x00"
    # Undo: the kept file is a backup like any other.
    ok(cli, "gendan", str(kept), "--ja")
    assert codes(path) == {before, after}
    assert doctor(cli).code == 0


def test_gendan_of_a_plain_backup_over_an_encrypted_file(cli, tmp_path, data_home, storage):
    """A backup from before the file was encrypted: restored plain, without the old sidecar; the
    encrypted file is kept with its sidecar."""
    if storage != "krypteret":
        pytest.skip("needs an encrypted data file")
    before, after, copy = setup_before_and_after(cli, tmp_path, data_home)
    path = db_file(data_home)
    plain = data_home / BACKUPS / "rettidig-kopi-20250101-120000-000000.db"
    conn = raw_connect(copy, dicts=False)
    conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain),))
    conn.execute("SELECT sqlcipher_export('plain')")
    conn.execute("DETACH DATABASE plain")
    conn.close()
    assert plain.read_bytes()[:16] == b"SQLite format 3\x00"
    ok(cli, "gendan", str(plain), "--ja")
    assert not sidecar(path).exists()
    assert path.read_bytes()[:16] == b"SQLite format 3\x00"
    assert codes(path) == {before}
    kept = next((data_home / BACKUPS / "gemt-ved-gendannelse").glob("*.db"))
    assert sidecar(kept).exists() and codes(kept) == {before, after}
    # And back to the encrypted one: its sidecar comes with it.
    ok(cli, "gendan", str(kept), "--ja")
    assert sidecar(path).exists() and codes(path) == {before, after}


@pytest.mark.parametrize("kind", ["tekst", "afkortet", "tom"])
def test_gendan_refuses_a_backup_that_is_not_whole_and_changes_nothing(cli, tmp_path, data_home, storage, kind):
    before, after, copy = setup_before_and_after(cli, tmp_path, data_home)
    bad = tmp_path / "kopi.db"
    if kind == "tekst":
        bad.write_text("Referat fra mødet\n", encoding="utf-8")
    elif kind == "afkortet":
        bad.write_bytes(copy.read_bytes()[: copy.stat().st_size // 2])
        if sidecar(copy).exists():
            shutil.copyfile(sidecar(copy), sidecar(bad))
    else:
        bad.write_bytes(b"")
    files = folder_bytes(data_home)
    result = fails(cli, 4, "gendan", str(bad), "--ja")
    message = flat(result.err)
    assert "Datafilen er ikke ændret." in message
    assert {"tekst": "er ikke en rettidig-sikkerhedskopi", "afkortet": "beskadiget",
            "tom": "er tom (0 byte)"}[kind] in message
    assert folder_bytes(data_home) == files
    assert codes(db_file(data_home)) == {before, after}


def test_gendan_without_a_terminal_and_without_ja_exits_6(cli, tmp_path, data_home):
    _, _, copy = setup_before_and_after(cli, tmp_path, data_home)
    files = folder_bytes(data_home)
    result = fails(cli, 6, "gendan", str(copy))
    assert "Gendannelse skal bekræftes" in flat(result.err) and "--ja" in flat(result.err)
    assert folder_bytes(data_home) == files


def test_gendan_asks_and_nej_is_the_default(cli, tmp_path, data_home):
    before, after, copy = setup_before_and_after(cli, tmp_path, data_home)
    files = folder_bytes(data_home)
    result = cli(["gendan", str(copy)], keys=ENTER)
    assert result.code == 0 and "Intet er ændret." in flat(result.out)
    assert folder_bytes(data_home) == files
    result = cli(["gendan", str(copy)], keys="\x1b[A" + ENTER)  # up to Ja
    assert result.code == 0, result.err
    assert codes(db_file(data_home)) == {before}


HOLDER = """
    import sys, time
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    from conftest import raw_connect
    conn = raw_connect(Path(sys.argv[1]), dicts=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("SELECT count(*) FROM cases").fetchone()
    Path(sys.argv[2]).write_text("klar")
    time.sleep(60)
"""


def test_gendan_refuses_while_another_window_has_the_file_open(cli, tmp_path, data_home):
    before, after, copy = setup_before_and_after(cli, tmp_path, data_home)
    path = db_file(data_home)
    script = child_script(tmp_path, "holder.py", HOLDER.format(tests=str(Path(__file__).parent)))
    ready = tmp_path / "klar"
    proc = spawn(script, str(path), str(ready))
    try:
        wait_for(ready, proc)
        result = fails(cli, 75, "gendan", str(copy), "--ja")
        assert "er i brug i et andet rettidig-vindue" in flat(result.err)
        assert "Intet er ændret." in flat(result.err)
    finally:
        stop(proc)
    assert codes(path) == {before, after}
    assert not (data_home / BACKUPS / "gemt-ved-gendannelse").exists()
    assert not any(p.name.endswith((".gendannes", ".gendannelse")) for p in data_home.iterdir())


KILLED_RESTORE = """
    import os, signal, sys
    step = sys.argv[1]
    from rettidig_cli.storage import safefile
    safefile.fault_hook = lambda name: os.kill(os.getpid(), signal.SIGKILL) if name == "gendan:" + step else None
    sys.argv = ["rettidig", *sys.argv[2:]]
    from rettidig_cli.commands import app as cli
    cli.main()
"""


@pytest.mark.bar  # every step in both runs with --fuld; by default the two runs share the steps between them
def test_kill_9_at_every_step_of_gendan_leaves_a_data_file_that_opens(cli, tmp_path, data_home, storage):
    """For each step of the swap, a fresh copy of the same data folder (old file: cases A and B;
    backup: A) and a real `rettidig gendan --ja` killed right after that step. The data path then
    holds the old or the restored file, which opens with its sidecar (never a new, empty one, and
    no stale WAL beside it); running gendan again finishes the job and doctor is clean."""
    from rettidig_cli.storage import restore

    before, after, _ = setup_before_and_after(cli, tmp_path, data_home)
    template = tmp_path / "mal"
    shutil.copytree(data_home, template)
    script = child_script(tmp_path, "killed_restore.py", KILLED_RESTORE)
    killed = []
    # The key-file steps matter for an encrypted file: by default the encrypted run takes them all.
    steps = bar_points(restore.STEPS, storage, encrypted_only=[s for s in restore.STEPS if s.startswith("nøglefil")])
    for step in steps:
        home = tmp_path / f"hjem-{step}"
        shutil.copytree(template, home)
        path = home / "rettidig.db"
        copy = next((home / BACKUPS).glob("*.db"))
        proc = spawn(script, step, "gendan", str(copy), "--ja", "--db", str(path))
        out, err = proc.communicate(timeout=120)
        assert "Traceback" not in err, err
        assert proc.returncode in (0, -signal.SIGKILL), f"{step}: exit {proc.returncode}\n{out}\n{err}"
        if proc.returncode:
            killed.append(step)
        assert path.exists() and path.stat().st_size > 0, step
        for suffix in ("-wal", "-journal"):
            extra = path.with_name(path.name + suffix)
            assert not extra.exists() or extra.stat().st_size == 0, f"{step}: {extra.name} beside the file"
        # Opens through the product, with its sidecar, and holds either the old or the restored cases.
        listing = cli(["list", "--json", "--alle", "--db", str(path)])
        assert listing.code == 0, f"{step}: {listing.err}"
        found = {r["kode"] for r in json.loads(listing.out)}
        assert found in ({before, after}, {before}), f"{step}: {found}"
        if step in ("færdig",) or proc.returncode == 0:
            assert found == {before}
        close_connections()
        # A second run finishes (or redoes) it; then the folder is clean.
        ok(cli, "gendan", str(copy), "--ja", "--db", str(path))
        close_connections()
        assert codes(path) == {before}, step
        result = doctor(cli, path)
        assert result.code == 0 and not errors_of(result), f"{step}: {result.out}"
        assert not any(p.name.endswith((".gendannes", ".gendannelse")) for p in home.iterdir()), step
        # Whatever was kept aside is never lost: every kept file that opened before still opens.
        for kept in (home / BACKUPS / "gemt-ved-gendannelse").glob("*.db"):
            assert codes(kept) in ({before, after}, {before}), f"{step}: {kept.name}"
    expected = [s for s in steps if storage == "krypteret" or s != "nøglefil-gemt"]
    assert killed == expected
