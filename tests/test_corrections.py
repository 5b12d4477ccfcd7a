"""Correcting what was written: `ret` (a record's fields), `fjern` (a record entered by mistake),
`fortryd` (the last change, step by step) and `underskrift` (the parents' signature when it
happens). Each keeps the earlier version in the journal, the history and the audit log."""

from __future__ import annotations

import json

import pytest

from conftest import CTRL_C, DOWN, ENTER, UP, query
from helpers import flat, ok, plan_json
from test_wizard_interactive import screen  # noqa: F401 - the fixture


@pytest.fixture
def ikast(seeded) -> str:
    return seeded("ikast-brande-dagtilbud", 5)  # the example walked to the end


def history(cli, code: str) -> str:
    return flat(ok(cli, "historik", code).out)


def test_ret_corrects_an_agreement_and_the_history_keeps_the_earlier_version(cli, ikast, data_home):
    before = plan_json(cli, ikast)["aftaler"][1]
    ok(cli, "ret", ikast, "aftale", "2", "--felt", "hvem=Bo", "--felt", "senest=1-3-2027", "--grund", "Bo overtager")
    after = plan_json(cli, ikast)["aftaler"][1]
    assert (after["nr"], after["hvem"], after["senest"], after["hvad"]) == (2, "Bo", "2027-03-01", before["hvad"])
    told = history(cli, ikast)
    assert f"Aftale nr. 2: Hvem «{before['hvem']}» → «Bo»" in told and "Grund: Bo overtager" in told
    assert query(data_home, "SELECT detail FROM audit_log WHERE detail LIKE 'rettet%'") == [{"detail": "rettet: aftale"}]


@pytest.mark.parametrize("args, message", [
    (["aftale", "2", "--felt", "farve=blå"], "«farve» kan ikke rettes på en aftale. Det kan: hvad, hvem, senest"),
    (["aftale", "9", "--felt", "hvem=Bo"], "har ingen aftale nr. 9"),
    (["hest", "1", "--felt", "hvem=Bo"], "«hest» kan ikke rettes"),
    (["aftale", "2", "--felt", "hvem"], "skal skrives felt=værdi"),
    (["aftale", "2", "--felt", "senest=31-2-2027"], "Senest"),
])
def test_ret_refuses_what_it_cannot_correct_and_changes_nothing(cli, ikast, args, message):
    before = plan_json(cli, ikast)
    result = cli(["ret", ikast, *args])
    assert result.code == (5 if "har ingen" in message else 2) and message in flat(result.err), result.err
    assert plan_json(cli, ikast) == before


def test_ret_with_nothing_new_says_so(cli, ikast):
    who = plan_json(cli, ikast)["aftaler"][0]["hvem"]
    result = cli(["ret", ikast, "aftale", "1", "--felt", f"hvem={who}"])
    assert result.code == 2 and "Intet at rette" in flat(result.err)


def test_fjern_takes_a_record_out_of_the_plan_and_keeps_the_numbers(cli, ikast, tmp_path):
    ok(cli, "fjern", ikast, "aftale", "1", "--grund", "Skrevet to gange", "--ja")
    plan = plan_json(cli, ikast)
    assert [a["nr"] for a in plan["aftaler"]] == [2]  # nr. 2 stays nr. 2
    ok(cli, "aftale", "status", ikast, "2", "--status", "udført")
    assert plan_json(cli, ikast)["aftaler"][0]["status"] == "udført"
    out = tmp_path / "handleplan.md"
    ok(cli, "export", ikast, "--til", "handleplan", "--format", "md", "--out", str(out))
    assert "Små legegrupper" not in out.read_text(encoding="utf-8")
    assert "Aftale nr. 1 fjernet: «Små legegrupper" in history(cli, ikast) and "(Skrevet to gange)" in history(cli, ikast)
    again = cli(["aftale", "status", ikast, "1", "--status", "udført"])
    assert again.code != 0 and "har ingen aftale nr. 1" in flat(again.err)


def test_fjern_needs_a_reason_without_a_terminal(cli, ikast):
    result = cli(["fjern", ikast, "observation", "1"])
    assert result.code != 0 and "--grund" in flat(result.err)
    assert len(plan_json(cli, ikast)["observationer"]) == 2


