"""Encryption of the data file (SQLCipher): a new encrypted file, encrypting a plain one
(`kryptering til`), changing the key (`kryptering skift`), passphrases typed at the prompt (pipe
input and one real terminal), where keys may never come from, and keyrings that are refused.

The autouse `storage` fixture runs each test with a plain and with an encrypted data file. Tests
that only make sense for one of them skip the other; tests that set up their own encryption
(first-run offer, passphrases) are marked `once` and run with the plain parameter only, since the
fixture's own choice is overwritten by them anyway.

Every check is made where it matters: the raw bytes of the data file and its WAL, the file beside
it (rettidig.db.kryptering), the test keyring (a JSON file), and what the real CLI prints."""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import CTRL_C, DOWN, ENTER, EXAMPLES, ROOT, c_level_output, db_file, query, raw_connect
from helpers import flat, ok, plan_json

pytestmark = pytest.mark.both_storages  # encryption is the subject (many tests act only on the encrypted file)

# Sets up its own encryption, so the fixture's plain/encrypted choice does not matter: run once.
once = pytest.mark.plain_only

SQLITE_HEADER = b"SQLite format 3\x00"  # written here, not imported: what any SQLite file starts with
RESEN = EXAMPLES / "resen-svar.toml"
UNIQUE = "Zebrafinken-Quokka-Lindorm"  # a text that appears nowhere else (ASCII: found byte for byte)
PRIVACY = tomllib.loads((ROOT / "data" / "privacy.toml").read_text(encoding="utf-8"))
MIN_LENGTH = PRIVACY["passphrase_min_length"]
PASSPHRASE = "Min hest hedder Blakken 42"
WRONG = "Forkert-heste-navn-99"
NOISE = ("hmac", "ERROR CORE", "sqlcipher_", "codec")


# ---------------------------------------------------------------- helpers


def backup_made(cli) -> Path:
    """`rettidig backup`, and the path of the copy it says it wrote."""
    found = re.search(r"(/\S+\.db)\b", flat(ok(cli, "backup").out))
    assert found, "no backup path in the output"
    return Path(found.group(1))


def new_case(cli, keys: str | None = None) -> str:
    out = ok(cli, "new", "--guide", "resen", "--answers", str(RESEN), keys=keys).out
    return out.split("Ny sag: ", 1)[1].split()[0]


def case_with_text(cli) -> str:
    code = new_case(cli)
    ok(cli, "observation", code, "--hvad", UNIQUE)
    return code


def raw_bytes(home: Path) -> bytes:
    """The data file and its WAL, byte for byte, as a thief with the disk would read them."""
    path = db_file(home)
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def settle() -> None:
    """Close connections left by earlier in-process commands (they checkpoint their WAL into the
    file as they close), so the file's bytes stay put unless a command writes."""
    import gc

    gc.collect()


def no_terminal(monkeypatch) -> None:
    """After a cli(..., keys=...) call in the same test, prompts think there is a terminal; put
    back the product's own check (stdin is not a terminal under pytest)."""
    from rettidig_cli.ui import prompts

    monkeypatch.setattr(prompts, "terminal_available", lambda: sys.stdin.isatty())


def header(home: Path) -> bytes:
    return db_file(home).read_bytes()[:16]


def sidecar(home: Path) -> Path:
    return home / "rettidig.db.kryptering"


def sidecar_info(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def keyring_entries() -> dict[str, str]:
    """The test keyring: {"service/name": secret}."""
    path = Path(os.environ["RETTIDIG_TEST_KEYRING"])
    return json.loads(path.read_text()) if path.exists() else {}


def keyring_secret(key_id: str) -> str | None:
    return keyring_entries().get(f"{PRIVACY['keyring_service']}/{key_id}")


def table_contents(home: Path, path: Path | None = None) -> dict[str, list[dict]]:
    """Every record in every table but the audit log (commands add audit rows as they run)."""
    tables = [r["name"] for r in query(home, "SELECT name FROM sqlite_master WHERE type = 'table'", path=path)]
    return {t: query(home, f'SELECT * FROM "{t}" ORDER BY rowid', path=path) for t in sorted(tables)
            if t != "audit_log"}


def history_json(cli, code: str) -> list:
    return json.loads(ok(cli, "historik", code, "--json").out)


def write_settings(home: Path, choice: str) -> None:
    (home / "indstillinger.toml").write_text(f'kryptering = "{choice}"\n', encoding="utf-8")


def settings(home: Path) -> dict:
    return tomllib.loads((home / "indstillinger.toml").read_text(encoding="utf-8"))


@pytest.fixture
def unsafe_keyring(monkeypatch):
    """The operating system offers only keyring's 'fail' backend (no keyring at all). keyring caches
    its backend per process, so the cache is emptied here and restored by monkeypatch afterwards."""
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    yield
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)


# ================================================================ a new data file


