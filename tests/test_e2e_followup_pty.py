"""End to end: a Resen case followed through three status meetings to closure, in a real
pseudo-terminal (pexpect), with the INSTALLED `rettidig` command run from a folder that is not
the repository.

The case is created from eksempler/resen-svar.toml (which plans three status meetings), given an
observation and an agreement with flags, and then the three meetings are held key by key at the
real prompts of `rettidig møde hold` (followup_prompts.InteractiveMeeting, asked in the order of
followup.hold_meeting). The plan, the history and the morning list are then checked as the
practitioner sees them, and `plan --json` / `historik --json` as the data behind them.

All three meetings are held "today": the example plans them in the future, and a meeting cannot
be registered as held on a day that has not come yet, so the held-date prompt offers today. The
example's two future dates (first status meeting, one deadline) are moved to stay a few weeks
ahead of today, so the walk reads the same on any day; everything else is the file as shipped.

At the end: regression tests for three bugs found while writing this walk (fixed since): held
meetings printed on their planned day, and two prompts that looped forever on a refused answer.
Set RETTIDIG_E2E_TRANSCRIPTS=/some/folder to keep every screen as plain text."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pexpect
import pytest
from conftest import CTRL_C, DOWN, ENTER, EXAMPLES, MONTHS_DA, UP, danish_long
from test_e2e_pty import Terminal, run_in_terminal, run_plain

# These walks share one data folder per module (plain); encryption has its own real-terminal tests.
pytestmark = pytest.mark.plain_only

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
NOTE_READING = "Læser hver aften"
ABSENCE_REASON = "Mor var syg, far på arbejde"
RULER_REASON = "Leger og taler med de andre igen"
MINUTES = ("Stille start; mor ser fremgang", "Fremgang i legen", "Afslutning: trivslen er tilbage")

# Typed as the parent's paper forms read: four item scores, Danish decimal comma.
ORS = ("3 4 4 5", "5 6 6 6", "8 8 8,5 8")
ORS_TOTALS = (16, 23, 32.5)  # (32,5 - 16) / 8,7 = 1,90: a reliable improvement (>= 0,8)
SRS = ("9 9 9 9", None, "10 9,5 9 9,5")  # 36 (right at the SRS cut-off), none (parents absent), 38

SAVE_TRANSCRIPTS = os.environ.get("RETTIDIG_E2E_TRANSCRIPTS")


def danish_short(day: dt.date) -> str:
    """'23. nov. 2026', as in table cells: long month names cut to three letters and a dot."""
    month = MONTHS_DA[day.month - 1]
    return f"{day.day}. {month if len(month) <= 4 else month[:3] + '.'} {day.year}"


def section(screen: str, start: str, end: str | None = None) -> str:
    assert start in screen, screen[-3000:]
    part = screen[screen.index(start):]
    return part[: part.index(end)] if end and end in part else part


def _keep(name: str, text: str) -> None:
    if SAVE_TRANSCRIPTS:
        folder = Path(SAVE_TRANSCRIPTS)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")


@dataclass
class Followed:
    home: Path
    work: Path
    code: str = ""
    screens: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    data: dict[str, object] = field(default_factory=dict)  # --json output, parsed


def _run(f: Followed, name: str, args: list[str]) -> str:
    status, text = run_in_terminal(args, f.home, f.work)
    f.statuses[name], f.screens[name] = status, text
    _keep(name, text)
    return text


def _json(f: Followed, name: str, args: list[str]):
    result = run_plain(args, f.home, f.work)
    assert result.returncode == 0, result.stderr
    f.data[name] = json.loads(result.stdout)
    return f.data[name]


CTRL_U = "\x15"  # clears a pre-filled answer


def answers_file(folder: Path) -> Path:
    """eksempler/resen-svar.toml with its future dates kept in the future (a copy, outside the
    folder the command runs in)."""
    text = ANSWERS.read_text(encoding="utf-8")
    start = dt.date.today() + dt.timedelta(days=17)
    for old, new in (('start = "2026-12-10"', f'start = "{start.isoformat()}"'),
                     ('senest = "2026-12-11"', f'senest = "{(start + dt.timedelta(days=1)).isoformat()}"')):
        assert old in text, f"{ANSWERS} has changed: {old!r} is not in it any more"
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "resen-svar.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _new_case(home: Path, work: Path) -> str:
    answers = answers_file(home.parent / "answers")
    status, text = run_in_terminal(["new", "--guide", "resen", "--answers", str(answers)], home, work)
    assert status == 0, text[-2000:]
    match = re.search(r"Ny sag: (RT-\d{4}-\d{3})", text)
    assert match, text[-2000:]
    return match.group(1)


# ---------------------------------------------------------------- the three meetings, key by key


def _outcome_scores(term: Terminal, items: str, total: str, who: str | None = None) -> None:
    term.answer("FIT: ORS/CORS i starten af mødet – vil du registrere scores?", ENTER)  # Ja is the default
    # "Mor" is pre-filled when the parents took part, "Barnet" when they did not.
    term.answer("Hvem har udfyldt skemaet?", (CTRL_U + who if who else "") + ENTER)
    term.answer("Hvilket skema?", ENTER)  # ORS comes first
    term.answer("De 4 skalaer (0-10):", items + ENTER)
    term.expect(f"Total: {total} af 40")
    term.answer("Et skema mere?", ENTER)  # Nej


def _alliance_scores(term: Terminal, items: str | None, total: str = "") -> None:
    question = "FIT: SRS/CSRS sidst i mødet – vil du registrere scores?"
    if items is None:
        term.answer(question, ENTER)  # Nej is the default here
        return
    term.answer(question, UP + ENTER)  # Ja
    term.answer("Hvem har udfyldt skemaet?", ENTER)
    term.answer("Hvilket skema?", ENTER)  # SRS comes first
    term.answer("De 4 skalaer (0-10):", items + ENTER)
    term.expect(f"Total: {total} af 40")
    term.answer("Et skema mere?", ENTER)


STATUS_CHOICES = ("Uændret", "aftalt", "i gang", "udført", "opgivet")  # "Uændret" first and highlighted


def _agreement(term: Terminal, nr: int, status: str = "Uændret", note: str = "") -> None:
    """One Enter keeps an agreement as it is; a new status asks what happened."""
    term.expect(f"Aftale {nr}:")
    term.answer("Status:", DOWN * STATUS_CHOICES.index(status) + ENTER)
    if status != "Uændret":
        term.answer("Hvad er der sket?", note + ENTER)


def _which_meeting(term: Terminal) -> None:
    """The earliest planned meeting is not today's, so the walk asks which one is being held."""
    term.answer("Hvilket møde holder I?", ENTER)  # the first planned one is highlighted


