"""Figures for the installed `rettidig` at scale, each as a ratio to two yardsticks measured in the
same run: `sqlite-utils --help` (another small CLI on the same libraries) and `python -c pass`
(the interpreter alone). The machine may be shared, so only the ratios compare between runs.

    python3 benchmarks/figures.py [--home DIR] [--venv /tmp/benchvenv] [--reinstall | --install-rev REV]
                                  [--runs 5] [--extra] [--json FILE]

The commands are the ones a user runs, from a separate non-editable venv:

    python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install /work/main

(made by the script if it is missing; --reinstall puts the current working tree into it first,
--install-rev HEAD a committed revision, read with git archive). --home reuses a data folder made by
benchmarks/generate.py (10,000 cases, one with 10,000 observations); without it one is generated
into a temporary folder, with the venv's python so the installed rettidig makes it. `list` at 200
and 1,000 cases uses two small generated folders (skip them with --no-small).

Each figure is the median over several runs, every command in a fresh process, and the commands
interleaved: every round runs each command once, in a shuffled order. A command that takes longer
than --slow-seconds in the first round is only run --slow-runs times. Time is wall-clock from
start to exit; memory is the process's peak resident set (ru_maxrss from os.wait4). The column
"første" is each command's first measured run: for `list` that is before anything the product may
keep between runs. A data folder must be made by the same rettidig as the one measured (else the
first command migrates it): without --home the script generates it with the venv's python."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.dont_write_bytecode = True  # no __pycache__ in benchmarks/ from this import
from generate import codes_in  # noqa: E402  (the cases measured: the same choice as generate.py prints)


def run_once(cmd: list[str], env: dict) -> tuple[float, float, int, str]:
    """(seconds, peak MiB, exit code, end of stderr) of one run in a fresh process."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-600:].decode("utf-8", "replace")
    return took, usage.ru_maxrss / 1024, code, tail


def generate(python: str, home: Path, cases: int, big: bool) -> None:
    cmd = [python, str(ROOT / "benchmarks" / "generate.py"), "--cases", str(cases), "--home", str(home)]
    if not big:
        cmd.append("--no-big-case")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL if cases < 5000 else None)


