"""A fault-injection walk over every system-call point of rettidig's writing operations, with strace.

    python tests/fault_walk.py [--scenario NAME]... [--quick] [--stride N] [--jobs N] [--results FILE]

Where tests/test_key_switch_faults.py walks rettidig's own named fault points (safefile.point) in
process, this walk goes below them: every write, pwrite64, writev, fsync, fdatasync, rename*,
unlink*, link*, ftruncate and file-creating openat the operation makes - SQLite's page writes and
journal syncs, the keyring, the terminal output - each becomes a point where the disk says no
(ENOSPC, EIO, and EACCES for the calls that take a path), or the process is killed (SIGKILL) or
gets a real Ctrl-C (SIGINT), through strace's `-e inject=NAME:...:when=N`.

For each scenario:
  1. a template folder is made once (data folder, test keyring, export folder);
  2. the operation is run once on a copy under `strace -f -y -e trace=<all of the above>`, and the
     log gives the points: every occurrence N of every system call, with the file it touched;
  3. for every point and every fault, a fresh copy of the template gets the operation under
     `strace -f --seccomp-bpf -e inject=NAME:<fault>:when=N`, and then the invariants are checked
     with an ordinary start (no strace): `plan SAG --json`, plus the scenario's own checks.

Decisions, documented here once:
  * openat: only the calls with O_CREAT are points (files made or opened for writing: the data
    file, its -wal/-shm/-journal, temporary files, backups, exports, the sidecar, the lock file and
    the test keyring). The other openat calls (Python's imports, reads) are counted in the log but
    not faulted. `when=N` still counts every openat, so N is the index among all openat calls.
  * strace counts `when=N` per process/thread. rettidig runs as one thread without children
    (checked on every count run: a clone/fork/vfork in the log is reported), so N is global.
  * Points are found in one run and hit in another; the two runs are the same program on the same
    bytes (PYTHONHASHSEED=0, no .pyc writing), so the N-th call is the same call. Every trial logs
    the faulted call; a trial whose N-th call touched another file than counted is reported as
    drift (the trial still counts: it is a fault at some point).
  * The test keyring (tests/keyring_for_tests.py) stands in for the operating system's keyring,
    which is another process in real use. It writes its JSON file without a temporary file, so a
    fault in that write can empty it, which no real keyring does. A trial whose fault hit the
    keyring file and left it unreadable is counted as "n/a", not as held or failed; any other
    fault in the keyring's calls (an error raised by set_password, say) is checked like any other.
  * Writes to the terminal (stdout/stderr, pipes here) are points too, labelled stdout/stderr.

Passphrase prompts are answered by tests/fault_driver.py from RETTIDIG_FAULT_PASSPHRASES; every
command runs as `python tests/fault_driver.py /dev/null none 0 -- <rettidig args>`.

Exit status: 0 if every trial held, 1 if any failed, 2 if the walk itself could not run."""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
EXAMPLES = ROOT / "eksempler"
DRIVER = TESTS / "fault_driver.py"

OLD_PASS = "gammel adgangskode 1"
NEW_PASS = "ny adgangskode nummer 2"
CODE = f"RT-{dt.date.today().year}-001"
NEXT_CODE = f"RT-{dt.date.today().year}-002"

SYSCALLS = ("write", "pwrite64", "writev", "fsync", "fdatasync", "rename", "renameat", "renameat2", "unlink",
            "unlinkat", "link", "linkat", "ftruncate", "openat")
FD_CALLS = {"write", "pwrite64", "writev", "fsync", "fdatasync", "ftruncate"}
PATH_CALLS = {"openat", "rename", "renameat", "renameat2", "unlink", "unlinkat", "link", "linkat"}
PROCESS_CALLS = ("clone", "clone3", "fork", "vfork")
FAULTS = ("ENOSPC", "EIO", "SIGKILL", "SIGINT")
PATH_FAULTS = ("ENOSPC", "EIO", "EACCES", "SIGKILL", "SIGINT")  # a call that takes a path may also be refused
DOCUMENTED_EXITS = {0, 1, 2, 3, 4, 5, 6, 74, 75, 130}
TRIAL_TIMEOUT = 120
QUICK_TRIALS = 14  # per scenario with --quick: about 1-2 minutes for all eleven on two cores

# Tables left out when comparing data: what every start adds to (the audit log) or SQLite's own.
VOLATILE_TABLES = {"audit_log", "sqlite_sequence", "_sqlite_migrations", "pending_files", "export_hashes"}


# ---------------------------------------------------------------------------------------------- running