def test_new_data_file_is_encrypted_or_plain_as_chosen(cli, data_home, storage):
    """kryptering = "nøglering": the file is not SQLite-readable, the key is only in the keyring,
    the file beside it names the key without holding it, and the text is readable only through
    rettidig. kryptering = "ingen": a plain SQLite file, and the same byte search finds the text
    (so the search itself is shown to work)."""
    created = cli(["new", "--guide", "resen", "--answers", str(RESEN)])
    assert created.code == 0, created.err
    code = created.out.split("Ny sag: ", 1)[1].split()[0]
    ok(cli, "observation", code, "--hvad", UNIQUE)
    ok(cli, "luk", code, "--grund", f"Lukket: {UNIQUE}")

    if storage == "klar":
        assert header(data_home) == SQLITE_HEADER
        assert not sidecar(data_home).exists()
        assert UNIQUE.encode() in raw_bytes(data_home)
        assert keyring_entries() == {}
        assert "Mister du" not in created.err + created.out
    else:
        assert header(data_home) != SQLITE_HEADER
        side = sidecar(data_home)
        assert side.exists()
        assert stat.S_IMODE(side.stat().st_mode) == 0o600
        info = sidecar_info(side)
        assert info["metode"] == "nøglering"
        assert "forrige_noegle_id" not in info
        secret = keyring_secret(info["noegle_id"])
        assert secret is not None and re.fullmatch(r"[0-9a-f]{64}", secret)
        # The key is in the keyring only: not beside the file, not in the settings, not in the file.
        for path in data_home.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
                assert bytes.fromhex(secret) not in path.read_bytes(), path
        assert UNIQUE.encode() not in raw_bytes(data_home)
        assert b"C.D." not in raw_bytes(data_home)  # the child's initials from the example
        # The user is told, once, what losing the key means (on stderr: stdout may be JSON).
        assert "Mister du nøglen" in flat(created.err)
        # Plain sqlite3 cannot read it.
        import sqlite3

        with pytest.raises(sqlite3.DatabaseError):
            sqlite3.connect(db_file(data_home)).execute("SELECT count(*) FROM sqlite_master").fetchone()

    # Through the CLI the text reads back, in both storages.
    plan = plan_json(cli, code)
    assert UNIQUE in [o["hvad"] for o in plan["observationer"]]
    assert UNIQUE in json.dumps(history_json(cli, code), ensure_ascii=False)
    assert UNIQUE in flat(ok(cli, "historik", code).out)


def test_the_key_object_never_shows_its_secret(storage):
    if storage == "krypteret":
        pytest.skip("unit test")
    from rettidig_cli.storage import keys

    secret = "ab" * 32
    key = keys.from_hex(secret, "datafil-x")
    assert secret not in repr(key) and secret not in str(key)
    word = keys.from_passphrase("hemmelig sætning")
    assert "hemmelig" not in repr(word)


# ================================================================ kryptering til


def test_encrypting_a_plain_file_keeps_every_record(cli, data_home, storage):
    if storage == "krypteret":
        pytest.skip("encrypts a plain data file")
    code = case_with_text(cli)
    other = new_case(cli)
    ok(cli, "aftale", "ny", other, "--hvad", "Tale med PPR", "--hvem", "Leder")
    old_copy = backup_made(cli)
    assert UNIQUE.encode() in raw_bytes(data_home)  # the search can see it while plain
    before_plans = {c: plan_json(cli, c) for c in (code, other)}
    before_history = history_json(cli, code)
    before_tables = table_contents(data_home)
    before_log = query(data_home, "SELECT * FROM audit_log ORDER BY id")

    result = cli(["kryptering", "til", "--noeglering"])
    assert result.code == 0, result.err
    out = flat(result.out)
    assert "Datafilen er nu krypteret" in out
    assert "Mister du nøglen i computerens nøglering" in out
    # The old backup is plain and says so, with where it lies.
    assert "1 ældre sikkerhedskopi " in out and "ikke krypteret" in out
    assert str(old_copy.parent) in out

    assert header(data_home) != SQLITE_HEADER
    info = sidecar_info(sidecar(data_home))
    assert info["metode"] == "nøglering" and "forrige_noegle_id" not in info
    assert keyring_secret(info["noegle_id"])
    assert stat.S_IMODE(sidecar(data_home).stat().st_mode) == 0o600
    assert stat.S_IMODE(db_file(data_home).stat().st_mode) == 0o600
    assert UNIQUE.encode() not in raw_bytes(data_home)
    # The copy taken before encrypting was the way back while the switch ran; it held the data in
    # clear text, so it is gone again. The one taken by hand is still there (and was named above).
    assert "Sikkerhedskopien fra før krypteringen er slettet igen" in out
    backups = sorted(p.name for p in (data_home / "sikkerhedskopier").iterdir())
    assert backups == [old_copy.name], backups
    # No temporary file is left behind.
    assert not [p for p in data_home.iterdir() if p.name.endswith((".ny", ".tmp"))]
    leftovers = [p.name for p in data_home.iterdir() if p.name.endswith((".ny", ".tmp"))]
    assert leftovers == []

    # Every record is there, read through SQLCipher with the new key and through the CLI.
    assert table_contents(data_home) == before_tables
    after_log = query(data_home, "SELECT * FROM audit_log ORDER BY id")
    assert after_log[:len(before_log)] == before_log
    assert any(r["action"] == "kryptering" and r["detail"] == "til" for r in after_log)
    assert {c: plan_json(cli, c) for c in (code, other)} == before_plans
    assert history_json(cli, code) == before_history

    # Asked again: already done, said in Danish, nothing changed.
    side_before, bytes_before = sidecar(data_home).read_text(), table_contents(data_home)
    again = cli(["kryptering", "til", "--noeglering"])
    assert again.code == 2
    assert "Datafilen er allerede krypteret" in flat(again.err)
    assert "rettidig kryptering skift" in flat(again.err)
    assert "Traceback" not in again.err + again.out
    assert sidecar(data_home).read_text() == side_before
    assert table_contents(data_home) == bytes_before
    assert len(keyring_entries()) == 1  # no new key was made for nothing