def test_fortryd_goes_back_one_change_at_a_time(cli, ikast):
    start = plan_json(cli, ikast)
    ok(cli, "ret", ikast, "observation", "2", "--felt", "hvad=Græd i 10 minutter")
    ok(cli, "fjern", ikast, "observation", "1", "--grund", "Forkert barn", "--ja")
    assert len(plan_json(cli, ikast)["observationer"]) == 1
    shown = flat(ok(cli, "fortryd", ikast, "--ja").out)
    assert "Observation nr. 1 fjernet" in shown
    assert len(plan_json(cli, ikast)["observationer"]) == 2
    shown = flat(ok(cli, "fortryd", ikast, "--ja").out)
    assert "Observation nr. 2: Hvad" in shown
    assert plan_json(cli, ikast)["observationer"] == start["observationer"]
    told = history(cli, ikast)
    assert told.count("Fortrudt:") == 2


def test_fortryd_without_a_terminal_shows_the_change_and_changes_nothing(cli, ikast):
    ok(cli, "fjern", ikast, "observation", "1", "--grund", "Forkert barn", "--ja")
    result = cli(["fortryd", ikast])
    assert result.code == 2 and "Observation nr. 1 fjernet" in flat(result.out) and "--ja" in flat(result.err)
    assert len(plan_json(cli, ikast)["observationer"]) == 1


def test_fortryd_of_a_walked_step_asks_it_again(cli, tmp_path, seeded):
    code = seeded("resen", 1)
    plan = plan_json(cli, code)
    nxt = plan["naeste_skridt"]["trin"]
    answers = tmp_path / "svar.toml"
    answers.write_text('analyse = "Sproget"\nsagstype = "lille"\n', encoding="utf-8")
    ok(cli, "resume", code, "--answers", str(answers))
    assert plan_json(cli, code)["naeste_skridt"]["trin"] != nxt
    ok(cli, "fortryd", code, "--ja")  # the decision
    ok(cli, "fortryd", code, "--ja")  # the analysis
    assert plan_json(cli, code)["naeste_skridt"]["trin"] == nxt
    assert not [d for d in plan_json(cli, code)["beslutninger"] if d["trin"] == "sagstype"]


def test_a_suspicion_is_never_undone(cli, ikast):
    ok(cli, "mistanke", ikast, "--dato", "i dag", "--leder-informeret")
    for _ in range(2):  # the underretning, then the suspicion itself
        result = cli(["fortryd", ikast, "--ja"])
        assert result.code == 2 and ("mistanke" in flat(result.err) or "underretningen bliver" in flat(result.err))
    assert plan_json(cli, ikast)["mistanke_om_vold_eller_overgreb"] is True


def test_taking_a_suspicion_off_is_not_undone_and_the_refusal_says_how_to_register_it_again(cli, ikast):
    ok(cli, "mistanke", ikast, "--dato", "i dag", "--leder-informeret")
    ok(cli, "mistanke", ikast, "--fjern", "--grund", "Misforståelse, talt med lederen")
    result = cli(["fortryd", ikast, "--ja"])
    told = flat(result.err)
    assert result.code == 2 and "At tage mistanken" in told and f"rettidig mistanke {ikast}." in told, told
    assert "--fjern" not in told
    assert plan_json(cli, ikast)["mistanke_om_vold_eller_overgreb"] is False


def test_on_the_abuse_path_an_underretning_is_corrected_never_removed(cli, ikast):
    ok(cli, "mistanke", ikast, "--dato", "i dag")
    result = cli(["fjern", ikast, "underretning", "1", "--grund", "fejl", "--ja"])
    assert result.code == 2 and "underretningen bliver i sagen" in flat(result.err)
    ok(cli, "ret", ikast, "underretning", "1", "--felt", "leder_informeret=ja")
    assert plan_json(cli, ikast)["underretninger"][0]["leder_informeret"] is True