def environment(base: Path) -> dict[str, str]:
    """The environment of every rettidig process of one trial: its own data folder and test keyring."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETTIDIG_")}
    env.update({
        "RETTIDIG_HOME": str(base / "home"), "RETTIDIG_TEST_KEYRING": str(base / "keyring.json"),
        "RETTIDIG_FAULT_PASSPHRASES": json.dumps([OLD_PASS, NEW_PASS]),
        "PYTHON_KEYRING_BACKEND": "keyring_for_tests.TestKeyring",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "NO_COLOR": "1", "COLUMNS": "200",
    })
    return env


def rettidig_command(args: list[str]) -> list[str]:
    return [sys.executable, str(DRIVER), os.devnull, "none", "0", "--", *args]


@dataclass
class Ran:
    code: int | None  # None: it hung and was killed by the walker
    out: str
    err: str


def run(command: list[str], base: Path, passphrases=(OLD_PASS, NEW_PASS)) -> Ran:
    """One process (and its children) in a session of its own, killed by its id if it hangs."""
    env = environment(base)
    env["RETTIDIG_FAULT_PASSPHRASES"] = json.dumps(list(passphrases))
    proc = subprocess.Popen(command, cwd=base, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, errors="replace", start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TRIAL_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return Ran(None, out, err)
    return Ran(proc.returncode, out, err)


def rettidig(base: Path, args: list[str], passphrases=(OLD_PASS, NEW_PASS)) -> Ran:
    return run(rettidig_command(args), base, passphrases)


def plan_json(base: Path) -> Ran:
    """The next ordinary start: no strace, no fault."""
    return rettidig(base, ["plan", CODE, "--json"])


# ---------------------------------------------------------------------------------------------- strace


def strace_usable() -> str | None:
    """None if strace can trace and inject here, else why not."""
    if shutil.which("strace") is None:
        return "strace is not installed"
    probe = subprocess.run(["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=write",
                            "-e", "inject=write:error=ENOSPC:when=1", "-o", os.devnull, "sh", "-c", "echo x"],
                           capture_output=True, text=True)
    if "strace:" in probe.stderr or probe.returncode == 0:
        return f"strace cannot trace or inject here (ptrace not permitted?): {probe.stderr.strip()[:300]}"
    return None


@dataclass(frozen=True)
class Point:
    syscall: str
    nth: int  # the N of when=N: among all calls of this name in the process
    target: str  # the file it touched, relative to the trial folder


_LINE = re.compile(r"^(?P<pid>\d+)\s+(?P<name>\w+)\((?P<args>.*)$")
_FD = re.compile(r"^(?P<fd>\d+)<(?P<path>[^>]*)>")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _unescape(text: str) -> str:
    """strace's escaped string (octal bytes, \\n, \\") as the path it names."""
    out = bytearray()
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            if text[i + 1] in "01234567":
                digits = re.match(r"[0-7]{1,3}", text[i + 1:]).group()
                out.append(int(digits, 8))
                i += 1 + len(digits)
                continue
            out += {"n": b"\n", "t": b"\t", "r": b"\r"}.get(text[i + 1], text[i + 1].encode())
            i += 2
            continue
        out += text[i].encode()
        i += 1
    return out.decode("utf-8", errors="replace")


def _label(path: str, base: Path) -> str:
    """A path as a label that is the same in every copy of the template: relative to the trial
    folder, with time stamps and random names replaced."""
    prefix = str(base) + "/"
    label = path[len(prefix):] if path.startswith(prefix) else path
    label = re.sub(r"\d{8}-\d{6}-\d{6}", "<tid>", label)
    return re.sub(r"\.rettidig-[0-9a-f]{16}\.tmp", ".rettidig-<x>.tmp", label)


def _target(name: str, args: str, base: Path) -> str:
    if name in FD_CALLS:
        found = _FD.match(args)
        if not found:
            return "?"
        fd, path = int(found["fd"]), _unescape(found["path"])
        if path.startswith(("pipe:", "/dev/")) or fd in (1, 2):
            return {1: "stdout", 2: "stderr"}.get(fd, path.split("[")[0])
        return _label(path, base)
    paths = [_label(_unescape(p), base) for p in _QUOTED.findall(args)[:2]]
    if name.startswith(("rename", "link")) and len(paths) == 2:
        return f"{paths[0]} -> {paths[1]}"
    return paths[0] if paths else "?"


def parse_log(log: Path, base: Path) -> tuple[list[Point], list[str]]:
    """Every call of the log as a Point (openat: only those with O_CREAT), and the processes or
    threads started (which would make when=N per-thread)."""
    seen: dict[str, int] = {}
    points, spawned = [], []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        found = _LINE.match(line)
        if not found:
            continue
        name, args = found["name"], found["args"]
        if name in PROCESS_CALLS:
            spawned.append(line[:120])
            continue
        if name == "execve" or name not in SYSCALLS:
            continue
        seen[name] = seen.get(name, 0) + 1
        if name == "openat" and "O_CREAT" not in args:
            continue
        points.append(Point(name, seen[name], _target(name, args, base)))
    return points, spawned


def nth_call(log: Path, syscall: str, nth: int, base: Path) -> str | None:
    """Which file the n-th call of this name touched in a trial's log (None: not reached)."""
    count = 0
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        found = _LINE.match(line)
        if found and found["name"] == syscall:
            count += 1
            if count == nth:
                return _target(syscall, found["args"], base)
    return None


def fault_spec(fault: str) -> str:
    return f"signal={fault}" if fault.startswith("SIG") else f"error={fault}"


def faults_for(syscall: str) -> tuple[str, ...]:
    return PATH_FAULTS if syscall in PATH_CALLS else FAULTS


# ---------------------------------------------------------------------------------------------- templates


