"""What the journal of changes (record_changes, m009) costs a write, at scale: the same writes with
the journal on and off, interleaved in one run (only the ratio compares between machines), and
what it adds to the data file. Asserts nothing about the product.

    python benchmarks/journal.py --home DIR [--writes 100] [--rounds 5]

DIR is a data folder made by benchmarks/generate.py (10,000 cases). The data file is copied to a
temporary folder first: DIR is never changed. Each round writes, in a shuffled order, once with the
journal and once without it (Store._journaling answering False, as while a change is undone):

* `observation`: a new observation (followup.add_item, one insert journaled),
* `ret aftale`: an agreement's `who` corrected (corrections.correct, one update journaled, its
  earlier values read first).

Printed: the median milliseconds a write with and without the journal and their ratio, the journal's
rows and bytes a write, and the journal's share of the generated file."""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rettidig_cli.storage.store import Store  # noqa: E402
from rettidig_cli.workflow import corrections, followup  # noqa: E402


def typical_case(path: Path) -> str:
    """An open case with at least one agreement (the generated folder has thousands)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT c.code FROM cases c WHERE c.status = 'åben' AND EXISTS "
                            "(SELECT 1 FROM agreements a WHERE a.case_id = c.id AND a.removed_on IS NULL) "
                            "ORDER BY c.id LIMIT 1 OFFSET 100").fetchone()[0]
    finally:
        conn.close()


def journal_size(store) -> tuple[int, int]:
    """(rows, bytes of their text) of the journal."""
    rows, size = store.conn.execute(
        "SELECT count(*), coalesce(sum(length(before) + length(after) + length(table_name) + length(action) "
        "+ length(kind) + length(reason) + length(created_at)), 0) FROM record_changes").fetchone()
    return rows, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, required=True, help="a data folder made by benchmarks/generate.py")
    parser.add_argument("--writes", type=int, default=100, help="writes of each kind a round, each way")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="rettidig-journal-"))
    try:
        path = scratch / "rettidig.db"
        shutil.copy2(args.home / "rettidig.db", path)
        code = typical_case(path)
        store = Store(path, create=False)
        rows_before, bytes_before = journal_size(store)
        file_bytes = path.stat().st_size
        cases = store.conn.execute("SELECT count(*) FROM cases").fetchone()[0]
        print(f"datafil: {cases} sager, {file_bytes / 1e6:.1f} MB; journalen: {rows_before} rækker, "
              f"{bytes_before / 1e6:.1f} MB tekst ({bytes_before / file_bytes:.1%} af filen)")

        journaling = store._journaling
        times: dict[tuple[str, bool], list[float]] = {}
        rng = random.Random(args.seed)
        counter = [0]

        def observation() -> None:
            case = store.case(code, log=False)
            followup.add_item(store, case, store.guide_for(case), "observations",
                              {"dato": "i dag", "hvad": f"Leger med to andre ({counter[0]})", "metode": None,
                               "hvem": None})

        def correction() -> None:
            case = store.case(code, log=False)
            which = corrections.kind("aftale")
            record = corrections.records(store, case, which)[0]
            changes = corrections.parse_changes(which, record, {"hvem": f"Pædagog {counter[0]}"}, case)
            corrections.correct(store, case, which, record, changes, "")

        writes = {"observation": observation, "ret aftale": correction}
        journal_rows = {}
        for round_no in range(args.rounds):
            order = [(name, on) for name in writes for on in (True, False)]
            rng.shuffle(order)
            for name, on in order:
                store._journaling = journaling if on else (lambda: False)
                before = journal_size(store)[0]
                started = time.perf_counter()
                for _ in range(args.writes):
                    counter[0] += 1
                    writes[name]()
                took = (time.perf_counter() - started) / args.writes
                times.setdefault((name, on), []).append(took)
                if on:
                    journal_rows[name] = (journal_size(store)[0] - before) / args.writes
            print(f"  runde {round_no + 1}/{args.rounds}", flush=True)
        store._journaling = journaling
        rows_after, bytes_after = journal_size(store)
        journaled = args.rounds * args.writes * len(writes)
        print()
        print(f"{'skrivning':<14}{'med journal':>14}{'uden':>12}{'forhold':>10}{'journalrækker':>16}")
        for name in writes:
            on, off = (statistics.median(times[(name, flag)]) * 1000 for flag in (True, False))
            print(f"{name:<14}{on:>11.2f} ms{off:>9.2f} ms{on / off:>9.2f}x{journal_rows[name]:>16.1f}")
        print(f"\njournalen voksede med {rows_after - rows_before} rækker og "
              f"{(bytes_after - bytes_before) / journaled:.0f} bytes tekst pr. skrivning med journal")
        store.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
