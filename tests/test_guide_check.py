"""A municipality checks its own guide: `rettidig guide tjek` reports every problem of a file in one
run, each with its line, phase and step and what was expected; a broken guide in the guides
folder never stops the others."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import flat
from test_followup_interactive import screen as screen  # a fixture

ROOT = Path(__file__).resolve().parent.parent
GUIDE_DIR = ROOT / "data" / "guides"

pytestmark = pytest.mark.plain_only  # guide files, not the data file


def resen_text() -> str:
    return (GUIDE_DIR / "resen.toml").read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return next(i for i, row in enumerate(text.split("\n"), start=1) if needle in row)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def three_mistakes(text: str) -> str:
    """A misspelt key, a step kind that does not exist and a `when` that can never be true."""
    text = text.replace('id = "resen"', 'id = "testby"', 1)
    text = text.replace("message = ", "mesage = ", 1)
    text = text.replace('kind = "text"', 'kind = "tekst"', 1)
    return text.replace('when = "sagstype=stor"', 'when = "sagstype=mellem"', 1)


def test_every_shipped_guide_passes_the_check(cli):
    files = sorted(str(p) for p in GUIDE_DIR.glob("*.toml"))
    result = cli(["guide", "tjek", *files])
    assert result.code == 0, result.out + result.err
    for path in files:
        assert f"✓ {path}: gyldig" in flat(result.out)


def test_every_problem_is_reported_in_one_run_with_its_line_and_step(cli, tmp_path):
    text = three_mistakes(resen_text())
    path = write(tmp_path, "testby.toml", text)
    result = cli(["guide", "tjek", str(path)])
    assert result.code == 3, result.out
    out = flat(result.out)
    assert f"✗ {path}: 3 fejl." in out
    misspelt = line_of(text, "mesage = ")
    assert (f"Linje {misspelt}, kolonne 1 (fase «trin-1», trin «barn»): nøglen «message» mangler (forventet en "
            "tekst). Der står «mesage» – mente du «message»?") in out
    kind = line_of(text, 'kind = "tekst"')
    assert f"Linje {kind}, kolonne 1 (fase «trin-1», trin «stikord»): nøglen «kind» skal være en af" in out
    assert "(ikke «tekst»)" in out
    when = line_of(text, 'when = "sagstype=mellem"')
    assert (f"Linje {when}, kolonne 1 (fase «vurdering», trin «sagsbehandler»): nøglen «when» kan aldrig være "
            "sand: beslutningen «sagstype» har ikke valget «mellem» (den har lille, stor).") in out
    # In the order of the file, numbered.
    assert out.index(f"Linje {misspelt}") < out.index(f"Linje {kind}") < out.index(f"Linje {when}")


def test_the_check_as_json_for_an_editor_or_ci(cli, tmp_path):
    good = GUIDE_DIR / "resen.toml"
    bad = write(tmp_path, "testby.toml", three_mistakes(resen_text()))
    result = cli(["guide", "tjek", "--json", str(good), str(bad)])
    assert result.code == 3
    data = json.loads(result.out)
    first, second = data["filer"]
    assert first == {"fil": str(good), "gyldig": True, "guide": "resen", "fejl": []}
    assert second["gyldig"] is False and second["guide"] is None
    assert [(p["linje"], p["sted"]) for p in sorted(second["fejl"], key=lambda p: p["linje"])] == [
        (line_of(bad.read_text(encoding="utf-8"), "mesage = "), "fase «trin-1», trin «barn»"),
        (line_of(bad.read_text(encoding="utf-8"), 'kind = "tekst"'), "fase «trin-1», trin «stikord»"),
        (line_of(bad.read_text(encoding="utf-8"), 'when = "sagstype=mellem"'), "fase «vurdering», trin «sagsbehandler»"),
    ]
    assert all(p["fil"] == str(bad) and p["kolonne"] == 1 and p["fejl"] and p["besked"].startswith(
        f"Fejl i guidefilen {bad}, linje ") for p in second["fejl"])


def test_a_toml_syntax_error_is_one_problem_with_line_and_column(cli, tmp_path):
    path = write(tmp_path, "testby.toml", 'schema = 1\nid = "x\n')
    result = cli(["guide", "tjek", "--json", str(path)])
    assert result.code == 3
    (problem,) = json.loads(result.out)["filer"][0]["fejl"]
    assert problem["linje"] == 2 and problem["kolonne"] and "ikke gyldig TOML" in problem["besked"]


def test_a_step_after_a_when_that_is_never_true_can_never_be_reached(cli, tmp_path):
    """A `when` naming a decision that comes later, and a step that depends on a step that is never
    asked: both reported, each at its own line."""
    text = resen_text().replace('id = "resen"', 'id = "testby"', 1)
    # The decision's first follower now names a step that does not exist.
    text = text.replace('when = "sagstype=stor"', 'when = "sagstypen=stor"', 1)
    path = write(tmp_path, "testby.toml", text)
    result = cli(["guide", "tjek", str(path)])
    assert result.code == 3
    assert "nøglen «when» kan aldrig være sand: «sagstypen» findes ikke" in flat(result.out)


def test_a_choice_that_leads_nowhere_is_reported(cli, tmp_path):
    """In a decision whose choices lead to steps, a choice no step follows and that says nothing
    about what it means (no consequences) is usually a misspelt `when`."""
    text = resen_text().replace('id = "resen"', 'id = "testby"', 1)
    start = text.index('id = "lille"')
    block = text[start:text.index("[[phases.steps.options]]", start)]
    text = text[:start] + block[:block.index("consequences")] + text[start + len(block):]
    text = text[:text.index("[[escalations]]")]  # "lille" may become "stor" later: that leads somewhere
    path = write(tmp_path, "testby.toml", text)
    result = cli(["guide", "tjek", str(path)])
    assert result.code == 3, result.out
    lille = line_of(text, 'id = "lille"')
    assert (f"Linje {lille}, kolonne 1 (fase «vurdering», trin «sagstype», valget "
            "«lille»): nøglen «id» er et valg, som intet trin følger: intet trin har when = \"sagstype=lille\", og "
            "valget har ingen consequences.") in flat(result.out)


def test_a_copy_that_keeps_an_installed_guides_id_is_told_so(cli, tmp_path, data_home):
    copy = write(tmp_path, "min-kopi.toml", resen_text())
    result = cli(["guide", "tjek", str(copy)])
    assert result.code == 3
    out = flat(result.out)
    line = line_of(resen_text(), 'id = "resen"')
    assert f"Linje {line}, kolonne 1: id = «resen» bruges allerede af guiden" in out
    assert 'Giv guiden sit eget id, fx kommunens navn: id = "min-kommune".' in out


def test_a_copy_in_the_guides_folder_that_keeps_the_id_does_not_hide_the_original(cli, data_home):
    write(data_home / "guides", "resen-kopi.toml", resen_text())
    listed = flat(cli(["guide", "list"]).out)
    assert "resen-kopi" in listed and "Kan ikke bruges: Fejl i guidefilen" in listed and "bruges allerede" in listed
    assert f"rettidig guide tjek {data_home / 'guides' / 'resen-kopi.toml'}" in listed
    shown = cli(["guide", "show", "resen"])
    assert shown.code == 0, shown.err  # not "Skriv hele navnet: …, resen, resen"


def test_a_broken_guide_never_stops_the_others(cli, data_home):
    write(data_home / "guides", "testby.toml", three_mistakes(resen_text()))
    listed = cli(["guide", "list"])
    assert listed.code == 0, listed.err
    out = flat(listed.out)
    assert "ikast-brande-dagtilbud" in out and "resen" in out
    assert "testby" in out and "Kan ikke bruges" in out and "(og 2 fejl mere)" in out
    created = cli(["new", "--guide", "resen", "--answers", str(ROOT / "eksempler" / "resen-svar.toml")])
    assert created.code == 0, created.err
    # Asked for by name, the broken guide says what is wrong, and where to see it all.
    asked = cli(["new", "--guide", "testby", "--answers", str(ROOT / "eksempler" / "resen-svar.toml")])
    assert asked.code == 3
    assert "mente du «message»?" in flat(asked.err) and "Se alle fejl med: rettidig guide tjek" in flat(asked.err)


ENGLISH = {"the", "and", "is", "are", "with", "which", "this", "when", "then", "from", "its", "it", "be", "on"}


def test_the_shipped_guides_speak_danish_to_their_authors():
    """A municipal consultant reads the comments of the guide she copies: they are in Danish."""
    for path in sorted(GUIDE_DIR.glob("*.toml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
            comment = line.strip()
            if comment.startswith("#"):
                words = set(re.findall(r"[a-z]+", comment.lower()))
                assert not words & ENGLISH, f"{path.name}, linje {number}: {comment}"


# ---------------------------------------------------------------- guide ny


def test_guide_ny_with_flags_writes_a_commented_guide_that_passes_the_check(cli, data_home):
    result = cli(["guide", "ny", "--kommune", "Hedensted Kommune", "--tilbud", "Vuggestue, Børnehave, SFO"])
    assert result.code == 0, result.err
    path = data_home / "guides" / "hedensted-kommune.toml"
    text = path.read_text(encoding="utf-8")
    from rettidig_cli.guide import reader

    assert text.startswith(f"#:schema {reader.schema_path().as_uri()}\n")
    assert "# Tjek filen, hver gang du har rettet den:\n#   rettidig guide tjek hedensted-kommune.toml" in text
    guide = reader.load_file(path)
    assert (guide.id, guide.name, guide.municipality, guide.settings) == (
        "hedensted-kommune", "Fra bekymring til handling – Hedensted Kommune", "Hedensted Kommune",
        ("Vuggestue", "Børnehave", "SFO"))
    assert cli(["guide", "tjek", str(path)]).code == 0
    assert "hedensted-kommune" in flat(cli(["guide", "list"]).out)
    answers = write(data_home, "svar.toml", 'sikkerhed = false\n[barn]\nnavn = "Ida"\naldersgruppe = "3-4 år"\n'
                                             'tilbud = "SFO"\n')
    created = cli(["new", "--guide", "hedensted-kommune", "--answers", str(answers)])
    assert created.code == 0, created.err
    code = next(w for w in created.out.split() if w.startswith("RT-"))
    plan = json.loads(cli(["plan", code, "--json"]).out)
    assert plan["guide"]["id"] == "hedensted-kommune" and plan["barn"]["tilbud"] == "SFO"


def test_guide_ny_from_a_copy_keeps_the_guide_and_gives_it_its_own_identity(cli, data_home, tmp_path):
    target = tmp_path / "gladsaxe.toml"
    result = cli(["guide", "ny", "--kommune", "Gladsaxe Kommune", "--navn", "Tidlig indsats i Gladsaxe",
                  "--id", "gladsaxe", "--tilbud", "Børnehave", "--fra", "resen", "--fil", str(target)])
    assert result.code == 0, result.err
    from rettidig_cli.guide import reader

    copy, original = reader.load_file(target), reader.find("resen", data_home)
    assert (copy.id, copy.name, copy.municipality, copy.short, copy.settings) == (
        "gladsaxe", "Tidlig indsats i Gladsaxe", "Gladsaxe Kommune", "Gladsaxe Kommune", ("Børnehave",))
    assert [s.id for s in copy.steps()] == [s.id for s in original.steps()]
    assert "rettidig guide tjek gladsaxe.toml" in target.read_text(encoding="utf-8")


def test_guide_ny_asks_in_a_terminal(cli, data_home, screen):
    down, enter = "\x1b[B", "\r"
    result = cli(["guide", "ny"], keys="Ishøj Kommune" + enter + enter + enter + "Vuggestue, Børnehave" + enter
                 + down + enter)
    assert result.code == 0, result.err
    guide_path = data_home / "guides" / "ishoej-kommune.toml"
    from rettidig_cli.guide import reader

    guide = reader.load_file(guide_path)
    assert (guide.id, guide.municipality, guide.settings) == ("ishoej-kommune", "Ishøj Kommune", ("Vuggestue", "Børnehave"))
    installed = [g for g in reader.available(data_home) if g.id != "ishoej-kommune"]
    first_copy = installed[0]
    assert [s.id for s in guide.steps()] == [s.id for s in first_copy.steps()]  # the first guide offered


@pytest.mark.parametrize("args, message", [
    (["--tilbud", "Børnehave"], "der er ingen terminal at spørge i"),
    (["--kommune", "X", "--tilbud", "Børnehave", "--id", "Store Bogstaver"], "Et id må kun have små bogstaver"),
    (["--kommune", "X", "--tilbud", "Børnehave", "--id", "resen"], "«resen» bruges allerede af guiden"),
    (["--kommune", "X", "--tilbud", " , "], "Skriv mindst ét tilbud"),
])
def test_guide_ny_refuses_what_cannot_become_a_guide_and_writes_nothing(cli, data_home, args, message):
    result = cli(["guide", "ny", *args])
    assert result.code in (2, 6), result.out
    assert message in flat(result.err)
    assert not (data_home / "guides").exists() or not list((data_home / "guides").glob("*.toml"))


def test_guide_ny_never_writes_over_a_file(cli, data_home, tmp_path):
    target = tmp_path / "min.toml"
    target.write_text("mine noter", encoding="utf-8")
    result = cli(["guide", "ny", "--kommune", "X", "--tilbud", "Børnehave", "--fil", str(target)])
    assert result.code == 2 and "findes allerede og overskrives ikke" in flat(result.err)
    assert target.read_text(encoding="utf-8") == "mine noter"


# ---------------------------------------------------------------- municipal wording from the guide


def test_a_guide_names_its_own_fit_respondents_and_must_mark_the_parents(tmp_path):
    from rettidig_cli.domain.errors import GuideError
    from rettidig_cli.guide import parents, reader

    marked = resen_text().replace('id = "resen"', 'id = "testby"', 1).replace(
        "[[law]]", '[fit]\nrespondents = [{ text = "Plejemor", parent_contact = true }, "Barnet", "Kontaktpædagog"]\n\n'
                   "[[law]]", 1)
    guide = reader.load_file(write(tmp_path, "testby.toml", marked))
    assert parents.visible(guide.fit_respondents, False) == ["Plejemor", "Barnet", "Kontaktpædagog"]
    assert parents.visible(guide.fit_respondents, True) == ["Barnet", "Kontaktpædagog"]
    unmarked = marked.replace('{ text = "Plejemor", parent_contact = true }', '"Mor"')
    with pytest.raises(GuideError) as err:
        reader.load_file(write(tmp_path, "testby2.toml", unmarked.replace('id = "testby"', 'id = "testby2"')))
    assert "«Mor» handler om forældrene, men er ikke markeret" in err.value.message


def test_a_guide_offers_its_own_documents_and_only_those(cli, tmp_path):
    """The K-møde request is Ikast-Brande's (with its roles as signing parties): a Resen case cannot
    have it; a guide that offers only some of the common documents offers only those."""
    answers = str(ROOT / "eksempler")
    resen = cli(["new", "--guide", "resen", "--answers", f"{answers}/resen-svar.toml"])
    ikast = cli(["new", "--guide", "ikast", "--answers", f"{answers}/ikast-svar.toml"])
    resen_code, ikast_code = (next(w for w in r.out.split() if w.startswith("RT-")) for r in (resen, ikast))
    refused = cli(["export", resen_code, "--til", "k-moede", "--format", "markdown", "--out", str(tmp_path)])
    assert refused.code == 2
    assert "«k-moede» er ikke et dokument, guiden Resen har. Brug et af: handleplan, statusmoede, anonym, afslutning." in flat(
        refused.err)
    made = cli(["export", ikast_code, "--til", "k-moede", "--format", "markdown", "--out", str(tmp_path)])
    assert made.code == 0, made.err
    text = next(tmp_path.glob("anmodning-k-moede-*.md")).read_text(encoding="utf-8")
    assert "# Anmodning om K-møde" in text and "| Modtaget af leder |" in text


def test_a_guides_own_document_is_checked_like_the_rest_of_the_guide(cli, tmp_path):
    own = ('\n[documents]\noffers = ["handleplan", "mødereferat"]\n\n[[documents.purposes]]\nid = "anonym"\n'
           'title = "Til forummet"\nfile_prefix = "forum"\njson = "document"\ncalendar = "none"\ncsv = "all"\n'
           'sections = [\n  { heading = "Bekymringen", source = "concern", help = "Ring til forældrene først." },\n'
           '  { heading = "Samtykke", source = "consent", topic = "forum" },\n]\n')
    text = resen_text().replace('id = "resen"', 'id = "testby"', 1) + own
    path = write(tmp_path, "testby.toml", text)
    result = cli(["guide", "tjek", str(path)])
    assert result.code == 3
    out = flat(result.out)
    assert "nøglen «documents.offers[1]» er «mødereferat», som ikke er et dokument i data/documents.toml" in out
    assert "nøglen «id» eller et af navnene (anonym) bruges allerede af et dokument i data/documents.toml" in out
    assert "nøglen «parent_contact» skal være true: afsnittet «consent» handler om forældrene" in out
    assert "«Ring til forældrene først» handler om forældrene, men er ikke markeret" in out


# ---------------------------------------------------------------- guide opdater


def newer_version(text: str) -> str:
    """The municipality's corrected guide: a step added for a stor sag, the ruler step gone, a
    choice renamed, and a document of its own."""
    text = text.replace('label = "Lille sag"', 'label = "Lille sag (stue og forældre)"', 1)
    text = text.replace('[[phases.steps]]\nid = "sagsbehandler"', '[[phases.steps]]\nid = "ny-vurdering"\nkind = "text"\n'
                        'title = "Ny vurdering"\nwhen = "sagstype=stor"\nmessage = "Hvad siger den nye vurdering?"\n\n'
                        '[[phases.steps]]\nid = "sagsbehandler"', 1)
    start = text.index('[[phases.steps]]\nid = "placering"')
    text = text[:start] + text[text.index("# ----", start):]
    return text + ('\n[[documents.purposes]]\nid = "forum"\ntitle = "Til forummet"\nfile_prefix = "forum"\n'
                   'json = "document"\ncalendar = "none"\ncsv = "all"\n'
                   'sections = [{ heading = "Bekymringen", source = "concern" }]\n')


@pytest.fixture
def moved(cli, data_home):
    """A case made from a municipality's guide, and the guide file corrected afterwards."""
    path = write(data_home / "guides", "testby.toml", resen_text().replace('id = "resen"', 'id = "testby"', 1))
    created = cli(["new", "--guide", "testby", "--answers", str(ROOT / "eksempler" / "resen-svar.toml")])
    assert created.code == 0, created.err
    path.write_text(newer_version(path.read_text(encoding="utf-8")), encoding="utf-8")
    assert cli(["guide", "tjek", str(path)]).code == 0
    return next(w for w in created.out.split() if w.startswith("RT-"))


