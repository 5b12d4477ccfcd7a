"""What happens to the data file when the world misbehaves: two windows writing at once, a
window holding the write lock, the process killed (SIGKILL) in the middle of saving, a file that
is not ours, damaged, from a newer version, read-only or on a full disk, a missing key, an old
schema that must be migrated, and a data file in a cloud folder or on a network drive.

Writers run as real processes (the same entry point as the installed `rettidig`), the data file
is read back straight with SQLite (conftest.raw_connect), and every refusal is checked for its
Danish message, its exit code, the absence of a traceback and the data file's bytes."""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, bar_count, db_file, for_abuse_path, query, raw_connect, working_day_on_or_after
from helpers import extra_pragmas, flat, no_traceback, ok

pytestmark = pytest.mark.both_storages  # what reaches the disk, in either kind of data file

RESEN_EXAMPLE = EXAMPLES / "resen-svar.toml"

# Tables whose rows a wizard step writes together with its answer row (one transaction).
STEP_TABLES = ("decisions", "tovholders", "meetings", "consents", "underretninger", "positions")
# Loop steps: each item is its own transaction; the answer row ({"antal": n}) comes last.
LOOP_TABLES = {"observations": "observations", "factors": "factors", "agreements": "agreements"}
RECORD_TABLES = (*STEP_TABLES, *LOOP_TABLES.values())


# ---------------------------------------------------------------- running things


def fails(cli, code: int, *args: str):
    result = cli(list(args))
    assert result.code == code, f"exit {result.code}\nout: {result.out}\nerr: {result.err}"
    no_traceback(result)
    return result