def _finish_meeting(f: Followed, term: Terminal, name: str) -> None:
    term.expect("Statusmødet er registreret i sag")
    f.statuses[name] = term.finish()
    f.screens[name] = term.text
    _keep(name, term.text)


def _meeting_1(f: Followed) -> None:
    term = Terminal(["møde", "hold", f.code], f.home, f.work)
    _which_meeting(term)
    term.expect("Statusmøde nr. 1")
    term.answer("Hvornår blev mødet holdt?", ENTER)  # today, pre-filled
    term.answer("Deltog forældrene?", ENTER)  # Ja
    # Pre-filled with the tovholder (nobody but the parents was planned): cleared and retyped.
    term.answer("Hvem deltog ellers?", CTRL_U + f"{TOVHOLDER}, {EXTRA_PARTICIPANT}" + ENTER)
    _outcome_scores(term, ORS[0], "16")
    _agreement(term, 1, "i gang", NOTE_STARTED)
    _agreement(term, 2)  # Uændret: nothing is recorded
    _agreement(term, 3)
    term.expect("Børnelinealen nu: Bekymringsbarn")
    term.answer("Hvor står barnet på børnelinealen nu?", ENTER)  # Uændret
    term.answer("Aftalte I nye skridt (en ny aftale)?", DOWN + ENTER)  # Nej
    term.answer("Kort referat (kan springes over):", MINUTES[0] + ENTER)
    _alliance_scores(term, SRS[0], "36")
    term.expect("Næste statusmøde er allerede aftalt:")
    term.answer("Vil du aftale et statusmøde mere?", ENTER)  # Nej: the example planned three
    _finish_meeting(f, term, "moede-1")


