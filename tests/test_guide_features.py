"""The guide format's means for the seed municipalities, checked by `guide tjek` with a line, and
used the way the guide says: texts to confirm, texts that depend on an earlier answer, classes per
setting, the family's network, the guide's own status meeting (Åben Dialog) and FIT per guide."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from conftest import EXAMPLES, ROOT, to_toml
from helpers import example_answers, flat, ok, plan_json
from test_followup_interactive import screen  # noqa: F401 - the fixture

GUIDES = ROOT / "data" / "guides"
NEW_GUIDES = ("hedensted", "ishoej-vallensbaek-tois", "herlev")


def text_of(guide_id: str) -> str:
    return (GUIDES / f"{guide_id}.toml").read_text(encoding="utf-8")


def problems(text: str) -> list[str]:
    """Every problem `guide tjek` finds in a variant of a shipped guide (its own id, so it is no copy)."""
    from rettidig_cli.domain.errors import GuideError
    from rettidig_cli.guide import reader

    try:
        reader.parse_guide(text, "variant.toml")
    except GuideError as exc:
        return [p.short() for p in reader.problems_of(exc, "variant.toml")]
    return []


def mutate(guide_id: str, old: str, new: str) -> str:
    text = text_of(guide_id)
    assert old in text, old
    return text.replace(old, new, 1)


# ---------------------------------------------------------------- guide tjek


@pytest.mark.plain_only
@pytest.mark.parametrize("guide_id, old, new, expected", [
    ("ishoej-vallensbaek-tois", 'when = "kommune=ishoej" }', 'when = "kommune=ishoj" }',
     "kan aldrig være sand: beslutningen «kommune» har ikke valget «ishoj»"),
    ("ishoej-vallensbaek-tois", 'when = "kommune=ishoej" }', 'when = "bopael=ishoej" }',
     "kan aldrig være sand: «bopael» findes ikke"),
    ("herlev", 'id = "moedeleder"', 'id = "perspektiver"', "er «perspektiver», som et punkt før det også har"),
    ("herlev", 'part = "deltagere"', 'part = "referat"', "det første punkt skal være part = \"deltagere\""),
    ("herlev", 'part = "fit_start"', 'part = "placering"', "«placering» (børnelinealen), men guiden har ingen"),
    ("herlev", 'part = "fit_start"', 'part = "fitstart"', "skal være en af deltagere, fit_start"),
    ("herlev", "[fit]\n", "[fit]\nuse = false\n", "er «fit_start», men guiden bruger ikke FIT"),
    ("herlev", 'Klub = ["10-12 år"', 'Klubben = ["10-12 år"', "nøglen «Klub» mangler i [age_groups]"),
    ("herlev", 'anonymous = true', 'anonymous = true\nnames_child = true',
     "«names_child» bruges kun i et trin med kind = \"consent\""),
    ("hedensted", 'confirm = "En fjerde placering', 'confirm = 4\n# "En fjerde placering',
     "skal være true eller en tekst, der siger, hvad kommunen skal bekræfte"),
])
def test_guide_tjek_names_each_mistake_in_the_new_means(guide_id, old, new, expected):
    found = problems(mutate(guide_id, old, new))
    assert any(expected in p for p in found), found
    assert all(p.startswith("Linje ") for p in found), found  # each with its line


@pytest.mark.plain_only
def test_a_key_written_below_age_groups_is_pointed_out():
    text = mutate("herlev", "[age_groups]\n", '[age_groups]\nmore_info = "herlev.dk"\n')
    found = problems(text)
    assert any("«age_groups.more_info» står under [age_groups]" in p for p in found), found


@pytest.mark.plain_only
def test_top_keys_are_the_keys_the_reader_reads_at_the_top():
    """The list the age_groups check uses to say a key was written below [age_groups]."""
    from rettidig_cli.guide import reader

    top = set()
    for path in GUIDES.glob("*.toml"):
        top |= reader.vocabulary(path.read_text(encoding="utf-8"), str(path))[""]
    tables = {"safety", "meetings", "deadlines", "parents", "fit", "law", "ruler", "escalations", "phases", "documents"}
    assert set(reader.TOP_KEYS) == top - tables


@pytest.mark.plain_only
def test_steps_about_the_parents_by_nature_are_hidden_on_the_abuse_path():
    from rettidig_cli.guide.reader import load_file

    for path in GUIDES.glob("*.toml"):
        for step in load_file(path).steps():
            if step.kind in ("consent", "network"):
                assert step.parent_contact, (path.name, step.id)


# ---------------------------------------------------------------- confirm


@pytest.mark.plain_only
@pytest.mark.parametrize("guide_id", NEW_GUIDES)
def test_every_new_guide_lists_what_the_municipality_must_confirm(guide_id):
    from rettidig_cli.guide.reader import load_file

    guide = load_file(GUIDES / f"{guide_id}.toml")
    assert len(guide.to_confirm) >= 3
    for item in guide.to_confirm:
        assert item.text and item.place, item


def test_guide_show_docx_lists_the_texts_to_confirm_with_their_place_and_note(cli, tmp_path):
    from docx import Document

    from rettidig_cli.guide.reader import load_file

    for guide_id in NEW_GUIDES:
        out = tmp_path / f"{guide_id}.docx"
        result = cli(["guide", "show", guide_id, "--format", "docx", "--out", str(out)])
        assert result.code == 0, result.err
        guide = load_file(GUIDES / f"{guide_id}.toml")
        assert f"({len(guide.to_confirm)} tekster skal bekræftes)" in flat(result.out)
        doc = Document(io.BytesIO(out.read_bytes()))
        paragraphs = [p.text for p in doc.paragraphs]
        assert not [p for p in paragraphs if "{" in p], guide_id  # every word filled in (the meeting's parts)
        at = paragraphs.index("Skal bekræftes af kommunen")
        listed = "\n".join(paragraphs[at:])
        for item in guide.to_confirm:
            assert f"«{item.text}»" in listed and item.note in listed, (guide_id, item)


def test_a_familys_documents_never_say_a_text_is_to_be_confirmed(cli, tmp_path):
    path = tmp_path / "svar.toml"
    path.write_text(to_toml(example_answers(EXAMPLES / "hedensted-svar.toml")), encoding="utf-8")
    code = next(w for w in ok(cli, "new", "--guide", "hedensted", "--answers", str(path)).out.split()
                if w.startswith("RT-"))
    for fmt in ("md", "json"):
        out = tmp_path / f"plan.{fmt}"
        ok(cli, "export", code, "--til", "handleplan", "--format", fmt, "--out", str(out))
        written = out.read_text(encoding="utf-8")
        assert "bekræft" not in written.lower(), fmt
    assert "bekræft" not in ok(cli, "plan", code).out.lower()


# ---------------------------------------------------------------- classes and FIT


@pytest.mark.plain_only
def test_a_class_is_an_age_for_the_fit_forms():
    from rettidig_cli.domain import fit

    assert [fit.child_age(x) for x in ("0. klasse", "3. klasse", "10. klasse", "3-4 år", "Klub")] == [6, 9, 16, 3, None]
    assert fit.instrument_for_age("3. klasse").id == "CORS"


def test_a_school_child_is_asked_its_class_after_its_setting(cli, tmp_path):
    answers = example_answers(EXAMPLES / "hedensted-svar.toml")
    answers["barn"] = {"navn": "E.F.", "tilbud": "Børnehave", "aldersgruppe": "3. klasse"}
    path = tmp_path / "svar.toml"
    path.write_text(to_toml(answers), encoding="utf-8")
    result = cli(["new", "--guide", "hedensted", "--answers", str(path)])
    assert result.code == 2 and "Aldersgruppe skal være en af: 3-4 år, 4-5 år, 5-6 år" in flat(result.err)


# ---------------------------------------------------------------- the guide's own meeting


def herlev_case(cli, tmp_path) -> str:
    path = tmp_path / "svar.toml"
    path.write_text(to_toml(example_answers(EXAMPLES / "herlev-svar.toml")), encoding="utf-8")
    return next(w for w in ok(cli, "new", "--guide", "herlev", "--answers", str(path)).out.split()
                if w.startswith("RT-"))


def test_the_guides_meeting_notes_go_into_the_referat_under_their_headings(cli, tmp_path):
    code = herlev_case(cli, tmp_path)
    meeting = tmp_path / "moede.toml"
    meeting.write_text(to_toml({
        "dato": dt.date.today().isoformat(), "deltagere": "Jonas Berg, sundhedsplejerske, Mormor Else",
        "noter": {"moedeleder": "Sundhedsplejersken", "perspektiver": "Alle fortalte om morgenerne.",
                  "refleksion": "Morgenerne er svære for hele familien."},
        "fit": [{"hvem": "Barnet eller den unge", "skema": "CORS", "point": [7, 6, 8, 7]}],
    }), encoding="utf-8")
    ok(cli, "møde", "hold", code, "--answers", str(meeting))
    held = next(m for m in plan_json(cli, code)["statusmoeder"] if m["status"] == "afholdt")
    assert held["referat"].splitlines() == ["Mødeleder: Sundhedsplejersken", "Alles perspektiv: Alle fortalte om morgenerne.",
                                            "Refleksion: Morgenerne er svære for hele familien."]


def test_a_meeting_file_with_a_note_the_guide_does_not_have_is_refused(cli, tmp_path):
    code = herlev_case(cli, tmp_path)
    meeting = tmp_path / "moede.toml"
    meeting.write_text(to_toml({"dato": dt.date.today().isoformat(), "deltagere": "Jonas Berg", "noter": {"dagsorden": "Punkt 1"}}), encoding="utf-8")
    result = cli(["møde", "hold", code, "--answers", str(meeting)])
    assert result.code == 2 and "moedeleder, perspektiver, refleksion" in flat(result.err)


def test_a_guide_without_fit_refuses_fit_scores_and_never_asks_for_them(cli, tmp_path):
    path = tmp_path / "svar.toml"
    path.write_text(to_toml(example_answers(EXAMPLES / "hedensted-svar.toml")), encoding="utf-8")
    code = next(w for w in ok(cli, "new", "--guide", "hedensted", "--answers", str(path)).out.split()
                if w.startswith("RT-"))
    meeting = tmp_path / "moede.toml"
    meeting.write_text(to_toml({"dato": dt.date.today().isoformat(), "deltagere": "Sanne Holm",
                                "fit": [{"hvem": "Barnet", "skema": "CORS", "point": [7, 6, 8, 7]}]}), encoding="utf-8")
    result = cli(["møde", "hold", code, "--answers", str(meeting)])
    assert result.code == 2 and "guiden bruger ikke FIT" in flat(result.err)


def test_the_meeting_in_a_terminal_follows_the_guides_form(cli, tmp_path, screen):
    """Herlev's Åben Dialog: who took part, who led, FIT at the start, everyone's perspective, the
    reflection, the agreements, FIT at the end, whether to meet again – in that order."""
    code = herlev_case(cli, tmp_path)
    enter, down = "\r", "\x1b[B"
    keys = (enter  # which meeting: the first (suggested)
            + enter  # held today
            + enter  # who took part: the suggestion
            + "Sundhedsplejersken" + enter  # who led
            + down + enter  # FIT at the start: no
            + "Alle fortalte om morgenerne." + enter  # perspectives
            + "Morgenerne er svære." + enter  # reflection
            + enter  # agreement 1: unchanged
            + down + enter  # no new agreements
            + enter  # FIT at the end: no (the suggestion)
            + enter)  # the next meeting is already agreed; one more? no
    result = cli(["møde", "hold", code], keys + "\x03")  # Ctrl-C at the end: a key too few never hangs
    assert result.code == 0, result.err
    asked = screen.text()
    order = ["Hvem deltog?", "Hvem ledte mødet?", "FIT: ORS/CORS i starten", "Hvad fortalte hver enkelt?",
             "Hvad kom frem, da de professionelle reflekterede højt?", "FIT: SRS/CSRS sidst i mødet"]
    places = [asked.find(question) for question in order]
    assert -1 not in places and places == sorted(places), list(zip(order, places))
    said = flat(result.out)
    assert "Der er ingen fast dagsorden" in said and "FIT bruges ved hvert møde, hvis du er uddannet i FIT." in said
    held = next(m for m in plan_json(cli, code)["statusmoeder"] if m["status"] == "afholdt")
    assert held["referat"].startswith("Mødeleder: Sundhedsplejersken")


def test_the_statusmoede_agenda_is_the_guides_own_meeting(cli, tmp_path):
    """Herlev's document lists its Åben Dialog meeting, Hedensted's has no FIT, TOIS' no Børnelineal."""
    expected = {
        "herlev": ["Velkommen, og hvem deltager", "Mødeleder", "Sådan går det lige nu (ORS/CORS ved mødets start)",
                   "Alles perspektiv", "Refleksion", "Opfølgning på aftalerne", "Nye aftaler – hvem gør hvad, og hvornår",
                   "Hvordan var mødet? (SRS/CSRS)", "Næste opfølgende dialogmøde"],
        "hedensted": ["Velkommen, og hvem deltager", "Opfølgning på aftalerne", "Børnelinealen: er placeringen den samme?",
                      "Nye aftaler – hvem gør hvad, og hvornår", "Næste statusmøde"],
        "ishoej-vallensbaek-tois": ["Velkommen, og hvem deltager", "Opfølgning på aftalerne",
                                    "Nye aftaler – hvem gør hvad, og hvornår", "Næste statusmøde"],
    }
    examples = {"herlev": "herlev-svar.toml", "hedensted": "hedensted-svar.toml", "ishoej-vallensbaek-tois": "tois-svar.toml"}
    for guide_id, agenda in expected.items():
        path = tmp_path / f"{guide_id}.toml"
        path.write_text(to_toml(example_answers(EXAMPLES / examples[guide_id])), encoding="utf-8")
        code = next(w for w in ok(cli, "new", "--guide", guide_id, "--answers", str(path)).out.split()
                    if w.startswith("RT-"))
        out = tmp_path / f"{guide_id}.md"
        ok(cli, "export", code, "--til", "statusmoede", "--format", "md", "--out", str(out))
        text = out.read_text(encoding="utf-8")
        listed = text.split("## Dagsorden", 1)[1].split("##", 1)[0]
        assert [line.split(". ", 1)[1] for line in listed.splitlines() if line.strip()] == agenda, guide_id
        assert ("## Seneste FIT-målinger" in text) == (guide_id == "herlev")
        assert ("## Børnelinealen" in text) == (guide_id == "hedensted")


