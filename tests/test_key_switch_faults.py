"""`kryptering til` and `skift` walked fault point by fault point, for all six method pairs.

Every file-system step of the switch (each unlink, write, fsync and rename, the export and its
check, and the backup taken first) passes a named point in rettidig_cli.storage.safefile. A first run
counts the points; then, for each point and each fault, a fresh copy of the data folder is switched
with that fault: kill -9 and a real Ctrl-C (SIGINT) at the point, ENOSPC and EIO raised there, and
a KeyboardInterrupt raised there. After every trial the next ordinary start must open the file,
with a key rettidig finds by itself (the keyring, or a passphrase the user knows: the old or the
new one), and every record must be as before; no key that a file needs may be gone.

The in-process faults (ENOSPC, EIO, KeyboardInterrupt) run in the ordinary test run; kill -9 and
the real SIGINT need a process each and run in the full fault pass (`-m faults_full`, run by .ci/run
after the ordinary tests)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, TESTS, bar_count, db_file, query

OLD_PASS = "gammel adgangskode 1"
NEW_PASS = "ny adgangskode nummer 2"
PAIRS = [("ingen", "nøglering"), ("ingen", "adgangskode"), ("nøglering", "nøglering"),
         ("nøglering", "adgangskode"), ("adgangskode", "nøglering"), ("adgangskode", "adgangskode")]
FLAG = {"nøglering": "--noeglering", "adgangskode": "--adgangskode"}

pytestmark = pytest.mark.plain_only  # the pairs cover both storage modes themselves


def run(home: Path, keyring: Path, fault: str, nth: int, args: list[str], passphrases=(OLD_PASS, NEW_PASS),
        result_file: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "RETTIDIG_HOME": str(home), "RETTIDIG_TEST_KEYRING": str(keyring),
           "RETTIDIG_FAULT_PASSPHRASES": json.dumps(list(passphrases)), "NO_COLOR": "1", "COLUMNS": "200",
           "PYTHON_KEYRING_BACKEND": "keyring_for_tests.TestKeyring",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, str(TESTS / "fault_driver.py"), str(result_file or os.devnull), fault,
                           str(nth), "--", *args], env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def contents(home: Path) -> str:
    tables = [r["name"] for r in query(home, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return json.dumps({t: query(home, f'SELECT * FROM "{t}" ORDER BY rowid') for t in tables
                       if t not in ("audit_log", "sqlite_sequence")}, ensure_ascii=False, sort_keys=True)


def plan_of(home: Path, keyring: Path) -> tuple[int, str, str]:
    """What the next ordinary start shows: exit status, the plan as JSON, and stderr."""
    result = run(home, keyring, "none", 0, ["plan", f"RT-{dt.date.today().year}-001", "--json"])
    return result.returncode, result.stdout, result.stderr


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, tuple[Path, Path, str]]:
    """One data folder per starting method, with one case: (home, keyring file, plan JSON)."""
    made = {}
    for method in ("ingen", "nøglering", "adgangskode"):
        base = tmp_path_factory.mktemp(f"skabelon-{method}")
        home, keyring = base / "home", base / "keyring.json"
        home.mkdir(mode=0o700)
        (home / "indstillinger.toml").write_text(f'kryptering = "{method}"\n', encoding="utf-8")
        created = run(home, keyring, "none", 0, ["new", "--guide", "resen", "--answers",
                                                 str(EXAMPLES / "resen-svar.toml")], passphrases=("", OLD_PASS))
        assert created.returncode == 0, created.stderr
        status, plan, err = plan_of(home, keyring)
        assert status == 0, err
        made[method] = (home, keyring, plan)
    return made


def trial_copy(templates, method: str, where: Path) -> tuple[Path, Path, str]:
    home, keyring, plan = templates[method]
    where.mkdir(parents=True)
    shutil.copytree(home, where / "home")
    if keyring.exists():
        shutil.copy(keyring, where / "keyring.json")
    return where / "home", where / "keyring.json", plan


def switch_args(old: str, new: str) -> list[str]:
    return ["kryptering", "til" if old == "ingen" else "skift", FLAG[new]]


def points_of(templates, old: str, new: str, where: Path) -> list[str]:
    home, keyring, _ = trial_copy(templates, old, where / "tælling")
    counted = where / "punkter.json"
    result = run(home, keyring, "count", 0, switch_args(old, new), result_file=counted)
    assert result.returncode == 0, result.stderr
    return json.loads(counted.read_text(encoding="utf-8"))


def in_process(cli, monkeypatch, home: Path, keyring: Path, fault: str, nth: int, args: list[str]):
    """The same trial as fault_driver.py, in this process (no start-up cost): for every fault but kill -9."""
    import errno
    import signal

    from rettidig_cli.commands import common as cli_common
    from rettidig_cli.storage import safefile

    monkeypatch.setenv("RETTIDIG_HOME", str(home))
    monkeypatch.setenv("RETTIDIG_TEST_KEYRING", str(keyring))
    monkeypatch.setattr(cli_common, "_ask_passphrase", lambda attempt: (OLD_PASS, NEW_PASS, NEW_PASS)[attempt])
    monkeypatch.setattr(cli_common, "_ask_new_passphrase", lambda: NEW_PASS)
    passed = []

    def hook(name: str) -> None:
        passed.append(name)
        if len(passed) != nth:
            return
        if fault == "sigint":
            os.kill(os.getpid(), signal.SIGINT)
        elif fault == "interrupt":
            raise KeyboardInterrupt
        elif fault in ("enospc", "eio"):
            code = errno.ENOSPC if fault == "enospc" else errno.EIO
            raise OSError(code, os.strerror(code))

    monkeypatch.setattr(safefile, "fault_hook", hook if fault != "none" else None)
    try:
        return cli(args)
    finally:
        monkeypatch.setattr(safefile, "fault_hook", None)


def check_held(cli, monkeypatch, home: Path, keyring: Path, plan: str, where: str, code: int | None, err: str):
    assert "uventet fejl" not in err and "Traceback" not in err, (where, err)
    if code is not None:  # kill -9 has no say
        assert code in (0, 4, 74, 130), (where, code, err)
    # The next ordinary start: it opens with a key rettidig finds (or a passphrase the user knows)
    # and settles a switch that was cut short.
    shown = in_process(cli, monkeypatch, home, keyring, "none", 0, ["plan", f"RT-{dt.date.today().year}-001", "--json"])
    assert shown.code == 0, (where, shown.err)
    assert json.loads(shown.out) == json.loads(plan), where
    assert not (home / "rettidig.db.ny").exists(), where
    sidecar = home / "rettidig.db.kryptering"
    if sidecar.exists():
        text = sidecar.read_text(encoding="utf-8")
        assert "skift_fra" not in text, (where, text)
        if "noegle_id" in text:
            key_id = text.split('noegle_id = "', 1)[1].split('"', 1)[0]
            assert key_id in keyring.read_text(encoding="utf-8"), where


def walk(cli, monkeypatch, templates, tmp_path, old: str, new: str, kinds_at) -> int:
    """Every point of the switch, with the faults kinds_at(n) names for the n-th; returns trials."""
    points = points_of(templates, old, new, tmp_path)
    assert len(points) >= 15, points
    tried = 0
    for nth, point in enumerate(points, start=1):
        for fault in kinds_at(nth):
            home, keyring, plan = trial_copy(templates, old, tmp_path / f"{nth}-{fault}")
            if fault == "kill":
                result = run(home, keyring, fault, nth, switch_args(old, new))
                code, err = None, result.stderr
                assert result.returncode == -9, (point, result.returncode, result.stderr)
            else:
                result = in_process(cli, monkeypatch, home, keyring, fault, nth, switch_args(old, new))
                code, err = result.code, result.err
            check_held(cli, monkeypatch, home, keyring, plan, f"{old} → {new}, {fault} ved {nth}:{point}", code, err)
            tried += 1
            shutil.rmtree(home.parent)
    return tried


EVERY_FAULT = ("enospc", "eio", "interrupt", "sigint", "kill")


@pytest.mark.bar  # every third point with --fuld (each point twice over the pairs), else every sixth (once)
@pytest.mark.parametrize("old,new", PAIRS)
def test_a_fault_at_every_third_point_of_the_switch_keeps_file_and_key(cli, monkeypatch, templates, tmp_path, old,
                                                                         new):
    """The ordinary run, kept short: every third point, one fault each in turn, in this process;
    the pairs start at different points, so together they pass every point."""
    kinds = ("enospc", "interrupt", "eio", "sigint")
    stride = bar_count(3, 6)
    offset = PAIRS.index((old, new)) % stride
    walk(cli, monkeypatch, templates, tmp_path, old, new,
         lambda n: (kinds[n % len(kinds)],) if n % stride == offset else ())


@pytest.mark.faults_full
@pytest.mark.parametrize("old,new", PAIRS)
def test_every_fault_at_every_point_of_the_switch_keeps_file_and_key(cli, monkeypatch, templates, tmp_path, old, new):
    """The full pass: every point with every fault, kill -9 included (in a process of its own)."""
    tried = walk(cli, monkeypatch, templates, tmp_path, old, new, lambda n: EVERY_FAULT)
    print(f"{old} → {new}: {tried} forsøg, alle holdt")


def test_a_switch_that_completes_says_so_and_leaves_one_key(cli, monkeypatch, templates, tmp_path):
    """Control: without a fault, the switch works and the sidecar names the new key only."""
    home, keyring, plan = trial_copy(templates, "nøglering", tmp_path / "ok")
    result = in_process(cli, monkeypatch, home, keyring, "none", 0, switch_args("nøglering", "nøglering"))
    assert result.code == 0, result.err
    assert "Nøglen er skiftet" in result.out
    text = (home / "rettidig.db.kryptering").read_text(encoding="utf-8")
    assert "skift_fra" not in text
    check_held(cli, monkeypatch, home, keyring, plan, "uden fejl", 0, result.err)
    assert db_file(home).exists()


def test_a_file_that_stays_in_wal_mode_is_not_switched(cli, data_home, monkeypatch):
    """Found by the strace walk (tests/fault_walk.py): a disk error while leaving WAL mode made
    SQLite quietly stay in WAL mode; the lock write then went into a plain -wal beside the file,
    the encrypted file was swapped in with that -wal beside it, `til` said it had worked, and
    nothing opened any more. Here SQLite is made to stay in WAL mode the same quiet way: the switch
    must refuse and change nothing."""
    import sqlcipher3

    monkeypatch.setenv("RETTIDIG_TEST_KEYRING", str(data_home.parent / "keyring.json"))
    (data_home / "indstillinger.toml").write_text('kryptering = "ingen"\n', encoding="utf-8")
    made = cli(["new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml")])
    assert made.code == 0, made.err
    code = next(w for w in made.out.split() if w.startswith("RT-"))
    cli(["aftale", "ny", code, "--hvad", "Læse højt", "--hvem", "Mor"])  # leaves a -wal behind
    before = json.loads(cli(["plan", code, "--json"]).out)
    real_connect = sqlcipher3.connect

    class StaysInWal:
        def __init__(self, conn):
            self.conn = conn

        def execute(self, sql, *args):
            if sql.replace(" ", "").upper() == "PRAGMAJOURNAL_MODE=DELETE":
                return self.conn.execute("PRAGMA journal_mode")  # refused without a word: still 'wal'
            return self.conn.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.conn, name)

    monkeypatch.setattr(sqlcipher3, "connect", lambda *a, **k: StaysInWal(real_connect(*a, **k)))
    result = cli(["kryptering", "til", "--noeglering"])
    monkeypatch.setattr(sqlcipher3, "connect", real_connect)
    assert result.code == 4, result.err
    assert "Intet er ændret" in result.err
    assert db_file(data_home).read_bytes()[:16] == b"SQLite format 3\x00"
    assert not (data_home / "rettidig.db.kryptering").exists()
    assert json.loads(cli(["plan", code, "--json"]).out) == before
    assert cli(["kryptering", "til", "--noeglering"]).code == 0  # and without the fault, it works
    assert json.loads(cli(["plan", code, "--json"]).out) == before