def test_on_the_abuse_path_a_parent_is_not_made_responsible_by_a_correction(cli, ikast):
    ok(cli, "mistanke", ikast, "--dato", "i dag", "--leder-informeret")
    result = cli(["ret", ikast, "aftale", "2", "--felt", "hvem=Mor"])
    assert result.code == 2 and "forældrene må ikke kontaktes" in flat(result.err)


def test_underskrift_later_replaces_ikke_endnu_in_the_plan(cli, tmp_path, seeded):
    code = seeded("resen", 2)
    plan = plan_json(cli, code)
    signature = [c for c in plan["foraeldre"]["samtykker"] if c["emne"] == "handleplan"]
    ok(cli, "underskrift", code, "--navn", "Mor og far", "--dato", "i dag")
    plan = plan_json(cli, code)
    signatures = [c for c in plan["foraeldre"]["samtykker"] if c["emne"] == "handleplan"]
    assert len(signatures) == 1 and signatures[0]["svar"] == "ja" and signatures[0]["navn"] == "Mor og far"
    assert plan["foraeldre"]["underskrift"]["navn"] == "Mor og far"
    assert len(signature) <= 1


def test_underskrift_is_refused_on_the_abuse_path(cli, ikast):
    ok(cli, "mistanke", ikast, "--dato", "i dag", "--leder-informeret")
    result = cli(["underskrift", ikast, "--navn", "Mor"])
    assert result.code == 2 and "underskrift indhentes ikke" in flat(result.err)


def test_ret_in_a_terminal_keeps_what_enter_keeps_and_ctrl_c_changes_nothing(cli, ikast, screen):
    before = plan_json(cli, ikast)
    stopped = cli(["ret", ikast], DOWN * 2 + ENTER + DOWN + ENTER + ENTER + "B" + CTRL_C)  # aftale, nr. 2, …
    assert stopped.code == 130 and plan_json(cli, ikast) == before
    keys = (DOWN * 2 + ENTER  # Aftale (observation, faktor, aftale …)
            + DOWN + ENTER  # nr. 2
            + ENTER  # Hvad: kept
            + "Bo" + ENTER  # Hvem
            + ENTER  # Senest: kept
            + "Bo overtager" + ENTER  # why
            + ENTER)  # Ret? Ja
    ok(cli, "ret", ikast, keys=keys)
    after = plan_json(cli, ikast)["aftaler"][1]
    assert (after["hvad"], after["hvem"], after["senest"]) == (before["aftaler"][1]["hvad"], "Bo",
                                                               before["aftaler"][1]["senest"])


def test_the_twins_under_aftale_and_moede_correct_and_remove(cli, ikast):
    ok(cli, "aftale", "ret", ikast, "2", "--hvem", "Bo", "--senest", "1-3-2027", "--ja")
    agreement = plan_json(cli, ikast)["aftaler"][1]
    assert (agreement["hvem"], agreement["senest"]) == ("Bo", "2027-03-01")
    ok(cli, "møde", "ret", ikast, "1", "--referat", "Mor oplever fremgang.", "--ja")
    assert plan_json(cli, ikast)["statusmoeder"][0]["referat"] == "Mor oplever fremgang."
    ok(cli, "aftale", "slet", ikast, "1", "--grund", "Skrevet to gange", "--ja")
    assert [a["nr"] for a in plan_json(cli, ikast)["aftaler"]] == [2]
    ok(cli, "møde", "slet", ikast, "3", "--grund", "Oprettet to gange", "--ja")
    assert [m["nr"] for m in plan_json(cli, ikast)["statusmoeder"]] == [1, 2]


def test_a_second_meeting_on_the_same_day_is_pointed_out(cli, ikast):
    first = plan_json(cli, ikast)["statusmoeder"][0]
    day = first["dato"]
    result = ok(cli, "møde", "ny", ikast, "--dato", day, "--tid", "09:00")
    said = flat(result.out + result.err)
    assert f"Bemærk: sagen har allerede et møde" in said and "Statusmøde nr. 1 kl. 14.00" in said
    other = next(m for m in plan_json(cli, ikast)["statusmoeder"] if m["dato"] != day)
    moved = ok(cli, "møde", "flyt", ikast, str(other["nr"]), "--dato", day, "--grund", "Ferie", "--ja")
    assert "Bemærk: sagen har allerede et møde" in flat(moved.out + moved.err)