@dataclass
class Template:
    """A folder (home/, keyring.json, ud/) copied for every trial, and what checking needs."""
    base: Path
    plan: str = ""  # `plan CODE --json` before the operation
    facts: dict = field(default_factory=dict)  # scenario-specific reference data


def copy_template(template: Template, where: Path) -> Path:
    shutil.copytree(template.base, where, symlinks=True)
    return where


def make_home(base: Path, method: str) -> None:
    """A data folder with one case made from the Resen example, encrypted as `method` says."""
    home = base / "home"
    home.mkdir(parents=True, mode=0o700)
    (base / "ud").mkdir()
    (home / "indstillinger.toml").write_text(f'kryptering = "{method}"\n', encoding="utf-8")
    made = rettidig(base, ["new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml")],
                    passphrases=("", OLD_PASS))
    if made.code != 0:
        raise RuntimeError(f"the template could not be made: {made.err}")


def template_plan(template: Template) -> None:
    shown = plan_json(template.base)
    if shown.code != 0:
        raise RuntimeError(f"the template's plan could not be shown: {shown.err}")
    template.plan = shown.out


def reference_run(template: Template, args: list[str], where: Path) -> Path:
    """The operation without a fault, on a copy: what a finished operation leaves."""
    done = copy_template(template, where)
    result = rettidig(done, args)
    if result.code != 0:
        raise RuntimeError(f"the operation fails without a fault: {result.err}")
    return done


def make_old_schema_home(base: Path) -> None:
    """A plain data file as the version before m005 left it, with a case in it (as in
    tests/test_faults.py's make_old_file)."""
    from sqlite_utils import Database

    from rettidig_cli.guide.reader import load_file
    from rettidig_cli.storage.migrations import migration_set

    home = base / "home"
    home.mkdir(parents=True, mode=0o700)
    (base / "ud").mkdir()
    (home / "indstillinger.toml").write_text('kryptering = "ingen"\n', encoding="utf-8")
    path = home / "rettidig.db"
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    db = Database(conn)
    migration_set().apply(db, stop_before="m005_case_ids_never_reused")
    guide = load_file(ROOT / "data" / "guides" / "resen.toml")
    stamp = dt.datetime.now().isoformat()
    with db.atomic():
        db["guides"].insert({"sha": guide.sha, "guide_id": guide.id, "name": guide.name,
                             "source_path": guide.path, "toml": guide.text, "stored_at": stamp})
        case_id = db["cases"].insert({"code": CODE, "guide_sha": guide.sha, "child_name": "E.F.",
                                      "status": "åben", "created_at": stamp, "updated_at": stamp}).last_pk
        for n in range(1, 4):
            db["observations"].insert({"case_id": case_id, "step_id": "iagttagelser", "what": f"Gammel iagttagelse {n}",
                                       "observed_on": dt.date.today().isoformat(), "created_at": stamp})
        db["agreements"].insert({"case_id": case_id, "step_id": "aftaler", "what": "Dialogisk læsning",
                                 "who": "Pædagog Ali", "status": "aftalt", "created_at": stamp})
        db["audit_log"].insert({"at": stamp, "os_user": "x", "action": "opret", "case_code": CODE, "detail": ""})
        db["audit_log"].insert({"at": stamp, "os_user": "x", "action": "læs", "case_code": CODE, "detail": ""})
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


# ---------------------------------------------------------------------------------------------- reading data files


def plain_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=5)
    conn.row_factory = sqlite3.Row
    return conn


def integrity(path: Path) -> list[str]:
    conn = plain_connect(path)
    try:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        problems = [] if problems == ["ok"] else problems
        problems += [f"foreign key: {tuple(r)}" for r in conn.execute("PRAGMA foreign_key_check")]
        return problems
    finally:
        conn.close()


def table_rows(path: Path, leave_out=VOLATILE_TABLES) -> dict[str, list[dict]]:
    """Every row of every table (but leave_out), by table, in rowid order."""
    conn = plain_connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: [dict(r) for r in conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid')]
                for t in tables if t not in leave_out}
    finally:
        conn.close()


def migration_names(path: Path) -> list[str]:
    conn = plain_connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
    finally:
        conn.close()


def case_tables(rows: dict[str, list[dict]]) -> list[str]:
    return [t for t, r in rows.items() if r and "case_id" in r[0]]


def rows_kept(before: dict[str, list[dict]], after: dict[str, list[dict]]) -> list[str]:
    """Every row from before is still there, the same (updated_at may move on: a save touches it)."""
    problems = []
    for table, rows in before.items():
        now = {row.get("id", json.dumps(row, sort_keys=True, default=str)): row for row in after.get(table, [])}
        for row in rows:
            key = row.get("id", json.dumps(row, sort_keys=True, default=str))
            other = now.get(key)
            strip = lambda r: {k: v for k, v in r.items() if k != "updated_at"}  # noqa: E731
            if other is None or strip(other) != strip(row):
                problems.append(f"{table}: a row from before is {'gone' if other is None else 'changed'} (id {key})")
    return problems[:5]


# ---------------------------------------------------------------------------------------------- checks


