"""End to end: a Resen case followed through three status meetings to closure, in a real
pseudo-terminal (pexpect), with the INSTALLED `rettidig` command run from a folder that is not
the repository.

The case is created from eksempler/resen-svar.toml (which plans three status meetings), given an
observation and an agreement with flags, and then the three meetings are held key by key at the
real prompts of `rettidig møde hold` (followup_prompts.InteractiveMeeting, in the order of
followup.hold_meeting). The printed plan, the history and the morning list are checked as the
practitioner sees them, and `plan --json` as the data behind them.

All three meetings are held "today": the example plans them in the future, and a meeting cannot
be registered as held on a day that has not come yet, so the held-date prompt offers today."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import DOWN, ENTER, EXAMPLES, UP, danish_long
from test_e2e_pty import Terminal, run_in_terminal, run_plain

ANSWERS = EXAMPLES / "resen-svar.toml"
CHILD = "C.D."  # from the example file
TOVHOLDER = "Ali Demir"  # from the example file
EXTRA_PARTICIPANT = "Lise Berg"
CLOSE_REASON = "Trivslen er genoprettet"

OBSERVATION = "Siger tre-ords-sætninger ved frokosten"
NEW_AGREEMENT = "Sprogvejleder ser på legen"
NEW_AGREEMENT_WHO = "Sprogvejleder Mette"

NOTE_STARTED = "Startet to gange om ugen"
NOTE_DONE = "Sproget er alderssvarende nu"
ABSENCE_REASON = "Mor var syg, far på arbejde"
RULER_REASON = "Leger og taler med de andre igen"
MINUTES = ("Stille start; mor ser fremgang", "Fremgang i legen", "Afslutning: trivslen er tilbage")

# Typed as the parents fill in the paper forms: four item scores, Danish decimal comma.
ORS = ("3 4 4 5", "5 6 6 6", "8 8 8,5 8")  # totals 16, 23, 32,5
ORS_TOTALS = (16, 23, 32.5)
SRS_1, SRS_3 = "9 9 9 9", "10 9,5 9 9,5"  # 36 (just at the SRS cut-off) and 38

SAVE_TRANSCRIPTS = os.environ.get("RETTIDIG_E2E_TRANSCRIPTS")  # a folder: keep what the screen showed


def _keep(name: str, text: str) -> None:
    if SAVE_TRANSCRIPTS:
        folder = Path(SAVE_TRANSCRIPTS)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")


def one_line(text: str) -> str:
    """Whitespace collapsed, so a sentence reads the same wherever the terminal broke it."""
    return " ".join(text.split())


@dataclass
class Followed:
    home: Path
    work: Path
    code: str
    screens: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)


def _run(f: Followed, name: str, args: list[str]) -> str:
    status, text = run_in_terminal(args, f.home, f.work)
    f.statuses[name], f.screens[name] = status, text
    _keep(name, text)
    return text


# ---------------------------------------------------------------- the three meetings, key by key


def _outcome_scores(term: Terminal, items: str, total: str) -> None:
    term.answer("FIT: ORS/CORS i starten af mødet – vil du registrere scores?", ENTER)  # Ja is the default
    term.answer("Hvem har udfyldt skemaet?", ENTER)  # "Mor" is pre-filled
    term.answer("Hvilket skema?", ENTER)  # ORS comes first
    term.answer("De 4 skalaer (0-10):", items + ENTER)
    term.expect(f"Total: {total} af 40")
    term.answer("Et skema mere?", ENTER)  # Nej


def _alliance_scores(term: Terminal, items: str | None, total: str = "") -> None:
    if items is None:
        term.answer("FIT: SRS/CSRS sidst i mødet – vil du registrere scores?", ENTER)  # Nej is the default
        return
    term.answer("FIT: SRS/CSRS sidst i mødet – vil du registrere scores?", UP + ENTER)  # Ja
    term.answer("Hvem har udfyldt skemaet?", ENTER)
    term.answer("Hvilket skema?", ENTER)  # SRS comes first
    term.answer("De 4 skalaer (0-10):", items + ENTER)
    term.expect(f"Total: {total} af 40")
    term.answer("Et skema mere?", ENTER)


def _agreement(term: Terminal, nr: int, keys: str, note: str = "") -> None:
    term.expect(f"Aftale {nr}:")
    term.answer("Status:", keys)
    term.answer("Hvad er der sket?", note + ENTER)


def _finish_meeting(f: Followed, term: Terminal, name: str) -> None:
    term.expect("Statusmødet er registreret i sag")
    f.statuses[name] = term.finish()
    f.screens[name] = term.text
    _keep(name, term.text)


def _meeting_1(f: Followed) -> None:
    term = Terminal(["møde", "hold", f.code], f.home, f.work)
    term.expect("Statusmøde nr. 1")
    term.answer("Hvornår blev mødet holdt?", ENTER)  # today, pre-filled
    term.answer("Deltog forældrene?", ENTER)  # Ja
    term.answer("Hvem deltog ellers?", f", {EXTRA_PARTICIPANT}" + ENTER)  # appended to the tovholder
    _outcome_scores(term, ORS[0], "16")
    _agreement(term, 1, DOWN + ENTER, NOTE_STARTED)  # aftalt -> i gang
    _agreement(term, 2, ENTER)  # unchanged, no note
    _agreement(term, 3, ENTER)
    term.expect("Børnelinealen nu: Bekymringsbarn")
    term.answer("Hvor står barnet på børnelinealen nu?", ENTER)  # Uændret
    term.answer("Aftalte I nye skridt (en ny aftale)?", DOWN + ENTER)  # Nej
    term.answer("Kort referat (kan springes over):", MINUTES[0] + ENTER)
    _alliance_scores(term, SRS_1, "36")
    term.expect("er allerede aftalt")
    term.answer("Vil du aftale et statusmøde mere?", ENTER)  # Nej: the example planned three
    _finish_meeting(f, term, "moede-1")


def _meeting_2(f: Followed) -> None:
    term = Terminal(["møde", "hold", f.code], f.home, f.work)
    term.expect("Statusmøde nr. 2")
    term.answer("Hvornår blev mødet holdt?", ENTER)
    term.answer("Deltog forældrene?", DOWN + ENTER)  # Nej
    term.expect("Forældrene deltager altid i statusmøderne")
    term.answer("Hvorfor deltog forældrene ikke?", ABSENCE_REASON + ENTER)
    term.answer("Hvem deltog ellers?", ENTER)  # last meeting's people, without the parents
    _outcome_scores(term, ORS[1], "23")
    _agreement(term, 1, ENTER)  # still "i gang"
    _agreement(term, 2, ENTER)
    _agreement(term, 3, ENTER)
    term.expect("Børnelinealen nu: Bekymringsbarn")
    term.answer("Hvor står barnet på børnelinealen nu?", DOWN + ENTER)  # I trivsel
    term.answer("Hvorfor? (begrundelse)", RULER_REASON + ENTER)
    term.answer("Aftalte I nye skridt (en ny aftale)?", DOWN + ENTER)
    term.answer("Kort referat (kan springes over):", MINUTES[1] + ENTER)
    _alliance_scores(term, None)  # the parents were not there to fill in the SRS
    term.expect("er allerede aftalt")
    term.answer("Vil du aftale et statusmøde mere?", ENTER)
    _finish_meeting(f, term, "moede-2")


def _meeting_3(f: Followed) -> None:
    term = Terminal(["møde", "hold", f.code], f.home, f.work)
    term.expect("Statusmøde nr. 3")
    term.answer("Hvornår blev mødet holdt?", ENTER)
    term.answer("Deltog forældrene?", ENTER)
    term.answer("Hvem deltog ellers?", ENTER)
    _outcome_scores(term, ORS[2], "32,5")
    _agreement(term, 1, DOWN + ENTER, NOTE_DONE)  # i gang -> udført
    _agreement(term, 2, DOWN + DOWN + ENTER, "Læser hver aften")  # aftalt -> udført
    _agreement(term, 3, DOWN + DOWN + ENTER)  # aftalt -> udført, no note
    term.expect("Børnelinealen nu: I trivsel")
    term.answer("Hvor står barnet på børnelinealen nu?", ENTER)  # Uændret
    term.answer("Aftalte I nye skridt (en ny aftale)?", DOWN + ENTER)
    term.answer("Kort referat (kan springes over):", MINUTES[2] + ENTER)
    _alliance_scores(term, SRS_3, "38")
    # No status meeting is planned after this one: the walk offers to plan the next one.
    term.answer("Aftal næste statusmøde nu?", ENTER)  # Ja
    term.answer("Dato for statusmødet:", ENTER)  # the suggested day
    term.answer("Klokkeslæt:", ENTER)
    term.answer("Hvem deltager?", ENTER)
    _finish_meeting(f, term, "moede-3")


@pytest.fixture(scope="module")
def followed(tmp_path_factory) -> Followed:
    base = tmp_path_factory.mktemp("e2e-followup")
    home, work = base / "home", base / "elsewhere"
    work.mkdir()
    f = Followed(home, work, "")

    text = _run(f, "new", ["new", "--guide", "resen", "--answers", str(ANSWERS)])
    match = re.search(r"Ny sag: (RT-\d{4}-\d{3})", text)
    assert match, text[-2000:]
    f.code = match.group(1)
    _run(f, "observation", ["observation", f.code, "--hvad", OBSERVATION, "--metode", "TRAS", "--hvem", "Pædagog Ali"])
    _run(f, "aftale", ["aftale", "ny", f.code, "--hvad", NEW_AGREEMENT, "--hvem", NEW_AGREEMENT_WHO])

    _meeting_1(f)
    _meeting_2(f)
    _meeting_3(f)
    _run(f, "plan", ["plan", f.code])
    f.screens["json"] = run_plain(["plan", f.code, "--json"], home, work).stdout

    _run(f, "luk", ["luk", f.code, "--grund", CLOSE_REASON])
    _run(f, "list", ["list"])
    _run(f, "list-alle", ["list", "--alle"])
    _run(f, "historik", ["historik", f.code])
    f.screens["historik-json"] = run_plain(["historik", f.code, "--json"], home, work).stdout
    return f


def test_dump(followed):
    for k, v in followed.statuses.items():
        print(k, v)