def test_encrypting_without_old_backups_says_nothing_about_them(cli, data_home, storage):
    if storage == "krypteret":
        pytest.skip("encrypts a plain data file")
    case_with_text(cli)
    result = ok(cli, "kryptering", "til", "--noeglering")
    assert "sikkerhedskopier" not in result.out.replace("Nye sikkerhedskopier bruger samme nøgle", "")


def test_wrong_command_for_the_file_state_is_refused_in_danish(cli, data_home, storage):
    """`til` on an encrypted file and `skift` on a plain one change nothing."""
    code = case_with_text(cli)
    before = table_contents(data_home)
    entries = keyring_entries()
    if storage == "krypteret":
        result = cli(["kryptering", "til", "--noeglering"])
        assert result.code == 2
        assert "Datafilen er allerede krypteret" in flat(result.err)
    else:
        result = cli(["kryptering", "skift", "--noeglering"])
        assert result.code == 2
        assert "Datafilen er ikke krypteret endnu" in flat(result.err)
        assert "rettidig kryptering til" in flat(result.err)
        assert not sidecar(data_home).exists()
        assert header(data_home) == SQLITE_HEADER
    assert "Traceback" not in result.err + result.out
    assert keyring_entries() == entries
    assert table_contents(data_home) == before
    assert UNIQUE in [o["hvad"] for o in plan_json(cli, code)["observationer"]]


def test_encrypting_with_no_file_yet_says_so(cli, data_home, storage):
    result = cli(["kryptering", "til", "--noeglering"])
    assert result.code == 4
    assert "Der er ingen datafil" in flat(result.err)
    assert not db_file(data_home).exists()
    assert keyring_entries() == {}


def test_a_method_flag_is_needed_without_a_terminal(cli, data_home, storage):
    if storage == "krypteret":
        pytest.skip("encrypts a plain data file")
    case_with_text(cli)
    result = cli(["kryptering", "til"])
    assert result.code == 6
    assert "--noeglering" in flat(result.err)
    assert header(data_home) == SQLITE_HEADER


# ================================================================ kryptering skift


def test_changing_the_key_keeps_data_and_the_old_key_only_while_a_backup_needs_it(cli, data_home, storage):
    if storage == "klar":
        pytest.skip("changes the key of an encrypted data file")
    code = case_with_text(cli)
    first_id = sidecar_info(sidecar(data_home))["noegle_id"]
    copy = backup_made(cli)
    assert sidecar_info(copy.with_name(copy.name + ".kryptering"))["noegle_id"] == first_id
    before = table_contents(data_home)
    before_plan = plan_json(cli, code)

    result = ok(cli, "kryptering", "skift", "--noeglering")
    assert "Mister du nøglen" in flat(result.out)
    second_id = sidecar_info(sidecar(data_home))["noegle_id"]
    assert second_id != first_id
    assert "forrige_noegle_id" not in sidecar_info(sidecar(data_home))
    assert keyring_secret(second_id) and keyring_secret(second_id) != keyring_secret(first_id)
    # The backup still needs the first key, so it stays in the keyring, and the backup opens.
    assert keyring_secret(first_id) is not None
    conn = raw_connect(copy)
    try:
        observed = [r["what"] for r in conn.execute("SELECT what FROM observations")]
    finally:
        conn.close()
    assert UNIQUE in observed
    # The data file opens with the new key only, and everything is there.
    assert table_contents(data_home) == before
    assert plan_json(cli, code) == before_plan
    assert UNIQUE.encode() not in raw_bytes(data_home)
    assert not [p for p in data_home.iterdir() if p.name.endswith((".ny", ".tmp"))]

    # Changed again: the copy taken before this switch opens with the second key, so it stays.
    result = ok(cli, "kryptering", "skift", "--noeglering")
    assert "nøgle, som derfor bliver i nøgleringen" in flat(result.out)
    third_id = sidecar_info(sidecar(data_home))["noegle_id"]
    assert third_id not in (first_id, second_id)
    before_switch = [p for p in (data_home / "sikkerhedskopier").glob("*før-nøgleskift*.db")
                     if sidecar_info(p.with_name(p.name + ".kryptering"))["noegle_id"] == second_id]
    assert len(before_switch) == 1
    assert keyring_secret(second_id) is not None
    assert keyring_secret(first_id) is not None
    assert keyring_secret(third_id) is not None
    assert table_contents(data_home) == before
    log = query(data_home, "SELECT action, detail FROM audit_log WHERE action = 'kryptering'")
    assert [r["detail"] for r in log] == ["ny nøgle", "ny nøgle"]


