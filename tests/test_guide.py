import re
from pathlib import Path

import pytest

from rettidig_cli.guide import reader as guides
from rettidig_cli.domain.errors import GuideError, NotFoundError

ROOT = Path(__file__).resolve().parent.parent
GUIDE_DIR = ROOT / "data" / "guides"


def load(name):
    return guides.load_file(GUIDE_DIR / name)


def test_ikast_guide_has_the_five_phases_in_order():
    g = load("ikast-brande-dagtilbud.toml")
    assert [p.title for p in g.phases] == [
        "Når du bliver bekymret",
        "Undersøg din bekymring med systematisk dataindsamling",
        "Dialog om bekymringen",
        "Handling",
        "Tværfaglige strategier og tiltag",
    ]
    assert all(p.sparring for p in g.phases)
    assert "Visitationsudvalget" in [i.text for i in g.phase("dialog").sparring]
    assert "30 67 04 07" in " ".join(i.text for i in g.safety.contact)
    assert "uden at kontakte forældrene" in g.safety.rule
    options = {o.id for o in g.step("tvaerfaglig-vej").options}
    assert {"k-moede", "u-moede"} <= options
    assert g.law_ref(g.safety.law).ref == "Barnets lov § 133"


def test_resen_guide_has_deadline_parents_always_and_lille_stor_sag():
    g = load("resen.toml")
    assert (g.observation_deadline_months, g.observation_deadline_days) == (1, None)  # »inden for en måned«
    assert g.meetings.parents_always
    sag = g.step("sagstype")
    assert [o.id for o in sag.options] == ["lille", "stor"]
    stor = next(o for o in sag.options if o.id == "stor")
    assert any("sagsbehandler" in c.text for c in stor.consequences)
    tools = [t.text for t in g.tools]
    assert "TRAS MO" in tools and "Sprogvurdering" in tools
    assert [p.label for p in g.ruler] == ["I trivsel", "Bekymringsbarn", "Udsat barn"]


def test_guides_are_listed_and_found_by_id_prefix_and_path(data_home):
    assert {g.id for g in guides.available(data_home)} >= {"ikast-brande-dagtilbud", "resen"}
    assert guides.find("ikast", data_home).id == "ikast-brande-dagtilbud"
    assert guides.find(str(GUIDE_DIR / "resen.toml"), data_home).id == "resen"
    with pytest.raises(NotFoundError):
        guides.find("aarhus", data_home)


def test_a_third_guide_is_only_a_new_file(data_home):
    text = (GUIDE_DIR / "resen.toml").read_text(encoding="utf-8")
    text = text.replace('id = "resen"', 'id = "testby"', 1).replace('name = "Resen-proceduren', 'name = "Testby', 1)
    (data_home / "guides").mkdir(parents=True)
    (data_home / "guides" / "testby.toml").write_text(text, encoding="utf-8")
    assert guides.find("testby", data_home).name.startswith("Testby")


def test_engine_code_names_no_municipality_or_guide_content():
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "rettidig_cli").rglob("*.py"))
    for word in ("Ikast", "Resen", "K-møde", "Modtagelsen", "30 67 04 07", "lille sag", "stor sag"):
        assert not re.search(rf"\b{re.escape(word)}\b", code, re.IGNORECASE), word


def broken(tmp_path, text):
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    return path


def good_text():
    return (GUIDE_DIR / "resen.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("change, key, expected", [
    (lambda t: t.replace('rule = "Ved mistanke', 'rulex = "Ved mistanke', 1), "«rule» mangler i [safety]",
     "mente du «rule»?"),
    (lambda t: t.replace('kind = "text"', 'kind = "nonsense"', 1), "kind", "skal være en af"),
    (lambda t: t.replace("observations_months = 1", 'observations_days = "30"', 1), "deadlines.observations_days", "et helt tal"),
    (lambda t: t.replace('when = "sagstype=stor"', 'when = "sagstype=mellem"', 1), "when", "mellem"),
    (lambda t: t.replace('id = "stikord"', 'id = "barn"', 1), "trin «barn»", "kun én gang"),
    (lambda t: t.replace("schema = 1", "schema = 9", 1), "schema", "kan kun læse"),
])
def test_broken_guide_names_file_key_and_expectation(tmp_path, change, key, expected):
    path = broken(tmp_path, change(good_text()))
    with pytest.raises(GuideError) as err:
        guides.load_file(path)
    message = err.value.message
    assert str(path) in message and key in message and expected in message


