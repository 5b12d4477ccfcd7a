"""Anonymous consultation, consent that names the child, decisions with several choices at once,
and texts that depend on an earlier answer – in answers files and in a terminal, with Ctrl-C and
`resume` in the middle of each. The shipped guides that use them (herlev, ishoej-vallensbaek-tois)
are the examples; the rules are the engine's."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import CTRL_C, DOWN, ENTER, EXAMPLES, SPACE, query, to_toml, working_day_on_or_after
from helpers import example_answers, flat, ok, plan_json
from test_wizard_interactive import screen  # noqa: F401 - the fixture

HERLEV, TOIS = "herlev", "ishoej-vallensbaek-tois"


def code_of(out: str) -> str:
    return next(w for w in out.split() if w.startswith("RT-"))


def herlev_answers(**changes) -> dict:
    """The example answers of the Herlev guide (an anonymous child named with consent)."""
    data = example_answers(EXAMPLES / "herlev-svar.toml")
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def new_case(cli, tmp_path, guide: str, answers: dict) -> str:
    path = tmp_path / "svar.toml"
    path.write_text(to_toml(answers), encoding="utf-8")
    return code_of(ok(cli, "new", "--guide", guide, "--answers", str(path)).out)


def until(answers: dict, guide_id: str, last_step: str) -> dict:
    """The answers up to and including `last_step` (the walk pauses at the next required step)."""
    from rettidig_cli.guide.reader import find

    order = [s.id for s in find(guide_id, None).steps()]
    keep = set(order[:order.index(last_step) + 1]) | {"sikkerhed"}
    return {k: v for k, v in answers.items() if k in keep}


# ---------------------------------------------------------------- anonymous consultation


def test_an_anonymous_case_stores_no_name_until_the_consent_names_it(cli, tmp_path, data_home):
    code = new_case(cli, tmp_path, HERLEV, until(herlev_answers(), HERLEV, "droeftelse"))
    assert query(data_home, "SELECT child_name FROM cases") == [{"child_name": None}]
    plan = plan_json(cli, code)
    assert plan["barn"] == {"navn": None, "aldersgruppe": "0. klasse", "tilbud": "Skole", "anonym": True}
    import json

    assert [row["barn"] for row in json.loads(ok(cli, "list", "--json").out)] == ["Anonym drøftelse (uden navn)"]
    screen_plan = flat(ok(cli, "plan", code).out)
    assert "Barnet drøftes anonymt" in screen_plan and f"rettidig navngiv {code}" in screen_plan

    # The consent that names the child, from the rest of the file.
    rest = tmp_path / "resten.toml"
    rest.write_text(to_toml({"navngiven-samtykke": herlev_answers()["navngiven-samtykke"]}), encoding="utf-8")
    ok(cli, "resume", code, "--answers", str(rest))
    plan = plan_json(cli, code)
    assert plan["barn"]["navn"] == "I.J." and plan["barn"]["anonym"] is False
    # The name is kept once, in the case: not in the consent's answer, not in the log.
    for table, column in (("answers", "value"), ("audit_log", "detail"), ("case_events", "to_value"),
                          ("case_events", "reason"), ("consents", "given_by")):
        assert query(data_home, f"SELECT count(*) AS n FROM {table} WHERE {column} LIKE '%I.J.%'") == [{"n": 0}]
    history = flat(ok(cli, "historik", code).out)
    assert "Drøftes anonymt, uden navn (0. klasse, Skole)" in history
    assert "Barnet drøftes nu med navn (Samtykke til at drøfte barnet med navn)" in history


@pytest.mark.parametrize("child, message", [
    ({"anonym": True, "navn": "A.B.", "tilbud": "Skole", "aldersgruppe": "0. klasse"}, "en anonym drøftelse gemmer intet navn"),
    ({"anonym": True, "tilbud": "Skole", "aldersgruppe": "4-5 år"}, "Aldersgruppe skal være en af: 0. klasse"),
])
def test_an_anonymous_child_is_refused_with_a_name_or_a_wrong_class(cli, tmp_path, child, message):
    path = tmp_path / "svar.toml"
    path.write_text(to_toml({"sikkerhed": False, "barn": child}), encoding="utf-8")
    result = cli(["new", "--guide", HERLEV, "--answers", str(path)])
    assert result.code == 2 and message in flat(result.err)


def test_a_guide_without_anonymous_consultation_refuses_an_anonymous_child(cli, tmp_path):
    path = tmp_path / "svar.toml"
    path.write_text(to_toml({"sikkerhed": False, "barn": {"anonym": True, "tilbud": "Børnehave",
                                                           "aldersgruppe": "3-4 år"}}), encoding="utf-8")
    result = cli(["new", "--guide", "resen", "--answers", str(path)])
    assert result.code == 2 and "guiden drøfter ikke barnet anonymt" in flat(result.err)


def test_on_the_abuse_path_the_child_is_never_anonymous(cli, tmp_path):
    path = tmp_path / "svar.toml"
    path.write_text(to_toml({"sikkerhed": {"mistanke": True, "underretning": {"dato": dt.date.today().isoformat()}},
                             "barn": {"anonym": True, "tilbud": "Skole", "aldersgruppe": "0. klasse"}}),
                    encoding="utf-8")
    result = cli(["new", "--guide", HERLEV, "--answers", str(path)])
    assert result.code == 2 and "drøftes barnet ikke anonymt" in flat(result.err)


def test_navngiv_names_an_anonymous_case_with_the_consent_and_refuses_a_named_one(cli, tmp_path, data_home):
    code = new_case(cli, tmp_path, HERLEV, until(herlev_answers(), HERLEV, "droeftelse"))
    ok(cli, "navngiv", code, "--navn", "K.L.", "--givet-af", "Mor og far")
    plan = plan_json(cli, code)
    assert plan["barn"]["navn"] == "K.L."
    consent = [c for c in plan["foraeldre"]["samtykker"] if c["emne"] == "navn"]
    assert consent and consent[0]["navn"] == "Mor og far" and consent[0]["titel"].startswith("Samtykke til")
    again = cli(["navngiv", code, "--navn", "M.N."])
    assert again.code == 2 and "er ikke anonym" in flat(again.err)
    assert plan_json(cli, code)["barn"]["navn"] == "K.L."


def test_navngiv_without_a_terminal_says_which_flag_is_missing(cli, tmp_path):
    code = new_case(cli, tmp_path, HERLEV, until(herlev_answers(), HERLEV, "droeftelse"))
    result = cli(["navngiv", code])
    assert result.code != 0 and "--navn" in flat(result.err) and "Traceback" not in result.err
    assert plan_json(cli, code)["barn"]["anonym"] is True


def test_ctrl_c_at_the_childs_name_keeps_the_case_anonymous_and_resume_asks_again(cli, tmp_path, data_home, screen):
    code = new_case(cli, tmp_path, HERLEV, until(herlev_answers(), HERLEV, "droeftelse"))
    keys = ENTER + "Mor og far" + ENTER + ENTER + "I.J" + CTRL_C  # Ja; who; today; typing the name
    stopped = cli(["resume", code], keys)
    assert stopped.code == 130
    assert "Barnets navn eller initialer" in screen.text()
    plan = plan_json(cli, code)
    assert plan["barn"]["anonym"] is True and plan["foraeldre"]["samtykker"] == []
    assert query(data_home, "SELECT child_name FROM cases") == [{"child_name": None}]

    screen.clear()
    keys = ENTER + "Mor og far" + ENTER + ENTER + "I.J." + ENTER + CTRL_C
    cli(["resume", code], keys)
    plan = plan_json(cli, code)
    assert plan["barn"] == {"navn": "I.J.", "aldersgruppe": "0. klasse", "tilbud": "Skole", "anonym": False}
    assert [c["svar"] for c in plan["foraeldre"]["samtykker"]] == ["ja"]


def test_a_consent_not_given_keeps_the_case_anonymous_and_says_how_to_name_it_later(cli, tmp_path, screen, capsys):
    code = new_case(cli, tmp_path, HERLEV, until(herlev_answers(), HERLEV, "droeftelse"))
    keys = DOWN * 2 + ENTER + CTRL_C  # "Ikke endnu"; Ctrl-C at the next step
    result = cli(["resume", code], keys)
    assert f"rettidig navngiv {code}" in flat(result.out)
    plan = plan_json(cli, code)
    assert plan["barn"]["anonym"] is True
    assert [c["svar"] for c in plan["foraeldre"]["samtykker"]] == ["ikke endnu"]


def test_an_anonymous_child_in_a_terminal_is_asked_no_name(cli, screen, data_home):
    keys = (ENTER  # safety: Nej
            + DOWN + ENTER  # Nej, anonymt
            + DOWN * 2 + ENTER  # Skole
            + DOWN * 3 + ENTER  # 3. klasse
            + CTRL_C)  # at the concern
    result = cli(["new", "--guide", HERLEV], keys)
    assert result.code == 130
    asked = screen.text()
    assert "Drøftes barnet med navn?" in asked and "Hvilket barn eller ung er du bekymret for?" not in asked
    code = code_of(result.out)
    assert plan_json(cli, code)["barn"] == {"navn": None, "aldersgruppe": "3. klasse", "tilbud": "Skole",
                                            "anonym": True}


# ---------------------------------------------------------------- several choices at once


def tois_answers() -> dict:
    return example_answers(EXAMPLES / "tois-svar.toml")


def test_several_choices_each_have_their_own_consent_and_meeting(cli, tmp_path):
    code = new_case(cli, tmp_path, TOIS, tois_answers())
    plan = plan_json(cli, code)
    assert plan["faerdig"]
    decision = next(d for d in plan["beslutninger"] if d["trin"] == "indsats")
    assert decision["valg"] == ["Tværfagligt småbørnsteam", "Intensiv indsats i pædagogisk praksis"]
    assert {m["type"] for m in plan["andre_moeder"]} == {"Møde med småbørnsteamet", "Opstart af intensiv indsats"}
    assert {c["trin"] for c in plan["foraeldre"]["samtykker"]} == {"orienteret", "smaaboern-samtykke",
                                                                    "intensiv-samtykke"}


def test_ctrl_c_inside_the_follow_ups_of_several_choices_and_resume(cli, tmp_path, screen):
    code = new_case(cli, tmp_path, TOIS, until(tois_answers(), TOIS, "analyse"))
    day = working_day_on_or_after(dt.date.today() + dt.timedelta(days=10))
    # Choose spædbarnsteamet and PPV (first and sixth choice) in the checkbox, then Ctrl-C at the
    # first consent: both choices are saved.
    keys = SPACE + DOWN * 5 + SPACE + ENTER + CTRL_C
    assert cli(["resume", code], keys).code == 130
    plan = plan_json(cli, code)
    decision = next(d for d in plan["beslutninger"] if d["trin"] == "indsats")
    assert decision["valg"] == ["Tværfagligt spædbarnsteam", "PPV: vurdering af specialpædagogisk støtte"]

    screen.clear()
    meeting = f"{day.day}-{day.month}-{day.year}" + ENTER + ENTER + "Psykolog" + ENTER
    keys = (ENTER + "Mor" + ENTER + ENTER  # spædbarnsteam: Ja, by whom, today
            + meeting  # its meeting
            + ENTER + "Mor" + ENTER + ENTER  # PPV: Ja
            + CTRL_C)  # at the PPV meeting
    assert cli(["resume", code], keys).code == 130
    asked = screen.text()
    assert "Har forældrene sagt ja til spædbarnsteamet?" in asked and "Er barnet indstillet til PPV" in asked
    assert "småbørnsteamet" not in asked  # a choice not made brings none of its steps
    plan = plan_json(cli, code)
    assert [m["type"] for m in plan["andre_moeder"]] == ["Møde med spædbarnsteamet"]
    assert {c["trin"] for c in plan["foraeldre"]["samtykker"]} >= {"spaedbarn-samtykke", "ppv-samtykke"}


def test_a_text_for_another_municipality_is_not_shown(cli, tmp_path):
    answers = tois_answers()
    answers["kommune"] = "vallensbaek"
    code = new_case(cli, tmp_path, TOIS, until(answers, TOIS, "barnets-perspektiv"))
    plan = plan_json(cli, code)  # standing in phase 2: its sparring
    sparring = " ".join(plan["sparring"])
    assert "Center for Børn og Unge" in sparring and "Center for Børn og Forebyggelse" not in sparring
    answers["kommune"] = "ishoej"
    other = new_case(cli, tmp_path, TOIS, until(answers, TOIS, "barnets-perspektiv"))
    sparring = " ".join(plan_json(cli, other)["sparring"])
    assert "Åben Anonym Rådgivning" in sparring and "Center for Børn og Unge" not in sparring


def test_before_the_choice_the_underretning_offers_every_recipient(cli):
    """The safety question comes before the child's municipality: every recipient is offered, the
    second municipality's too."""
    keys = DOWN + ENTER + ENTER + DOWN + ENTER + ENTER + ENTER + CTRL_C  # Ja; today; the 2nd recipient; …
    result = cli(["new", "--guide", TOIS], keys)
    plan = plan_json(cli, code_of(result.out))
    assert [u["modtager"] for u in plan["underretninger"]] == ["Vallensbæk Kommune, Center for Børn og Unge"]