def test_changing_from_keyring_to_passphrase(cli, data_home, storage):
    if storage == "klar":
        pytest.skip("changes the key of an encrypted data file")
    code = case_with_text(cli)
    old_id = sidecar_info(sidecar(data_home))["noegle_id"]
    result = cli(["kryptering", "skift", "--adgangskode"],
                 keys=PASSPHRASE + ENTER + PASSPHRASE + ENTER)
    assert result.code == 0, result.err
    assert "Mister du adgangskoden" in flat(result.out)
    info = sidecar_info(sidecar(data_home))
    assert info == {"metode": "adgangskode"}
    # The copy taken before the switch opens with the old keyring key, so the key stays.
    copies = list((data_home / "sikkerhedskopier").glob("*før-nøgleskift*.db"))
    assert len(copies) == 1
    assert sidecar_info(copies[0].with_name(copies[0].name + ".kryptering"))["noegle_id"] == old_id
    assert keyring_secret(old_id) is not None
    assert header(data_home) != SQLITE_HEADER
    plan = plan_json(cli, code, keys=PASSPHRASE + ENTER)
    assert UNIQUE in [o["hvad"] for o in plan["observationer"]]


# ================================================================ passphrases at the prompt


def choose_passphrase_at_first_run(refused: str) -> str:
    """Keys for the first-run offer: pick the passphrase, type one that is too short (refused after
    Enter, asked again in an empty field), then two that differ, then the right one twice."""
    return (DOWN + ENTER  # 1st: keyring (safe here), 2nd: passphrase
            + refused + ENTER  # too short: refused, asked again
            + PASSPHRASE + ENTER + "En anden sætning helt" + ENTER  # differ: asked again
            + PASSPHRASE + ENTER + PASSPHRASE + ENTER)


@once
def test_first_run_passphrase_then_every_command_asks_for_it(cli, data_home):
    (data_home / "indstillinger.toml").unlink()
    too_short = "k" * (MIN_LENGTH - 1)
    created = cli(["new", "--guide", "resen", "--answers", str(RESEN)], keys=choose_passphrase_at_first_run(too_short))
    assert created.code == 0, created.err
    out = flat(created.out)
    assert "rettidig gemmer oplysninger om børn" in out
    assert "Mister du adgangskoden" in out
    assert "De to adgangskoder er ikke ens" in out
    assert f"mindst {MIN_LENGTH} tegn" in out
    assert PASSPHRASE not in created.out + created.err
    code = created.out.split("Ny sag: ", 1)[1].split()[0]

    assert settings(data_home)["kryptering"] == "adgangskode"
    assert header(data_home) != SQLITE_HEADER
    assert sidecar_info(sidecar(data_home)) == {"metode": "adgangskode"}
    assert keyring_entries() == {}
    for path in data_home.rglob("*"):
        if path.is_file():
            assert PASSPHRASE.encode() not in path.read_bytes(), path

    added = cli(["observation", code, "--hvad", UNIQUE], keys=PASSPHRASE + ENTER)
    assert added.code == 0, added.err
    assert UNIQUE.encode() not in raw_bytes(data_home)
    plan = plan_json(cli, code, keys=PASSPHRASE + ENTER)
    assert UNIQUE in [o["hvad"] for o in plan["observationer"]]


def passphrase_file(cli, data_home) -> str:
    write_settings(data_home, "adgangskode")
    code = new_case(cli, keys=PASSPHRASE + ENTER + PASSPHRASE + ENTER)
    assert sidecar_info(sidecar(data_home)) == {"metode": "adgangskode"}
    return code


def test_c_level_capture_sees_sqlcipher_noise(tmp_path, storage):
    """The check below is only worth something if it would see SQLCipher's complaint: a
    connection without cipher_log_level = NONE and a wrong key prints it to fd 2."""
    if storage == "krypteret":
        pytest.skip("once is enough")
    import sqlcipher3

    path = tmp_path / "x.db"
    conn = sqlcipher3.connect(str(path))
    conn.execute("PRAGMA key = 'rigtig-noegle-123'")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with c_level_output() as box:
        conn = sqlcipher3.connect(str(path))
        conn.execute("PRAGMA key = 'forkert-noegle-123'")
        with pytest.raises(sqlcipher3.DatabaseError):
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.close()
    assert "hmac" in box[0]