def test_guide_opdater_shows_what_changes_for_the_case_and_moves_it(cli, data_home, tmp_path, moved):
    # The new document is not the case's until the case follows the new version, and export says so.
    refused = cli(["export", moved, "--til", "forum", "--format", "markdown", "--out", str(tmp_path)])
    assert refused.code == 2
    assert f"Flyt sagen til den med: rettidig guide opdater {moved}" in flat(refused.err)
    # Without a terminal and without --ja: shown, not moved.
    asked = cli(["guide", "opdater", moved])
    assert asked.code == 6
    out = flat(asked.out)
    assert "Nye trin: • Ny vurdering" in out
    assert "Trin, der er væk (svarene står stadig i historikken): • Børnelinealen" in out
    assert "Valg med nyt navn: • Lille eller stor sag: «Lille sag» hedder nu «Lille sag (stue og forældre)»" in out
    assert "Nye dokumenter: • Til forummet" in out
    before = json.loads(cli(["plan", moved, "--json"]).out)
    moved_now = cli(["guide", "opdater", moved, "--ja"])
    assert moved_now.code == 0, moved_now.err
    after = json.loads(cli(["plan", moved, "--json"]).out)
    # Nothing the case held is lost: the position answered at the removed step is still there.
    assert after["placering"] == before["placering"] and after["aftaler"] == before["aftaler"]
    assert "Sagen følger nu den nyeste udgave af guiden" in flat(cli(["historik", moved]).out)
    again = cli(["guide", "opdater", moved])
    assert again.code == 0 and "følger allerede den nyeste udgave" in flat(again.out)
    assert cli(["export", moved, "--til", "forum", "--format", "markdown", "--out", str(tmp_path)]).code == 0