def same_plan(shown: Ran, expected: str, what: str = "the plan") -> list[str]:
    if shown.code != 0:
        return [f"next start: plan exit {shown.code}: {last_line(shown.err)}"]
    try:
        if json.loads(shown.out) != json.loads(expected):
            return [f"next start: {what} differs from before"]
    except json.JSONDecodeError:
        return ["next start: plan --json printed no JSON"]
    return []


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[-2:])[:300] if lines else "(no stderr)"


def check_switch(base: Path, template: Template) -> list[str]:
    """The file opens with a key rettidig finds (keyring, or the old or new passphrase), holds what
    it held, and the next start leaves no switch unfinished, no key missing and no .ny file."""
    home = base / "home"
    problems = same_plan(plan_json(base), template.plan)
    if (home / "rettidig.db.ny").exists():
        problems.append("rettidig.db.ny is still there after the next start")
    sidecar = home / "rettidig.db.kryptering"
    if sidecar.exists():
        text = sidecar.read_text(encoding="utf-8", errors="replace")
        if "skift_fra" in text or "forrige_noegle_id" in text:
            problems.append(f"the sidecar still names an unfinished switch: {text.strip().splitlines()[-1]}")
        found = re.search(r'noegle_id = "([^"]+)"', text)
        keyring = base / "keyring.json"
        if found and (not keyring.exists() or found[1] not in keyring.read_text(encoding="utf-8", errors="replace")):
            problems.append(f"the sidecar names key {found[1]}, which is not in the keyring")
    return problems


def check_erase(base: Path, template: Template) -> list[str]:
    """The case is there as before, or gone with every row that belonged to it; the file is whole."""
    shown = plan_json(base)
    path = base / "home" / "rettidig.db"
    if shown.code == 5:
        rows = table_rows(path, leave_out={"audit_log", "sqlite_sequence"})
        problems = [f"the case is gone but {table} keeps {n} of its rows" for table in case_tables(template.facts["rows"])
                    if (n := sum(1 for r in rows.get(table, []) if r["case_id"] == template.facts["case_id"]))]
    else:
        problems = same_plan(shown, template.plan, "the plan (neither whole nor gone)")
    return problems + [f"integrity: {p}" for p in integrity(path)]


def migrated_alike(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Rows as they compare before and after the migrations: m007 adds the derived case_summaries
    (made again by `list`), m008 leaves a decision's choices only in its decisions rows (which a
    file rettidig wrote already has), so its answer row holds null, and m009 adds an empty journal
    (record_changes) and the empty columns of a removed record (removed_on, removed_reason)."""
    new_columns = ("removed_on", "removed_reason")
    alike = {table: [{k: v for k, v in row.items() if not (k in new_columns and v is None)} for row in found]
             for table, found in rows.items() if table not in ("case_summaries", "record_changes")}
    alike["answers"] = [{**row, "value": "null"} if row["kind"] == "decision" else row
                        for row in alike.get("answers", [])]
    return alike


def check_migration(base: Path, template: Template) -> list[str]:
    """The data as before, the schema current after the next start, no empty backup."""
    path = base / "home" / "rettidig.db"
    problems = same_plan(plan_json(base), template.facts["plan_after"])
    problems += [f"integrity: {p}" for p in integrity(path)]
    if migration_names(path) != template.facts["migrations"]:
        problems.append(f"schema not current after the next start: {migration_names(path)}")
    if migrated_alike(table_rows(path, leave_out=VOLATILE_TABLES)) != migrated_alike(template.facts["rows"]):
        problems.append("the data differs from before the migration")
    folder = base / "home" / "sikkerhedskopier"
    for copy in sorted(folder.glob("*.db")) if folder.is_dir() else []:
        if copy.stat().st_size == 0:
            problems.append(f"an empty backup: sikkerhedskopier/{copy.name}")
        elif bad := integrity(copy):
            problems.append(f"a damaged backup: sikkerhedskopier/{copy.name}: {bad[:2]}")
    return problems


def docx_problem(path: Path) -> str | None:
    """None if path is a whole Word file (a valid zip that python-docx opens)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            if archive.testzip() is not None:
                return "a damaged zip"
        import docx

        docx.Document(str(path))
    except Exception as exc:  # any reason it is not a whole document
        return f"not a whole docx ({exc.__class__.__name__}: {str(exc)[:80]})"
    return None


def check_export(base: Path, template: Template, after_fault: dict) -> list[str]:
    """The target absent or whole (right after the fault and after the next start); no hidden
    temporary file left in the export folder once the next start has run; the data as before."""
    problems = [after_fault["target"]] if after_fault.get("target") else []
    problems += same_plan(plan_json(base), template.plan)
    target = base / "ud" / "plan.docx"
    if target.exists() and (bad := docx_problem(target)):
        problems.append(f"after the next start the target is {bad}")
    leftovers = sorted(p.name for p in (base / "ud").glob(".rettidig-*.tmp"))
    if leftovers:
        problems.append(f"hidden temporary file left after the next start: {leftovers}")
    path = base / "home" / "rettidig.db"
    problems += [f"integrity: {p}" for p in integrity(path)]
    problems += rows_kept(template.facts["rows"], table_rows(path, leave_out={"sqlite_sequence"}))
    return problems