@once
def test_wrong_passphrase_is_asked_again_and_three_wrong_change_nothing(cli, data_home):
    code = passphrase_file(cli, data_home)

    with c_level_output() as box:
        result = cli(["plan", code], keys=WRONG + ENTER + PASSPHRASE + ENTER)
    assert result.code == 0, result.err
    assert "Forkert adgangskode" in flat(result.out)
    assert "2. af 3 forsøg" in flat(result.out)
    assert f"Sag {code} · Handleplan" in flat(result.out)
    for word in NOISE:
        assert word not in box[0] + result.out + result.err

    path = db_file(data_home)
    settle()
    files_before = {p.name: p.read_bytes() for p in data_home.iterdir() if p.is_file()}
    with c_level_output() as box:
        result = cli(["plan", code], keys=(WRONG + ENTER) * 3)
    assert result.code == 4
    message = flat(result.err)
    assert "Adgangskoden passer ikke til datafilen" in message
    assert "Filen er ikke ændret" in message
    assert flat(result.out).count("Forkert adgangskode") == 2  # before the 2nd and the 3rd try
    for word in NOISE:
        assert word not in box[0] + result.out + result.err, word
    assert "Traceback" not in result.out + result.err
    assert WRONG not in result.out + result.err
    assert path.read_bytes() == files_before["rettidig.db"]
    assert {p.name: p.read_bytes() for p in data_home.iterdir() if p.is_file()} == files_before


@once
def test_passphrase_file_without_a_terminal_stops_with_exit_6(cli, data_home, monkeypatch):
    code = passphrase_file(cli, data_home)
    no_terminal(monkeypatch)
    settle()
    before = db_file(data_home).read_bytes()
    # Keys are never taken from the environment, whatever it is called.
    for name in ("RETTIDIG_KEY", "RETTIDIG_PASSPHRASE", "RETTIDIG_ADGANGSKODE", "SQLCIPHER_KEY", "RETTIDIG_NOEGLE"):
        monkeypatch.setenv(name, PASSPHRASE)
    with c_level_output() as box:
        result = cli(["plan", code])
    assert result.code == 6
    assert "krypteret med en adgangskode" in flat(result.err)
    assert "ingen terminal" in flat(result.err)
    assert "Traceback" not in result.err + result.out
    assert not [w for w in NOISE if w in box[0]]
    assert db_file(data_home).read_bytes() == before


@once
def test_ctrl_c_at_the_passphrase_prompt(cli, data_home):
    code = passphrase_file(cli, data_home)
    settle()
    before = db_file(data_home).read_bytes()
    result = cli(["plan", code], keys=CTRL_C)
    assert "Traceback" not in result.err + result.out
    assert f"Sag {code} · Handleplan" not in result.out
    assert db_file(data_home).read_bytes() == before
    assert result.code == 130
    assert "Afbrudt" in flat(result.err)


@once
def test_ctrl_c_at_the_first_run_offer(cli, data_home):
    (data_home / "indstillinger.toml").unlink()
    result = cli(["list"], keys=CTRL_C)
    assert "Traceback" not in result.err + result.out
    assert sorted(p.name for p in data_home.iterdir()) == []  # nothing chosen, nothing made
    assert result.code == 130
    assert "Afbrudt" in flat(result.err)


def test_ctrl_c_at_the_first_passphrase_leaves_the_question_open(cli, data_home):
    (data_home / "indstillinger.toml").unlink()
    result = cli(["list"], keys=DOWN + ENTER + CTRL_C)  # choose a passphrase, then stop
    assert result.code == 130
    assert sorted(p.name for p in data_home.iterdir()) == []  # no file, and the choice is not remembered


def test_ctrl_c_at_a_new_key_changes_nothing_not_even_the_log(cli, data_home, storage):
    if storage == "krypteret":
        return
    case_with_text(cli)
    before = query(data_home, "SELECT count(*) AS n FROM audit_log WHERE action = 'kryptering'")[0]["n"]
    result = cli(["kryptering", "til", "--adgangskode"], keys=CTRL_C)
    assert result.code == 130
    assert header(data_home) == SQLITE_HEADER
    assert query(data_home, "SELECT count(*) AS n FROM audit_log WHERE action = 'kryptering'")[0]["n"] == before


def terminal_passphrase_file(home: Path, work: Path) -> str:
    """A passphrase-encrypted data file made in a real terminal; returns the case code."""
    from test_e2e_pty import Terminal

    home.mkdir()
    work.mkdir()
    write_settings(home, "adgangskode")
    term = Terminal(["new", "--guide", "resen", "--answers", str(RESEN)], home, work)
    term.answer("Vælg en adgangskode til datafilen:", PASSPHRASE + "\r")
    term.answer("Skriv den samme adgangskode igen:", PASSPHRASE + "\r")
    assert term.finish() == 0, term.text[-2000:]
    assert PASSPHRASE not in term.text
    assert (home / "rettidig.db").read_bytes()[:16] != SQLITE_HEADER
    return re.search(r"Ny sag: (RT-\d{4}-\d{3})", term.text).group(1)


