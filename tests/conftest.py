"""Shared fixtures: every test gets its own data folder, and a way to drive the real CLI
entry point (with its Danish error handling) with optional keystrokes for the prompts."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "eksempler"

# Keys for prompt_toolkit pipe input.
ENTER = "\r"
DOWN = "\x1b[B"
UP = "\x1b[A"
CTRL_C = "\x03"
SPACE = " "

# Written here independently of rettidig_cli.domain.dates on purpose: how a Danish reader writes a date.
WEEKDAYS_DA = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS_DA = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
             "oktober", "november", "december")


def closed_days(first_year: int, last_year: int, optional: bool = True) -> dict[dt.date, str]:
    """Public holidays and, unless told otherwise, the customary closing days (both guides skip them)."""
    import holidays

    years = range(first_year, last_year + 1)
    closed = dict(holidays.Denmark(years=years, language="da"))
    if optional:
        closed.update(holidays.Denmark(years=years, categories=("optional",), language="da"))
    return closed


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in closed_days(day.year, day.year)


def choose_guide(guide_id: str) -> str:
    """The keys that pick a shipped guide in `new`'s guide chooser, which opens on the default guide
    (so a test does not count the guides between them, and a new guide shipped moves nothing)."""
    from rettidig_cli.guide import reader

    installed = [g.id for g in reader.available(None)]
    default = reader.default_guide(None).id
    steps = installed.index(guide_id) - installed.index(default)
    return (DOWN * steps if steps >= 0 else UP * -steps) + ENTER


def working_day_on_or_after(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def danish_long(day: dt.date) -> str:
    """'mandag 14. december 2026'"""
    return f"{WEEKDAYS_DA[day.weekday()]} {day.day}. {MONTHS_DA[day.month - 1]} {day.year}"


TESTS = Path(__file__).resolve().parent


# ---------------------------------------------------------------- which data file, how many trials
#
# By default (`python -m pytest`) every test runs with a plain data file, and ALSO with an encrypted
# one (SQLCipher, key in the test keyring) where the data file itself is the subject: the modules
# and tests marked `both_storages` (the store, encryption, erasure, faults, restore/backup, export
# targets, one wizard walk and one export round trip). `--storage=krypteret` runs every test with
# the encrypted file (the full pass in .ci/run), `--storage=begge` runs every test with both (as the
# suite did before), `--storage=klar` only with the plain one. A test marked `plain_only` sets up its
# own data files (or touches none): it runs once, plain, and not at all under --storage=krypteret.
#
# The reliability bars (marked `bar`: kill -9 while saving, kill -9 at every step of gendan, a fault
# at every third point of the key switch) run at reduced counts by default; `--fuld` (or
# RETTIDIG_FULD=1) runs them at their full counts, in both storages (their plain run in the default
# pass was the reduced one). See bar_count and bar_points.

STORAGES = ("klar", "krypteret")
FULL = os.environ.get("RETTIDIG_FULD") == "1"


def pytest_addoption(parser):
    group = parser.getgroup("rettidig")
    group.addoption("--storage", choices=("auto", "klar", "krypteret", "begge"), default="auto",
                    help="the data file each test runs with: auto (default: plain, and also encrypted for tests "
                         "marked both_storages), klar, krypteret (every test encrypted; plain_only tests are left "
                         "out), begge (every test twice)")
    group.addoption("--fuld", action="store_true", default=False,
                    help="the reliability bars (marked bar: kill -9 while saving, gendan killed at every step, "
                         "faults in the key switch) at their full counts, in both storages")


def pytest_configure(config):
    global FULL
    FULL = FULL or config.getoption("fuld")


def storages_for(node, config) -> list[str]:
    """The storage parameters of one test function under the --storage/--fuld options."""
    if node.get_closest_marker("plain_only"):
        return ["klar"]  # dropped again under --storage=krypteret, in pytest_collection_modifyitems
    mode = config.getoption("storage")
    if mode == "begge" or (FULL and node.get_closest_marker("bar")):
        return list(STORAGES)
    if mode == "auto":
        return list(STORAGES) if node.get_closest_marker("both_storages") else ["klar"]
    return [mode]


def pytest_generate_tests(metafunc):
    if "storage" in metafunc.fixturenames:
        chosen = storages_for(metafunc.definition, metafunc.config)
        metafunc.parametrize("storage", chosen, indirect=True, ids=chosen)


def pytest_collection_modifyitems(config, items):
    """A plain_only test is not collected in its encrypted form (rather than skipped by the
    hundred in the report); under --storage=krypteret it is left out (it ran, plain, in the
    ordinary pass). The long tests are put first (see FIRST)."""
    only_encrypted = config.getoption("storage") == "krypteret"
    dropped = [item for item in items if item.get_closest_marker("plain_only")
               and getattr(item, "callspec", None)
               and (item.callspec.params.get("storage") == "krypteret" or only_encrypted)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        gone = set(dropped)
        items[:] = [item for item in items if item not in gone]
    items.sort(key=lambda item: 0 if item.get_closest_marker("bar")
               else 1 if getattr(getattr(item, "module", None), "__name__", "") in FIRST else 2)


# Speed only: the reliability bars and these modules (real processes, terminals, kill -9) go first,
# so that neither xdist worker is left running one long test at the end while the other idles
# (with --dist worksteal in pyproject.toml, the idle worker takes over half of the other's queue).
# The sort is stable: inside each group the collection order is kept.
FIRST = ("test_restore", "test_faults", "test_key_switch_faults", "test_abuse_walk", "test_e2e_followup_pty",
         "test_e2e_pty", "test_wizard_interactive", "test_case_identity")


def bar_count(full: int, reduced: int) -> int:
    """How many trials a reliability bar runs: `full` with --fuld (or RETTIDIG_FULD=1), else `reduced`."""
    return full if FULL else reduced


def bar_points(points, storage: str, encrypted_only=()) -> list:
    """The points a bar that walks every point tries: all of them with --fuld. By default the plain
    and the encrypted run share them, so that the two runs of the ordinary pass together still try
    every point once: the encrypted run takes the points in `encrypted_only` (those that matter only
    for an encrypted file) and every other one of the rest, the plain run the others."""
    points = list(points)
    if FULL:
        return points
    rest = [p for p in points if p not in encrypted_only]
    mine = {p for i, p in enumerate(rest) if i % len(STORAGES) == STORAGES.index(storage)}
    if storage == "krypteret":
        mine.update(encrypted_only)
    return [p for p in points if p in mine]


@pytest.fixture(autouse=True)
def storage(request, tmp_path, monkeypatch):
    """The data file of the test: "klar" (plain) or "krypteret" (SQLCipher, with a key in a (test)
    keyring); which ones a test runs with is chosen in pytest_generate_tests above."""
    # Beside tmp_path, not in it: tests that list the files a command wrote must not see it.
    monkeypatch.setenv("RETTIDIG_TEST_KEYRING", str(keyring_file(tmp_path)))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring_for_tests.TestKeyring")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])))
    return getattr(request, "param", "klar")


def keyring_file(tmp_path: Path) -> Path:
    return tmp_path.parent / f"{tmp_path.name}-keyring.json"


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch, storage):
    home = tmp_path / "rettidig-home"
    home.mkdir()
    # The first-run question (encrypt?) is answered here; tests of that question remove the file.
    choice = "nøglering" if storage == "krypteret" else "ingen"
    (home / "indstillinger.toml").write_text(f'kryptering = "{choice}"\n', encoding="utf-8")
    monkeypatch.setenv("RETTIDIG_HOME", str(home))
    monkeypatch.delenv("RETTIDIG_GUIDE", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    return home


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys, monkeypatch):
    """cli(["plan", "RT-..."], keys="...") runs rettidig_cli.commands.app.main() like the installed command.
    With keys, the prompts read them from a prompt_toolkit pipe instead of a terminal."""
    from rettidig_cli.commands import app as cli_module
    from rettidig_cli.ui import prompts

    def run(args: list[str], keys: str | None = None, more_keys_later: bool = False) -> Result:
        """With keys, the pipe is closed after them: a question they do not answer ends the command
        as a closed terminal does (EOF), instead of waiting forever. more_keys_later keeps it open
        for a caller that sends keys as the questions come (the abuse walk's Responder)."""
        monkeypatch.setattr(sys, "argv", ["rettidig", *args])
        code = 0
        if keys is None:
            try:
                cli_module.main()
            except SystemExit as exc:
                code = exc.code or 0
        else:
            from prompt_toolkit.application import create_app_session
            from prompt_toolkit.input import create_pipe_input
            from prompt_toolkit.output import DummyOutput

            monkeypatch.setattr(prompts, "terminal_available", lambda: True)
            with create_pipe_input() as inp:
                inp.send_text(keys)
                if not more_keys_later:
                    inp.close()
                with create_app_session(input=inp, output=DummyOutput()):
                    try:
                        cli_module.main()
                    except SystemExit as exc:
                        code = exc.code or 0
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def refusals(monkeypatch):
    """Messages the prompt validators answered with when they refused an answer."""
    from rettidig_cli.domain import fields

    seen: list[str] = []
    original = fields.validator

    def recording_validator(parse):
        check = original(parse)

        def recorded(raw):
            verdict = check(raw)
            if verdict is not True:
                seen.append(verdict)
            return verdict

        return recorded

    monkeypatch.setattr(fields, "validator", recording_validator)
    return seen


def db_file(home: Path) -> Path:
    return home / "rettidig.db"


def raw_connect(path: Path, dicts: bool = True):
    """A plain SQL connection to a data file, plain or encrypted (the key from the test keyring),
    bypassing the product's Store: no migrations, no audit rows."""
    from rettidig_cli.storage import keys
    from rettidig_cli.storage.store import connect

    info = keys.describe(path)
    key = keys.stored_keys(info)[0] if info else None
    conn = connect(path, key)
    if dicts:
        conn.row_factory = lambda cursor, row: {d[0]: v for d, v in zip(cursor.description, row)}
    return conn


def query(home: Path, sql: str, params: tuple = (), path: Path | None = None) -> list[dict]:
    """Rows of the data file as dicts, read straight from SQLite (not through the product)."""
    conn = raw_connect(path or db_file(home))
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def execute(home: Path, sql: str, params: tuple = ()) -> None:
    """One statement on the data file, straight through SQLite (not through the product)."""
    conn = raw_connect(db_file(home))
    try:
        conn.execute(sql, params)
    finally:
        conn.close()


def every_value(path: Path) -> str:
    """Every value in every table of a data file, as one text (sqlcipher3 has no iterdump)."""
    conn = raw_connect(path, dicts=False)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(repr(row) for t in tables for row in conn.execute(f'SELECT * FROM "{t}"'))
    finally:
        conn.close()


@contextlib.contextmanager
def c_level_output():
    """What C code (SQLCipher) writes straight to file descriptors 1 and 2, past capsys. SQLCipher's
    log level is global to the process; it is set back to its default (WARN) first, so any noise
    the product does not silence itself would show."""
    import sqlcipher3

    conn = sqlcipher3.connect(":memory:")
    conn.execute("PRAGMA cipher_log_level = WARN")
    conn.close()
    sys.stdout.flush()
    sys.stderr.flush()
    box: list[str] = []
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(1), os.dup(2)
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield box
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            sink.seek(0)
            box.append(sink.read().decode("utf-8", errors="replace"))


def for_abuse_path(data: dict) -> dict:
    """An example answers dict made fit for the abuse path: the parents get no task and no seat at a
    meeting, and Resen's lille sag (a matter between the room and the parents, not offered there)
    becomes a stor sag with its caseworker and team meeting."""
    from rettidig_cli.guide.parents import names_a_parent

    for agreement in data.get("aftaler", []):
        if names_a_parent(agreement.get("hvem", "")):
            agreement["hvem"] = "Pædagog Ali"
    meetings = data.get("statusmoeder")
    if isinstance(meetings, dict) and meetings.get("deltagere"):
        people = meetings["deltagere"]
        people = people if isinstance(people, list) else [p.strip() for p in people.split(",")]
        meetings["deltagere"] = [p for p in people if not names_a_parent(p)] or ["Pædagog Ali"]
    if data.get("sagstype") == "lille":
        data["sagstype"] = "stor"
        data.setdefault("sagsbehandler", "Sagsbehandler i familieafdelingen")
        day = working_day_on_or_after(dt.date.today() + dt.timedelta(days=10)).isoformat()
        data.setdefault("teammoede", {"dato": day, "deltagere": "Sagsbehandler, leder"})
    return data


# ---------------------------------------------------------------- writing TOML answers files


def toml_string(text: str) -> str:
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF:
            out.append(f"\\u{ord(c):04X}")  # a surrogate escape is invalid TOML: refused as such
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def to_toml(data: dict) -> str:
    """Every value inline, one key per line (no TOML writer in the standard library)."""
    return "".join(f"{toml_string(k)} = {toml_value(v)}\n" for k, v in data.items())



def write_answers(folder: Path, name: str, data: dict, fmt: str) -> Path:
    """An answers file, TOML or JSON. The TOML is read back, so the writer is known to be right
    (not with a lone surrogate, which TOML cannot hold: such a file is meant to be refused)."""
    path = folder / f"{name}.{fmt}"
    if fmt == "json":
        path.write_text(json.dumps(data, ensure_ascii=True), encoding="utf-8")
    else:
        path.write_text(to_toml(data), encoding="utf-8")
        if not any(0xD800 <= ord(c) <= 0xDFFF for c in json.dumps(data, ensure_ascii=False)):
            assert tomllib.loads(path.read_text(encoding="utf-8")) == data
    return path


# ---------------------------------------------------------------- speed


@pytest.fixture
def no_fsync(monkeypatch):
    """Speed only, for modules that run thousands of commands about something other than
    durability: the data file is not fsynced after each commit (what is saved is the same). Never
    for the fault tests, whose subject is what reaches the disk."""
    from helpers import extra_pragmas

    extra_pragmas(monkeypatch, "PRAGMA synchronous = OFF")


_COMMANDS: dict[int, tuple] = {}


@pytest.fixture(autouse=True)
def commands_built_once(monkeypatch):
    """Speed only: typer turns the app into click commands on every run (evaluating every
    annotation, ~50 ms); in the tests that is done once per app and reused. Parsing and running
    each command is unchanged (a separate process, as the pty and fault tests use, builds its own)."""
    import typer.main

    original = typer.main.get_command

    def cached(app):
        if id(app) not in _COMMANDS:
            _COMMANDS[id(app)] = (app, original(app))
        return _COMMANDS[id(app)][1]

    monkeypatch.setattr(typer.main, "get_command", cached)


# ---------------------------------------------------------------- seeded data files


@pytest.fixture(scope="session")
def seeds(tmp_path_factory):
    """Data folders holding a case walked to the end of phase N, built once per session (see seeded.py)."""
    from seeded import Seeds

    return Seeds(tmp_path_factory.mktemp("frø"))


@pytest.fixture
def seeded(seeds, data_home, storage, tmp_path):
    """seeded(guide_id, phase, variant="") puts a copy of a data file holding one case whose phases
    1..phase are answered (through the real `new --answers`) in the test's data folder, with the
    test's storage (plain or encrypted), and returns the case's code."""
    from seeded import place

    def put(guide_id: str, phase: int, variant: str = "") -> str:
        assert not (data_home / "rettidig.db").exists(), "a seed goes into an empty data folder"
        folder, code = seeds.get(guide_id, phase, storage, variant)
        place(folder, data_home, keyring_file(tmp_path))
        return code

    return put


_GUIDES: dict[tuple, tuple] = {}


@pytest.fixture(autouse=True)
def guides_parsed_once(monkeypatch):
    """Speed only: every command parses and checks its guide (the case's stored snapshot, or each
    guide file `new` looks through), ~10 ms each; a real `rettidig` does that once per process, the
    tests run thousands of commands in one. Here a guide text parsed without error is reused (a
    Guide is frozen) for the same text, path, limits and parent rule (data/limits.toml and
    data/parents.toml, so a test that lowers a limit gets a fresh parse); a text that is refused is
    parsed again each time, so every refusal still comes from the parser. Separate processes (the
    pty, kill -9 and fault tests) parse their own."""
    from rettidig_cli.guide import reader as guide, parents, reference

    original = guide.parse_guide

    def parse_guide(text: str, path: str, sha: str | None = None, readers: list | None = None):
        if readers is not None:  # the reader's vocabulary is wanted: a real parse
            return original(text, path, sha, readers)
        limits, rule = reference.limits(), parents.rule()
        key = (text, path, sha, id(limits), id(rule))
        if key not in _GUIDES:
            _GUIDES[key] = (original(text, path, sha), limits, rule)  # limits and rule kept: their ids stay theirs
        return _GUIDES[key][0]

    monkeypatch.setattr(guide, "parse_guide", parse_guide)