def inspect_export_target(base: Path) -> dict:
    target = base / "ud" / "plan.docx"
    bad = docx_problem(target) if target.exists() else None
    return {"target": f"right after the fault the target is {bad}" if bad else None}


def check_observation(base: Path, template: Template) -> list[str]:
    """The file whole, the new observation either all there or not at all, everything before kept."""
    shown = plan_json(base)
    path = base / "home" / "rettidig.db"
    problems = []
    if shown.code != 0:
        problems.append(f"next start: plan exit {shown.code}: {last_line(shown.err)}")
    elif json.loads(shown.out) not in (json.loads(template.plan), json.loads(template.facts["plan_after"])):
        problems.append("next start: the plan is neither as before nor as after the observation")
    problems += [f"integrity: {p}" for p in integrity(path)]
    rows = table_rows(path, leave_out={"sqlite_sequence"})
    problems += rows_kept(template.facts["rows"], rows)
    added = len(rows["observations"]) - len(template.facts["rows"]["observations"])
    if added not in (0, 1):
        problems.append(f"{added} observations added")
    elif added and rows["observations"][-1]["what"] != template.facts["text"]:
        problems.append("the observation saved is not the one written")
    return problems


def step_counts(rows: dict[str, list[dict]], case_id: int) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for table in case_tables(rows):
        if table == "answers":
            continue
        for row in rows[table]:
            if row["case_id"] == case_id and row.get("step_id"):
                counts[(table, row["step_id"])] = counts.get((table, row["step_id"]), 0) + 1
    return counts


def new_case_facts(path: Path) -> dict:
    rows = table_rows(path, leave_out={"sqlite_sequence"})
    case = next(c for c in rows["cases"] if c["code"] == NEXT_CODE)
    steps = [a["step_id"] for a in rows["answers"] if a["case_id"] == case["id"]]
    return {"steps": steps, "counts": step_counts(rows, case["id"])}


def check_new(base: Path, template: Template) -> list[str]:
    """The first case as before, the file whole, and the new case absent or made of whole steps: a
    prefix of the finished run's steps, each with all its records; only the step it stopped in may
    have some of its loop items (each item is its own save)."""
    problems = same_plan(plan_json(base), template.plan)
    path = base / "home" / "rettidig.db"
    problems += [f"integrity: {p}" for p in integrity(path)]
    rows = table_rows(path, leave_out={"sqlite_sequence"})
    problems += rows_kept(template.facts["rows"], rows)
    extra = [c["code"] for c in rows["cases"] if c["code"] not in (CODE, NEXT_CODE)]
    if extra:
        problems.append(f"unexpected cases: {extra}")
    case = next((c for c in rows["cases"] if c["code"] == NEXT_CODE), None)
    if case is None:
        return problems
    full = template.facts["new"]
    steps = [a["step_id"] for a in rows["answers"] if a["case_id"] == case["id"]]
    if steps != full["steps"][:len(steps)]:
        return problems + [f"the new case's steps are not a prefix of a finished run: {steps}"]
    open_step = full["steps"][len(steps)] if len(steps) < len(full["steps"]) else None
    for (table, step), n in step_counts(rows, case["id"]).items():
        expected = full["counts"].get((table, step), 0)
        if step in steps and n != expected:
            problems.append(f"step {step}: {n} rows in {table}, a whole step has {expected}")
        elif step not in steps and not (step == open_step and table in ("observations", "factors", "agreements")
                                        and n <= expected):
            problems.append(f"step {step} (not saved) has {n} rows in {table}")
    for (table, step), expected in full["counts"].items():
        if step in steps and (table, step) not in step_counts(rows, case["id"]):
            problems.append(f"step {step}: its {expected} rows in {table} are missing")
    return problems


# ---------------------------------------------------------------------------------------------- scenarios


@dataclass
class Scenario:
    name: str
    describe: str
    args: Callable[[Path], list[str]]  # the operation's arguments, given the trial folder
    build: Callable[[Path, Path], Template]  # (template folder, scratch folder) -> Template
    check: Callable[..., list[str]]
    inspect: Callable[[Path], dict] | None = None  # right after the faulted run, before the next start


FLAG = {"noeglering": "--noeglering", "adgangskode": "--adgangskode"}
METHOD = {"ingen": "ingen", "noeglering": "nøglering", "adgangskode": "adgangskode"}


def switch_scenario(old: str, new: str) -> Scenario:
    args = ["kryptering", "til" if old == "ingen" else "skift", FLAG[new]]

    def build(base: Path, scratch: Path) -> Template:
        make_home(base, METHOD[old])
        template = Template(base)
        template_plan(template)
        return template

    return Scenario(f"skift-{old}-{new}", f"rettidig {' '.join(args)} (from a {METHOD[old]} file)",
                    lambda base: args, build, check_switch)


def plain_template(base: Path) -> Template:
    make_home(base, "ingen")
    template = Template(base)
    template_plan(template)
    template.facts["rows"] = table_rows(base / "home" / "rettidig.db", leave_out={"sqlite_sequence"})
    return template