@pytest.mark.parametrize("args, message", [
    (["fjern", "observation", "1", "--grund", "", "--ja"], "Grunden"),
    (["fjern", "observation", "1", "--grund", "x" * 400, "--ja"], "Grunden"),
    (["ret", "aftale", "1", "--felt", "hvem=Bo", "--grund", "x" * 400, "--ja"], "Grunden"),
])
def test_a_bad_reason_is_said_in_danish_and_changes_nothing(cli, ikast, args, message):
    before = plan_json(cli, ikast)
    result = cli([args[0], ikast, *args[1:]])
    assert result.code == 2 and message in flat(result.err) and "uventet" not in result.err, result.err
    assert plan_json(cli, ikast) == before


# ---------------------------------------------------------------- a second window meanwhile

def _window_case(tmp_path):
    from test_case_identity import make_case

    home, work = tmp_path / "rettidig-home", tmp_path / "work"
    work.mkdir()
    return home, work, make_case(home, work)


@pytest.mark.plain_only
def test_ret_in_a_terminal_does_not_overwrite_what_a_second_window_corrected_meanwhile(tmp_path):
    from test_e2e_pty import Terminal, run_plain

    home, work, code = _window_case(tmp_path)
    window = Terminal(["ret", code, "aftale", "1"], home, work)
    window.answer("Hvad:", ENTER)
    window.expect("Hvem:")
    other = run_plain(["ret", code, "aftale", "1", "--felt", "hvem=Bo", "--grund", "Bo overtager", "--ja"], home, work)
    assert other.returncode == 0, other.stderr
    window.child.send("Kim" + ENTER + ENTER + "Skrevet forkert" + ENTER + ENTER)  # Ja is the default
    assert window.finish() == 5, window.text[-1500:]
    assert "ændret i et andet vindue" in window.text and "ikke gemt" in window.text
    plan = json.loads(run_plain(["plan", code, "--json"], home, work).stdout)
    assert plan["aftaler"][0]["hvem"] == "Bo"


@pytest.mark.plain_only
def test_fortryd_undoes_nothing_when_a_second_window_changed_the_case_meanwhile(tmp_path):
    from test_e2e_pty import Terminal, run_plain

    home, work, code = _window_case(tmp_path)
    assert run_plain(["ret", code, "aftale", "1", "--felt", "hvem=Bo", "--ja"], home, work).returncode == 0
    window = Terminal(["fortryd", code], home, work)
    window.expect("Fortryd den?")
    other = run_plain(["ret", code, "aftale", "1", "--felt", "hvem=Kim", "--ja"], home, work)
    assert other.returncode == 0, other.stderr
    window.child.send(UP + ENTER)  # Ja (Nej is the default)
    assert window.finish() == 5, window.text[-1500:]
    assert "Intet er fortrudt" in window.text
    plan = json.loads(run_plain(["plan", code, "--json"], home, work).stdout)
    assert plan["aftaler"][0]["hvem"] == "Kim"


def test_observation_and_faktor_have_ret_and_slet_twins_and_still_add_without_a_subcommand(cli, ikast):
    ok(cli, "observation", ikast, "--hvad", "Leger alene", "--dato", "i dag")
    added = plan_json(cli, ikast)["observationer"][-1]
    assert added["hvad"] == "Leger alene"
    nr = str(len(plan_json(cli, ikast)["observationer"]))
    ok(cli, "observation", "ret", ikast, nr, "--hvad", "Leger alene i frikvarteret", "--metode", "TRAS", "--ja")
    corrected = plan_json(cli, ikast)["observationer"][-1]
    assert (corrected["hvad"], corrected["metode"]) == ("Leger alene i frikvarteret", "TRAS")
    assert "Hvad «Leger alene» → «Leger alene i frikvarteret»" in history(cli, ikast)
    ok(cli, "observation", "slet", ikast, nr, "--grund", "Forkert barn", "--ja")
    assert "Leger alene i frikvarteret" not in [o["hvad"] for o in plan_json(cli, ikast)["observationer"]]

    ok(cli, "faktor", ikast, "--type", "risiko", "--tekst", "Mange skift")
    factors = plan_json(cli, ikast)["faktorer"]
    nr = str(len(factors))
    ok(cli, "faktor", "ret", ikast, nr, "--tekst", "Mange skift af voksne")
    assert "Mange skift af voksne" in flat(ok(cli, "plan", ikast).out)
    ok(cli, "faktor", "slet", ikast, nr, "--grund", "Skrevet to gange", "--ja")
    assert "Mange skift af voksne" not in flat(ok(cli, "plan", ikast).out)
    assert "Faktor nr. " + nr + " fjernet" in history(cli, ikast)


