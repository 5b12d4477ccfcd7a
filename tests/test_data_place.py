"""Where the data file may live, and what may be in it.

rettidig's own data folder is tightened to 0700 when it is the user's; a folder another user owns,
or one every user can write to (like /tmp), is refused and never changed. A --db that is a device,
a pipe, a link to nowhere, or a file another user planted is refused and left exactly as it was.
A data file with triggers or views rettidig did not make is not used: a planted trigger could keep
rows that `slet` claims to erase."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from conftest import EXAMPLES, db_file, every_value, raw_connect

OTHER_USER = 4242

needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                                reason="only root can give a file to another user")


def mode(path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def new_case(cli) -> str:
    result = cli(["new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml")])
    assert result.code == 0, result.err
    return next(w for w in result.out.split() if w.startswith("RT-"))


def test_an_existing_own_data_folder_is_tightened_to_0700(cli, data_home):
    os.chmod(data_home, 0o755)
    result = cli(["list"])
    assert result.code == 0, result.err
    assert mode(data_home) == 0o700


@pytest.mark.parametrize("loose", [0o777, 0o1777, 0o1755])
def test_a_folder_every_user_can_write_to_is_refused_and_not_changed(cli, tmp_path, monkeypatch, loose):
    shared = tmp_path / "delt"
    shared.mkdir()
    os.chmod(shared, loose)
    (shared / "indstillinger.toml").write_text('kryptering = "ingen"\n', encoding="utf-8")
    monkeypatch.setenv("RETTIDIG_HOME", str(shared))
    result = cli(["list"])
    assert result.code == 4, result.err
    assert "alle brugere" in result.err and "Intet er ændret" in result.err
    assert mode(shared) == loose
    assert not (shared / "rettidig.db").exists()


@needs_root
def test_a_folder_of_another_user_is_refused_and_not_changed(cli, tmp_path):
    theirs = tmp_path / "deres"
    theirs.mkdir()
    os.chmod(theirs, 0o755)
    os.chown(theirs, OTHER_USER, OTHER_USER)
    result = cli(["list", "--db", str(theirs / "rettidig.db")])
    assert result.code == 4, result.err
    assert "tilhører en anden bruger" in result.err
    assert mode(theirs) == 0o755 and theirs.stat().st_uid == OTHER_USER
    assert not (theirs / "rettidig.db").exists()


@needs_root
def test_a_character_device_is_refused_and_never_chmodded(cli, tmp_path):
    """A device node of its own (like /dev/null), never the machine's: the old code chmodded and
    then deleted the device it was given."""
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.chmod(device, 0o666)
    result = cli(["list", "--db", str(device)])
    assert result.code == 4, result.err
    assert "ikke en almindelig fil" in result.err
    assert stat.S_ISCHR(device.lstat().st_mode) and mode(device) == 0o666


def test_a_fifo_is_refused_without_waiting(tmp_path, data_home):
    fifo = tmp_path / "roer.db"
    os.mkfifo(fifo, 0o600)
    env = {**os.environ, "RETTIDIG_HOME": str(data_home)}
    result = subprocess.run([sys.executable, "-m", "rettidig_cli", "list", "--db", str(fifo)], env=env,
                            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode == 4, result.stderr
    assert "ikke en almindelig fil" in result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_dangling_link_is_refused_and_nothing_is_made_where_it_points(cli, tmp_path):
    link = tmp_path / "genvej.db"
    target = tmp_path / "andetsteds" / "mål.db"
    (tmp_path / "andetsteds").mkdir()
    link.symlink_to(target)
    result = cli(["list", "--db", str(link)])
    assert result.code == 4, result.err
    assert "genvej" in result.err
    assert link.is_symlink() and not target.exists()


@needs_root
def test_an_empty_data_file_planted_by_another_user_is_refused_untouched(cli, tmp_path):
    planted = tmp_path / "rettidig.db"
    planted.touch(mode=0o666)
    os.chmod(planted, 0o666)
    os.chown(planted, OTHER_USER, OTHER_USER)
    result = cli(["new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml"), "--db", str(planted)])
    assert result.code == 4, result.err
    assert "tilhører en anden bruger" in result.err
    assert planted.exists() and planted.stat().st_size == 0
    assert mode(planted) == 0o666 and planted.stat().st_uid == OTHER_USER


PLANTED = {
    "trigger": "CREATE TRIGGER keep AFTER DELETE ON observations BEGIN "
               "INSERT INTO redaction_terms (case_id, term, created_at) VALUES (1, old.what, 'x'); END",
    "view": "CREATE VIEW everything AS SELECT what FROM observations",
}


@pytest.mark.parametrize("kind", list(PLANTED))
def test_a_planted_trigger_or_view_makes_the_file_refused(cli, data_home, kind):
    code = new_case(cli)
    conn = raw_connect(db_file(data_home), dicts=False)
    try:
        conn.execute(PLANTED[kind])
        conn.commit()
    finally:
        conn.close()
    before = every_value(db_file(data_home))
    for args in (["list"], ["slet", code, "--bekraeft", code], ["plan", code]):
        result = cli(args)
        assert result.code == 4, (args, result.err)
        assert "som rettidig ikke har lavet" in result.err
    assert every_value(db_file(data_home)) == before
    doctor = cli(["doctor"])
    assert doctor.code == 1
    assert "som rettidig ikke har lavet" in doctor.out