def test_guide_ny_copies_classes_per_setting_for_the_new_settings(cli, tmp_path):
    """A copy of a guide with classes per setting gets a list for each of the municipality's own
    settings: the original's where the name is the same, every group of the original where not."""
    from rettidig_cli.guide.reader import load_file

    target = tmp_path / "gladsaxe.toml"
    ok(cli, "guide", "ny", "--kommune", "Gladsaxe Kommune", "--tilbud", "Skole, Fritidshjem", "--fra", "herlev",
       "--fil", str(target))
    copy, original = load_file(target), load_file(GUIDES / "herlev.toml")
    assert copy.ages_for("Skole") == original.ages_for("Skole")
    assert copy.ages_for("Fritidshjem") == original.age_groups


@pytest.mark.plain_only
def test_a_recipient_list_is_never_empty_whatever_the_conditions_leave():
    """Recipients for two of three municipalities: the third still gets every recipient to choose
    from, never an empty list (and a traceback)."""
    from rettidig_cli.guide.reader import parse_guide
    from rettidig_cli.workflow import wizard

    text = mutate("ishoej-vallensbaek-tois", '[[phases.steps.options]]\nid = "vallensbaek"\nlabel = "Vallensbæk"',
                  '[[phases.steps.options]]\nid = "vallensbaek"\nlabel = "Vallensbæk"\n\n'
                  '[[phases.steps.options]]\nid = "andet"\nlabel = "En anden kommune"')
    text = text.replace('  "Skriftlig underretning (kommunens formular)",\n  "Telefonisk, fulgt op skriftligt",\n', "")
    guide = parse_guide(text, "variant.toml")
    ctx = wizard.Context(guide=guide, answered={"kommune": {"valg": ["andet"]}})
    assert ctx.shown(guide.safety.recipients) == []
    assert ctx.offered(guide.safety.recipients) == [i.text for i in guide.safety.recipients]
    value = wizard.parse_underretning_fields({"dato": "i dag"}, ctx)
    assert value["modtager"] == guide.safety.recipients[0].text and value["hvordan"].startswith("Selvbetjening")