def warm(path: Path) -> None:
    """Read a data file once, so the first measured run does not pay for the disk."""
    for p in (path, path.with_name(path.name + "-wal")):
        if p.exists():
            with p.open("rb") as handle:
                while handle.read(1 << 22):
                    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="a data folder made by benchmarks/generate.py (10,000 cases)")
    parser.add_argument("--venv", type=Path, default=Path("/tmp/benchvenv"), help="the non-editable venv")
    parser.add_argument("--reinstall", action="store_true", help="install the current working tree into --venv first")
    parser.add_argument("--install-rev", metavar="REV",
                        help="install this git revision (git archive, e.g. HEAD) into --venv first")
    parser.add_argument("--runs", type=int, default=5, help="rounds (runs of each command)")
    parser.add_argument("--slow-runs", type=int, default=3, help="runs of a command slower than --slow-seconds")
    parser.add_argument("--slow-seconds", type=float, default=10.0)
    parser.add_argument("--cases", type=int, default=10_000, help="cases when generating (without --home)")
    parser.add_argument("--no-small", dest="small", action="store_false", help="skip list at 200 and 1,000 cases")
    parser.add_argument("--extra", action="store_true",
                        help="also plan, historik and indsigt of the big case, and list --alle (slow)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    venv = args.venv
    exe, sqlite_utils, python = (venv / "bin" / name for name in ("rettidig", "sqlite-utils", "python"))
    scratch = Path(tempfile.mkdtemp(prefix="rettidig-figurer-"))
    try:
        _measure(args, venv, exe, sqlite_utils, python, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True).stdout.strip()


def _measure(args, venv: Path, exe: Path, sqlite_utils: Path, python: Path, scratch: Path) -> None:
    marker = venv / "rettidig-kilde.txt"  # what was installed, written when this script installs it
    if args.reinstall or args.install_rev or not exe.exists():
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        source = ROOT
        if args.install_rev:  # a committed state, read with git archive (nothing in the repository changes)
            source = scratch / "kilde"
            source.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", args.install_rev],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--force-reinstall", "--no-deps", str(source)]
                       if exe.exists() else [str(venv / "bin" / "pip"), "install", "-q", str(source)], check=True)
        if args.install_rev:
            what = f"git {_git('rev-parse', '--short', args.install_rev)} ({args.install_rev})"
        else:
            changed = _git("status", "--porcelain", "--", "rettidig_cli", "data", "pyproject.toml")
            what = f"arbejdstræet: git {_git('rev-parse', '--short', 'HEAD')}{' + ikke-committede ændringer' if changed else ''}"
        marker.write_text(f"{what}, installeret {dt.datetime.now():%Y-%m-%d %H:%M}\n", encoding="utf-8")
    for tool in (exe, sqlite_utils, python):
        if not tool.exists():
            sys.exit(f"{tool} mangler. Lav venv'et med: python3 -m venv {venv} && {venv}/bin/pip install {ROOT}")
    installed = subprocess.run([str(python), "-I", "-c", "import rettidig_cli; print(rettidig_cli.__file__)"],
                               capture_output=True, text=True).stdout.strip()
    if installed.startswith(str(ROOT)):
        sys.exit(f"rettidig i {venv} er installeret redigerbart ({installed}); brug et ikke-redigerbart venv.")

    started = time.perf_counter()
    home = args.home
    if home is None:
        home = scratch / "stor"
        print(f"Genererer {args.cases} sager i {home} …", flush=True)
        generate(str(python), home, args.cases, big=True)
    home = home.resolve()
    homes = {"stor": home}
    if args.small:
        for n in (200, 1000):
            homes[n] = scratch / f"sager-{n}"
            generate(str(python), homes[n], n, big=False)
    typical, big, info = codes_in(home)
    out = scratch / "eksport"
    out.mkdir()

    def env_for(folder: Path) -> dict:
        return {**os.environ, "RETTIDIG_HOME": str(folder), "NO_COLOR": "1", "COLUMNS": "120"}

    base = env_for(home)
    n = info["cases"]
    rows = [
        ("python -c pass", [str(python), "-c", "pass"], base),
        ("sqlite-utils --help", [str(sqlite_utils), "--help"], base),
        ("rettidig --help", [str(exe), "--help"], base),
        (f"rettidig plan SAG ({info['typical_n']} obs.)", [str(exe), "plan", typical], base),
        (f"rettidig list ({n} sager, {info['open']} åbne)", [str(exe), "list"], base),
        (f"rettidig export SAG -f docx ({info['big_n']} obs.)",
         [str(exe), "export", big, "-f", "docx", "--out", str(out), "--overskriv"], base),
    ]
    # Writes through the journal of changes (record_changes): one more row per changed record.
    rows += [(f"rettidig observation SAG ({n} sager)",
              [str(exe), "observation", typical, "--hvad", "Leger med to andre", "--dato", "i dag"], base),
             (f"rettidig fortryd SAG --ja ({n} sager)", [str(exe), "fortryd", typical, "--ja"], base)]
    if args.extra:
        rows += [(f"rettidig plan SAG ({info['big_n']} obs.)", [str(exe), "plan", big], base),
                 (f"rettidig historik SAG ({info['big_n']} obs.)", [str(exe), "historik", big], base),
                 (f"rettidig indsigt SAG ({info['big_n']} obs.)", [str(exe), "indsigt", big], base),
                 (f"rettidig list --alle ({n} sager)", [str(exe), "list", "--alle"], base)]
    if args.small:
        rows[4:4] = [(f"rettidig list ({k} sager)", [str(exe), "list"], env_for(homes[k])) for k in (200, 1000)]
    for folder in homes.values():
        warm(folder / "rettidig.db")
    for label, cmd, env in rows:  # warm the interpreter's files; a failing command stops here
        if "list" in cmd:
            continue  # long, and its first run is a figure of its own (a kept summary may be made then)
        took, _, code, tail = run_once(cmd, env)
        if code != 0:
            sys.exit(f"{label} fejlede (exit {code}):\n{tail}")

    results: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in rows}
    rng = random.Random(args.seed)
    for round_no in range(args.runs):
        order = list(rows)
        rng.shuffle(order)
        for label, cmd, env in order:
            done = results[label]
            if round_no >= args.slow_runs and done and statistics.median(t for t, _ in done) > args.slow_seconds:
                continue
            took, mib, code, tail = run_once(cmd, env)
            if code != 0:
                sys.exit(f"{label} fejlede (exit {code}):\n{tail}")
            done.append((took, mib))
        print(f"  runde {round_no + 1}/{args.runs} færdig ({time.perf_counter() - started:.0f} s)", flush=True)

    med = {label: statistics.median(t for t, _ in r) for label, r in results.items()}
    mem = {label: max(m for _, m in r) for label, r in results.items()}
    su, py = med["sqlite-utils --help"], med["python -c pass"]
    su_mem, py_mem = mem["sqlite-utils --help"], mem["python -c pass"]
    source = marker.read_text(encoding="utf-8").strip() if marker.exists() else "ukendt (installeret uden for dette script)"
    print()
    print(f"rettidig-figurer · {dt.datetime.now():%Y-%m-%d %H:%M} · Python {sys.version.split()[0]} · "
          f"{os.cpu_count()} CPU · load {os.getloadavg()[0]:.1f}")
    print(f"  målt: {exe} ({source})")
    print(f"  datamappe {home}: {n} sager ({info['open']} åbne), {info['observations']} observationer; "
          f"typisk sag {typical}, stor sag {big}")
    print(f"  median af {args.runs} kørsler ({min(args.runs, args.slow_runs)} for dem over {args.slow_seconds:.0f} s), "
          "skiftevis; hukommelse = største RSS")
    print()
    header = (f"  {'Måling':<44} {'median':>9} {'min':>9} {'første':>9} {'n':>2}  {'÷ sqlite-utils --help':>26}  "
              f"{'÷ python -c pass':>21}  {'maks. RSS':>10}  {'RSS-forhold':>26}")
    print(header)
    print("  " + "-" * (len(header) - 2))
    table = []
    for label, _, _ in rows:
        times = [t for t, _ in results[label]]
        entry = {"maaling": label, "median_s": med[label], "min_s": min(times), "first_s": times[0], "n": len(times),
                 "x_sqlite_utils": med[label] / su, "x_python": med[label] / py, "rss_mib": mem[label],
                 "rss_x_sqlite_utils": mem[label] / su_mem, "rss_x_python": mem[label] / py_mem}
        table.append(entry)
        print(f"  {label:<44} {_secs(med[label]):>9} {_secs(min(times)):>9} {_secs(times[0]):>9} {len(times):>2}  "
              f"{entry['x_sqlite_utils']:>8.2f}× sqlite-utils --help  {entry['x_python']:>6.2f}× python -c pass  "
              f"{mem[label]:>6.0f} MiB  {entry['rss_x_sqlite_utils']:>4.1f}× su / {entry['rss_x_python']:>4.1f}× py")
    print()
    print(f"  (i alt {time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps({"when": dt.datetime.now().isoformat(timespec="seconds"), "installed": source,
                                         "home": str(home), "typical": typical, "big": big,
                                         **info, "figures": table}, ensure_ascii=False, indent=1),
                             encoding="utf-8")


def _secs(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"


if __name__ == "__main__":
    main()