def build_erase(base: Path, scratch: Path) -> Template:
    template = plain_template(base)
    template.facts["case_id"] = next(c["id"] for c in template.facts["rows"]["cases"] if c["code"] == CODE)
    return template


def build_migration(base: Path, scratch: Path) -> Template:
    make_old_schema_home(base)
    template = Template(base)
    template.facts["rows"] = table_rows(base / "home" / "rettidig.db", leave_out=VOLATILE_TABLES)
    done = reference_run(template, ["plan", CODE, "--json"], scratch / "reference")
    template.facts["plan_after"] = plan_json(done).out
    template.facts["migrations"] = migration_names(done / "home" / "rettidig.db")
    return template


def build_export(base: Path, scratch: Path) -> Template:
    return plain_template(base)


OBSERVATION = "Leger alene i sandkassen og svarer ikke, når en voksen spørger."


def build_observation(base: Path, scratch: Path) -> Template:
    template = plain_template(base)
    done = reference_run(template, observation_args(base), scratch / "reference")
    template.facts["plan_after"] = plan_json(done).out
    template.facts["text"] = OBSERVATION
    return template


def observation_args(base: Path) -> list[str]:
    return ["observation", CODE, "--hvad", OBSERVATION, "--hvem", "Pædagog Ali"]


NEW_ARGS = ["new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml")]


def build_new(base: Path, scratch: Path) -> Template:
    template = plain_template(base)
    done = reference_run(template, NEW_ARGS, scratch / "reference")
    template.facts["new"] = new_case_facts(done / "home" / "rettidig.db")
    return template


SCENARIOS = {s.name: s for s in [
    *(switch_scenario(old, new) for old, new in [("ingen", "noeglering"), ("ingen", "adgangskode"),
                                                  ("noeglering", "noeglering"), ("noeglering", "adgangskode"),
                                                  ("adgangskode", "noeglering"), ("adgangskode", "adgangskode")]),
    Scenario("slet", f"rettidig slet {CODE} --bekraeft {CODE} (erasure with VACUUM)",
             lambda base: ["slet", CODE, "--bekraeft", CODE], build_erase, check_erase),
    Scenario("migrering", f"plan {CODE} --json on a file at the schema before m005 (backup, then migration)",
             lambda base: ["plan", CODE, "--json"], build_migration, check_migration),
    Scenario("eksport", f"rettidig export {CODE} --format docx --out ud/plan.docx",
             lambda base: ["export", CODE, "--format", "docx", "--out", str(base / "ud" / "plan.docx")],
             build_export, check_export, inspect_export_target),
    Scenario("observation", f"rettidig observation {CODE} --hvad ...", observation_args, build_observation,
             check_observation),
    Scenario("ny-sag", "rettidig new --guide resen --answers eksempler/resen-svar.toml (a second case)",
             lambda base: NEW_ARGS, build_new, check_new),
]}


# ---------------------------------------------------------------------------------------------- one trial


@dataclass
class Trial:
    point: Point
    fault: str


@dataclass
class Verdict:
    trial: Trial
    status: str  # "held", "failed" or "n/a"
    problems: list[str]
    exit_code: int | None
    hit: str | None  # the file the faulted call touched in this run
    seconds: float

    def describe(self) -> str:
        p = self.trial.point
        where = f"{p.syscall} #{p.nth} ({p.target})"
        drift = f" [hit {self.hit}]" if self.hit not in (None, p.target) else ""
        return f"{where} {self.trial.fault}{drift}: exit {self.exit_code}; " + "; ".join(self.problems)


def count_points(scenario: Scenario, template: Template, scratch: Path) -> tuple[list[Point], list[str]]:
    """Run the operation once under strace on a copy; return its points (and warnings)."""
    base = copy_template(template, scratch / "count")
    log = scratch / "count.log"
    traced = ",".join((*SYSCALLS, *PROCESS_CALLS))
    result = run(["strace", "-f", "-qq", "-y", "-e", f"trace={traced}", "-o", str(log),
                  *rettidig_command(scenario.args(base))], base)
    if result.code != 0:
        raise RuntimeError(f"{scenario.name}: the operation fails under strace without a fault: {result.err}")
    points, spawned = parse_log(log, base)
    warnings = [f"started a thread or process, so when=N is per thread: {spawned[:2]}"] if spawned else []
    return points, warnings


def try_one(scenario: Scenario, template: Template, trial: Trial, scratch: Path, index: int) -> Verdict:
    """A fresh copy, the operation with one fault, then the invariants with an ordinary start."""
    started = time.monotonic()
    point, fault = trial.point, trial.fault
    base = copy_template(template, scratch / f"forsøg-{index}")
    log = base.parent / f"forsøg-{index}.log"
    command = ["strace", "-f", "-qq", "-y", "--seccomp-bpf", "-e", f"trace={point.syscall}",
               "-e", f"inject={point.syscall}:{fault_spec(fault)}:when={point.nth}", "-o", str(log),
               *rettidig_command(scenario.args(base))]
    ran = run(command, base)
    hit = nth_call(log, point.syscall, point.nth, base) if log.exists() else None
    problems = faulted_run_problems(ran, fault)
    keyring = base / "keyring.json"
    if hit == "keyring.json" and keyring.exists() and not _readable_json(keyring):
        status, problems = "n/a", ["the fault emptied the test keyring's own file (no real keyring does that)"]
    else:
        try:
            after_fault = scenario.inspect(base) if scenario.inspect else None
            problems += scenario.check(base, template, after_fault) if after_fault is not None \
                else scenario.check(base, template)
        except Exception as exc:  # a check that cannot even read the file is a failed trial
            problems.append(f"check could not run: {exc.__class__.__name__}: {str(exc)[:200]}")
        status = "failed" if problems else "held"
    verdict = Verdict(trial, status, problems, ran.code, hit, time.monotonic() - started)
    if status != "failed":
        shutil.rmtree(base, ignore_errors=True)
        log.unlink(missing_ok=True)
    return verdict