def _meeting_2(f: Followed) -> None:
    term = Terminal(["møde", "hold", f.code], f.home, f.work)
    _which_meeting(term)
    term.expect("Statusmøde nr. 2")
    term.answer("Hvornår blev mødet holdt?", ENTER)
    term.answer("Deltog forældrene?", DOWN + ENTER)  # Nej
    term.expect("Forældrene deltager altid i statusmøderne")
    term.answer("Hvorfor deltog forældrene ikke?", ABSENCE_REASON + ENTER)
    # Pre-filled with who came last time; with the parents absent someone must be named.
    term.answer("Hvem deltog ellers?", CTRL_U + f"{TOVHOLDER}, {EXTRA_PARTICIPANT}" + ENTER)
    _outcome_scores(term, ORS[1], "23", who="Mor")  # filled in at home before the meeting
    _agreement(term, 1)  # still "i gang"
    _agreement(term, 2)
    _agreement(term, 3)
    term.expect("Børnelinealen nu: Bekymringsbarn")
    term.answer("Hvor står barnet på børnelinealen nu?", DOWN + ENTER)  # I trivsel (below Uændret)
    term.answer("Hvorfor? (begrundelse)", RULER_REASON + ENTER)
    term.answer("Aftalte I nye skridt (en ny aftale)?", DOWN + ENTER)
    term.answer("Kort referat (kan springes over):", MINUTES[1] + ENTER)
    _alliance_scores(term, SRS[1])  # the parents were not there to fill in the SRS
    term.expect("Næste statusmøde er allerede aftalt:")
    term.answer("Vil du aftale et statusmøde mere?", ENTER)
    _finish_meeting(f, term, "moede-2")


def _meeting_3(f: Followed) -> None:
    term = Terminal(["møde", "hold", f.code], f.home, f.work)
    term.expect("Statusmøde nr. 3")
    term.answer("Hvornår blev mødet holdt?", ENTER)
    term.answer("Deltog forældrene?", ENTER)
    term.answer("Hvem deltog ellers?", "-" + ENTER)  # none: the parents alone are recorded
    _outcome_scores(term, ORS[2], "32,5")
    _agreement(term, 1, "udført", NOTE_DONE)
    _agreement(term, 2, "udført", NOTE_READING)
    _agreement(term, 3, "udført")  # without a note
    term.expect("Børnelinealen nu: I trivsel")
    term.answer("Hvor står barnet på børnelinealen nu?", ENTER)  # Uændret
    term.answer("Aftalte I nye skridt (en ny aftale)?", DOWN + ENTER)
    term.answer("Kort referat (kan springes over):", MINUTES[2] + ENTER)
    _alliance_scores(term, SRS[2], "38")
    # No status meeting is planned after this one, so the walk offers to plan the next.
    term.answer("Aftal næste statusmøde nu?", ENTER)  # Ja
    term.answer("Dato for statusmødet:", ENTER)  # the suggested day
    term.answer("Klokkeslæt:", ENTER)
    term.answer("Hvem deltager?", ENTER)
    _finish_meeting(f, term, "moede-3")


@pytest.fixture(scope="module")
def followed(tmp_path_factory) -> Followed:
    base = tmp_path_factory.mktemp("e2e-followup")
    f = Followed(base / "home", base / "elsewhere")
    f.work.mkdir()

    f.code = _new_case(f.home, f.work)
    _run(f, "observation", ["observation", f.code, "--hvad", OBSERVATION, "--metode", "TRAS", "--hvem", "Pædagog Ali"])
    _run(f, "aftale", ["aftale", "ny", f.code, "--hvad", NEW_AGREEMENT, "--hvem", NEW_AGREEMENT_WHO])
    _json(f, "plan-start", ["plan", f.code, "--json"])

    _meeting_1(f)
    _meeting_2(f)
    _meeting_3(f)
    _run(f, "plan", ["plan", f.code])
    _json(f, "plan", ["plan", f.code, "--json"])

    _run(f, "luk", ["luk", f.code, "--grund", CLOSE_REASON])
    _run(f, "list", ["list"])
    _run(f, "list-alle", ["list", "--alle"])
    _run(f, "historik", ["historik", f.code])
    _json(f, "plan-lukket", ["plan", f.code, "--json"])
    _json(f, "list-alle", ["list", "--alle", "--json"])
    _json(f, "historik", ["historik", f.code, "--json"])
    return f


