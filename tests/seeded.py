"""Seeded data files: a case already walked to the end of phase N of a guide.

Each seed is built once per test session (per xdist worker) through the real write path: the
installed entry point (`python -m rettidig_cli new --guide G --answers FILE`) in a process of its
own, with the example answers in eksempler/ (dates moved relative to today) cut after the steps of
phase N, so the wizard stops at the first required step of phase N+1 (optional steps of phase
N+1 before it are saved as skipped, as `new --answers` does with any file that leaves them out). A test gets a copy of the seed's data
folder (and its key, for an encrypted seed) through the `seeded` fixture in conftest.py:

    code = seeded("ikast-brande-dagtilbud", 2)   # a case whose phases 1 and 2 are answered

Variants add the answers a path needs that the example files do not take:
    "stor"      (resen) sagstype = stor, with a sagsbehandler, a team meeting and its consent
    "u-moede"   (ikast) tvaerfaglig-vej = u-moede, with the underretning
    "k-moede"   (ikast) tvaerfaglig-vej = k-moede, with its consent and the K-møde
A phase of 0 or a phase beyond the last gives a complete walk when N is the number of phases."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import EXAMPLES, ROOT, TESTS, to_toml
from helpers import example_answers, working_day

GUIDES = ROOT / "data" / "guides"
EXAMPLE_FOR = {"resen": "resen-svar.toml", "ikast-brande-dagtilbud": "ikast-svar.toml", "hedensted": "hedensted-svar.toml",
               "herlev": "herlev-svar.toml", "ishoej-vallensbaek-tois": "tois-svar.toml"}
KEYRING = "nøglering.json"  # beside the seed's data folder


def guide_phases(guide_id: str) -> list[dict]:
    """The phases of a shipped guide as written in its TOML file (id, steps with id and kind)."""
    return tomllib.loads((GUIDES / f"{guide_id}.toml").read_text(encoding="utf-8"))["phases"]


def full_answers(guide_id: str, variant: str = "") -> dict:
    """The example answers for a guide (dates relative to today), with a variant's extra answers."""
    data = example_answers(EXAMPLES / EXAMPLE_FOR[guide_id])
    if variant == "stor":
        data["sagstype"] = "stor"
        data["sagsbehandler"] = "Sagsbehandler Sofie i familieafdelingen"
        data["teammoede"] = {"dato": working_day(10), "tidspunkt": "09:30", "deltagere": "Sofie, leder, Ali"}
        data["teammoede-underskrift"] = {"svar": "ja", "navn": "Mor og far"}
    elif variant == "u-moede":
        data["tvaerfaglig-vej"] = "u-moede"
        data["underretning"] = {"dato": working_day(1), "modtager": "Familieafdelingen i Ikast-Brande",
                                "hvordan": "Skriftlig underretning", "leder_informeret": True,
                                "note": "Sendt efter samtale med lederen"}
    elif variant == "k-moede":
        data["tvaerfaglig-vej"] = "k-moede"
        data["k-moede-samtykke"] = {"svar": "ja", "navn": "Begge forældre"}
        data["k-moede"] = {"dato": working_day(21), "tidspunkt": "13:00", "deltagere": "Mette Hansen, PPR"}
    elif variant:
        raise ValueError(f"unknown seed variant {variant!r}")
    return data


def answers_up_to(guide_id: str, phase: int, variant: str = "") -> dict:
    """The answers of phases 1..phase (and the safety question): the walk stops after them."""
    data = full_answers(guide_id, variant)
    keep = {"sikkerhed"} | {s["id"] for p in guide_phases(guide_id)[:phase] for s in p.get("steps", [])}
    return {k: v for k, v in data.items() if k in keep}


def child_env(home: Path, keyring: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RETTIDIG_GUIDE", "RETTIDIG_DEBUG")}
    env.update({"RETTIDIG_HOME": str(home), "RETTIDIG_TEST_KEYRING": str(keyring), "NO_COLOR": "1",
                "COLUMNS": "120", "PYTHON_KEYRING_BACKEND": "keyring_for_tests.TestKeyring",
                "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))})
    return env


class Seeds:
    """The session's seeds, built on first use: (guide, phase, storage, variant) -> data folder."""

    def __init__(self, base: Path):
        self.base = base
        self.built: dict[tuple, tuple[Path, str]] = {}

    def get(self, guide_id: str, phase: int, storage: str, variant: str = "") -> tuple[Path, str]:
        key = (guide_id, phase, storage, variant)
        if key not in self.built:
            self.built[key] = self._build(*key)
        return self.built[key]

    def _build(self, guide_id: str, phase: int, storage: str, variant: str) -> tuple[Path, str]:
        folder = self.base / f"{guide_id}-{phase}-{storage}-{variant or 'eksempel'}"
        home = folder / "rettidig-home"
        home.mkdir(parents=True)
        choice = "nøglering" if storage == "krypteret" else "ingen"
        (home / "indstillinger.toml").write_text(f'kryptering = "{choice}"\n', encoding="utf-8")
        answers = folder / "svar.toml"
        answers.write_text(to_toml(answers_up_to(guide_id, phase, variant)), encoding="utf-8")
        made = subprocess.run([sys.executable, "-m", "rettidig_cli", "new", "--guide", guide_id, "--answers",
                               str(answers)], env=child_env(home, folder / KEYRING), capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)
        assert made.returncode == 0, f"seed {guide_id} phase {phase} ({storage}): {made.stdout}\n{made.stderr}"
        match = re.search(r"Ny sag: (RT-\d{4}-\d{3})", made.stdout)
        assert match, made.stdout
        leftovers = [p.name for p in home.iterdir() if p.name.endswith(("-wal", "-shm", "-journal"))]
        assert not leftovers, f"the seed's process left {leftovers} behind"
        return folder, match.group(1)


def place(seed: Path, data_home: Path, keyring: Path) -> None:
    """Copy a seed's data folder into a test's (beside its settings file) and its keys into the
    test's keyring, so the copy opens exactly as the seed does."""
    for item in (seed / "rettidig-home").iterdir():
        if item.name == "indstillinger.toml":
            continue
        target = data_home / item.name
        if item.is_dir():
            shutil.copytree(item, target)
        else:
            shutil.copy2(item, target)
    seed_keys = seed / KEYRING
    if seed_keys.exists():
        keys = json.loads(keyring.read_text()) if keyring.exists() else {}
        keys.update(json.loads(seed_keys.read_text()))
        keyring.write_text(json.dumps(keys))