def test_guide_opdater_is_logged_and_needs_an_open_case(cli, data_home, moved):
    from conftest import query

    assert cli(["guide", "opdater", moved, "--ja"]).code == 0
    assert [r["detail"] for r in query(data_home, "SELECT detail FROM audit_log WHERE action = 'ændre'")
            if r["detail"] == "guide opdateret"] == ["guide opdateret"]
    assert cli(["luk", moved, "--grund", "Bekymringen er væk"]).code == 0
    closed = cli(["guide", "opdater", moved, "--ja"])
    assert closed.code != 0 and "lukket" in flat(closed.err)


def test_the_words_of_a_document_live_in_data_not_in_python():
    """Signing parties and the labels over lines to write on come from data/documents.toml or the
    guide; the builder writes none of its own."""
    source = (ROOT / "rettidig_cli" / "views" / "documents.py").read_text(encoding="utf-8")
    assert not re.findall(r'write_in\(\s*["f]', source)
    for word in ("Medarbejder", "Ressourcepædagog", "Modtaget af leder", "Forælder"):
        assert f'"{word}"' not in source
    from rettidig_cli.guide import reader
    from rettidig_cli.guide.reference import purpose_for

    ikast = reader.find("ikast", None)
    request = purpose_for(ikast, "k-moede")
    assert [p.text for p in next(s for s in request.sections if s.source == "request_signature").parties] == [
        "Medarbejder", "Ressourcepædagog", "Modtaget af leder"]
    assert next(s for s in request.sections if s.source == "tried").write_in == "Hvad er afprøvet?"