def _readable_json(path: Path) -> bool:
    try:
        json.loads(path.read_text(encoding="utf-8"))
        return True
    except (OSError, ValueError):
        return False


def faulted_run_problems(ran: Ran, fault: str) -> list[str]:
    """The faulted run itself: no traceback, no 'uventet fejl', a documented exit code or the kill."""
    problems = []
    if ran.code is None:
        return [f"hung for {TRIAL_TIMEOUT} s and was killed"]
    killed_by = -ran.code if ran.code < 0 else None
    if killed_by == signal.SIGKILL and fault != "SIGKILL":
        problems.append("killed by SIGKILL without a SIGKILL fault")
    elif killed_by and not (fault == "SIGKILL" and killed_by == signal.SIGKILL) \
            and not (fault == "SIGINT" and killed_by == signal.SIGINT):
        problems.append(f"died of signal {killed_by}")
    elif killed_by is None and ran.code not in DOCUMENTED_EXITS:
        problems.append(f"exit {ran.code} is not a documented exit code")
    for word in ("Traceback", "uventet fejl"):
        if word in ran.err or word in ran.out:
            problems.append(f"'{word}' in the output: {last_line(ran.err)}")
    return problems


# ---------------------------------------------------------------------------------------------- the walk


@dataclass
class Summary:
    scenario: str
    describe: str
    points: list[Point]
    warnings: list[str]
    verdicts: list[Verdict]
    total_trials: int
    seconds: float

    @property
    def failures(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.status == "failed"]


def choose_trials(points: list[Point], quick: bool, stride: int) -> tuple[list[Trial], int]:
    """All trials (every point, every fault), and the ones to run: all of them, every stride-th
    call within a run of consecutive calls of one name on one file (first and last always), or
    with --quick an even spread of QUICK_TRIALS over the points with the faults taken in turn."""
    every = [Trial(p, f) for p in points for f in faults_for(p.syscall)]
    if quick:
        return quick_trials(points), len(every)
    if stride <= 1:
        return every, len(every)
    kept: list[Point] = []
    for name in sorted({p.syscall for p in points}):
        calls = [p for p in points if p.syscall == name]  # in order of occurrence
        position_in_run = 0
        for i, p in enumerate(calls):
            position_in_run = position_in_run + 1 if i and calls[i - 1].target == p.target else 0
            last_of_run = i + 1 == len(calls) or calls[i + 1].target != p.target
            if position_in_run % stride == 0 or last_of_run:
                kept.append(p)
    return [Trial(p, f) for p in kept for f in faults_for(p.syscall)], len(every)


def quick_trials(points: list[Point]) -> list[Trial]:
    """QUICK_TRIALS trials: each system call name in turn, and within a name its calls evenly
    spread (first, last, middle, ...), the faults taken in turn."""
    by_name = {name: [p for p in points if p.syscall == name] for name in sorted({p.syscall for p in points})}
    spread = {name: _spread(len(calls)) for name, calls in by_name.items()}
    chosen: list[Trial] = []
    while len(chosen) < QUICK_TRIALS and any(spread.values()):
        for name, order in spread.items():
            if order and len(chosen) < QUICK_TRIALS:
                point = by_name[name][order.pop(0)]
                kinds = faults_for(name)
                chosen.append(Trial(point, kinds[len(chosen) % len(kinds)]))
    return chosen


def _spread(n: int) -> list[int]:
    """0..n-1 in an order that covers the range evenly early: first, last, middle, quarters, ..."""
    order, seen, parts = [], set(), 1
    while len(order) < n:
        for k in range(parts + 1):
            i = round(k * (n - 1) / parts)
            if i not in seen:
                seen.add(i)
                order.append(i)
        parts *= 2
    return order