@once
def test_passphrase_in_a_real_terminal_never_shows_sqlcipher_noise(tmp_path):
    from test_e2e_pty import Terminal

    home, work = tmp_path / "pty-home", tmp_path / "work"
    code = terminal_passphrase_file(home, work)
    term = Terminal(["plan", code], home, work)
    term.answer("Adgangskode til datafilen:", WRONG + "\r")
    term.expect("Forkert adgangskode")
    term.answer("Adgangskode til datafilen:", PASSPHRASE + "\r")
    term.expect(f"Sag {code} · Handleplan")
    assert term.finish() == 0, term.text[-2000:]
    shown = term.text
    for word in NOISE:
        assert word not in shown, word
    assert WRONG not in shown and PASSPHRASE not in shown
    assert "Traceback" not in shown


@once
def test_ctrl_c_at_the_passphrase_prompt_in_a_real_terminal(tmp_path):
    from test_e2e_pty import Terminal

    home, work = tmp_path / "pty-home", tmp_path / "work"
    code = terminal_passphrase_file(home, work)
    before = (home / "rettidig.db").read_bytes()
    term = Terminal(["plan", code], home, work)
    term.answer("Adgangskode til datafilen:", CTRL_C)
    status = term.finish()
    assert (home / "rettidig.db").read_bytes() == before
    assert f"Sag {code} · Handleplan" not in term.text
    assert "Traceback" not in term.text
    assert status == 130, status
    assert "Afbrudt" in term.text


# ================================================================ keys never on the command line or in the environment

SECRET_WORDS = ("key", "nøgle", "noegle", "passphrase", "password", "adgangskode", "kode", "secret", "hemmelig",
                "pragma")


def all_commands():
    import typer

    from rettidig_cli.commands.app import app

    def walk(command, path):
        yield path, command
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, [*path, name])

    return list(walk(typer.main.get_command(app), []))


def test_no_option_takes_a_key_or_passphrase_or_reads_the_environment(storage):
    if storage == "krypteret":
        pytest.skip("the command line is the same for both")
    commands = all_commands()
    assert len(commands) > 20
    seen = set()
    for path, command in commands:
        for param in command.params:
            names = [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]
            seen.update(names)
            assert not getattr(param, "envvar", None), (path, names)
            takes_value = param.param_type_name == "argument" or not getattr(param, "is_flag", False)
            if takes_value:
                for name in names:
                    assert not any(word in name.lower() for word in SECRET_WORDS), (path, name)
    assert {"--noeglering", "--adgangskode"} <= seen  # the method is chosen by flags only


def test_help_of_encryption_commands_offers_no_option_with_a_value_for_a_key(cli, storage):
    if storage == "krypteret":
        pytest.skip("the command line is the same for both")
    for args in (["--help"], ["kryptering", "--help"], ["kryptering", "til", "--help"],
                 ["kryptering", "skift", "--help"]):
        result = cli(args)
        assert result.code == 0
        for line in result.out.splitlines():
            match = re.search(r"(--[\w-]+)(?:,\s*[-\w]+)*\s+([A-ZÆØÅ]{2,})\b", line)
            if match:
                assert not any(w in match.group(1).lower() for w in SECRET_WORDS), line
        if args[-2:] == ["til", "--help"]:
            assert re.search(r"--adgangskode\s+Brug en adgangskode", result.out)  # a flag, no value


def test_a_passphrase_given_on_the_command_line_is_refused(cli, data_home, storage):
    if storage == "krypteret":
        pytest.skip("encrypts a plain data file")
    case_with_text(cli)
    settle()
    before = db_file(data_home).read_bytes()
    for args in (["kryptering", "til", "--adgangskode", PASSPHRASE], ["kryptering", "til", f"--adgangskode={PASSPHRASE}"],
                 ["kryptering", "til", "--key", "abc"]):
        result = cli(args)
        assert result.code == 2, args
        assert "Traceback" not in result.err
    assert db_file(data_home).read_bytes() == before
    assert not sidecar(data_home).exists()


def test_the_product_reads_only_known_environment_variables(storage):
    if storage == "krypteret":
        pytest.skip("the source is the same for both")
    # _RETTIDIG_COMPLETE: set only by the Tab key's script (rettidig --installer-tab); typer reads it too.
    # PAGER, TERM, PATH: which pager long output goes through (ui/output.py, as git chooses it).
    allowed = {"RETTIDIG_HOME", "RETTIDIG_DEBUG", "RETTIDIG_GUIDE", "_RETTIDIG_COMPLETE", "PAGER", "TERM", "PATH"}
    literal = re.compile(r"""os\.(?:environ\.get|getenv)\(\s*["']([A-Z0-9_]+)["']|os\.environ\[\s*["']([A-Z0-9_]+)["']\s*\]""")
    found, unexplained = set(), []
    for source in sorted((ROOT / "rettidig_cli").rglob("*.py")):
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if not re.search(r"\benviron\b|\bgetenv\b|\bputenv\b", line):
                continue
            if "{**os.environ}" in line:  # the environment handed on whole to a child process: no read
                continue
            names = [a or b for a, b in literal.findall(line)]
            if names:
                found.update(names)
            else:
                unexplained.append(f"{source.name}:{number}: {line.strip()}")
    assert unexplained == []  # every use names its variable literally
    assert found <= allowed, found - allowed
    assert "RETTIDIG_HOME" in found  # the scan does see the uses that are there


