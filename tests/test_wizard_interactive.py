"""The interactive wizard, driven end to end through prompt_toolkit pipe input.

Every test runs the real `rettidig` entry point (conftest's `cli` fixture) with keystrokes, then
checks what was stored through `rettidig plan CODE --json` or directly in the SQLite file.

Two observation helpers are defined here:

* `screen` replaces the DummyOutput the `cli` fixture gives prompt_toolkit with a plain-text
  output, so the questions the user was actually shown can be checked (the prompts themselves
  never reach stdout; only rich output does).
* `refusals` records every message a prompt validator returned when it refused an answer. With
  pipe input all keys are processed in one batch, so the validation toolbar is never rendered;
  the validator's verdict is what the user would read under the prompt.

Dates are always computed from today's date; nothing here depends on the day the tests run.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import holidays
import pytest
from conftest import CTRL_C, DOWN, ENTER, SPACE, UP, choose_guide, closed_days, every_value, raw_connect, danish_long, is_working_day, working_day_on_or_after
from helpers import plan_json

BACKSPACE = "\x7f"

IKAST = "ikast-brande-dagtilbud"
RESEN = "resen"


# The messages of every Ikast-Brande step that means contacting the parents.
IKAST_PARENT_CONTACT_QUESTIONS = (
    "Hvad oplever forældrene?",
    "Hvad kom der ud af dialogen med forældrene?",
    "Hvordan kan forældrene støtte barnet derhjemme?",
    "Har forældrene set og underskrevet handleplanen?",
    "Har forældrene givet samtykke",
)


# ---------------------------------------------------------------- observation fixtures


@pytest.fixture
def screen(monkeypatch):
    """Everything prompt_toolkit draws (the questions and the final answers), as plain text."""
    import prompt_toolkit.output
    from prompt_toolkit.data_structures import Size
    from prompt_toolkit.output.plain_text import PlainTextOutput

    class WideOutput(PlainTextOutput):
        # Wide enough that no question is wrapped, so a substring search finds it.
        def get_size(self) -> Size:
            return Size(rows=60, columns=1000)

    class Screen:
        def __init__(self):
            self.buffer = io.StringIO()

        def text(self) -> str:
            return self.buffer.getvalue()

        def clear(self) -> None:
            self.buffer = io.StringIO()

    shown = Screen()
    # conftest's cli() imports DummyOutput when it runs, so it picks up this replacement.
    monkeypatch.setattr(prompt_toolkit.output, "DummyOutput", lambda: WideOutput(shown.buffer))
    return shown


# ---------------------------------------------------------------- small helpers


def dk(day: dt.date) -> str:
    """A date the way a practitioner types it: 3-3-2026."""
    return f"{day.day}-{day.month}-{day.year}"


def retype(old: str, new: str) -> str:
    """Erase what a text prompt holds (its default or a refused answer) and type a new answer."""
    return BACKSPACE * len(old) + new + ENTER


def expected_meetings(first: dt.date, weeks: int, count: int) -> list[dt.date]:
    """The guide's rule: a fixed rhythm from the nominal dates, each moved to the next working
    day if it falls on a weekend, a public holiday or a customary closing day."""
    return [working_day_on_or_after(first + dt.timedelta(weeks=weeks * i)) for i in range(count)]


def next_holiday_named(name: str, after: dt.date) -> dt.date:
    """The first day after `after` that the holidays package calls `name` in Danish."""
    days = holidays.Denmark(years=range(after.year, after.year + 3), language="da")
    return min(day for day, label in days.items() if label == name and day > after)


def case_code(out: str) -> str:
    match = re.search(r"Ny sag: (RT-\d{4}-\d{3})", out)
    assert match, out
    return match.group(1)


def plain(out: str) -> str:
    """Rich output without panel and table borders, all whitespace collapsed, so a check does
    not depend on where a line was wrapped."""
    return " ".join(re.sub(r"[\u2500-\u257f]", " ", out).split())


def offers_parents_as_sparring(out: str) -> bool:
    return re.search(r"sparring hos:? (?:• )?Forældre\b", plain(out)) is not None


def plan_text(cli, code: str) -> str:
    result = cli(["plan", code])
    assert result.code == 0, result.err
    return plain(result.out)


def query(data_home, sql: str, params=()) -> list[tuple]:
    conn = raw_connect(data_home / "rettidig.db", dicts=False)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# ---------------------------------------------------------------- keystrokes, phase by phase
# Each builder covers exactly the prompts of one stretch of the guide, in order.


def ikast_phase1(name="AB", concern="Trækker sig fra legen", abuse=False) -> str:
    keys = ENTER  # safety question: "Nej"
    keys += name + ENTER + DOWN * 3 + ENTER + DOWN + ENTER  # child: 3-4 år, Børnehave
    keys += concern + ENTER
    keys += "Kollegerne ser det samme" + ENTER
    if not abuse:
        keys += "Mor oplever uro om aftenen" + ENTER  # foraeldre-oplevelse (parent contact)
    keys += "Siger at hun er træt" + ENTER
    return keys


def ikast_phase2(observation="Sad alene ved bordet i 20 minutter") -> str:
    keys = ENTER  # "Fortsæt til: Undersøg ..."
    keys += ENTER + ENTER + observation + ENTER + DOWN * 4 + ENTER + "Anna" + ENTER  # date today, TRAS
    keys += ENTER  # no more observations
    keys += ENTER + DOWN + ENTER + "Ny lillebror" + ENTER  # one factor: Risikofaktor
    keys += ENTER  # no more factors
    keys += "Små grupper hjælper" + ENTER  # laeringsmiljoe
    return keys


def ikast_phase3(abuse=False) -> str:
    keys = ENTER  # "Fortsæt til: Dialog om bekymringen"
    if not abuse:
        keys += "Forældrene vil gerne samarbejde" + ENTER  # foraeldredialog (parent contact)
    keys += "Vi ser et mønster over tre uger" + ENTER  # analyse
    return keys


def ikast_phase4_until_meetings(due: dt.date) -> str:
    keys = ENTER  # "Fortsæt til: Handling"
    keys += ENTER + "Leg i lille gruppe hver dag" + ENTER + "Anna" + ENTER + dk(due) + ENTER
    keys += UP + ENTER  # "Vil du tilføje en aftale mere?" -> Ja
    keys += "Tale med sundhedsplejersken" + ENTER + retype("Anna", "Leder") + ENTER  # no due date
    keys += ENTER  # no more agreements
    keys += "Anna" + ENTER + "pædagog" + ENTER  # tovholder
    return keys


# ---------------------------------------------------------------- 1. Ikast-Brande, all phases


def ikast_full_journey(due: dt.date, k_day: dt.date) -> str:
    """`rettidig new` without --guide, through all five Ikast-Brande phases, choosing a K-møde."""
    return (
        ENTER  # guide chooser: Ikast-Brande is the default
        + ikast_phase1() + ikast_phase2() + ikast_phase3() + ikast_phase4_until_meetings(due)
        # status meetings: every 6th week, 3 meetings, proposed first date, 14:00; add the leader
        + ENTER + ENTER + ENTER + ENTER + "Anna, Leder" + ENTER  # typed over the suggestion "Anna"
        + ENTER  # "Passer datoerne?" -> Ja, gem dem
        + "Læser godnathistorie hver aften" + ENTER  # foraeldre-stoette
        + ENTER + "Mor og far" + ENTER + ENTER  # signature: Ja, by whom, today
        + ENTER  # "Fortsæt til: Tværfaglige strategier og tiltag"
        + DOWN + ENTER  # K-møde
        + "Skal PPR vurdere sproget?" + ENTER  # the question for the K-møde (for the request form)
        + "PPR, sundhedsplejerske" + ENTER  # who the staff want at the K-møde
        + ENTER + "Mor" + ENTER + ENTER  # consent to the K-møde: Ja
        + dk(k_day) + ENTER + ENTER + "Leder, PPR" + ENTER  # the K-møde
        + SPACE + DOWN + SPACE + ENTER  # agreed at the K-møde: indsatser + ppr
    )


def test_full_ikast_journey_with_k_moede(cli, screen, data_home):
    today = dt.date.today()
    due = today + dt.timedelta(days=14)
    k_day = working_day_on_or_after(today + dt.timedelta(days=10))
    result = cli(["new"], ikast_full_journey(due, k_day))
    assert result.code == 0, result.err
    assert "Alle faser i guiden er gennemgået" in plain(result.out)
    assert "Konsultativt møde (K-møde) betyder" in plain(result.out)
    code = case_code(result.out)
    # The parent-contact question is asked on the normal path (the abuse test relies on this).
    assert "Hvad oplever forældrene?" in screen.text()
    assert offers_parents_as_sparring(result.out)  # on the normal path the parents are offered as sparring

    meetings = expected_meetings(today + dt.timedelta(weeks=6), 6, 3)
    for day in meetings:
        assert day.weekday() < 5
        assert day not in closed_days(day.year, day.year)
        assert danish_long(day) in plain(result.out)  # the proposal table

    plan = plan_json(cli, code)
    assert plan["guide"]["id"] == IKAST
    assert plan["faerdig"] is True
    assert plan["barn"] == {"navn": "AB", "aldersgruppe": "3-4 år", "tilbud": "Børnehave", "anonym": False}
    assert plan["bekymring"] == ["Trækker sig fra legen"]
    assert plan["observationer"] == [{"dato": today.isoformat(), "hvad": "Sad alene ved bordet i 20 minutter",
                                      "metode": "TRAS", "hvem": "Anna"}]
    assert plan["faktorer"] == [{"type": "Risikofaktor", "tekst": "Ny lillebror"}]
    assert [t["tekst"] for t in plan["foraeldre"]["perspektiv"]] == [
        "Mor oplever uro om aftenen", "Forældrene vil gerne samarbejde", "Læser godnathistorie hver aften"]
    assert plan["analyse"] == ["Vi ser et mønster over tre uger"]
    assert [(t["rolle"], t["tekst"]) for t in plan["tekster"] if t["trin"].startswith("k-moede")] == [
        ("meeting_question", "Skal PPR vurdere sproget?"), ("wished_participants", "PPR, sundhedsplejerske")]
    keys = ("hvad", "hvem", "senest", "status", "overskredet")
    assert [{k: a[k] for k in keys} for a in plan["aftaler"]] == [
        {"hvad": "Leg i lille gruppe hver dag", "hvem": "Anna", "senest": due.isoformat(), "status": "aftalt",
         "overskredet": False},
        {"hvad": "Tale med sundhedsplejersken", "hvem": "Leder", "senest": None, "status": "aftalt",
         "overskredet": False},
    ]
    assert plan["tovholder"] == {"navn": "Anna", "rolle": "pædagog"}
    assert [m["dato"] for m in plan["statusmoeder"]] == [d.isoformat() for d in meetings]
    for m in plan["statusmoeder"]:
        assert m["tidspunkt"] == "14:00"
        assert m["deltagere"] == ["Anna", "Leder"]  # Ikast: the parents are not added automatically
        assert m["status"] == "planlagt"
    assert (plan["naeste_moede"]["type"], plan["naeste_moede"]["dato"]) == ("K-møde", k_day.isoformat())
    signature = plan["foraeldre"]["underskrift"]
    assert signature["svar"] == "ja" and signature["navn"] == "Mor og far" and signature["dato"] == today.isoformat()

    decisions = {d["trin"]: d for d in plan["beslutninger"]}
    assert decisions["tvaerfaglig-vej"]["valg"] == ["Konsultativt møde (K-møde)"]
    assert "Udfyld anmodningsskemaet til K-møde og aflever det til lederen." in decisions["tvaerfaglig-vej"]["betydning"]
    assert decisions["k-moede-udfald"]["valg"] == ["Konkrete indsatser i dagtilbud og hjem",
                                                  "En yderligere vurdering fra PPR"]
    consents = {c["emne"]: c for c in plan["foraeldre"]["samtykker"]}
    assert consents["k-moede"]["svar"] == "ja"
    assert [(m["type"], m["dato"], m["deltagere"], m["status"]) for m in plan["andre_moeder"]] == [
        ("K-møde", k_day.isoformat(), ["Leder", "PPR"], "planlagt")]

    from rettidig_cli.domain import dates

    shown = plan_text(cli, code)
    for day in meetings:
        assert dates.format_compact(day) in shown
    assert re.search(rf"{re.escape(dates.format_compact(k_day))} kl\. [\d.]+ K-møde Leder, PPR planlagt", shown), shown
    assert "Fase: Alle faser er gennemgået" in shown

    # The database agrees: three status meetings and the K-møde, on working days only.
    rows = query(data_home, "SELECT kind, day FROM meetings ORDER BY day")
    assert sorted(rows) == sorted([("Statusmøde", d.isoformat()) for d in meetings] + [("K-møde", k_day.isoformat())])
    for _, day in rows:
        assert is_working_day(dt.date.fromisoformat(day))


# ---------------------------------------------------------------- 2. Resen, stor sag


@pytest.mark.both_storages  # the one wizard walk run with the encrypted data file too
def test_full_resen_journey_stor_sag(cli, screen):
    today = dt.date.today()
    team_day = working_day_on_or_after(today + dt.timedelta(days=7))
    keys = (
        choose_guide("resen")
        + ENTER  # safety question: Nej
        + "Mads" + ENTER + DOWN * 4 + ENTER + DOWN + ENTER  # 4-5 år, Børnehave
        + "Slår de andre børn" + ENTER  # stikord
        + "Lise, kontaktet i dag" + ENTER  # koordinator
        + ENTER + "Mor" + ENTER + ENTER  # parents informed: Ja, by whom, today
        + "Mor er også bekymret" + ENTER  # foraeldres-syn
        + ENTER + ENTER + "Slog en kammerat i sandkassen" + ENTER + ENTER + "Lise" + ENTER  # one observation
        + ENTER  # no more observations
        + ENTER  # barnets-perspektiv: skipped
        + DOWN + ENTER + "Uro over flere uger" + ENTER  # børnelinealen: Bekymringsbarn
        + ENTER  # "Fortsæt til: Lille sag eller stor sag"
        + "Både pædagogisk og socialt betinget" + ENTER  # analyse
        + DOWN + ENTER  # Stor sag
        + "Bo Hansen, inddraget i dag" + ENTER  # sagsbehandler
        + dk(team_day) + ENTER + ENTER + "Bo Hansen, Lise" + ENTER  # the tværfaglige teammøde
        + DOWN + DOWN + ENTER  # parents' signature for the teammøde: ikke endnu
        + ENTER  # "Fortsæt til: Trin 2 – Handleplan"
        + ENTER + "Ugentlig samtale med mor" + ENTER + "Lise" + ENTER + ENTER + ENTER  # one agreement
        + "Lise" + ENTER + ENTER  # tovholder, no role
        # status meetings: defaults, but the participants are replaced by "Lise, Bo Hansen" only
        + ENTER + ENTER + ENTER + ENTER + retype("Forældre, Lise", "Lise, Bo Hansen")
        + ENTER  # "Passer datoerne?" -> Ja
        + ENTER + "Mor og far" + ENTER + ENTER  # signature: Ja
    )
    result = cli(["new"], keys)
    assert result.code == 0, result.err
    assert "Alle faser i guiden er gennemgået" in plain(result.out)
    assert "(guide: Resen)" in plain(result.out)
    # The consequences of "stor sag" are shown right after the choice.
    assert "Stor sag betyder" in plain(result.out)
    assert "En sagsbehandler inddrages så tidligt som muligt." in plain(result.out)
    assert "Sagen kommer på det tværfaglige teammøde." in plain(result.out)
    assert "Kan forældrene ikke deltage i teammødet, skal deres underskrift indhentes forinden." in plain(result.out)
    # ... and the steps that "stor sag" opens were asked.
    assert "Hvem er sagsbehandler" in screen.text()
    assert "Hvornår er sagen på det tværfaglige teammøde" in screen.text()
    assert "(adskil med komma; forældrene deltager altid" in screen.text()  # the participants hint
    code = case_code(result.out)

    plan = plan_json(cli, code)
    assert plan["guide"]["id"] == RESEN
    assert plan["faerdig"] is True
    decision = next(d for d in plan["beslutninger"] if d["trin"] == "sagstype")
    assert decision["valg"] == ["Stor sag"]
    assert "En sagsbehandler inddrages så tidligt som muligt." in decision["betydning"]
    assert "Sagen kommer på det tværfaglige teammøde." in decision["betydning"]
    texts = {t["trin"]: t for t in plan["tekster"]}
    assert texts["sagsbehandler"]["tekst"] == "Bo Hansen, inddraget i dag"
    assert [(m["type"], m["dato"], m["deltagere"]) for m in plan["andre_moeder"]] == [
        ("Tværfagligt teammøde", team_day.isoformat(), ["Bo Hansen", "Lise"])]
    consents = {c["emne"]: c["svar"] for c in plan["foraeldre"]["samtykker"]}
    assert consents == {"orienteret": "ja", "teammoede": "ikke endnu", "handleplan": "ja"}
    assert plan["placering"]["id"] == "bekymring"
    from rettidig_cli.domain.dates import add_months

    assert plan["iagttagelsesfrist"] == add_months(today, 1).isoformat()  # »inden for en måned«

    meetings = expected_meetings(today + dt.timedelta(weeks=6), 6, 3)
    assert [m["dato"] for m in plan["statusmoeder"]] == [d.isoformat() for d in meetings]
    for m in plan["statusmoeder"]:
        # Resen: the parents always take part, even though the user left them out.
        assert m["deltagere"] == ["Forældre", "Lise", "Bo Hansen"]

    shown = plan_text(cli, code)
    assert "Sagsbehandler: Bo Hansen, inddraget i dag" in shown
    from rettidig_cli.domain import dates

    assert re.search(rf"{re.escape(dates.format_compact(team_day))} kl\. [\d.]+ Tværfagligt teammøde", shown), shown
    assert "Forældre, Lise, Bo Hansen" in shown


# ---------------------------------------------------------------- 3. the abuse path


def test_abuse_path_never_asks_about_the_parents(cli, screen, data_home):
    today = dt.date.today()
    k_day = working_day_on_or_after(today + dt.timedelta(days=10))
    keys = (
        DOWN + ENTER  # safety question: "Ja, der er mistanke"
        + ENTER + ENTER + DOWN + ENTER + ENTER  # underretning: today, Modtagelsen, by phone, leader informed
        + "AB" + ENTER + ENTER + ENTER  # child
        + "Blå mærker på armen" + ENTER  # bekymring
        + ENTER  # kolleger: skipped
        + ENTER  # barnets-perspektiv: skipped (foraeldre-oplevelse is not asked)
        + ikast_phase2("Blå mærker på begge arme")
        + ikast_phase3(abuse=True)
        + ikast_phase4_until_meetings(today + dt.timedelta(days=7))
        + ENTER + ENTER + ENTER + ENTER + ENTER + ENTER  # status meetings, all defaults
        + ENTER  # "Fortsæt til: Tværfaglige strategier og tiltag"
        + DOWN + ENTER  # K-møde (its parent consent step is not asked)
        + ENTER + ENTER  # the question for the K-møde and the wished participants: skipped
        + dk(k_day) + ENTER + ENTER + "Leder" + ENTER
        + ENTER  # nothing agreed yet
    )
    result = cli(["new", "--guide", IKAST], keys)
    assert result.code == 0, result.err
    assert "Alle faser i guiden er gennemgået" in plain(result.out)
    assert "Lav en underretning nu" in plain(result.out)
    assert "kontakt ikke forældrene om bekymringen" in plain(result.out)
    code = case_code(result.out)

    asked = screen.text()
    assert "Hvad er du bekymret for?" in asked  # the screen capture works ...
    for question in IKAST_PARENT_CONTACT_QUESTIONS:  # ... and no parent-contact step was asked
        assert question not in asked
    assert "Vær nysgerrig sammen med forældre" not in plain(result.out)
    assert not offers_parents_as_sparring(result.out)
    assert re.search(r"\bForældre\b", plain(result.out)) is None  # not anywhere in the wizard's output
    assert "Hvem deltager?" in asked
    assert "Forældrenes samtykke er nødvendigt" not in plain(result.out)

    plan = plan_json(cli, code)
    assert plan["mistanke_om_vold_eller_overgreb"] is True
    assert plan["sikkerhedsregel"].startswith("Ved mistanke om vold og overgreb")
    assert plan["underretninger"] == [{
        "dato": today.isoformat(), "modtager": "Modtagelsen (i dag: Forebyggelse Børn og Unge), Ikast-Brande Kommune",
        "hvordan": "Telefonisk til Modtagelsen", "leder_informeret": True, "note": "",
    }]
    assert plan["foraeldre"] == {"perspektiv": [], "samtykker": [], "underskrift": None}
    assert plan["faerdig"] is True
    assert plan["sparring"] and "Forældre" not in plan["sparring"]
    assert all("Forældre" not in m["deltagere"] for m in plan["statusmoeder"])
    decision = next(d for d in plan["beslutninger"] if d["trin"] == "tvaerfaglig-vej")
    assert not any("Forældre" in c for c in decision["betydning"])

    shown = plan_text(cli, code)
    assert "Mistanke om vold eller overgreb" in shown
    assert f"Underretning {danish_long(today)} til Modtagelsen (i dag: Forebyggelse Børn og Unge), Ikast-Brande Kommune" in shown
    assert "Forældrenes del" not in shown

    # No parent-contact step has an answer row, and the underretning is a real record.
    answered = {row[0] for row in query(data_home, "SELECT step_id FROM answers")}
    assert answered.isdisjoint({"foraeldre-oplevelse", "foraeldredialog", "foraeldre-stoette", "underskrift",
                                "k-moede-samtykke"})
    assert query(data_home, "SELECT sent_on, leader_informed FROM underretninger") == [(today.isoformat(), 1)]
    assert query(data_home, "SELECT abuse_path FROM cases") == [(1,)]


def test_a_suspicion_is_kept_when_ctrl_c_comes_at_the_underretning(cli, screen, data_home):
    """Issue 12: "Ja, der er mistanke", then Ctrl-C at the underretning's date. The suspicion was
    lost (plan said false, resume asked again with Nej preselected). It is saved the moment it is
    given, and resume asks only for the underretning."""
    keys = DOWN + ENTER + CTRL_C  # Ja, der er mistanke; Ctrl-C at "Hvornår er underretningen sendt"
    first = cli(["new", "--guide", RESEN], keys)
    assert first.code == 130
    code = case_code(first.out)
    assert plan_json(cli, code)["mistanke_om_vold_eller_overgreb"] is True
    assert query(data_home, "SELECT abuse_path FROM cases") == [(1,)]

    screen.clear()
    keys = ENTER + ENTER + ENTER + ENTER + CTRL_C  # the underretning: today, first recipient, written, leader told
    second = cli(["resume", code], keys)
    assert second.code == 130
    asked = screen.text()
    assert "Er der mistanke om vold" not in asked and "Hvornår er underretningen sendt" in asked
    plan = plan_json(cli, code)
    assert plan["mistanke_om_vold_eller_overgreb"] is True
    assert len(plan["underretninger"]) == 1


def test_abuse_path_in_resen_keeps_parents_out_of_status_meetings(cli, screen):
    """Resen says the parents always attend status meetings, but not on the abuse path."""
    today = dt.date.today()
    team_day = working_day_on_or_after(today + dt.timedelta(days=7))
    keys = (
        DOWN + ENTER  # safety question: Ja
        + ENTER + ENTER + ENTER + DOWN + ENTER  # underretning: today, Familieafdelingen, written; leader NOT told
        + "Mads" + ENTER + ENTER + ENTER
        + "Fortæller om slag derhjemme" + ENTER  # stikord
        + ENTER  # koordinator: skipped; the two parent steps are not asked
        + ENTER + ENTER + "Fortalte om slag" + ENTER + ENTER + ENTER + ENTER  # one observation
        + ENTER  # barnets-perspektiv
        + DOWN + DOWN + ENTER + ENTER  # børnelinealen: Udsat barn
        + ENTER + "Socialt betinget" + ENTER  # next phase, analyse
        + DOWN + ENTER  # Stor sag
        + "Bo Hansen" + ENTER  # sagsbehandler
        + dk(team_day) + ENTER + ENTER + "Bo Hansen" + ENTER  # teammøde; its parent signature is not asked
        + ENTER + ENTER + "Tæt opfølgning" + ENTER + "Lise" + ENTER + ENTER + ENTER  # next phase, one agreement
        + "Lise" + ENTER + ENTER  # tovholder
        + ENTER + ENTER + ENTER + ENTER + ENTER + ENTER  # status meetings, all defaults
    )
    result = cli(["new", "--guide", RESEN], keys)
    assert result.code == 0, result.err
    assert "Alle faser i guiden er gennemgået" in plain(result.out)
    # The leader was not told: the guide's own rule is said (it ends with telling the leader).
    from rettidig_cli.guide import reader

    assert reader.find(RESEN, None).safety.rule in plain(result.out)
    assert "Stor sag betyder" in plain(result.out)
    assert "Kan forældrene ikke deltage i teammødet" not in plain(result.out)
    asked = screen.text()
    for question in ("Er forældrene orienteret", "Hvordan ser forældrene på bekymringen",
                     "Deltager forældrene ikke i teammødet", "Har forældrene underskrevet handleplanen"):
        assert question not in asked
    assert "forældrene deltager altid" not in asked  # the participants hint

    plan = plan_json(cli, case_code(result.out))
    assert plan["statusmoeder"] and all(m["deltagere"] == ["Lise"] for m in plan["statusmoeder"])
    assert plan["foraeldre"]["samtykker"] == []
    assert plan["underretninger"][0]["leder_informeret"] is False
    assert "Lederen er ikke registreret som informeret om underretningen." in plan["forsinket"]


# ---------------------------------------------------------------- 4. Ctrl-C and resume


def test_ctrl_c_in_phase_2_then_resume_continues_where_it_stopped(cli, screen, data_home):
    today = dt.date.today()
    keys = (
        ENTER + ikast_phase1()
        + ENTER  # "Fortsæt til: Undersøg ..."
        + ENTER + ENTER + "Første observation" + ENTER + ENTER + "Anna" + ENTER  # saved
        + UP + ENTER  # "Vil du tilføje en observation mere?" -> Ja
        + ENTER + "Sad ale" + CTRL_C  # interrupted while typing the second one
    )
    first = cli(["new"], keys)
    assert first.code == 130
    code = case_code(first.out)
    assert "Afbrudt" in plain(first.err)
    assert f"rettidig resume {code}" in plain(first.err)

    plan = plan_json(cli, code)
    assert plan["fase"]["id"] == "undersoeg"
    assert [o["hvad"] for o in plan["observationer"]] == ["Første observation"]
    assert query(data_home, "SELECT count(*) FROM answers WHERE step_id = 'observationer'") == [(0,)]

    screen.clear()
    keys = (
        UP + ENTER  # "Vil du tilføje en observation mere?" -> Ja
        + ENTER + "Sad alene ved bordet" + ENTER + ENTER + "Anna" + ENTER
        + ENTER  # no more
        + DOWN + ENTER  # no factors
        + ENTER  # laeringsmiljoe: skipped
        + DOWN + ENTER  # "Stop her – jeg fortsætter senere"
    )
    second = cli(["resume", code], keys)
    assert second.code == 0, second.err
    assert f"Fortsætter sag {code}" in plain(second.out)
    assert "Der er allerede 1 gemt." in plain(second.out)
    assert f"rettidig resume {code}" in plain(second.out)  # paused again at the next phase
    asked = screen.text()
    # Nothing answered before the interruption is asked again ...
    for question in ("Hvilken guide følger I?", "Er der mistanke om vold", "Hvilket barn er du bekymret for?",
                     "Hvad er du bekymret for?", "Hvad oplever forældrene?"):
        assert question not in asked
    # ... and the first question is the one that was interrupted.
    assert asked.lstrip().startswith("? Vil du tilføje en observation mere?")

    plan = plan_json(cli, code)
    assert plan["barn"]["navn"] == "AB"
    assert plan["bekymring"] == ["Trækker sig fra legen"]
    assert [t["tekst"] for t in plan["foraeldre"]["perspektiv"]] == ["Mor oplever uro om aftenen"]
    assert [(o["dato"], o["hvad"]) for o in plan["observationer"]] == [
        (today.isoformat(), "Første observation"), (today.isoformat(), "Sad alene ved bordet")]
    assert plan["fase"]["id"] == "dialog"
    # The half-typed observation was never stored.
    assert query(data_home, "SELECT count(*) FROM observations WHERE what = 'Sad ale'") == [(0,)]


# ---------------------------------------------------------------- 5. dates that cannot be read


def test_bad_observation_dates_are_refused_and_asked_again(cli, screen, refusals):
    today = dt.date.today()
    yesterday = today - dt.timedelta(days=1)
    keys = (
        ikast_phase1()
        + ENTER  # "Fortsæt til: Undersøg ..."
        + ENTER  # add an observation
        + retype(dk(today), "31-2-2026")  # no 31 February
        + retype("31-2-2026", "i overovermorgen")  # not a form rettidig reads
        + retype("i overovermorgen", dk(yesterday))
        + "Sad alene" + ENTER + ENTER + ENTER
        + ENTER + DOWN + ENTER + ENTER  # no more observations, no factors, laeringsmiljoe skipped
        + DOWN + ENTER  # stop before phase 3
    )
    result = cli(["new", "--guide", IKAST], keys)
    assert result.code == 0, result.err
    date_refusals = [m for m in refusals if "31-2-2026" in m or "i overovermorgen" in m]
    assert len(date_refusals) == 2, refusals
    assert "findes ikke i kalenderen" in date_refusals[0]
    assert "er ikke en dato" in date_refusals[1]
    for message in date_refusals:
        assert "fx 3-3-2026" in message  # every refusal shows an example
    assert re.search(r"Dato for observationen:\s*\(fx 3-3-2026", screen.text())  # so does the question

    plan = plan_json(cli, case_code(result.out))
    assert [(o["dato"], o["hvad"]) for o in plan["observationer"]] == [(yesterday.isoformat(), "Sad alene")]


# ---------------------------------------------------------------- 6. CPR numbers


def test_cpr_numbers_are_refused_and_never_stored(cli, refusals, data_home):
    keys = (
        ENTER  # safety question: Nej
        + "0102031234" + ENTER + retype("0102031234", "AB") + ENTER + ENTER  # child name
        + "Barnets cpr er 010203-1234" + ENTER  # bekymring
        + retype("Barnets cpr er 010203-1234", "Trækker sig")
        + "Mor sagde 010203 1234" + ENTER + retype("Mor sagde 010203 1234", "Ser det samme")  # kolleger
        + CTRL_C
    )
    result = cli(["new", "--guide", IKAST], keys)
    assert result.code == 130
    cpr_refusals = [m for m in refusals if "CPR" in m]
    assert len(cpr_refusals) == 3, refusals

    plan = plan_json(cli, case_code(result.out))
    assert plan["barn"]["navn"] == "AB"
    assert plan["bekymring"] == ["Trækker sig"]

    files = [p for p in (data_home / "rettidig.db", data_home / "rettidig.db-wal") if p.exists()]
    assert files
    for path in files:
        raw = path.read_bytes()
        for needle in (b"010203", b"0102031234", b"Barnets cpr", b"Mor sagde"):
            assert needle not in raw, (path.name, needle)
    assert "010203" not in every_value(data_home / "rettidig.db")


# ---------------------------------------------------------------- 7. rich markup typed by the user


def test_rich_markup_in_user_text_is_printed_literally(cli):
    markup = "[bold]fed[/] og [/]"
    keys = (
        ikast_phase1(name="[red]AB[/red]", concern="[link=x]klik[/link]")
        + ENTER + ENTER + ENTER + markup + ENTER + ENTER + ENTER  # one observation
        + ENTER + DOWN + ENTER + ENTER  # no more, no factors, laeringsmiljoe skipped
        + DOWN + ENTER  # stop before phase 3
    )
    result = cli(["new", "--guide", IKAST], keys)
    assert result.code == 0, result.err
    code = case_code(result.out)

    plan = plan_json(cli, code)
    assert plan["observationer"][0]["hvad"] == markup
    assert plan["barn"]["navn"] == "[red]AB[/red]"

    shown = plan_text(cli, code)
    assert markup in shown
    assert "[red]AB[/red]" in shown
    assert "[link=x]klik[/link]" in shown


# ---------------------------------------------------------------- 8. changing a proposed meeting date


def _up_to_status_meetings(first_meeting: dt.date | None = None) -> str:
    """Ikast-Brande up to the proposal table of the status meetings (not yet accepted)."""
    today = dt.date.today()
    keys = (ikast_phase1() + ikast_phase2() + ikast_phase3()
            + ikast_phase4_until_meetings(today + dt.timedelta(days=14))
            + ENTER + ENTER)  # every 6th week, 3 meetings
    proposed_first = today + dt.timedelta(weeks=6)
    if first_meeting is None:
        keys += ENTER
    else:
        keys += retype(dk(proposed_first), dk(first_meeting))
    return keys + ENTER + ENTER  # 14:00, participants: the tovholder


def test_changing_a_proposed_meeting_date_refuses_weekends_and_holidays(cli, refusals):
    today = dt.date.today()
    meetings = expected_meetings(today + dt.timedelta(weeks=6), 6, 3)
    ascension = next_holiday_named("Kristi himmelfartsdag", today)
    assert ascension.weekday() == 3  # always a Thursday
    assert holidays.Denmark(years=2027, language="da").get(dt.date(2027, 5, 6)) == "Kristi himmelfartsdag"
    saturday = ascension + dt.timedelta(days=2)
    chosen = working_day_on_or_after(ascension + dt.timedelta(days=5))
    while chosen in meetings:
        chosen = working_day_on_or_after(chosen + dt.timedelta(days=1))

    keys = (
        _up_to_status_meetings()
        + DOWN + ENTER  # "Passer datoerne?" -> Ret en dato
        + ENTER  # the first meeting
        + retype(dk(meetings[0]), dk(saturday))  # refused: a Saturday
        + retype(dk(saturday), dk(ascension))  # refused: Kristi himmelfartsdag
        + retype(dk(ascension), dk(chosen))  # accepted
        + ENTER  # "Passer datoerne?" -> Ja, gem dem
        + ENTER + DOWN + DOWN + ENTER  # foraeldre-stoette skipped; signature: ikke endnu
        + DOWN + ENTER  # stop before phase 5
    )
    result = cli(["new", "--guide", IKAST], keys)
    assert result.code == 0, result.err
    assert [m for m in refusals if danish_long(saturday) in m] == [f"{danish_long(saturday)} er en lørdag. Vælg en hverdag."]
    assert [m for m in refusals if danish_long(ascension) in m] == [
        f"{danish_long(ascension)} er Kristi himmelfartsdag. Vælg en anden dag."]
    # The table is shown again with the new date before it is saved.
    assert danish_long(chosen) in plain(result.out)

    plan = plan_json(cli, case_code(result.out))
    saved = [m["dato"] for m in plan["statusmoeder"]]
    assert sorted(saved) == sorted([chosen.isoformat(), meetings[1].isoformat(), meetings[2].isoformat()])
    assert ascension.isoformat() not in saved and saturday.isoformat() not in saved
    assert meetings[0].isoformat() not in saved
    for day in saved:
        assert is_working_day(dt.date.fromisoformat(day))


# ---------------------------------------------------------------- regressions: bugs found while writing these


def test_meeting_proposal_title_is_correct_danish(cli):
    result = cli(["new", "--guide", IKAST], _up_to_status_meetings() + CTRL_C)
    assert result.code == 130
    out = plain(result.out)
    assert re.search(r"Forslag til .{0,30}statusmøde", out)  # the proposal table has a title ...
    assert "statusmødeer" not in out  # ... that is not the broken plural label.lower() + "er"


def test_editing_one_meeting_keeps_the_holiday_note_of_the_others(cli):
    today = dt.date.today()
    # Start the rhythm on a holiday, so the first meeting is moved to the next working day.
    holiday = next_holiday_named("Anden pinsedag", today + dt.timedelta(days=1))
    meetings = expected_meetings(holiday, 6, 3)
    assert meetings[0] != holiday
    new_second = working_day_on_or_after(meetings[1] + dt.timedelta(days=1))
    keys = (
        _up_to_status_meetings(first_meeting=holiday)
        + DOWN + ENTER + DOWN + ENTER  # Ret en dato -> the second meeting
        + retype(dk(meetings[1]), dk(new_second))
        + ENTER  # Ja, gem dem
        + CTRL_C
    )
    result = cli(["new", "--guide", IKAST], keys)
    assert result.code == 130
    assert f"flyttet fra {danish_long(holiday)} (Anden pinsedag)" in plain(result.out)  # in the first proposal
    plan = plan_json(cli, case_code(result.out))
    first = plan["statusmoeder"][0]
    assert first["dato"] == meetings[0].isoformat()
    assert first["flyttet_fra"] == holiday.isoformat()
    assert first["grund"] == "Anden pinsedag"


def test_list_shows_the_next_status_meeting_not_the_k_moede(cli):
    today = dt.date.today()
    k_day = working_day_on_or_after(today + dt.timedelta(days=10))
    first_status_meeting = expected_meetings(today + dt.timedelta(weeks=6), 6, 3)[0]
    assert k_day < first_status_meeting
    result = cli(["new"], ikast_full_journey(today + dt.timedelta(days=14), k_day))
    assert result.code == 0, result.err
    listed = cli(["list", "--json"])
    assert listed.code == 0, listed.err
    [row] = json.loads(listed.out)
    assert row["naeste_statusmoede"] == first_status_meeting.isoformat()


def test_a_terminal_that_closes_mid_walk_ends_the_command_and_keeps_the_answers(cli, data_home):
    """The keys end at the child's name (as a closed terminal or a lost SSH connection would): the
    command stops with the no-terminal code instead of waiting, and the safety answer is kept."""
    result = cli(["new", "--guide", RESEN], ENTER)
    assert result.code == 6, (result.code, result.err)
    assert "ingen terminal" in plain(result.err) and "rettidig resume" in plain(result.err)
    code = case_code(result.out)
    assert plan_json(cli, code)["mistanke_om_vold_eller_overgreb"] is False