# ---------------------------------------------------------------- the walk


def test_every_command_in_the_walk_exits_cleanly(followed):
    assert followed.code == f"RT-{dt.date.today().year}-001"
    for name, status in followed.statuses.items():
        assert status == 0, (name, followed.screens[name][-2000:])
        assert "Traceback" not in followed.screens[name], name
        assert "uventet fejl" not in followed.screens[name], name
    assert f"Aftale nr. 3 er gemt i sag {followed.code}" in followed.screens["aftale"]
    assert f"Observationen er gemt i sag {followed.code}" in followed.screens["observation"]
    # Nothing is written to the folder the user stood in.
    assert list(followed.work.iterdir()) == []


def test_the_example_plans_three_status_meetings_in_the_future(followed):
    meetings = followed.data["plan-start"]["statusmoeder"]
    assert [m["status"] for m in meetings] == ["planlagt"] * 3
    assert all(dt.date.fromisoformat(m["dato"]) > dt.date.today() for m in meetings)
    assert [a["hvad"] for a in followed.data["plan-start"]["aftaler"]][-1] == NEW_AGREEMENT


def test_each_meeting_walk_says_what_was_measured_and_what_comes_next(followed):
    today = dt.date.today()
    planned = {m["nr"]: dt.date.fromisoformat(m["dato"]) for m in followed.data["plan-start"]["statusmoeder"]}
    one, two, three = (followed.screens[f"moede-{n}"] for n in (1, 2, 3))

    assert f"Statusmøde nr. 1, {danish_long(planned[1])}" in one
    # The held date is offered as today: the planned day has not come yet.
    assert "Hvornår blev mødet holdt?" in one and f"{today.day}-{today.month}-{today.year}" in one
    assert "Total: 16 af 40 (grænse 25: under den kliniske grænse)." in one
    assert "Aftale 1: Dialogisk læsning i lille gruppe (Pædagog Ali) – nu: aftalt" in one
    assert f"Aftale 3: {NEW_AGREEMENT} ({NEW_AGREEMENT_WHO}) – nu: aftalt" in one
    assert "Total: 36 af 40 (grænse 36" in one
    assert f"Næste statusmøde er allerede aftalt: {danish_long(planned[2])}." in one
    assert "FIT – udvikling fra møde til møde" in one
    assert "Første måling" in one
    assert "! ORS (Mor) er under grænsen på 25." in one
    assert f"Næste statusmøde: {danish_long(planned[2])}." in one

    assert f"Statusmøde nr. 2, {danish_long(planned[2])}" in two
    assert "Forældrene deltager altid i statusmøderne. Skriv, hvorfor de ikke var med." in two
    assert "Total: 23 af 40 (grænse 25: under den kliniske grænse)." in two
    assert "Aftale 1: Dialogisk læsning i lille gruppe (Pædagog Ali) – nu: i gang" in two
    assert f"Næste statusmøde er allerede aftalt: {danish_long(planned[3])}." in two

    assert f"Statusmøde nr. 3, {danish_long(planned[3])}" in three
    assert "Børnelinealen nu: I trivsel" in three
    assert "Total: 32,5 af 40 (grænse 25: over grænsen)." in three
    assert "Pålidelig forbedring siden første måling (effektstørrelse 1,90)" in three
    assert "! ORS (Mor) er under grænsen" not in section(three, "Statusmødet er registreret")
    # After the last planned meeting the walk planned a fourth, a rhythm (4 weeks) from today.
    fourth = dt.date.fromisoformat(followed.data["plan"]["naeste_statusmoede"]["dato"])
    nominal = today + dt.timedelta(weeks=4)
    assert nominal <= fourth <= nominal + dt.timedelta(days=10) and fourth.weekday() < 5  # off holidays
    assert f"Næste statusmøde: {danish_long(fourth)}." in three


def _totals(block: str) -> list[str]:
    """The totals printed at the end of each bar of a FIT chart (not the axis below the bars)."""
    bars = [line for line in block.splitlines() if "█" in line or "·" in line]
    return [m.group(1) for line in bars if (m := re.search(r"[█·│] +(\d+(?:,\d)?) ", line))]