# ================================================================ unsafe keyrings


def test_unsafe_keyring_backends_are_named(storage):
    if storage == "krypteret":
        pytest.skip("unit test")
    import keyring.backends.fail

    from keyring_for_tests import TestKeyring
    from rettidig_cli.storage import keys

    assert keys.unsafe_reason(keyring.backends.fail.Keyring()) == "keyring.backends.fail.Keyring"

    class PlaintextKeyring:
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    assert keys.unsafe_reason(PlaintextKeyring()) == "keyrings.alt.file.PlaintextKeyring"

    class EncryptedKeyring:  # keyrings.alt's other file keyring: the module alone condemns it
        pass

    EncryptedKeyring.__module__ = "keyrings.alt.file"
    assert keys.unsafe_reason(EncryptedKeyring()) == "keyrings.alt.file.EncryptedKeyring"

    class ChainerBackend:
        def __init__(self, backends):
            self.backends = backends

    ChainerBackend.__module__ = "keyring.backends.chainer"
    safe = TestKeyring()
    assert keys.unsafe_reason(ChainerBackend([safe, PlaintextKeyring()])) == "keyrings.alt.file.PlaintextKeyring"
    assert keys.unsafe_reason(ChainerBackend([])) == "keyring.backends.chainer.ChainerBackend"
    assert keys.unsafe_reason(ChainerBackend([safe])) is None
    assert keys.unsafe_reason(safe) is None

    import keyring.backends.null

    assert keys.unsafe_reason(keyring.backends.null.Keyring()) == "keyring.backends.null.Keyring"


def test_encrypting_with_no_safe_keyring_is_refused(cli, data_home, storage, unsafe_keyring):
    if storage == "krypteret":
        pytest.skip("encrypts a plain data file")
    code = case_with_text(cli)
    before = table_contents(data_home)
    result = cli(["kryptering", "til", "--noeglering"])
    assert result.code != 0
    assert result.code == 4
    message = flat(result.err)
    assert "Der er ingen sikker nøglering" in message
    assert "keyring.backends.fail.Keyring" in message
    assert "rettidig kryptering til --adgangskode" in message  # what to do instead
    assert "Traceback" not in result.err + result.out
    assert header(data_home) == SQLITE_HEADER
    assert not sidecar(data_home).exists()
    assert not [p for p in data_home.iterdir() if p.name.endswith((".ny", ".tmp"))]
    assert table_contents(data_home) == before
    assert UNIQUE.encode() in raw_bytes(data_home)
    assert UNIQUE in [o["hvad"] for o in plan_json(cli, code)["observationer"]]


def test_an_encrypted_file_is_not_opened_through_an_unsafe_keyring(cli, data_home, storage, monkeypatch):
    if storage == "klar":
        pytest.skip("opens a keyring-encrypted file")
    code = case_with_text(cli)
    before = db_file(data_home).read_bytes()
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    try:
        result = cli(["plan", code])
    finally:
        monkeypatch.setattr(keyring.core, "_keyring_backend", None)
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring_for_tests.TestKeyring")
    assert result.code == 4
    assert "Der er ingen sikker nøglering" in flat(result.err)
    assert "Traceback" not in result.err + result.out
    assert db_file(data_home).read_bytes() == before
    assert UNIQUE in [o["hvad"] for o in plan_json(cli, code)["observationer"]]


@once
def test_first_run_offer_without_a_safe_keyring_offers_only_passphrase_or_no(cli, data_home, unsafe_keyring):
    (data_home / "indstillinger.toml").unlink()
    # Two choices now: passphrase (highlighted first) and no. DOWN + ENTER is "Nej".
    result = cli(["new", "--guide", "resen", "--answers", str(RESEN)], keys=DOWN + ENTER)
    assert result.code == 0, result.err
    assert settings(data_home)["kryptering"] == "ingen"
    assert header(data_home) == SQLITE_HEADER


@once
def test_a_failed_first_encrypted_run_never_leads_to_a_plain_file(cli, data_home, unsafe_keyring):
    write_settings(data_home, "nøglering")
    first = cli(["new", "--guide", "resen", "--answers", str(RESEN)])
    assert first.code == 4
    assert "Der er ingen sikker nøglering" in flat(first.err)
    second = cli(["new", "--guide", "resen", "--answers", str(RESEN)])
    path = db_file(data_home)
    plain = path.exists() and path.stat().st_size > 0 and path.read_bytes()[:16] == SQLITE_HEADER
    assert not plain, "the second run wrote the case to an unencrypted file"
    assert second.code != 0


@once
def test_ctrl_c_while_choosing_a_passphrase_never_leads_to_a_plain_file(cli, data_home, monkeypatch):
    write_settings(data_home, "adgangskode")
    first = cli(["new", "--guide", "resen", "--answers", str(RESEN)], keys=CTRL_C)
    assert "Ny sag" not in first.out  # stopped before a case was made (its exit status: see the bug above)
    no_terminal(monkeypatch)
    second = cli(["new", "--guide", "resen", "--answers", str(RESEN)])  # a script: no terminal
    path = db_file(data_home)
    plain = path.exists() and path.stat().st_size > 0 and path.read_bytes()[:16] == SQLITE_HEADER
    assert not plain, "the second run wrote the case to an unencrypted file"
    assert second.code == 6