def walk(name: str, quick: bool = False, stride: int = 1, jobs: int | None = None, keep: Path | None = None,
         progress: bool = True) -> Summary:
    """One scenario from template to verdicts."""
    scenario = SCENARIOS[name]
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix=f"fault-walk-{name}-", dir=keep))
    try:
        template = scenario.build(scratch / "skabelon", scratch)
        points, warnings = count_points(scenario, template, scratch)
        again, _ = count_points(scenario, template, scratch / "igen")
        if [(p.syscall, p.nth, p.target) for p in again] != [(p.syscall, p.nth, p.target) for p in points]:
            warnings.append("two runs without a fault made different calls: when=N may hit another call (see drift)")
        trials, total = choose_trials(points, quick, stride)
        verdicts: list[Verdict] = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
            futures = [pool.submit(try_one, scenario, template, t, scratch, i) for i, t in enumerate(trials)]
            for done, future in enumerate(concurrent.futures.as_completed(futures), start=1):
                verdict = future.result()
                verdicts.append(verdict)
                if progress and (done % 50 == 0 or verdict.status == "failed"):
                    note = f"  FAILED {verdict.describe()}" if verdict.status == "failed" else ""
                    print(f"[{name}] {done}/{len(trials)} ({time.monotonic() - started:.0f} s){note}",
                          file=sys.stderr, flush=True)
        verdicts.sort(key=lambda v: (v.trial.point.syscall, v.trial.point.nth, v.trial.fault))
        if any(v.status == "failed" for v in verdicts):
            warnings.append(f"the failed trials' folders and strace logs are kept in {scratch}")
        elif keep is None:
            shutil.rmtree(scratch, ignore_errors=True)
        return Summary(name, scenario.describe, points, warnings, verdicts, total, time.monotonic() - started)
    except BaseException:
        if keep is None:
            shutil.rmtree(scratch, ignore_errors=True)
        raise


def report(summary: Summary, shown_failures: int = 5) -> str:
    """The table of one scenario: per system call, points found, trials tried, held, n/a, failed."""
    lines = [f"== {summary.scenario}: {summary.describe}"]
    lines.append(f"   {'syscall':<10} {'points':>6} {'trials':>7} {'tried':>6} {'held':>6} {'n/a':>5} {'failed':>6}")
    names = sorted({p.syscall for p in summary.points})
    for name in names:
        pts = [p for p in summary.points if p.syscall == name]
        vs = [v for v in summary.verdicts if v.trial.point.syscall == name]
        lines.append(f"   {name:<10} {len(pts):>6} {sum(len(faults_for(name)) for _ in pts):>7} {len(vs):>6} "
                     f"{sum(v.status == 'held' for v in vs):>6} {sum(v.status == 'n/a' for v in vs):>5} "
                     f"{sum(v.status == 'failed' for v in vs):>6}")
    vs = summary.verdicts
    lines.append(f"   {'total':<10} {len(summary.points):>6} {summary.total_trials:>7} {len(vs):>6} "
                 f"{sum(v.status == 'held' for v in vs):>6} {sum(v.status == 'n/a' for v in vs):>5} "
                 f"{len(summary.failures):>6}   ({summary.seconds:.0f} s)")
    drift = [v for v in vs if v.hit not in (None, v.trial.point.target)]
    if drift:
        lines.append(f"   drift: {len(drift)} trials hit another file than counted, e.g. {drift[0].describe()[:160]}")
    for warning in summary.warnings:
        lines.append(f"   warning: {warning}")
    for verdict in summary.failures[:shown_failures]:
        lines.append(f"   FAILED {verdict.describe()}")
    if len(summary.failures) > shown_failures:
        lines.append(f"   ... and {len(summary.failures) - shown_failures} more failures")
    return "\n".join(lines)


def save_results(summaries: list[Summary], path: Path) -> None:
    data = [{"scenario": s.scenario, "points": len(s.points), "trials": s.total_trials, "tried": len(s.verdicts),
             "held": sum(v.status == "held" for v in s.verdicts), "n/a": sum(v.status == "n/a" for v in s.verdicts),
             "failed": len(s.failures), "seconds": round(s.seconds, 1), "warnings": s.warnings,
             "failures": [{"syscall": v.trial.point.syscall, "nth": v.trial.point.nth, "target": v.trial.point.target,
                           "hit": v.hit, "fault": v.trial.fault, "exit": v.exit_code, "problems": v.problems}
                          for v in s.failures]}
            for s in summaries]
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS), help="only this one (repeatable)")
    parser.add_argument("--quick", action="store_true", help=f"about {QUICK_TRIALS} trials per scenario")
    parser.add_argument("--stride", type=int, default=1,
                        help="try every N-th call within a run of calls of one name on one file (default: all)")
    parser.add_argument("--jobs", type=int, default=None, help="trials at a time (default: the number of CPUs)")
    parser.add_argument("--results", type=Path, help="write the figures and failures as JSON here")
    parser.add_argument("--keep", type=Path, help="make the scratch folders here (failed trials stay for a look)")
    options = parser.parse_args(argv)
    why_not = strace_usable()
    if why_not:
        print(f"fault_walk: {why_not}", file=sys.stderr)
        return 2
    summaries = []
    for name in options.scenario or list(SCENARIOS):
        summary = walk(name, options.quick, options.stride, options.jobs, options.keep)
        summaries.append(summary)
        print(report(summary), flush=True)
        if options.results:
            save_results(summaries, options.results)
    failed = sum(len(s.failures) for s in summaries)
    tried = sum(len(s.verdicts) for s in summaries)
    print(f"\n{len(summaries)} scenarios, {sum(len(s.points) for s in summaries)} points, {tried} trials: "
          f"{tried - failed} held or n/a, {failed} failed.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