def test_plan_in_a_terminal_shows_fit_chart_ruler_timeline_and_agreement_history(followed):
    """The handleplan as a 140-column terminal shows it (the handleplan document, drawn wide)."""
    screen = followed.screens["plan"]
    today = danish_short(dt.date.today())
    assert f"Sag {followed.code} · Handleplan" in screen
    assert f"Barn: {CHILD}" in screen
    assert f"Børnelinealen: I trivsel ({danish_long(dt.date.today())})" in screen

    fit_box = section(screen, "Barnets udvikling målt med FIT", "─ Børnelinealen ─")
    assert "Pålidelig forbedring" in fit_box
    ors, srs = section(fit_box, "ORS – Mor", "SRS – Mor"), section(fit_box, "SRS – Mor")
    assert _totals(ors) == ["16", "23", "32,5"], ors
    assert _totals(srs) == ["36", "38"], srs
    assert "grænse 25" in ors and "grænse 36" in srs

    ruler = section(screen, "─ Børnelinealen ─", "Forældrenes del")
    assert "Trinene: I trivsel → Bekymringsbarn → Udsat barn." in ruler
    assert ruler.index("Sproget påvirker legen") < ruler.index(RULER_REASON)
    placements = re.findall(rf"│ {re.escape(today)}[ │]+(I trivsel|Bekymringsbarn|Udsat barn) ", ruler)
    assert len(placements) == 2, ruler

    agreements = section(screen, "Aftaler – hvem gør hvad", "Statusmøder")
    for line in (f"{today}: aftalt", f"{today}: i gang – {NOTE_STARTED}", f"{today}: udført – {NOTE_DONE}",
                 f"{today}: udført – {NOTE_READING}"):
        assert line in agreements, line
    assert agreements.count("udført") >= 6  # three histories + three status cells
    assert NEW_AGREEMENT in agreements and NEW_AGREEMENT_WHO in agreements

    meetings = section(screen, "Statusmøder", "Barnets udvikling")
    states = re.findall(r" (afholdt|planlagt|aflyst) +│$", meetings, flags=re.M)  # the Status column
    assert states == ["afholdt", "afholdt", "afholdt", "planlagt"], states
    assert f"Forældrene deltog ikke: {ABSENCE_REASON}" in " ".join(
        line.strip("│ ") for line in meetings.splitlines())
    for minutes in MINUTES:
        assert f"Referat: {minutes}" in meetings
    assert OBSERVATION in screen


def test_plan_json_has_three_held_meetings_and_the_fit_series(followed):
    data = followed.data["plan"]
    today = dt.date.today().isoformat()
    meetings = sorted(data["statusmoeder"], key=lambda m: m["nr"])
    assert [m["status"] for m in meetings] == ["afholdt", "afholdt", "afholdt", "planlagt"]
    held = meetings[:3]
    assert [m["holdt_dato"] for m in held] == [today] * 3
    assert [m["foraeldre_deltog"] for m in held] == [True, False, True]
    assert held[0]["deltog"] == ["Forældre", TOVHOLDER, EXTRA_PARTICIPANT]
    assert held[1]["deltog"] == [TOVHOLDER, EXTRA_PARTICIPANT]
    assert held[1]["fravaer_grund"] == ABSENCE_REASON
    assert held[2]["deltog"] == ["Forældre"]
    assert [m["referat"] for m in held] == list(MINUTES)
    assert meetings[3]["deltagere"] == ["Forældre"]

    series = {(s["skema"], s["hvem"]): s for s in data["fit"]}
    assert set(series) == {("ORS", "Mor"), ("SRS", "Mor")}
    ors = series[("ORS", "Mor")]
    assert [p["total"] for p in ors["punkter"]] == list(ORS_TOTALS)
    assert [p["point"] for p in ors["punkter"]] == [[3, 4, 4, 5], [5, 6, 6, 6], [8, 8, 8.5, 8]]
    assert [p["under_graense"] for p in ors["punkter"]] == [True, True, False]
    assert len({p["moede_id"] for p in ors["punkter"]}) == 3  # one reading per meeting
    assert ors["effektstoerrelse"] == pytest.approx((32.5 - 16) / 8.7, abs=0.01)
    assert ors["vurdering"] == "Pålidelig forbedring siden første måling"
    assert ors["advarsler"] == []
    srs = series[("SRS", "Mor")]
    assert [p["total"] for p in srs["punkter"]] == [36, 38]
    assert srs["advarsler"] == []  # 36 is not under the cut-off of 36

    assert [a["status"] for a in data["aftaler"]] == ["udført"] * 3
    assert [(e["status"], e["note"]) for e in data["aftaler"][0]["historik"]] == [
        ("i gang", NOTE_STARTED), ("udført", NOTE_DONE)]
    assert [(e["status"], e["note"]) for e in data["aftaler"][2]["historik"]] == [("udført", "")]
    assert [h["id"] for h in data["linealen"]["historik"]] == ["bekymring", "trivsel"]
    assert data["placering"]["begrundelse"] == RULER_REASON
    assert data["forsinket"] == []