def close_connections() -> None:
    """The in-process CLI leaves its Store to the garbage collector; closing the connection is
    what removes the -wal and -shm files, so collect before looking at the folder."""
    gc.collect()


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under the data folder and its bytes (db, -wal, -shm, sidecar, backups)."""
    close_connections()
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def child_script(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def spawn(script: Path, *args: str) -> subprocess.Popen:
    """A real Python process with the test's environment (RETTIDIG_HOME, the test keyring)."""
    return subprocess.Popen([sys.executable, str(script), *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())


def wait_for(path: Path, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"child ended early ({proc.returncode}):\n{out}\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"child never wrote {path.name}")
        time.sleep(0.005)


def stop(proc: subprocess.Popen) -> None:
    """End a child this test started (by its own handle, never by name)."""
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=30)


# ---------------------------------------------------------------- cases


def answers(tmp_path: Path, name: str, suspicion: bool = False, observations: int = 1, agreements: int = 2,
            observation_text: str = "bruger få ord i legen.") -> Path:
    """The Resen example answers with dates moved relative to today, more observations and
    agreements (more transactions to interrupt), and optionally the suspicion path (an
    underretning saved with the safety answer)."""
    data = tomllib.loads(RESEN_EXAMPLE.read_text(encoding="utf-8"))
    today = dt.date.today()
    data["statusmoeder"] = {
        "tidspunkt": "14:00", "deltagere": ["Forældre", "Pædagog Ali"],
        "datoer": [working_day_on_or_after(today + dt.timedelta(days=d)).isoformat() for d in (14, 42, 70, 98)],
    }
    seen = (today - dt.timedelta(days=3)).isoformat()
    data["iagttagelser"] = [{"dato": seen, "hvad": f"Iagttagelse {i + 1}: {observation_text}",
                             "metode": "TRAS", "hvem": "Pædagog Ali"} for i in range(observations)]
    due = (today + dt.timedelta(days=60)).isoformat()
    data["aftaler"] = [{"hvad": f"Aftale {i + 1}: dialogisk læsning", "hvem": "Pædagog Ali", "senest": due}
                       for i in range(agreements)]
    if suspicion:
        data["sikkerhed"] = {"mistanke": True, "underretning": {
            "dato": today.isoformat(), "leder_informeret": True, "note": "Ringet til kommunen"}}
        for_abuse_path(data)
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def new_case(cli, tmp_path: Path, **kwargs) -> str:
    path = answers(tmp_path, f"svar-{len(list(tmp_path.glob('svar-*')))}.json", **kwargs)
    out = ok(cli, "new", "--guide", "resen", "--answers", str(path)).out
    return out.split("Ny sag: ", 1)[1].split()[0]


def records(home: Path) -> dict[str, list[dict]]:
    """Every saved row except the audit log (reads are logged, and that is fine) and SQLite's own
    id counter (sqlite_sequence, which only ever grows)."""
    tables = [r["name"] for r in query(home, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: query(home, f'SELECT * FROM "{t}" ORDER BY rowid') for t in tables
            if t not in ("audit_log", "sqlite_sequence")}


def audit_count(home: Path) -> int:
    return query(home, "SELECT count(*) AS n FROM audit_log")[0]["n"]


def integrity(path: Path) -> list:
    conn = raw_connect(path, dicts=False)
    try:
        return [r[0] for r in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


# ---------------------------------------------------------------- the file is whole and no step is half saved


def step_order(path: Path, code: str) -> list[str]:
    conn = raw_connect(path, dicts=False)
    try:
        return [r[0] for r in conn.execute(
            "SELECT step_id FROM answers WHERE case_id = (SELECT id FROM cases WHERE code = ?) ORDER BY id", (code,))]
    finally:
        conn.close()


def check_whole(path: Path, full_runs: dict[int, list[str]]) -> dict:
    """Assert that the data file is whole and that every wizard step is either saved completely
    or not at all; return counts. full_runs maps abuse_path (0/1) to the step ids of a complete
    `new` run in the order they are saved."""
    conn = raw_connect(path, dicts=False)
    try:
        assert [r[0] for r in conn.execute("PRAGMA integrity_check")] == ["ok"]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

        # A step's records without the step's answer row = half a step (same transaction in save_step).
        for table in STEP_TABLES:
            orphans = conn.execute(
                f"SELECT r.case_id, r.step_id FROM {table} r LEFT JOIN answers a "
                "ON a.case_id = r.case_id AND a.step_id = r.step_id "
                "WHERE r.step_id IS NOT NULL AND a.id IS NULL").fetchall()
            assert orphans == [], f"{table}: records of a step whose answer was never saved: {orphans}"

        counts: dict[tuple, int] = {}
        for table in RECORD_TABLES:
            for case_id, step_id, n in conn.execute(
                    f"SELECT case_id, step_id, count(*) FROM {table} GROUP BY case_id, step_id"):
                counts[(table, case_id, step_id)] = n

        cases = {r[0]: r for r in conn.execute("SELECT id, code, abuse_path, child_name FROM cases")}
        unfinished = 0
        for case_id, code, abuse_path, child_name in cases.values():
            rows = conn.execute("SELECT step_id, kind, value FROM answers WHERE case_id = ? ORDER BY id",
                                (case_id,)).fetchall()
            answered = [r[0] for r in rows]
            full = full_runs[abuse_path]
            # Steps are saved in order, each durable before the next begins: what survives is a prefix.
            assert answered == full[:len(answered)], f"{code}: answered {answered}, expected a prefix of {full}"
            if answered != full:
                unfinished += 1
            loop_items = 0
            for step_id, kind, raw in rows:
                value = json.loads(raw)
                if kind in LOOP_TABLES:
                    expected = {LOOP_TABLES[kind]: value["antal"]}
                elif kind == "decision":
                    # The choices are the step's decisions rows, saved in the answer's transaction:
                    # the answers files choose at least one in every decision they reach.
                    expected = {"decisions": max(1, counts.get(("decisions", case_id, step_id), 0))}
                elif value is None:
                    expected = {}
                elif kind == "safety":
                    expected = {"underretninger": 1 if value["underretning"] else 0}
                elif kind == "child":
                    assert child_name == value["navn"], f"{code}: child step saved without the child"
                    expected = {}
                elif kind == "decision":  # (before m008 the choices were in the answer too)
                    expected = {"decisions": len(value["valg"])}
                elif kind == "status_meetings":
                    expected = {"meetings": len(value["moeder"])}
                else:
                    expected = {{"tovholder": "tovholders", "meeting": "meetings", "consent": "consents",
                                 "underretning": "underretninger", "position": "positions"}.get(kind, "-"): 1}
                    expected.pop("-", None)
                for table in RECORD_TABLES:
                    got = counts.get((table, case_id, step_id), 0)
                    assert got == expected.get(table, 0), \
                        f"{code} step {step_id}: {got} rows in {table}, the answer says {expected.get(table, 0)}"
            # Loop items of a step without its answer row: only the step the wizard was in when it stopped.
            open_loops = {step for (table, cid, step) in counts if cid == case_id and table in LOOP_TABLES.values()
                          and step is not None and step not in answered}
            assert open_loops <= set(full[len(answered):len(answered) + 1]), \
                f"{code}: loop items saved for {open_loops}, but the wizard stopped before {full[len(answered):]}"
            for (table, cid, step), n in counts.items():
                if cid == case_id and table in LOOP_TABLES.values():
                    loop_items += n
            # Each saved step and each loop item wrote its audit row in the same transaction.
            # (The suspicion of abuse is saved on its own the moment it is given, with its own row.)
            changes = conn.execute("SELECT count(*) FROM audit_log WHERE case_code = ? AND action = 'ændre' "
                                   "AND detail != 'mistanke'", (code,)).fetchone()[0]
            assert changes == len(rows) + loop_items, f"{code}: {changes} audit rows for {len(rows) + loop_items} saves"
            created = conn.execute("SELECT count(*) FROM audit_log WHERE case_code = ? AND action = 'opret'",
                                   (code,)).fetchone()[0]
            assert created == 1, f"{code}: {created} 'opret' audit rows"
        total = sum(counts.values()) + len(cases) + conn.execute("SELECT count(*) FROM answers").fetchone()[0]
        return {"cases": len(cases), "rows": total, "unfinished": unfinished}
    finally:
        conn.close()


# ================================================================ 1. two windows at once


# One process per window, each running the real entry point 25 times. After each command the
# connection is closed (gc), as when a real `rettidig` process exits: a connection left open in
# the same process would lose its POSIX locks when the next command's file_state() opens and
# closes the data file, which is an artefact of looping in one process, not of two windows.
WRITER = """
    import gc, json, sys, time
    from pathlib import Path
    from rettidig_cli.commands import app as cli

    ready, go, result, case, tag, kind, n = sys.argv[1:8]
    Path(ready).touch()
    deadline = time.time() + 60
    while not Path(go).exists():
        if time.time() > deadline:
            sys.exit("no go signal")
        time.sleep(0.001)
    runs = []
    for i in range(int(n)):
        text = f"{tag}-{i + 1:02d}"
        if kind == "observation":
            sys.argv = ["rettidig", "observation", case, "--hvad", text]
        else:
            sys.argv = ["rettidig", "aftale", "ny", case, "--hvad", text, "--hvem", tag]
        start = time.time()
        try:
            cli.main()
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        gc.collect()
        runs.append([start, time.time(), code])
    Path(result).write_text(json.dumps(runs))
"""


@pytest.mark.parametrize("kind", ["observation", "aftale"])
def test_two_processes_writing_at_once_lose_nothing(cli, tmp_path, data_home, kind):
    """Two real processes add 25 records each to the same case at the same moment: all 50 are
    saved, each exactly once with its audit row, both exit 0, neither shows a traceback."""
    code = new_case(cli, tmp_path)
    close_connections()
    table = "observations" if kind == "observation" else "agreements"
    column = "what"
    before = query(data_home, f"SELECT count(*) AS n FROM {table}")[0]["n"]
    audits_before = query(data_home, "SELECT count(*) AS n FROM audit_log WHERE action = 'ændre'")[0]["n"]
    script = child_script(tmp_path, "writer.py", WRITER)
    go = tmp_path / "go"
    procs = {}
    try:
        for tag in ("A", "B"):
            procs[tag] = spawn(script, str(tmp_path / f"ready-{tag}"), str(go), str(tmp_path / f"runs-{tag}.json"),
                               code, tag, kind, "25")
        for tag, proc in procs.items():
            wait_for(tmp_path / f"ready-{tag}", proc)
        go.touch()
        outputs = {tag: proc.communicate(timeout=120) for tag, proc in procs.items()}
    finally:
        for proc in procs.values():
            stop(proc)

    for tag, proc in procs.items():
        out, err = outputs[tag]
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "uventet fejl" not in err, err
    runs = {tag: json.loads((tmp_path / f"runs-{tag}.json").read_text()) for tag in procs}
    assert all(c == 0 for tag in runs for _, _, c in runs[tag]), runs
    # The two writers really overlapped in time (else this test proves nothing).
    a_start, a_end = runs["A"][0][0], runs["A"][-1][1]
    b_start, b_end = runs["B"][0][0], runs["B"][-1][1]
    assert max(a_start, b_start) < min(a_end, b_end), "the writers did not run at the same time"

    saved = [r[column] for r in query(data_home, f"SELECT {column} FROM {table} WHERE {column} GLOB '[AB]-*'")]
    wanted = [f"{tag}-{i:02d}" for tag in "AB" for i in range(1, 26)]
    assert sorted(saved) == wanted, f"lost or doubled: {sorted(set(wanted) ^ set(saved))}"
    # The saves really interleaved (A, B, A, ...), not one window after the other.
    order = [r[column][0] for r in query(data_home, f"SELECT {column} FROM {table} WHERE {column} GLOB '[AB]-*' "
                                                    "ORDER BY id")]
    switches = sum(a != b for a, b in zip(order, order[1:]))
    assert switches >= 2, f"the writes did not interleave: {''.join(order)}"
    assert query(data_home, f"SELECT count(*) AS n FROM {table}")[0]["n"] == before + 50
    audits = query(data_home, "SELECT count(*) AS n FROM audit_log WHERE action = 'ændre'")[0]["n"]
    assert audits == audits_before + 50
    assert integrity(db_file(data_home)) == ["ok"]
    if kind == "aftale":
        # Figures only: the number each window announced vs the number its agreement really has.
        numbers = {r["what"]: i for i, r in enumerate(query(
            data_home, "SELECT what FROM agreements WHERE case_id = (SELECT id FROM cases WHERE code = ?) "
                       "ORDER BY id", (code,)), start=1)}
        announced = [int(n) for tag in procs for n in re.findall(r"Aftale nr\. (\d+) er gemt", outputs[tag][0])]
        mine = [numbers[f"{tag}-{i:02d}"] for tag in procs for i in range(1, 26)]
        wrong = sum(a != m for a, m in zip(announced, mine))
        print(f"\n[samtidighed {kind}] 50 skrivninger, 0 tabt, {switches} skift mellem vinduerne; "
              f"{wrong} aftalenumre meldt forkert")
    else:
        print(f"\n[samtidighed {kind}] 50 skrivninger, 0 tabt, {switches} skift mellem vinduerne")


def test_announced_agreement_number_is_the_saved_agreements_number(cli, tmp_path, data_home, monkeypatch):
    """`aftale ny` says «Aftale nr. N er gemt»; N must be the number of the agreement just saved,
    even when another window saves an agreement right after this one commits."""
    from rettidig_cli.workflow import wizard

    code = new_case(cli, tmp_path)  # two agreements: the new one is nr. 3
    original = wizard.save_item

    def then_another_window(store, case, kind, step_id, item):
        row_id = original(store, case, kind, step_id, item)
        other = raw_connect(store.path, dicts=False)
        try:
            other.execute("INSERT INTO agreements (case_id, step_id, what, who, status, created_at) "
                          "VALUES (?, 'aftaler', 'Fra det andet vindue', 'Leder', 'aftalt', ?)",
                          (case["id"], dt.datetime.now().isoformat()))
        finally:
            other.close()
        return row_id

    monkeypatch.setattr(wizard, "save_item", then_another_window)
    result = ok(cli, "aftale", "ny", code, "--hvad", "Tale med PPR", "--hvem", "Leder")
    rows = query(data_home, "SELECT what FROM agreements WHERE case_id = (SELECT id FROM cases WHERE code = ?) "
                            "ORDER BY id", (code,))
    assert rows[2]["what"] == "Tale med PPR"
    assert "Aftale nr. 3 er gemt" in flat(result.out), result.out


HOLDER = """
    import sys, time
    from pathlib import Path
    from rettidig_cli.storage import keys
    from rettidig_cli.storage.store import connect

    path, ready, release = (Path(a) for a in sys.argv[1:4])
    seconds, finish = float(sys.argv[4]), sys.argv[5]
    info = keys.describe(path)
    conn = connect(path, keys.stored_keys(info)[0] if info else None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO audit_log (at, os_user, action, detail) VALUES ('holder', 'holder', 'holder', 'holder')")
    ready.touch()
    deadline = time.time() + seconds
    while time.time() < deadline and not release.exists():
        time.sleep(0.01)
    conn.execute(finish)
    conn.close()
"""


def test_a_write_lock_held_too_long_gives_exit_75_and_saves_nothing(cli, tmp_path, data_home, monkeypatch):
    """Another process holds the write lock longer than rettidig waits: the write stops with the
    Danish «låst» message and exit code 75 (try again later), after waiting BUSY_SECONDS, and
    nothing of it is saved."""
    from rettidig_cli.storage import store

    code = new_case(cli, tmp_path)
    close_connections()
    before = records(data_home)
    audits = audit_count(data_home)
    monkeypatch.setattr(store, "BUSY_SECONDS", 1)
    holder = spawn(child_script(tmp_path, "holder.py", HOLDER), str(db_file(data_home)), str(tmp_path / "locked"),
                   str(tmp_path / "release"), "60", "ROLLBACK")
    try:
        wait_for(tmp_path / "locked", holder)
        start = time.monotonic()
        result = fails(cli, 75, "observation", code, "--hvad", "Skal ikke gemmes")
        waited = time.monotonic() - start
    finally:
        (tmp_path / "release").touch()
        holder.communicate(timeout=30)
    assert holder.returncode == 0
    message = flat(result.err)
    assert "er låst af et andet rettidig-vindue. Prøv igen om lidt." in message
    assert "Luk andre vinduer, hvor rettidig kører." in message
    assert 0.9 <= waited < 8, f"gave up after {waited:.2f} s, BUSY_SECONDS is 1"
    close_connections()
    assert records(data_home) == before
    assert audit_count(data_home) == audits
    assert integrity(db_file(data_home)) == ["ok"]


def test_a_short_lock_is_waited_for_and_both_writes_are_kept(cli, tmp_path, data_home, monkeypatch):
    """A lock held for a moment (shorter than BUSY_SECONDS) is queued behind, not an error."""
    from rettidig_cli.storage import store

    code = new_case(cli, tmp_path)
    close_connections()
    monkeypatch.setattr(store, "BUSY_SECONDS", 10)
    holder = spawn(child_script(tmp_path, "holder.py", HOLDER), str(db_file(data_home)), str(tmp_path / "locked"),
                   str(tmp_path / "release"), "1.0", "COMMIT")
    try:
        wait_for(tmp_path / "locked", holder)
        start = time.monotonic()
        ok(cli, "observation", code, "--hvad", "Gemt efter ventetid")
        waited = time.monotonic() - start
    finally:
        holder.communicate(timeout=30)
    assert holder.returncode == 0
    assert waited >= 0.5, f"the write did not wait for the lock ({waited:.2f} s)"
    assert query(data_home, "SELECT count(*) AS n FROM observations WHERE what = 'Gemt efter ventetid'")[0]["n"] == 1
    assert query(data_home, "SELECT count(*) AS n FROM audit_log WHERE action = 'holder'")[0]["n"] == 1


# ================================================================ 2. kill -9 while saving


KILLED_WRITER = """
    import gc, importlib, sys
    from pathlib import Path
    from rettidig_cli.commands import app as cli

    # rettidig imports most modules lazily; load them first, so that after "ready" the process
    # spends its time opening the file and writing.
    for module in ("sqlite_utils", "holidays", "keyring", "sqlcipher3", "rich.console", "rettidig_cli.ui.prompts",
                   "rettidig_cli.workflow.wizard", "rettidig_cli.storage.store", "rettidig_cli.storage.keys", "rettidig_cli.guide.reader"):
        try:
            importlib.import_module(module)
        except ImportError:
            pass
    Path(sys.argv[1]).touch()
    for path in sys.argv[2:]:
        sys.argv = ["rettidig", "new", "--guide", "resen", "--answers", path]
        try:
            cli.main()
        except SystemExit as exc:
            if exc.code:
                raise
        gc.collect()  # close the connection, as a real `rettidig` process does when it exits
"""


@pytest.mark.bar  # at least 36 trials and 5 kills mid-write with --fuld (the full pass); 12 and 2 in the ordinary run
def test_kill_9_while_saving_never_damages_the_file_or_half_saves_a_step(cli, tmp_path, data_home, storage):
    """Each trial starts a real process that runs `rettidig new --answers` one to three times
    (about 30 transactions with fsync per case; few loop items, so that most transactions are
    steps whose records and answer row must stay together) and kills it with SIGKILL after a
    random 0.05-1.0 s.
    After every kill the file passes integrity_check and foreign_key_check, every step is saved
    whole or not at all (records, answer row and audit row together), and what survived of a case
    is a prefix of its steps. Afterwards the CLI still reads and writes the file."""
    plain = answers(tmp_path, "kill-a.json", observations=6, agreements=3)
    abuse = answers(tmp_path, "kill-b.json", suspicion=True, observations=6, agreements=3)
    # A complete run of each kind tells the order the steps are saved in.
    full_runs = {0: step_order(db_file(data_home), new_case_from(cli, plain)),
                 1: step_order(db_file(data_home), new_case_from(cli, abuse))}
    assert "sikkerhed" in full_runs[0] and len(full_runs[1]) > 5
    close_connections()
    path = db_file(data_home)
    script = child_script(tmp_path, "killed.py", KILLED_WRITER)
    rng = random.Random(20261127 if storage == "klar" else 1127)
    figures = {"trials": 0, "killed": 0, "killed_before_first_commit": 0, "killed_mid_write": 0, "exited_first": 0,
               "unfinished_cases_left": 0, "hot_wal_recovered": 0}
    state = check_whole(path, full_runs)
    started = time.monotonic()
    # At least `trials` trials, and more (up to `most`) until `need` kills have landed while saving: on a
    # fast, quiet machine most processes finish before their kill.
    trials, most, need = bar_count(36, 12), bar_count(72, 36), bar_count(5, 2)
    for trial in range(most):
        if trial >= trials and figures["killed_mid_write"] >= need:
            break
        files = [str(plain if (trial + k) % 2 else abuse) for k in range(rng.randint(1, 3))]
        delay = rng.uniform(0.05, 1.0)
        ready = tmp_path / f"ready-{trial}"
        proc = spawn(script, str(ready), *files)
        # The delay counts from the end of the imports (slower with SQLCipher), so the kills
        # spread over opening, saving and having finished instead of mostly hitting `import`.
        wait_for(ready, proc)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        assert "Traceback" not in err, err
        assert proc.returncode in (0, -signal.SIGKILL), f"exit {proc.returncode}: {err}"
        wal = path.with_name(path.name + "-wal")
        if proc.returncode and wal.exists() and wal.stat().st_size:
            figures["hot_wal_recovered"] += 1
        after = check_whole(path, full_runs)
        figures["trials"] += 1
        if proc.returncode == 0:
            figures["exited_first"] += 1
        else:
            figures["killed"] += 1
            wrote = after["rows"] > state["rows"]
            figures["killed_mid_write" if wrote else "killed_before_first_commit"] += 1
            figures["unfinished_cases_left"] += after["unfinished"] > state["unfinished"]
        state = after
    elapsed = time.monotonic() - started
    assert figures["trials"] >= trials
    assert figures["killed_mid_write"] >= need, f"too few kills landed while saving: {figures}"

    # The file is still the user's: the morning view reads it, and a new write goes in.
    listing = json.loads(ok(cli, "list", "--json").out)
    assert len(listing) == state["cases"]
    last = listing[-1]["kode"]
    ok(cli, "observation", last, "--hvad", "Efter nedbruddene")
    close_connections()
    assert query(data_home, "SELECT count(*) AS n FROM observations WHERE what = 'Efter nedbruddene'")[0]["n"] == 1
    assert integrity(path) == ["ok"]
    # Printed last: the cli fixture's capsys would swallow an earlier print.
    print(f"\n[kill -9, {storage}] {figures}; {state['cases']} sager i filen; {elapsed:.1f} s for the trials")


def new_case_from(cli, path: Path) -> str:
    out = ok(cli, "new", "--guide", "resen", "--answers", str(path)).out
    return out.split("Ny sag: ", 1)[1].split()[0]


# ================================================================ 3. files rettidig must not touch


def refused_everywhere(cli, tmp_path: Path, home: Path, case_code: str, exit_code: int, *phrases: str) -> None:
    """A reading, a writing and a case-creating command all refuse the file the same way, and
    not one byte in the data folder changes (no -wal or -shm left behind either)."""
    new_answers = answers(tmp_path, "refused.json")
    before = folder_bytes(home)
    for args in (["list", "--json"], ["observation", case_code, "--hvad", "Skal ikke gemmes"],
                 ["new", "--guide", "resen", "--answers", str(new_answers)]):
        result = fails(cli, exit_code, *args)
        message = flat(result.err)
        for phrase in phrases:
            assert phrase in message, f"{args}: {result.err}"
        assert "uventet fejl" not in message
        assert result.out == "" or args[0] == "new", result.out
        after = folder_bytes(home)
        assert sorted(after) == sorted(before), f"{args}: files changed: {sorted(set(after) ^ set(before))}"
        for name in before:
            assert after[name] == before[name], f"{args}: {name} was changed"


def test_a_text_file_is_not_opened(cli, tmp_path, data_home):
    db_file(data_home).write_text("Referat fra forældremødet\nTil stede: ...\n", encoding="utf-8")
    os.chmod(db_file(data_home), 0o600)
    refused_everywhere(cli, tmp_path, data_home, "RT-2026-001", 4,
                       f"{db_file(data_home)} er ikke en rettidig-datafil, eller den er beskadiget. Filen er ikke ændret.")


def test_a_damaged_database_is_refused_and_left_alone(cli, tmp_path, data_home, storage):
    """A real data file whose pages after the first are overwritten with garbage (header intact).
    An encrypted file cannot tell a wrong key from damage, and says so."""
    code = new_case(cli, tmp_path)
    close_connections()
    path = db_file(data_home)
    data = bytearray(path.read_bytes())
    assert data[:16] == b"SQLite format 3\x00" or (path.with_name(path.name + ".kryptering")).exists()
    garbage = random.Random(7)
    for i in range(4096, len(data) - 4096):
        data[i] = garbage.randrange(256)
    path.write_bytes(bytes(data))
    if storage == "krypteret":
        refused_everywhere(cli, tmp_path, data_home, code, 4,
                           f"Nøglen i computerens nøglering passer ikke til datafilen {path}, eller filen er "
                           "beskadiget. Filen er ikke ændret.")
    else:
        refused_everywhere(cli, tmp_path, data_home, code, 4,
                           f"Datafilen {path} er beskadiget eller ikke en rettidig-datafil. Filen er ikke ændret.",
                           "Brug en sikkerhedskopi")


def damage_one_table(home: Path, table: str) -> None:
    """Overwrite the root page of one table with garbage; the schema and the rest stay readable."""
    path = db_file(home)
    root = query(home, "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))[0]["rootpage"]
    page = int(next(iter(query(home, "PRAGMA page_size")[0].values())))  # sqlcipher3: a string
    data = bytearray(path.read_bytes())
    garbage = random.Random(11)
    for i in range((root - 1) * page, root * page):
        data[i] = garbage.randrange(256)
    path.write_bytes(bytes(data))


def test_a_damaged_table_is_reported_by_reading_commands(cli, tmp_path, data_home):
    code = new_case(cli, tmp_path)
    close_connections()
    damage_one_table(data_home, "observations")
    for args in (["list", "--json"], ["plan", code]):
        result = fails(cli, 4, *args)
        assert f"Datafilen {db_file(data_home)} er beskadiget" in flat(result.err)


def test_a_write_to_a_damaged_table_says_so_honestly(cli, tmp_path, data_home):
    """The damage is found only when the damaged table is touched; by then the case lookup has
    logged its read, so the message must not promise an unchanged file. It says nothing new was
    saved, and points to doctor and the backups."""
    code = new_case(cli, tmp_path)
    close_connections()
    damage_one_table(data_home, "observations")
    result = fails(cli, 4, "observation", code, "--hvad", "Skal ikke gemmes")
    message = flat(result.err)
    assert "er beskadiget" in message and "ikke gemt" in message and "rettidig doctor" in message
    assert "Filen er ikke ændret" not in message
    close_connections()
    for path in data_home.glob("rettidig.db*"):
        assert b"Skal ikke gemmes" not in path.read_bytes(), path.name


def test_doctor_reports_a_damaged_table(cli, tmp_path, data_home):
    new_case(cli, tmp_path)
    close_connections()
    damage_one_table(data_home, "observations")
    result = fails(cli, 1, "doctor")
    assert "Fejl" in result.out and "Fuldt tjek" in result.out
    assert "rettidig doctor fandt fejl" in flat(result.err)


def test_a_file_from_a_newer_version_is_refused_and_left_alone(cli, tmp_path, data_home):
    code = new_case(cli, tmp_path)
    close_connections()
    conn = raw_connect(db_file(data_home), dicts=False)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('rettidig', 'm099_fremtiden', '2031-01-01 00:00:00')")
    conn.close()
    refused_everywhere(cli, tmp_path, data_home, code, 4,
                       f"Datafilen {db_file(data_home)} er lavet af en nyere version af rettidig. "
                       "Filen er ikke ændret.", "Opdatér rettidig, før du åbner den.")
    assert not (data_home / "sikkerhedskopier").exists()


def test_a_read_only_file_is_refused_and_left_alone(cli, tmp_path, data_home):
    """chmod 400: the owner said no. Root could write anyway; rettidig checks the mode bits."""
    code = new_case(cli, tmp_path)
    close_connections()
    path = db_file(data_home)
    path.chmod(0o400)
    refused_everywhere(cli, tmp_path, data_home, code, 4,
                       f"Datafilen {path} er skrivebeskyttet, så intet kan gemmes. Filen er ikke ændret.",
                       "Fjern skrivebeskyttelsen")
    assert stat.S_IMODE(path.stat().st_mode) == 0o400


def test_a_full_disk_stops_the_write_and_keeps_what_was_saved(cli, tmp_path, data_home, monkeypatch):
    """max_page_count caps the file at its current size: a big observation does not fit. The
    Danish «ikke mere plads» message, exit 4, nothing of it saved, everything before still there;
    with room again the same write goes in."""
    code = new_case(cli, tmp_path)
    close_connections()
    before = records(data_home)
    pages = query(data_home, "PRAGMA page_count")[0]["page_count"]
    big = "Barnet siger «nej» og går væk fra gruppen. " * 90  # ~4000 characters, several pages
    big = big[:4000].strip()
    extra_pragmas(monkeypatch, f"PRAGMA max_page_count = {pages}")
    result = fails(cli, 4, "observation", code, "--hvad", big)
    assert f"Der er ikke mere plads til datafilen {db_file(data_home)}. Intet nyt er gemt." in flat(result.err)
    close_connections()
    assert records(data_home) == before
    assert integrity(db_file(data_home)) == ["ok"]

    # A whole new case does not fit either; what the wizard saved before the disk ran full is
    # whole steps only.
    extra_pragmas(monkeypatch, f"PRAGMA max_page_count = {pages + 4}", keep=False)
    full = answers(tmp_path, "fuld.json", observations=40, observation_text=big[:3900])
    result = fails(cli, 4, "new", "--guide", "resen", "--answers", str(full))
    assert "ikke mere plads" in flat(result.err)
    close_connections()
    extra_pragmas(monkeypatch, keep=False)
    reference = new_case_from(cli, full)
    close_connections()
    check_whole(db_file(data_home), {0: step_order(db_file(data_home), reference), 1: []})
    for table, rows in before.items():
        assert query(data_home, f'SELECT * FROM "{table}" ORDER BY rowid')[:len(rows)] == rows

    ok(cli, "observation", code, "--hvad", big)
    assert query(data_home, "SELECT count(*) AS n FROM observations WHERE what = ?", (big,))[0]["n"] == 1


def only_encrypted(storage: str) -> None:
    if storage != "krypteret":
        pytest.skip("only an encrypted data file has a key")


def test_a_missing_key_is_reported_and_the_file_left_alone(cli, tmp_path, data_home, storage):
    only_encrypted(storage)
    code = new_case(cli, tmp_path)
    close_connections()
    sidecar = db_file(data_home).with_name("rettidig.db.kryptering")
    text = sidecar.read_text(encoding="utf-8")
    assert "noegle_id" in text
    sidecar.write_text(re.sub(r'noegle_id = "[^"]*"', 'noegle_id = "datafil-00000000-0000-0000-0000-000000000000"',
                              text), encoding="utf-8")
    refused_everywhere(cli, tmp_path, data_home, code, 4,
                       f"Nøglen til datafilen {db_file(data_home)} findes ikke i computerens nøglering",
                       "Filen er ikke ændret.")


def test_a_wrong_key_is_reported_and_the_file_left_alone(cli, tmp_path, data_home, storage):
    only_encrypted(storage)
    code = new_case(cli, tmp_path)
    close_connections()
    keyring = Path(os.environ["RETTIDIG_TEST_KEYRING"])
    stored = json.loads(keyring.read_text())
    keyring.write_text(json.dumps({name: "ab" * 32 for name in stored}))
    refused_everywhere(cli, tmp_path, data_home, code, 4,
                       f"Nøglen i computerens nøglering passer ikke til datafilen {db_file(data_home)}",
                       "Filen er ikke ændret.")


# ================================================================ 4. a backup before the schema changes


def make_old_file(path: Path, storage: str) -> str:
    """A data file as the version before m004 left it (migrations m001-m003), with one case,
    one observation and one audit row. Returns the case code."""
    from sqlite_utils import Database

    from rettidig_cli.storage import keys
    from rettidig_cli.guide.reader import load_file
    from rettidig_cli.storage.migrations import migration_set
    from rettidig_cli.storage.store import connect

    key = keys.new_keyring_key() if storage == "krypteret" else None
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    conn = connect(path, key)
    conn.execute("PRAGMA journal_mode=WAL")
    db = Database(conn)
    migration_set().apply(db, stop_before="m004_audit_purpose")
    guide = load_file(ROOT / "data" / "guides" / "resen.toml")
    stamp = dt.datetime.now().isoformat()
    code = f"RT-{dt.date.today().year}-001"
    with db.atomic():
        db["guides"].insert({"sha": guide.sha, "guide_id": guide.id, "name": guide.name,
                             "source_path": guide.path, "toml": guide.text, "stored_at": stamp})
        case_id = db["cases"].insert({"code": code, "guide_sha": guide.sha, "child_name": "E.F.",
                                      "status": "åben", "created_at": stamp, "updated_at": stamp}).last_pk
        db["observations"].insert({"case_id": case_id, "step_id": "iagttagelser", "what": "Gammel iagttagelse",
                                   "observed_on": dt.date.today().isoformat(), "created_at": stamp})
        db["audit_log"].insert({"at": stamp, "os_user": "x", "action": "opret", "case_code": code, "detail": ""})
    conn.close()
    if key is not None:
        keys.write_sidecar(path, key)
    return code


def test_a_backup_is_taken_before_an_old_file_is_migrated(cli, data_home, storage):
    path = db_file(data_home)
    code = make_old_file(path, storage)
    listing = json.loads(ok(cli, "list", "--json").out)
    assert [c["kode"] for c in listing] == [code]
    close_connections()

    folder = data_home / "sikkerhedskopier"
    copies = sorted(folder.glob("rettidig-før-opdatering-*.db"))
    assert len(copies) == 1, sorted(p.name for p in folder.iterdir())
    copy = copies[0]
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    if storage == "krypteret":
        assert copy.with_name(copy.name + ".kryptering").exists()
        assert copy.read_bytes()[:16] != b"SQLite format 3\x00"  # encrypted with the same key
    assert integrity(copy) == ["ok"]
    old = query(data_home, "SELECT name FROM _sqlite_migrations ORDER BY rowid", path=copy)
    assert [r["name"] for r in old] == ["m001_initial", "m002_follow_up", "m003_redaction_terms"]
    assert "purpose" not in {r["name"] for r in query(data_home, "PRAGMA table_info(audit_log)", path=copy)}
    assert [r["code"] for r in query(data_home, "SELECT code FROM cases", path=copy)] == [code]
    assert [r["what"] for r in query(data_home, "SELECT what FROM observations", path=copy)] == ["Gammel iagttagelse"]

    # The copy is in the case's insight log.
    logged = query(data_home, "SELECT case_code, detail FROM audit_log WHERE action = 'backup'")
    assert logged == [{"case_code": code, "detail": "før-opdatering"}]
    # The file itself is now migrated and kept its data.
    assert "m004_audit_purpose" in {r["name"] for r in query(data_home, "SELECT name FROM _sqlite_migrations")}
    assert "purpose" in {r["name"] for r in query(data_home, "PRAGMA table_info(audit_log)")}
    assert [r["what"] for r in query(data_home, "SELECT what FROM observations")] == ["Gammel iagttagelse"]
    # Opening it again takes no second copy: there is nothing left to migrate.
    ok(cli, "list", "--json")
    close_connections()
    assert len(list(folder.glob("*.db"))) == 1


def test_a_new_file_gets_no_backup(cli, data_home):
    ok(cli, "list", "--json")
    assert not (data_home / "sikkerhedskopier").exists()


# ================================================================ 5. where the file lies


def test_a_cloud_folder_gives_a_warning_and_still_works(cli, tmp_path):
    folder = tmp_path / "OneDrive - Ikast-Brande Kommune" / "Dokumenter"
    folder.mkdir(parents=True)
    path = folder / "rettidig.db"
    result = ok(cli, "new", "--guide", "resen", "--answers", str(answers(tmp_path, "sky.json")), "--db", str(path))
    message = flat(result.err)
    assert "Advarsel: Datafilen ligger i en mappe, der synkroniseres til skyen («OneDrive - Ikast-Brande Kommune»)" \
        in message
    assert "Flyt den til en lokal mappe" in message
    listing = json.loads(ok(cli, "list", "--json", "--db", str(path)).out)
    assert len(listing) == 1


@pytest.mark.parametrize("fs_type", ["cifs", "nfs4"])
def test_a_network_drive_gives_a_warning_and_still_works(cli, tmp_path, monkeypatch, fs_type):
    from rettidig_cli.storage import places

    share = (tmp_path / "Fælles drev").resolve()
    share.mkdir()
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/sda1 / ext4 rw,relatime 0 0\n"
                      f"//filserver/faelles {str(share).replace(' ', chr(92) + '040')} {fs_type} rw 0 0\n",
                      encoding="utf-8")
    monkeypatch.setattr(places, "MOUNTS", mounts)
    path = share / "sager" / "rettidig.db"
    result = ok(cli, "list", "--json", "--db", str(path))
    assert json.loads(result.out) == []
    assert ("Advarsel: Datafilen ligger på et netværksdrev. Her kan SQLite-filer blive ødelagt, når to skriver "
            "samtidig. Flyt den til en lokal mappe") in flat(result.err)
    assert path.exists()


def test_a_local_folder_gives_no_warning(cli, tmp_path, monkeypatch):
    from rettidig_cli.storage import places

    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/sda1 / ext4 rw,relatime 0 0\n//filserver/andet /mnt/andet cifs rw 0 0\n",
                      encoding="utf-8")
    monkeypatch.setattr(places, "MOUNTS", mounts)
    path = tmp_path / "lokal" / "rettidig.db"
    result = ok(cli, "new", "--guide", "resen", "--answers", str(answers(tmp_path, "lokal.json")), "--db", str(path))
    assert "Advarsel" not in result.err
    assert "netværksdrev" not in result.err and "skyen" not in result.err