# ---------------------------------------------------------------- guide show --format


def test_guide_show_writes_the_whole_guide_for_approval_with_the_texts_to_confirm(cli, tmp_path):
    import io

    from docx import Document

    text = resen_text().replace('id = "resen"', 'id = "testby"', 1).replace(
        '"Leder",', '{ text = "Familiehuset, tlf. 12 34 56 78", confirm = true },\n  "Leder",', 1)
    guide = write(tmp_path, "testby.toml", text)
    out = tmp_path / "godkendelse.docx"
    result = cli(["guide", "show", str(guide), "--format", "docx", "--out", str(out)])
    assert result.code == 0, result.err
    assert "(2 tekster skal bekræftes)" in flat(result.out)  # this one and Resen's own (the kvittering's paragraph)
    doc = Document(io.BytesIO(out.read_bytes()))
    words = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "Familiehuset, tlf. 12 34 56 78 [skal bekræftes]" in words
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "Først: sikkerhedsspørgsmålet" and headings[-1] == "Skal bekræftes af kommunen"
    assert [h for h in headings if h.startswith("Fase ")] == [
        "Fase 1: Trin 1 – Når en bekymring starter", "Fase 2: Lille sag eller stor sag", "Fase 3: Trin 2 – Handleplan"]
    assert "sagsbehandler" in words and "kun når sagstype = stor" in words  # every step id, with its condition
    assert "(ikke ved mistanke om vold eller overgreb)" in words  # the parents' texts marked as such
    again = cli(["guide", "show", str(guide), "--format", "docx", "--out", str(out)])
    assert again.code == 2 and "overskrives ikke" in flat(again.err)


