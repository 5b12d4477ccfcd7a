"""Startup and query figures for rettidig. Prints timings; asserts nothing.

    python benchmarks/startup.py [--cases 200] [--runs 10]

Creates a throw-away data folder, fills it with cases from the example answers files, then
times the installed `rettidig` command the way a practitioner would start it."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rettidig() -> str:
    found = shutil.which("rettidig") or str(Path(sys.executable).parent / "rettidig")
    if not Path(found).exists():
        sys.exit("Installér rettidig først (pip install .).")
    return found


def timed(cmd: list[str], env: dict, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return times


# A status meeting as a practitioner records it: two FIT forms and one agreement updated.
MEETING = {
    "dato": "i dag", "foraeldre_deltog": True, "deltagere": "Pædagog, Leder", "referat": "Kort referat.",
    "fit": [{"hvem": "Mor", "skema": "ORS", "point": "5 6 6,5 7"}, {"hvem": "Mor", "skema": "SRS", "point": "9 9 9 9"}],
    "aftaler": [{"nr": 1, "status": "i gang", "note": "Godt i gang"}],
}


def report(rows: list[tuple[str, list[str]]], env: dict, runs: int) -> None:
    for label, cmd in rows:
        t = timed(cmd, env, runs)
        print(f"  {label:<44} median {statistics.median(t) * 1000:7.1f} ms   min {min(t) * 1000:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    exe = rettidig()
    home = Path(tempfile.mkdtemp(prefix="rettidig-bench-"))
    env = {**os.environ, "RETTIDIG_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "120"}
    try:
        sys.path.insert(0, str(ROOT))
        import tomllib

        from rettidig_cli.workflow import followup, wizard
        from rettidig_cli.guide import reader as guides
        from rettidig_cli.storage.store import Store, db_path

        os.environ["RETTIDIG_HOME"] = str(home)
        store = Store(db_path(None))
        fill_start = time.perf_counter()
        examples = [("ikast-brande-dagtilbud", "ikast-svar.toml"), ("resen", "resen-svar.toml")]
        for i in range(args.cases):
            guide_id, answers = examples[i % 2]
            g = guides.find(guide_id, home)
            data = tomllib.loads((ROOT / "eksempler" / answers).read_text(encoding="utf-8"))
            source = wizard.FileSource(data, wizard.Context(guide=g))
            case = store.create_case(g, abuse_path=False)
            wizard.run(store, case, g, source)
            for meeting in followup.planned_meetings(store, case)[:2]:  # two meetings held per case
                followup.hold_meeting(store, case, g, meeting, followup.MeetingFile(
                    MEETING, store, case, g, meeting))
        fill = time.perf_counter() - fill_start
        first = store.cases()[0]["code"]
        store.close()

        print(f"rettidig benchmark · Python {sys.version.split()[0]} · {args.cases} sager · {args.runs} kørsler hver")
        print(f"  oprettelse via --answers-stien + 2 statusmøder: {fill / max(args.cases, 1) * 1000:.1f} ms pr. sag")
        rows = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("import rettidig_cli.commands.app", [sys.executable, "-c", "import rettidig_cli.commands.app"]),
            ("rettidig --help", [exe, "--help"]),
            ("rettidig plan SAG", [exe, "plan", first]),
            ("rettidig plan SAG --json", [exe, "plan", first, "--json"]),
            ("rettidig historik SAG", [exe, "historik", first]),
            (f"rettidig list ({args.cases} sager)", [exe, "list"]),
            (f"rettidig list --json ({args.cases} sager)", [exe, "list", "--json"]),
            ("rettidig aftale ny SAG (skriver)", [exe, "aftale", "ny", first, "--hvad", "Ny aftale", "--hvem", "Pædagog"]),
        ]
        out = home / "eksport"
        out.mkdir()
        for fmt in ("docx", "markdown", "ics", "json", "csv"):
            rows.append((f"rettidig export SAG -f {fmt}",
                         [exe, "export", first, "--format", fmt, "--out", str(out), "--overskriv"]))
        rows.append(("rettidig export SAG --til anonym", [exe, "export", first, "--til", "anonym", "--ja", "--out",
                                                          str(out), "--overskriv"]))
        rows += [("rettidig doctor", [exe, "doctor"]), ("rettidig indsigt SAG", [exe, "indsigt", first])]
        report(rows, env, args.runs)

        # The same file encrypted with SQLCipher, its key in a file-backed test keyring (this machine
        # may have no real one); the keyring lookup and the cipher are what is measured.
        secret_home = home / "krypteret"
        secret_home.mkdir()
        shutil.copy(home / "rettidig.db", secret_home / "rettidig.db")
        secret_env = {**env, "RETTIDIG_HOME": str(secret_home), "PYTHONPATH": str(ROOT / "tests"),
                      "PYTHON_KEYRING_BACKEND": "keyring_for_tests.TestKeyring",
                      "RETTIDIG_TEST_KEYRING": str(home / "bench-keyring.json")}
        start = time.perf_counter()
        subprocess.run([exe, "kryptering", "til", "--noeglering"], env=secret_env, check=True,
                       stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        print(f"  kryptering til ({args.cases} sager): {(time.perf_counter() - start) * 1000:.0f} ms")
        report([("krypteret: rettidig plan SAG", [exe, "plan", first]),
                (f"krypteret: rettidig list ({args.cases} sager)", [exe, "list"]),
                ("krypteret: rettidig aftale ny SAG", [exe, "aftale", "ny", first, "--hvad", "Ny aftale", "--hvem", "Pædagog"]),
                ("krypteret: rettidig export SAG -f docx", [exe, "export", first, "--format", "docx", "--out", str(out),
                                                           "--overskriv"])], secret_env, args.runs)
        start = time.perf_counter()
        subprocess.run([exe, "slet", first, "--bekraeft", first], env=secret_env, check=True,
                       stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        print(f"  krypteret: rettidig slet SAG (med VACUUM af {args.cases} sager): "
              f"{(time.perf_counter() - start) * 1000:.0f} ms")
    finally:
        if not os.environ.get("RETTIDIG_BENCH_KEEP"):
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