def test_toml_syntax_error_names_line(tmp_path):
    path = broken(tmp_path, 'schema = 1\nid = "x\n')
    with pytest.raises(GuideError, match=r"linje 2"):
        guides.load_file(path)


def test_missing_guide_file_is_not_found(tmp_path):
    with pytest.raises(NotFoundError):
        guides.load_file(tmp_path / "nope.toml")


def test_broken_guide_via_cli_gives_exit_3_without_traceback(cli, tmp_path):
    path = broken(tmp_path, good_text().replace('kind = "text"', 'kind = "nonsense"', 1))
    result = cli(["guide", "show", str(path)])
    assert result.code == 3
    assert "nonsense" in result.err and "Traceback" not in result.err + result.out


def test_guide_show_lists_step_ids(cli):
    result = cli(["guide", "show", "resen"])
    assert result.code == 0
    for step_id in ("sikkerhed", "stikord", "iagttagelser", "sagstype", "aftaler", "tovholder", "statusmoeder"):
        assert re.search(rf"\b{step_id}\b", result.out), step_id


def test_default_guide_setting(monkeypatch, data_home):
    assert guides.default_guide(data_home).id == "ikast-brande-dagtilbud"
    monkeypatch.setenv("RETTIDIG_GUIDE", "resen")
    assert guides.default_guide(data_home).id == "resen"


@pytest.mark.parametrize("cpr", ["290187-4831", "290187 – 4831", "２９０１８７-４８３１"])
def test_a_cpr_number_in_a_guide_file_is_refused_before_it_reaches_a_snapshot(tmp_path, cpr):
    path = broken(tmp_path, good_text().replace('short = "Resen"', f'short = "Resen {cpr}"', 1))
    with pytest.raises(GuideError) as err:
        guides.load_file(path)
    assert "CPR-nummer i linje" in err.value.message


def test_a_cpr_number_in_a_guide_file_name_is_refused_without_echoing_it(cli, tmp_path):
    folder = tmp_path / "290187-4831"
    folder.mkdir()
    path = folder / "guide.toml"
    path.write_text(good_text(), encoding="utf-8")
    result = cli(["guide", "show", str(path)])
    assert result.code == 3
    assert "CPR-nummer" in result.err
    assert "4831" not in result.err + result.out


@pytest.mark.parametrize("name, old, new, loader", [
    ("followup.toml", "inactive_days", "inactive_dayz", "followup_rules"),
    ("documents.toml", "reminder_hours", "reminder_hourz", "document_rules"),
    ("fit.toml", "reliable_effect_size", "reliable_efect_size", "fit_rules"),
])
def test_a_misspelt_key_in_a_reference_file_is_refused_with_its_line(tmp_path, monkeypatch, name, old, new, loader):
    import shutil

    from rettidig_cli.guide import reference

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    text = (data / name).read_text(encoding="utf-8")
    (data / name).write_text(text.replace(f"\n{old} =", f"\n{new} =", 1), encoding="utf-8")
    monkeypatch.setattr(reference, "builtin_guide_dir", lambda: data / "guides")
    getattr(reference, loader).cache_clear()
    try:
        with pytest.raises(GuideError) as err:
            getattr(reference, loader)()
    finally:
        getattr(reference, loader).cache_clear()
    line = next(i for i, row in enumerate((data / name).read_text(encoding="utf-8").split("\n"), 1)
                if row.startswith(f"{new} ="))
    assert f"linje {line}" in err.value.message and f"mente du «{old}»?" in err.value.message
