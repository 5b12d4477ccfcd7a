"""The abuse path by construction: what a guide must mark, how the engine hides it, the strict
guide reader that keeps a typo from switching a rule off, and the deliberate way off the path.

The walk over every step of every guide is tests/test_abuse_walk.py; the rule itself is tested
in tests/test_parent_rule.py."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT
from helpers import created_code, flat, plan_json

from rettidig_cli.guide import reader as guides
from rettidig_cli.guide import parents
from rettidig_cli.domain.errors import GuideError

RESEN = ROOT / "data" / "guides" / "resen.toml"
IKAST = ROOT / "data" / "guides" / "ikast-brande-dagtilbud.toml"


def edited(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"test setup: {old!r} must occur once"
    path = tmp_path / "min-guide.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def line_of(path: Path, snippet: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if snippet in line)


# ---------------------------------------------------------------- a guide must mark parent contact


@pytest.mark.parametrize("old, new, where", [
    # A new guidance line on a phase every case passes.
    ('"Kolleger på stuen",', '"Kolleger på stuen", "Ring til forældrene og fortæl om bekymringen.",', "trin-1.sparring"),
    # A step message the abuse path asks.
    ('message = "Hvem er tovholder på sagen?"', 'message = "Hvem er tovholder på sagen sammen med forældrene?"',
     "trin-2.tovholder.message"),
    # A consequence of the choice the abuse path takes.
    ('"Sagen kommer på det tværfaglige teammøde.",', '"Sagen kommer på det tværfaglige teammøde med mor og far.",',
     "stor.consequences"),
    # A tool offered as an observation method.
    ('"Marte Meo",', '"Marte Meo", "Hjemmebesøg",', "tools"),
])
def test_a_guide_with_unmarked_parent_wording_is_refused_with_file_line_and_place(tmp_path, old, new, where):
    path = edited(tmp_path, RESEN, old, new)
    with pytest.raises(GuideError) as caught:
        guides.load_file(path)
    message = flat(caught.value.message)
    assert str(path) in message
    assert f"linje {line_of(path, new.split(',')[-2] if new.endswith(',') else new)}" in message
    assert where in message
    assert "parent_contact" in flat(caught.value.hint)


def test_the_same_text_marked_parent_contact_loads_and_is_hidden_on_the_abuse_path(tmp_path):
    path = edited(tmp_path, RESEN, '"Kolleger på stuen",',
                  '"Kolleger på stuen", { text = "Ring til forældrene.", parent_contact = true, '
                  'abuse_path = "Ring til leder." },')
    guide = guides.load_file(path)
    sparring = guide.phases[0].sparring
    assert "Ring til forældrene." in parents.visible(sparring, False)
    assert "Ring til forældrene." not in parents.visible(sparring, True)
    assert "Ring til leder." in parents.visible(sparring, True)


def test_a_step_about_the_parents_view_must_be_marked(tmp_path):
    path = edited(tmp_path, RESEN, 'title = "Forældrenes syn"\nparent_contact = true\n', 'title = "Deres syn"\n')
    with pytest.raises(GuideError) as caught:
        guides.load_file(path)
    assert "parents_view" in caught.value.message


def test_a_guide_can_add_its_own_parent_words(tmp_path):
    path = edited(tmp_path, RESEN, "\n[safety]\n", '\n[parents]\nwords = ["plejefamilien", "hjemmefronten"]\n\n[safety]\n')
    assert guides.load_file(path).parent_words == ("plejefamilien", "hjemmefronten")
    path = edited(tmp_path, path, '"Kolleger på stuen",', '"Kolleger på stuen", "Tal med hjemmefronten",')
    with pytest.raises(GuideError):
        guides.load_file(path)


def test_every_shipped_guide_and_data_file_passes_the_rule():
    for guide in guides.available(None):
        assert parents.guide_problems(guide) == [], guide.id
    from rettidig_cli.guide.reference import document_rules

    texts = parents.document_texts_on_abuse_path(document_rules())
    assert texts and all(parents.parent_wording(t) == [] for _, t in texts)


def test_the_fit_respondents_never_suggest_a_parent_on_the_abuse_path():
    from rettidig_cli.guide.reference import fit_rules

    respondents = fit_rules().respondents
    assert {"Mor", "Far"} <= set(parents.visible(respondents, False))
    assert parents.visible(respondents, True) == ["Barnet"]
    ors = fit_rules().instrument("ORS")
    assert parents.parent_wording(parents.shown(ors.who, True)) == []
    assert parents.parent_wording(parents.shown(ors.who, False))  # the usual text does name them


def test_the_signature_parties_come_from_data_and_leave_out_the_parents_on_the_abuse_path():
    from rettidig_cli.guide.reference import document_rules

    handleplan = document_rules().purpose("handleplan")
    signature = next(s for s in handleplan.sections if s.source == "signature")
    assert parents.visible(signature.parties, False).count("Forælder") == 2
    assert parents.visible(signature.parties, True) == ["Tovholder"]
    for section in handleplan.sections:
        if section.source in ("parents", "parents_view", "consent"):
            assert section.parent_contact


# ---------------------------------------------------------------- the strict reader


@pytest.mark.parametrize("old, new, key, guess", [
    ("parents_always = true", "parents_allways = true", "parents_allways", "parents_always"),
    ('id = "koordinator"\nkind = "text"\ntitle = "Tidlig indsats-koordinator"\nrequired = false',
     'id = "koordinator"\nkind = "text"\ntitle = "Tidlig indsats-koordinator"\nrequird = false', "requird", "required"),
    ('title = "Forældrenes syn"\nparent_contact = true', 'title = "Forældrenes syn"\nparent_contactt = true',
     "parent_contactt", "parent_contact"),
    ('{ text = "Forældre", parent_contact = true },\n  "Anonymt tværfagligt team",\n  "Sundhedsplejerske",',
     '{ text = "Forældre", parent_contatc = true },\n  "Anonymt tværfagligt team",\n  "Sundhedsplejerske",',
     "parent_contatc", "parent_contact"),
])
def test_an_unknown_key_is_refused_with_its_line_and_the_nearest_known_key(tmp_path, old, new, key, guess):
    path = edited(tmp_path, RESEN, old, new)
    with pytest.raises(GuideError) as caught:
        guides.load_file(path)
    message = flat(caught.value.message)
    assert str(path) in message
    assert f"linje {line_of(path, key)}" in message
    assert f"«{key}»" in message
    assert f"mente du «{guess}»?" in message


def test_the_typo_would_otherwise_switch_parents_always_off(tmp_path):
    """Why the reader is strict: before, `parents_allways` loaded and the rule was off."""
    path = edited(tmp_path, RESEN, "parents_always = true", "parents_allways = true")
    with pytest.raises(GuideError):
        guides.load_file(path)
    assert guides.load_file(RESEN).meetings.parents_always is True


def test_a_missing_key_names_the_table_it_belongs_in(tmp_path):
    text = RESEN.read_text(encoding="utf-8")
    duty = next(line for line in text.splitlines() if line.startswith("duty = "))
    path = edited(tmp_path, RESEN, duty + "\n", "")
    with pytest.raises(GuideError) as caught:
        guides.load_file(path)
    message = flat(caught.value.message)
    assert "«duty» mangler i [safety]" in message
    header = next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line == "[safety]")
    assert f"linje {header}" in message
    # Misspelt rather than left out: its own line, and what was meant.
    path = edited(tmp_path, RESEN, duty, "d" + duty)
    with pytest.raises(GuideError) as caught:
        guides.load_file(path)
    message = flat(caught.value.message)
    assert f"linje {line_of(path, 'dduty')}" in message and "Der står «dduty» – mente du «duty»?" in message


# ---------------------------------------------------------------- choices on the abuse path


def abuse_answers(guide_path: Path, choice: str) -> str:
    today = dt.date.today().isoformat()
    return (f'sikkerhed = {{ mistanke = true, underretning = {{ dato = "{today}", leder_informeret = true }} }}\n'
            f'stikord = "Blå mærker"\nanalyse = "Vurdering"\nsagstype = "{choice}"\n'
            '[barn]\nnavn = "A.B."\naldersgruppe = "4-5 år"\ntilbud = "Børnehave"\n'
            '[[iagttagelser]]\nhvad = "Blå mærker på armen"\n'
            '[placering]\nplacering = "udsat"\n')


def test_resen_lille_sag_is_not_a_choice_on_the_abuse_path(cli, tmp_path):
    answers = tmp_path / "svar.toml"
    answers.write_text(abuse_answers(RESEN, "lille"), encoding="utf-8")
    result = cli(["new", "--guide", "resen", "--answers", str(answers)])
    assert result.code != 0
    assert "ved mistanke om vold eller overgreb tilbydes ikke valg" in flat(result.err)
    answers.write_text(abuse_answers(RESEN, "stor"), encoding="utf-8")
    result = cli(["new", "--guide", "resen", "--answers", str(answers)])
    assert result.code == 0, result.err


def test_ikast_u_moede_path_asks_for_the_underretning_once(cli, tmp_path):
    today = dt.date.today().isoformat()
    answers = tmp_path / "svar.toml"
    answers.write_text(
        f'sikkerhed = {{ mistanke = true, underretning = {{ dato = "{today}", leder_informeret = true }} }}\n'
        'bekymring = "Blå mærker"\nanalyse = "Vurdering"\ntvaerfaglig-vej = "u-moede"\n'
        '[barn]\nnavn = "A.B."\naldersgruppe = "4-5 år"\ntilbud = "Børnehave"\n'
        '[[observationer]]\nhvad = "Blå mærker på armen"\n'
        '[[aftaler]]\nhvad = "Observere dagligt"\nhvem = "Pædagog"\n'
        '[tovholder]\nnavn = "Ali"\n[statusmoeder]\nrytme_uger = 4\n', encoding="utf-8")
    result = cli(["new", "--guide", "ikast-brande-dagtilbud", "--answers", str(answers)])
    assert result.code == 0, result.err
    plan = plan_json(cli, created_code(result.out))
    assert len(plan["underretninger"]) == 1
    assert plan["faerdig"] is True


# ---------------------------------------------------------------- the deliberate way off (and on)


def new_plain_case(cli) -> str:
    result = cli(["new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml")])
    assert result.code == 0, result.err
    return created_code(result.out)


def test_a_suspicion_registered_later_puts_the_case_on_the_abuse_path(cli):
    code = new_plain_case(cli)
    result = cli(["mistanke", code, "--dato", dt.date.today().isoformat(), "--leder-informeret"])
    assert result.code == 0, result.err
    # The planned meetings with the parents are named, with the way to cancel them.
    assert "rettidig møde aflys" in flat(result.err)
    plan = plan_json(cli, code)
    assert plan["mistanke_om_vold_eller_overgreb"] is True
    assert len(plan["underretninger"]) == 1
    # The lille sag chosen before: its meaning (between room and parents) is no longer shown.
    lille = next(d for d in plan["beslutninger"] if d["trin"] == "sagstype")
    assert lille["betydning"] == []
    text = cli(["plan", code]).out
    assert "mellem stue og forældre" not in flat(text)
    assert "Forældrenes syn" not in text


def test_the_abuse_path_is_left_only_deliberately_with_a_reason_that_is_logged(cli, tmp_path):
    answers = tmp_path / "svar.toml"
    answers.write_text(abuse_answers(RESEN, "stor"), encoding="utf-8")
    code = created_code(cli(["new", "--guide", "resen", "--answers", str(answers)]).out)
    refused = cli(["mistanke", code, "--fjern"])
    assert refused.code == 6  # no terminal to ask for the reason
    assert plan_json(cli, code)["mistanke_om_vold_eller_overgreb"] is True
    assert cli(["mistanke", code, "--fjern", "--grund", " "]).code == 2
    result = cli(["mistanke", code, "--fjern", "--grund", "Kommunen har afsluttet underretningen."])
    assert result.code == 0, result.err
    assert plan_json(cli, code)["mistanke_om_vold_eller_overgreb"] is False
    history = cli(["historik", code, "--json"]).out
    assert "taget af sagen. Begrundelse: Kommunen har afsluttet underretningen." in history
    log = json.loads(cli(["indsigt", code, "--json"]).out)["log"]
    assert any(row["detalje"] == "mistanke om vold eller overgreb taget af sagen" for row in log)
    # A second time: it is not on the path any more.
    assert cli(["mistanke", code, "--fjern", "--grund", "igen"]).code == 2


def test_on_the_abuse_path_the_parents_get_no_task_and_no_invitation(cli, tmp_path):
    answers = tmp_path / "svar.toml"
    answers.write_text(abuse_answers(RESEN, "stor"), encoding="utf-8")
    code = created_code(cli(["new", "--guide", "resen", "--answers", str(answers)]).out)
    day = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    for args in (["aftale", "ny", code, "--hvad", "Læse højt", "--hvem", "Forældrene"],
                 ["aftale", "ny", code, "--hvad", "Læse højt", "--hvem", "Hanne (mor)"],
                 ["møde", "ny", code, "--dato", day, "--deltagere", "Mor, Pædagog Ali"]):
        result = cli(args)
        assert result.code == 2, (args, result.err)
        assert "forældrene må ikke kontaktes om bekymringen" in flat(result.err)
    plan = plan_json(cli, code)
    assert not any("Læse højt" in a["hvad"] for a in plan["aftaler"])
    assert cli(["aftale", "ny", code, "--hvad", "Læse højt", "--hvem", "Pædagog Ali"]).code == 0
    # Off the abuse path the parents can have a task as before.
    plain = new_plain_case(cli)
    assert cli(["aftale", "ny", plain, "--hvad", "Læse højt", "--hvem", "Forældrene"]).code == 0


def test_a_suspicion_asked_in_a_terminal_is_kept_when_the_underretning_is_interrupted(cli):
    from conftest import CTRL_C

    code = new_plain_case(cli)
    result = cli(["mistanke", code], keys=CTRL_C)
    assert result.code != 0
    assert f"Mistanken er gemt. Registrér underretningen med: rettidig mistanke {code}" in flat(result.err)
    plan = plan_json(cli, code)
    assert plan["mistanke_om_vold_eller_overgreb"] is True
    assert plan["underretninger"] == []
    assert any("underretningen er ikke registreret" in item for item in plan["forsinket"])
    # The same command then adds the underretning, once.
    result = cli(["mistanke", code, "--dato", dt.date.today().isoformat(), "--leder-informeret"])
    assert result.code == 0, result.err
    plan = plan_json(cli, code)
    assert len(plan["underretninger"]) == 1
    assert not any("underretningen er ikke registreret" in item for item in plan["forsinket"])
    assert cli(["mistanke", code, "--dato", dt.date.today().isoformat()]).code == 2