def test_closing_cancels_the_next_meeting_and_hides_the_case_from_the_morning_list(followed):
    code, today = followed.code, dt.date.today()
    fourth = dt.date.fromisoformat(followed.data["plan"]["naeste_statusmoede"]["dato"])
    luk = followed.screens["luk"]
    assert f"Sag {code} er lukket: {CLOSE_REASON}." in luk
    assert f"Statusmøde {danish_long(fourth)} kl. " in luk and luk.count(danish_long(fourth)) == 1
    assert f"rettidig genåbn {code}" in luk

    assert code not in followed.screens["list"]
    assert "Der er ingen sager, der passer." in followed.screens["list"]

    everything = followed.screens["list-alle"]
    assert code in everything and CHILD in everything
    assert f"Lukket {danish_short(today)}" in everything
    (row,) = followed.data["list-alle"]
    assert row["kode"] == code and row["status"] == "lukket" and row["niveau_navn"] == "lukket"
    assert row["lukket"] == {"dato": today.isoformat(), "grund": CLOSE_REASON, "opsummering": ""}

    closed = followed.data["plan-lukket"]
    assert closed["status"] == "lukket"
    last = max(closed["statusmoeder"], key=lambda m: m["nr"])
    assert (last["status"], last["aflyst_grund"]) == ("aflyst", "Sagen er lukket")
    assert closed["naeste_statusmoede"] is None


def test_history_shows_three_held_meetings_and_the_closing_last(followed):
    screen = followed.screens["historik"]
    assert f"Historik for sag {followed.code} – nyeste nederst" in screen
    held = [screen.index(f"Statusmøde nr. {n} er holdt.") for n in (1, 2, 3)]
    assert held == sorted(held)
    assert screen.count("er holdt.") == 3
    closing = f"Sagen er lukket: {CLOSE_REASON}"
    assert closing in screen
    assert screen.index(closing) > held[-1]
    after = screen[screen.index(closing) + len(closing):]
    assert not re.search(r"\w", after), after  # only the table's bottom border follows
    assert "Forældrene deltog ikke:" in screen

    entries = followed.data["historik"]
    assert [(e["tekst"], e["detalje"]) for e in entries if "er holdt." in e["tekst"]] == [
        (f"Statusmøde nr. 1 er holdt. Deltog: Forældre, {TOVHOLDER}, {EXTRA_PARTICIPANT}.", MINUTES[0]),
        (f"Statusmøde nr. 2 er holdt. Deltog: {TOVHOLDER}, {EXTRA_PARTICIPANT}. "
         f"Forældrene deltog ikke: {ABSENCE_REASON}.", MINUTES[1]),
        ("Statusmøde nr. 3 er holdt. Deltog: Forældre.", MINUTES[2]),
    ]
    assert entries[-1]["tekst"] == closing
    assert entries[-1]["type"] == "Sag"
    # Closing cancelled the fourth meeting, and the history says so just before the closing.
    fourth = dt.date.fromisoformat(followed.data["plan"]["naeste_statusmoede"]["dato"])
    cancelled = entries[-2]["tekst"]
    assert "nr. 4" in cancelled and danish_long(fourth) in cancelled and "er aflyst" in cancelled, cancelled
    assert "(Sagen er lukket)" in cancelled
    # Within a meeting, in the order it was held: attendance, ORS, the agreements, the SRS.
    texts = [e["tekst"] for e in entries]
    first = next(i for i, text in enumerate(texts) if text.startswith("Statusmøde nr. 1 er holdt."))
    assert texts[first + 1:first + 4] == [
        "ORS (Mor): 16", f"Aftale nr. 1 er nu «i gang». {NOTE_STARTED}", "SRS (Mor): 36"]
    fit_lines = [e["tekst"] for e in entries if e["type"] == "FIT"]
    assert fit_lines == ["ORS (Mor): 16", "SRS (Mor): 36", "ORS (Mor): 23", "ORS (Mor): 32,5", "SRS (Mor): 38"]