def test_a_fit_form_entered_by_mistake_is_removed_and_its_note_corrected(cli, seeded, tmp_path, monkeypatch):
    from rettidig_cli.domain import dates

    code = seeded("resen", 3)
    first = plan_json(cli, code)["statusmoeder"][0]["dato"]
    import datetime as dt
    monkeypatch.setattr(dates, "today", lambda: dt.date.fromisoformat(first))
    meeting = tmp_path / "moede.toml"
    meeting.write_text(f'dato = {first}\ndeltagere = "Ali"\nforaeldre_deltog = true\n'
                       '[[fit]]\nhvem = "Mor"\nskema = "ORS"\npoint = "6 7 8 9"\n'
                       '[[fit]]\nhvem = "Far"\nskema = "ORS"\npoint = "2 3 4 5"\n', encoding="utf-8")
    ok(cli, "møde", "hold", code, "--answers", str(meeting))
    assert len(plan_json(cli, code)["fit"]) == 2
    ok(cli, "fjern", code, "fit", "2", "--grund", "Skemaet var fra en anden familie", "--ja")
    series = plan_json(cli, code)["fit"]
    assert len(series) == 1 and "Far" not in json.dumps(series, ensure_ascii=False)
    ok(cli, "ret", code, "fit", "1", "--felt", "note=Mor scorede efter samtalen")
    assert "Note «–» → «Mor scorede efter samtalen»" in history(cli, code)
    result = cli(["fjern", code, "beslutning", "1", "--grund", "fejl", "--ja"])
    assert result.code == 2 and "besvar trinnet igen" in flat(result.err)


def test_changes_are_numbered_within_their_case_and_undone_only_there(cli, tmp_path, data_home):
    from conftest import EXAMPLES

    codes = [next(w for w in ok(cli, "new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml")).out.split()
                  if w.startswith("RT-")) for _ in range(2)]
    for code, who in zip(codes, ("Bo", "Kim")):
        ok(cli, "ret", code, "aftale", "1", "--felt", f"hvem={who}")
    numbers = query(data_home, "SELECT case_id, max(change_id) AS n FROM record_changes GROUP BY case_id")
    assert len({row["n"] for row in numbers}) == 1  # each case counts its own changes
    ok(cli, "fortryd", codes[0], "--ja")
    assert plan_json(cli, codes[0])["aftaler"][0]["hvem"] == "Pædagog Ali"
    assert plan_json(cli, codes[1])["aftaler"][0]["hvem"] == "Kim"
    assert "Aftale nr. 1: Hvem «Pædagog Ali» → «Kim»" in history(cli, codes[1])


def test_the_history_tells_a_corrected_record_as_it_was_written_then_the_correction(cli, ikast):
    before = plan_json(cli, ikast)["aftaler"][1]
    ok(cli, "ret", ikast, "aftale", "2", "--felt", "hvem=Bo", "--grund", "Bo overtager")
    entries = json.loads(ok(cli, "historik", ikast, "--json").out)
    texts = [e["tekst"] for e in entries]
    made = next(t for t in texts if t.startswith(f"Aftale nr. 2: {before['hvad']}"))
    assert f"({before['hvem']}" in made and "(Bo" not in made  # as it was written
    corrected = next(i for i, t in enumerate(texts) if t.startswith("Aftale nr. 2: Hvem"))
    assert texts.index(made) < corrected  # then the correction, later in the timeline