@pytest.mark.plain_only
def test_a_recipient_only_for_the_parents_is_refused():
    found = problems(mutate("herlev", 'recipients = ["Børne-, Unge- og Familierådgivningen, Center for Børn, Unge og '
                                      'Familier, Herlev Kommune"]',
                            'recipients = [{ text = "Forældrene", parent_contact = true }]'))
    assert any("recipients» skal have mindst én tekst uden parent_contact" in p for p in found), found


def test_guide_show_in_a_terminal_lists_the_meeting_and_what_to_confirm(cli):
    shown = flat(ok(cli, "guide", "show", "ishoej-vallensbaek-tois").out)
    assert ("1. Velkommen, og hvem deltager 2. Opfølgning på aftalerne 3. Nye aftaler – hvem gør hvad, og hvornår "
            "4. Kort referat 5. Næste statusmøde FIT bruges ikke i guiden.") in shown
    assert "Skal bekræftes af kommunen (8)" in shown and "[skal bekræftes]" in shown


@pytest.mark.plain_only
def test_resens_month_for_the_observations_is_a_calendar_month():
    """»Inden for en måned«: a case opened 1 February has its observations due 1 March, not 3 March."""
    from rettidig_cli.guide.reader import load_file
    from rettidig_cli.workflow import wizard

    guide = load_file(GUIDES / "resen.toml")
    due = wizard.observation_deadline(wizard.Context(guide=guide, created_on=dt.date(2027, 2, 1)))
    assert due == dt.date(2027, 3, 1)
    assert any("kan ikke stå sammen med observations_days" in p
               for p in problems(mutate("resen", "observations_months = 1", "observations_months = 1\nobservations_days = 30")))