def test_a_choice_longer_than_the_screen_is_explained_in_full_above_the_list(cli, tmp_path, screen, monkeypatch):
    """At 80 columns Herlev's choices with what they mean would be cut: the meanings are said first,
    whole, and the list holds the labels."""
    monkeypatch.setenv("COLUMNS", "80")
    code = new_case(cli, tmp_path, HERLEV, until(herlev_answers(), HERLEV, "fagpersoner"))
    result = cli(["resume", code], CTRL_C)
    said = flat(result.out)
    assert ("• Anonymt bekymringsbarn: Drøftes uden navn: du får inspiration og konsulentbistand til selv at arbejde "
            "videre.") in said
    asked = screen.text()
    assert "Anonymt bekymringsbarn\r\n" in asked or "Anonymt bekymringsbarn\n" in asked
    assert "Anonymt bekymringsbarn – Drøftes" not in asked


def test_navngiv_in_a_terminal_asks_for_the_consent_first_and_ctrl_c_changes_nothing(cli, tmp_path, screen):
    code = new_case(cli, tmp_path, HERLEV, until(herlev_answers(), HERLEV, "droeftelse"))
    stopped = cli(["navngiv", code], ENTER + "Mor og far" + ENTER + ENTER + "K." + CTRL_C)
    assert stopped.code == 130
    plan = plan_json(cli, code)
    assert plan["barn"]["anonym"] is True and plan["foraeldre"]["samtykker"] == []
    assert "Har forældrene givet samtykke til, at barnet drøftes med navn?" in screen.text()
    ok(cli, "navngiv", code, keys=ENTER + "Mor og far" + ENTER + ENTER + "K.L." + ENTER)
    plan = plan_json(cli, code)
    assert plan["barn"]["navn"] == "K.L." and [c["navn"] for c in plan["foraeldre"]["samtykker"]] == ["Mor og far"]


def test_going_back_to_the_child_of_a_case_named_since_keeps_the_name(cli, tmp_path, screen):
    code = new_case(cli, tmp_path, HERLEV, until(herlev_answers(), HERLEV, "droeftelse"))
    ok(cli, "navngiv", code, "--navn", "K.L.", "--givet-af", "Mor og far")
    result = cli(["resume", code, "--fra", "barn"], ENTER * 3 + CTRL_C)  # the name, setting and class kept
    assert result.code == 130, result.err
    assert "Drøftes barnet med navn?" not in screen.text()  # named with consent: not made anonymous here
    assert "(Enter = K.L.)" in screen.text()
    assert plan_json(cli, code)["barn"]["navn"] == "K.L."