def test_guide_show_as_markdown_names_every_phase_and_step(cli, tmp_path):
    out = tmp_path / "ikast.md"
    assert cli(["guide", "show", "ikast", "-f", "markdown", "-o", str(out)]).code == 0
    text = out.read_text(encoding="utf-8")
    from rettidig_cli.guide import reader

    guide = reader.find("ikast", None)
    for number, phase in enumerate(guide.phases, start=1):
        assert f"## Fase {number}: {phase.title}" in text
    for step in guide.steps():
        assert f"| {step.id} |" in text.replace("\\_", "_").replace("\\-", "-"), step.id
    assert "Anmodning om K-møde" in text  # its own document


def test_guide_show_in_the_terminal_names_the_documents_and_the_texts_to_confirm(cli, tmp_path):
    text = resen_text().replace('id = "resen"', 'id = "testby"', 1).replace(
        '"Leder",', '{ text = "Familiehuset", confirm = true },\n  "Leder",', 1)
    result = cli(["guide", "show", str(write(tmp_path, "testby.toml", text))])
    assert result.code == 0, result.err
    out = flat(result.out)
    assert "Familiehuset [skal bekræftes]" in out
    assert "handleplan: Handleplan" in out and "anonym: Anonym tværfaglig drøftelse" in out
    assert "rettidig guide show testby --format docx" in out
    assert "k-moede: Anmodning om K-møde" in flat(cli(["guide", "show", "ikast"]).out)