# ---------------------------------------------------------------- bugs found on the way


def test_held_meetings_are_shown_on_the_day_they_were_held(followed):
    """Regression: the plan printed a held meeting on its PLANNED day and sorted by it, so a meeting
    held today read 'torsdag 10. december 2026 … holdt', and the planned fourth meeting was listed
    between held meetings 1 and 2."""
    from rettidig_cli.domain import dates

    meetings = section(followed.screens["plan"], "Statusmøder", "Barnets udvikling")
    assert meetings.count(dates.format_compact(dt.date.today())) == 3, meetings
    for planned in followed.data["plan-start"]["statusmoeder"]:
        assert f"planlagt til {danish_short(dt.date.fromisoformat(planned['dato']))}" in meetings
    numbers = re.findall(r"^│ (\d+) +", meetings, flags=re.M)
    assert numbers == ["1", "2", "3", "4"], numbers


def test_empty_participants_with_parents_absent_is_asked_again(tmp_path):
    """Regression: InteractiveMeeting.attendance used _until_valid(lambda: raw, ...), re-validating the
    same answers forever: with the parents absent and nobody named (with the pre-filled name cleared), 'Skriv, hvem der deltog i mødet.' was printed endlessly."""
    home, work = tmp_path / "home", tmp_path / "elsewhere"
    work.mkdir()
    code = _new_case(home, work)
    term = Terminal(["møde", "hold", code], home, work)
    try:
        _which_meeting(term)
        term.answer("Hvornår blev mødet holdt?", ENTER)
        term.answer("Deltog forældrene?", DOWN + ENTER)  # Nej
        term.answer("Hvorfor deltog forældrene ikke?", ABSENCE_REASON + ENTER)
        term.answer("Hvem deltog ellers?", "-" + ENTER)  # "-": none, instead of the suggested names
        # Refused and asked again: the user types who took part and the meeting goes on.
        term.child.expect_exact("Skriv, hvem der deltog i mødet.", timeout=5)
        term.child.expect_exact("Hvem deltog ellers?", timeout=5)
        term.child.send(CTRL_U + TOVHOLDER + ENTER)
        term.child.expect_exact("FIT: ORS/CORS i starten af mødet", timeout=5)
    except pexpect.TIMEOUT:
        pytest.fail("The meeting walk did not go on after the participants were typed. Last output:\n"
                    + term.text[-600:])
    finally:
        term.child.terminate(force=True)
    assert term.text.count("Skriv, hvem der deltog i mødet.") == 1, "the error is printed over and over"


def test_moving_a_meeting_to_the_same_time_is_refused_once(tmp_path):
    """Regression, same pattern in ask_move: `møde flyt` with the date and time kept (Enter, Enter)
    printed 'Mødet ligger allerede …' endlessly."""
    home, work = tmp_path / "home", tmp_path / "elsewhere"
    work.mkdir()
    code = _new_case(home, work)
    term = Terminal(["møde", "flyt", code, "1"], home, work)
    try:
        term.answer("Ny dato:", ENTER)  # the same day
        term.answer("Klokkeslæt:", ENTER)  # the same time
        term.answer("Hvorfor flyttes mødet?", ENTER)
        term.child.expect([pexpect.TIMEOUT, pexpect.EOF], timeout=3)  # ask again or stop: three seconds
    finally:
        if term.child.isalive():
            term.child.send(CTRL_C)
            term.child.terminate(force=True)
    assert term.text.count("Mødet ligger allerede") <= 1, term.text[-600:]