@once
def test_an_empty_data_file_left_by_a_killed_first_run_is_not_taken_as_plain(cli, data_home):
    write_settings(data_home, "nøglering")
    db_file(data_home).touch(mode=0o600)  # what a first run killed before its first page leaves
    result = cli(["new", "--guide", "resen", "--answers", str(RESEN)])
    assert result.code == 0, result.err
    assert header(data_home) != SQLITE_HEADER
    assert sidecar(data_home).exists()


@once
def test_closing_the_terminal_at_the_first_passphrase_prompt_never_leads_to_a_plain_file(tmp_path):
    import signal
    import subprocess
    import time

    from test_e2e_pty import Terminal, rettidig_bin, terminal_env

    home, work = tmp_path / "pty-home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    write_settings(home, "adgangskode")
    term = Terminal(["new", "--guide", "resen", "--answers", str(RESEN)], home, work)
    term.expect("Vælg en adgangskode til datafilen:")
    term.child.kill(signal.SIGHUP)  # the window is closed
    deadline = time.monotonic() + 10
    while term.child.isalive() and time.monotonic() < deadline:
        time.sleep(0.05)
    term.child.close(force=True)
    second = subprocess.run([rettidig_bin(), "new", "--guide", "resen", "--answers", str(RESEN)],
                            env=terminal_env(home), cwd=work, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=30)
    path = home / "rettidig.db"
    plain = path.exists() and path.read_bytes()[:16] == SQLITE_HEADER
    assert not plain, f"the script's case went into an unencrypted file (exit {second.returncode})"
    assert second.returncode == 6  # a passphrase file needs a terminal


# ================================================================ the first-run offer


@once
def test_first_run_offer_no_writes_ingen_and_makes_a_plain_file(cli, data_home):
    (data_home / "indstillinger.toml").unlink()
    result = cli(["new", "--guide", "resen", "--answers", str(RESEN)], keys=DOWN + DOWN + ENTER)
    assert result.code == 0, result.err
    assert "rettidig gemmer oplysninger om børn" in flat(result.out)
    assert settings(data_home)["kryptering"] == "ingen"
    assert stat.S_IMODE((data_home / "indstillinger.toml").stat().st_mode) == 0o600
    assert header(data_home) == SQLITE_HEADER
    assert not sidecar(data_home).exists()
    assert keyring_entries() == {}
    # Asked once: the next command just runs.
    again = cli(["list"], keys="")
    assert again.code == 0, again.err
    assert "rettidig gemmer oplysninger" not in again.out


@once
def test_first_run_offer_keyring_is_the_default(cli, data_home):
    (data_home / "indstillinger.toml").unlink()
    result = cli(["new", "--guide", "resen", "--answers", str(RESEN)], keys=ENTER)
    assert result.code == 0, result.err
    assert settings(data_home)["kryptering"] == "nøglering"
    assert header(data_home) != SQLITE_HEADER
    assert keyring_secret(sidecar_info(sidecar(data_home))["noegle_id"])


def test_first_run_offer_is_not_made_when_settings_exist(cli, data_home, storage):
    """The fixture wrote indstillinger.toml: no question, even with a terminal."""
    result = cli(["new", "--guide", "resen", "--answers", str(RESEN)], keys="")
    assert result.code == 0, result.err
    assert "rettidig gemmer oplysninger om børn" not in result.out
    assert settings(data_home)["kryptering"] == ("nøglering" if storage == "krypteret" else "ingen")


def test_first_run_offer_is_not_made_when_a_data_file_exists(cli, data_home, storage):
    code = case_with_text(cli)
    (data_home / "indstillinger.toml").unlink()
    result = cli(["plan", code], keys="")
    assert result.code == 0, result.err
    assert "rettidig gemmer oplysninger om børn" not in result.out
    assert not (data_home / "indstillinger.toml").exists()
    assert (header(data_home) == SQLITE_HEADER) == (storage == "klar")


@once
def test_first_run_without_a_terminal_asks_nothing(cli, data_home):
    (data_home / "indstillinger.toml").unlink()
    result = cli(["new", "--guide", "resen", "--answers", str(RESEN)])
    assert result.code == 0, result.err
    assert "rettidig gemmer oplysninger om børn" not in result.out


def test_ctrl_c_at_the_new_passphrase_leaves_nothing_behind(cli, data_home, storage):
    """Found by a review: "Intet er ændret" was said after Ctrl-C, while a copy of every child's
    data had just been written. The copy is taken only once the new key is chosen."""
    case_with_text(cli)
    folder = data_home / "sikkerhedskopier"
    before = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    result = cli(["kryptering", "skift" if storage == "krypteret" else "til", "--adgangskode"], keys=CTRL_C)
    assert result.code == 130, result.err
    assert "Intet er ændret" in flat(result.err)
    after = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    assert after == before