def test_guide_ny_cut_short_leaves_no_half_file(cli, data_home, monkeypatch):
    """Interrupted before the file has its name (here at the publishing step; kill -9 at the fsync
    was tried by hand with strace), no half guide is left under the name: guide list is unchanged
    and the same command works again."""
    from rettidig_cli.storage import safefile

    def interrupted(source, target, label=""):
        raise KeyboardInterrupt

    args = ["guide", "ny", "--kommune", "Test Kommune", "--tilbud", "Børnehave"]
    with monkeypatch.context() as patched:
        patched.setattr(safefile, "publish_new", interrupted)
        assert cli(args).code == 130
    assert list((data_home / "guides").iterdir()) == []
    assert cli(args).code == 0
    assert [p.name for p in (data_home / "guides").iterdir()] == ["test-kommune.toml"]


def test_guide_opdater_names_no_step_about_the_parents_on_the_abuse_path(cli, data_home):
    from rettidig_cli.guide import parents

    path = write(data_home / "guides", "testby.toml", resen_text().replace('id = "resen"', 'id = "testby"', 1))
    answers = write(data_home, "mistanke.toml", 'sikkerhed = { mistanke = true, underretning = { dato = "2026-12-01", '
                                                'leder_informeret = true } }\n[barn]\nnavn = "Ida"\n'
                                                'aldersgruppe = "3-4 år"\ntilbud = "Børnehave"\n')
    created = cli(["new", "--guide", "testby", "--answers", str(answers)])
    assert created.code == 0, created.err
    code = next(w for w in created.out.split() if w.startswith("RT-"))
    newer = path.read_text(encoding="utf-8").replace('[[phases.steps]]\nid = "sagsbehandler"', (
        '[[phases.steps]]\nid = "foraeldremoede"\nkind = "text"\ntitle = "Møde med forældrene"\n'
        'parent_contact = true\nmessage = "Hvornår mødes I med forældrene?"\n\n'
        '[[phases.steps]]\nid = "ny-vurdering"\nkind = "text"\ntitle = "Ny vurdering"\n'
        'message = "Hvad siger den nye vurdering?"\n\n[[phases.steps]]\nid = "sagsbehandler"'), 1)
    path.write_text(newer, encoding="utf-8")
    shown = cli(["guide", "opdater", code])
    out = flat(shown.out)
    assert "Nye trin: • Ny vurdering" in out and "Møde med forældrene" not in out
    assert not parents.parent_wording(out)
