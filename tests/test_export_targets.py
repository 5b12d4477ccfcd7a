"""An export never overwrites rettidig's own files, never replaces a file that appeared while it was
being written, and never leaves a child's data in a hidden temporary file after kill -9."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import zipfile

import pytest
from conftest import EXAMPLES, TESTS, db_file, every_value

pytestmark = pytest.mark.both_storages  # an export must never land on the data file or its key file


@pytest.fixture
def code(cli) -> str:
    result = cli(["new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml")])
    assert result.code == 0, result.err
    return next(w for w in result.out.split() if w.startswith("RT-"))


def own_files(home, storage) -> dict[str, object]:
    files = {"datafilen": db_file(home), "wal": home / "rettidig.db-wal", "shm": home / "rettidig.db-shm"}
    if storage == "krypteret":
        files["nøglefilen"] = home / "rettidig.db.kryptering"
    return files


@pytest.mark.parametrize("which", ["datafilen", "wal", "shm", "nøglefilen", "sikkerhedskopi", "genvej"])
def test_an_export_never_lands_on_rettidigs_own_files(cli, data_home, code, storage, tmp_path, which):
    if which == "nøglefilen" and storage == "klar":
        pytest.skip("only an encrypted data file has a sidecar")
    if which == "sikkerhedskopi":
        made = cli(["backup"])
        assert made.code == 0, made.err
        target = next((data_home / "sikkerhedskopier").glob("*.db"))
    elif which == "genvej":  # another name for the data file
        target = tmp_path / "plan.docx"
        target.symlink_to(db_file(data_home))
    else:
        target = own_files(data_home, storage)[which]
        if not target.exists():
            target.write_bytes(b"")  # -wal/-shm may be gone after a clean close; the name is still refused
    # SQLite itself may rewrite the data file, -wal and -shm when it closes; a backup or a sidecar
    # nobody else touches must stay byte for byte.
    steady = which in ("sikkerhedskopi", "nøglefilen")
    before = target.read_bytes() if steady else None
    contents = every_value(db_file(data_home))
    result = cli(["export", code, "--out", str(target), "--overskriv"])
    assert result.code == 2, result.err
    assert "rettidigs egne filer" in result.err or "ikke skrevet af rettidig" in result.err
    if steady:
        assert target.read_bytes() == before
    assert not (target.exists() and zipfile.is_zipfile(target))  # no Word document landed there
    assert every_value(db_file(data_home)) == contents
    assert cli(["plan", code, "--json"]).code == 0


def test_a_file_that_appears_while_the_export_is_written_is_not_replaced(cli, code, tmp_path, monkeypatch):
    from rettidig_cli.storage import safefile

    target = tmp_path / "plan.md"

    def meanwhile(name):
        if name == "link:eksport":  # another program makes the file just before rettidig names its own
            target.write_text("lavet imens", encoding="utf-8")

    monkeypatch.setattr(safefile, "fault_hook", meanwhile)
    result = cli(["export", code, "--out", str(target), "--format", "markdown"])
    assert result.code == 2, result.err
    assert "blev oprettet af et andet program" in result.err
    assert target.read_text(encoding="utf-8") == "lavet imens"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".rettidig-")] == []


def test_a_full_disk_during_an_export_is_a_danish_message_and_leaves_nothing(cli, code, tmp_path, monkeypatch):
    from rettidig_cli.storage import safefile

    def full(name):
        if name == "skriv:eksport":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(safefile, "fault_hook", full)
    result = cli(["export", code, "--out", str(tmp_path / "plan.docx")])
    assert result.code == 74, result.err
    assert "ikke mere plads på disken" in result.err and "uventet" not in result.err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "rettidig-home") == []


def test_a_name_of_300_characters_is_a_danish_usage_error(cli, code, tmp_path):
    result = cli(["export", code, "--out", str(tmp_path / ("a" * 300 + ".docx"))])
    assert result.code == 2, result.err
    assert "for langt" in result.err and "uventet" not in result.err


def test_kill_9_before_the_export_gets_its_name_leaves_nothing_after_the_next_start(cli, code, tmp_path, data_home):
    """The hidden temporary file holds the child's data: doctor reports it, the next start removes it."""
    folder = tmp_path / "ud"
    folder.mkdir()
    args = ["export", code, "--out", str(folder / "plan.docx")]
    env = {**os.environ, "RETTIDIG_HOME": str(data_home)}
    counted = tmp_path / "punkter.json"
    run = lambda fault, nth, a: subprocess.run(  # noqa: E731
        [sys.executable, str(TESTS / "fault_driver.py"), str(counted), fault, str(nth), "--", *a],
        env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    first = run("count", 0, [*args[:-1], str(folder / "tælling.docx")])
    assert first.returncode == 0, first.stderr
    points = json.loads(counted.read_text(encoding="utf-8"))
    killed = run("kill", points.index("link:eksport") + 1, args)
    assert killed.returncode == -9
    left = [p for p in folder.iterdir() if p.name.startswith(".rettidig-")]
    assert len(left) == 1 and zipfile.is_zipfile(left[0])
    assert not (folder / "plan.docx").exists()

    doctor = cli(["doctor"])
    assert "halvt skrevet eksport" in doctor.out and str(left[0]) in doctor.out.replace("\n", "")
    assert left[0].exists()  # doctor only reads
    assert cli(["list"]).code == 0
    assert not left[0].exists()
    assert "halvt skrevet" not in cli(["doctor"]).out
    assert sorted(p.name for p in folder.iterdir()) == ["tælling.docx"]
