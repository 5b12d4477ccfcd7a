"""Non-interactive use: `rettidig new --answers FILE` (TOML or JSON), the validation of such
files before anything is saved, and broken guide files. Everything runs through the real CLI
entry point (cli.main) via the `cli` fixture from conftest."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tomllib
from pathlib import Path

import holidays
import pytest

from conftest import EXAMPLES, ROOT, working_day_on_or_after
from helpers import assert_no_traceback, created_code, flat, plan_json

RESEN_EXAMPLE = EXAMPLES / "resen-svar.toml"
IKAST_EXAMPLE = EXAMPLES / "ikast-svar.toml"
RESEN_GUIDE = ROOT / "data" / "guides" / "resen.toml"

CPR = "010203-1234"


# ---------------------------------------------------------------- helpers


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def example_dict(path: Path = RESEN_EXAMPLE) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, data: dict) -> Path:
    return write(path, json.dumps(data, ensure_ascii=False, indent=2))


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"test setup: {old!r} must occur exactly once"
    return text.replace(old, new)


def cases(cli) -> list[dict]:
    result = cli(["list", "--json", "--alle"])
    assert result.code == 0, result.err
    return json.loads(result.out)


def all_bytes(folder: Path) -> bytes:
    """Every byte rettidig left in its data folder (db, WAL, SHM, backups)."""
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def assert_meetings_on_working_days(meetings: list[dict]) -> None:
    days = [dt.date.fromisoformat(m["dato"]) for m in meetings]
    closed = holidays.Denmark(years=range(min(days).year, max(days).year + 1))
    for day in days:
        assert day.weekday() < 5, f"status meeting on a weekend: {day}"
        assert day not in closed, f"status meeting on a public holiday: {day} ({closed.get(day)})"


# ---------------------------------------------------------------- the example files


@pytest.mark.parametrize(
    ("guide", "example", "tovholder", "child"),
    [
        ("resen", RESEN_EXAMPLE, "Ali Demir", "C.D."),
        ("ikast-brande-dagtilbud", IKAST_EXAMPLE, "Mette Hansen", "A.B."),
    ],
)
def test_example_answers_create_complete_case(cli, guide, example, tovholder, child):
    result = cli(["new", "--guide", guide, "--answers", str(example)])
    assert result.code == 0, result.err
    assert_no_traceback(result)
    code = created_code(result.out)
    assert code == f"RT-{dt.date.today().year}-001"
    assert f"rettidig plan {code}" in flat(result.out)

    plan = plan_json(cli, code)
    assert plan["faerdig"] is True
    assert plan["guide"]["id"] == guide
    assert plan["barn"]["navn"] == child
    assert plan["tovholder"]["navn"] == tovholder
    assert plan["mistanke_om_vold_eller_overgreb"] is False
    assert len(plan["statusmoeder"]) == 3
    assert_meetings_on_working_days(plan["statusmoeder"])
    # Both guides say the parents always take part in the status meetings.
    for meeting in plan["statusmoeder"]:
        assert meeting["deltagere"][0] == "Forældre"
    assert plan["foraeldre"]["underskrift"]["svar"] == "ja"
    assert len(plan["aftaler"]) == 2

    listed = cases(cli)
    assert [c["kode"] for c in listed] == [code]
    assert listed[0]["tovholder"] == tovholder


def test_json_answers_file(cli, tmp_path):
    path = write_json(tmp_path / "svar.json", example_dict())
    result = cli(["new", "--guide", "resen", "--answers", str(path)])
    assert result.code == 0, result.err
    plan = plan_json(cli, created_code(result.out))
    assert plan["faerdig"] is True
    assert plan["tovholder"]["navn"] == "Ali Demir"
    assert [m["dato"] for m in plan["statusmoeder"]] == ["2026-12-10", "2027-01-07", "2027-02-04"]
    assert plan["placering"]["id"] == "bekymring"
    assert [o["hvad"] for o in plan["observationer"]] == ["Bruger få ord og peger i stedet for at spørge."]


def test_explicit_meeting_dates_and_native_toml_dates(cli, tmp_path):
    """datoer = [...] instead of a rhythm, and TOML date literals instead of strings."""
    text = RESEN_EXAMPLE.read_text(encoding="utf-8")
    text = replace_once(text, 'dato = "2026-11-18"', "dato = 2026-11-18")
    text = replace_once(text, "rytme_uger = 4\nantal = 3\nstart = \"2026-12-10\"",
                        'datoer = ["8-12-2026", "2027-01-12", 2027-02-09]\ntidspunkt = "8.30"')
    result = cli(["new", "--guide", "resen", "--answers", str(write(tmp_path / "svar.toml", text))])
    assert result.code == 0, result.err
    plan = plan_json(cli, created_code(result.out))
    assert [m["dato"] for m in plan["statusmoeder"]] == ["2026-12-08", "2027-01-12", "2027-02-09"]
    assert {m["tidspunkt"] for m in plan["statusmoeder"]} == {"08:30"}
    assert plan["observationer"][0]["dato"] == "2026-11-18"


# ---------------------------------------------------------------- mistakes in the file: nothing is created


@pytest.mark.parametrize(
    ("old", "new", "step_id"),
    [
        ('dato = "2026-11-18"', 'dato = "31-02-2026"', "iagttagelser"),
        ('start = "2026-12-10"', 'start = "32.12.2026"', "statusmoeder"),
        ('dato = "2026-11-20"', 'dato = "20/13/2026"', "foraeldre-orienteret"),
        ('senest = "2026-12-11"', 'senest = "i overovermorgen"', "aftaler"),
    ],
)
def test_invalid_date_is_refused_and_nothing_is_created(cli, tmp_path, data_home, old, new, step_id):
    text = replace_once(RESEN_EXAMPLE.read_text(encoding="utf-8"), old, new)
    result = cli(["new", "--guide", "resen", "--answers", str(write(tmp_path / "svar.toml", text))])
    assert result.code == 2
    assert_no_traceback(result)
    message = flat(result.err)
    assert f"«{step_id}»" in message
    bad = new.split('"')[1]
    assert f"«{bad}»" in message  # the value that could not be read
    assert "Ny sag" not in result.out
    assert cases(cli) == []


def test_meeting_date_on_a_holiday_is_refused(cli, tmp_path):
    text = replace_once(RESEN_EXAMPLE.read_text(encoding="utf-8"), 'start = "2026-12-10"',
                        'datoer = ["2026-12-25"]')
    result = cli(["new", "--guide", "resen", "--answers", str(write(tmp_path / "svar.toml", text))])
    assert result.code == 2
    assert "«statusmoeder»" in flat(result.err)
    assert "Juledag" in flat(result.err) or "juledag" in flat(result.err)
    assert cases(cli) == []


@pytest.mark.parametrize(
    "where",
    ["stikord", "barn.navn", "iagttagelser.hvad", "tovholder.navn", "statusmoeder.deltagere", "koordinator"],
)
@pytest.mark.parametrize("number", [CPR, CPR.replace("-", ""), CPR.replace("-", " ")])
def test_cpr_number_in_free_text_is_refused(cli, tmp_path, data_home, where, number):
    data = example_dict()
    sentence = f"Barnet har cpr {number} ifølge mor"
    if where == "barn.navn":
        data["barn"]["navn"] = number
    elif where == "iagttagelser.hvad":
        data["iagttagelser"][0]["hvad"] = sentence
    elif where == "tovholder.navn":
        data["tovholder"]["navn"] = f"Ali {number}"
    elif where == "statusmoeder.deltagere":
        data["statusmoeder"]["deltagere"] = f"Forældre, Ali, {number}"
    else:
        data[where] = sentence
    result = cli(["new", "--guide", "resen", "--answers", str(write_json(tmp_path / "svar.json", data))])
    assert result.code == 2
    assert_no_traceback(result)
    message = flat(result.err)
    assert "CPR" in message
    assert f"«{where.split('.')[0]}»" in message
    assert cases(cli) == []
    stored = all_bytes(data_home)
    for form in {number, number.replace("-", "").replace(" ", "")}:
        assert form.encode() not in stored


def test_cpr_number_never_reaches_the_data_file_even_with_existing_cases(cli, tmp_path, data_home):
    """With a database already in use, a refused file still leaves no trace of the number."""
    assert cli(["new", "--guide", "resen", "--answers", str(RESEN_EXAMPLE)]).code == 0
    data = example_dict()
    data["analyse"] = f"Se journal {CPR}"
    result = cli(["new", "--guide", "resen", "--answers", str(write_json(tmp_path / "svar.json", data))])
    assert result.code == 2
    assert "«analyse»" in flat(result.err)
    assert [c["kode"] for c in cases(cli)] == [f"RT-{dt.date.today().year}-001"]
    stored = all_bytes(data_home)
    assert CPR.encode() not in stored
    assert CPR.replace("-", "").encode() not in stored


def test_unknown_step_id_is_named(cli, tmp_path):
    # At the top, so it is a step id (a key after [underskrift] would belong to that table).
    text = 'bekymringer = "stavefejl"\n' + RESEN_EXAMPLE.read_text(encoding="utf-8")
    result = cli(["new", "--guide", "resen", "--answers", str(write(tmp_path / "svar.toml", text))])
    assert result.code == 2
    assert_no_traceback(result)
    message = flat(result.err)
    assert "bekymringer" in message
    assert "resen" in message
    assert "guide show resen" in message  # tells where to look the ids up
    assert cases(cli) == []


def test_missing_safety_answer_is_refused(cli, tmp_path):
    data = example_dict()
    del data["sikkerhed"]
    result = cli(["new", "--guide", "resen", "--answers", str(write_json(tmp_path / "svar.json", data))])
    assert result.code == 2
    assert "sikkerhed" in flat(result.err)
    assert cases(cli) == []


def test_gap_before_later_answers_is_refused(cli, tmp_path):
    """A required step left out while later steps are answered is a mistake, not a pause."""
    data = example_dict()
    del data["stikord"]
    result = cli(["new", "--guide", "resen", "--answers", str(write_json(tmp_path / "svar.json", data))])
    assert result.code == 2
    assert "«stikord»" in flat(result.err)
    assert cases(cli) == []


@pytest.mark.parametrize(
    ("suffix", "content", "kind"),
    [
        (".toml", 'sikkerhed = false\nstikord = "ikke afsluttet\n[barn]\nnavn = "X"\n', "TOML"),
        (".toml", "sikkerhed = false\n[barn\nnavn = 'X'\n", "TOML"),
        (".json", '{"sikkerhed": false, "stikord": }', "JSON"),
    ],
)
def test_malformed_answers_file(cli, tmp_path, suffix, content, kind):
    path = write(tmp_path / f"svar{suffix}", content)
    result = cli(["new", "--guide", "resen", "--answers", str(path)])
    assert result.code == 2
    assert_no_traceback(result)
    message = flat(result.err)
    assert f"ikke gyldig {kind}" in message
    assert path.name in message
    assert cases(cli) == []


def test_malformed_toml_answers_file_names_the_line(cli, tmp_path):
    path = write(tmp_path / "svar.toml", 'sikkerhed = false\nstikord = "ikke afsluttet\n')
    result = cli(["new", "--guide", "resen", "--answers", str(path)])
    assert result.code == 2
    assert "linje 2" in flat(result.err)


def test_missing_answers_file(cli, tmp_path):
    result = cli(["new", "--guide", "resen", "--answers", str(tmp_path / "findes-ikke.toml")])
    assert result.code == 2
    assert_no_traceback(result)
    assert "findes ikke" in flat(result.err)
    assert cases(cli) == []


def test_answers_file_that_is_not_a_table(cli, tmp_path):
    result = cli(["new", "--guide", "resen", "--answers", str(write(tmp_path / "svar.json", "[1, 2]"))])
    assert result.code == 2
    assert_no_traceback(result)
    assert "trin-id" in flat(result.err)
    assert cases(cli) == []


# ---------------------------------------------------------------- a file that stops early


def test_file_that_stops_early_saves_the_case_and_says_how_to_resume(cli, tmp_path):
    data = example_dict()
    first_part = {k: data[k] for k in ("sikkerhed", "barn", "stikord", "koordinator", "foraeldre-orienteret")}
    result = cli(["new", "--guide", "resen", "--answers", str(write_json(tmp_path / "del1.json", first_part))])
    assert result.code == 0, result.err
    assert_no_traceback(result)
    code = created_code(result.out)
    assert f"rettidig resume {code}" in flat(result.out)

    plan = plan_json(cli, code)
    assert plan["faerdig"] is False
    assert plan["barn"]["navn"] == "C.D."
    assert plan["bekymring"] == [data["stikord"]]
    assert plan["fase"]["nummer"] == 1
    assert plan["tovholder"] is None
    assert [c["kode"] for c in cases(cli)] == [code]

    # The rest, from a second file, finishes the same case.
    # (foraeldres-syn is optional and was skipped by the first file, so it is not repeated.)
    rest = {k: v for k, v in data.items() if k not in first_part and k != "foraeldres-syn"}
    result = cli(["resume", code, "--answers", str(write_json(tmp_path / "del2.json", rest))])
    assert result.code == 0, result.err
    plan = plan_json(cli, code)
    assert plan["faerdig"] is True
    assert plan["tovholder"]["navn"] == "Ali Demir"
    assert len(plan["statusmoeder"]) == 3
    assert len(plan["observationer"]) == 1
    assert len(cases(cli)) == 1


def test_file_that_stops_in_a_loop_step(cli, tmp_path):
    """Stopping at the observations (a loop step) pauses too, with the earlier answers kept."""
    data = example_dict()
    keep = ("sikkerhed", "barn", "stikord", "foraeldre-orienteret", "foraeldres-syn")
    result = cli(["new", "--guide", "resen", "--answers",
                  str(write_json(tmp_path / "del1.json", {k: data[k] for k in keep}))])
    assert result.code == 0, result.err
    code = created_code(result.out)
    assert f"rettidig resume {code}" in flat(result.out)
    plan = plan_json(cli, code)
    assert plan["faerdig"] is False
    assert plan["observationer"] == []
    assert plan["foraeldre"]["samtykker"][0]["svar"] == "ja"


# ---------------------------------------------------------------- the abuse path


def abuse_text(extra_underretning: str = "") -> str:
    today = dt.date.today().isoformat()
    safety = ("sikkerhed = { mistanke = true, underretning = { dato = \"" + today + "\", "
              "modtager = \"Familieafdelingen\", hvordan = \"Skriftlig underretning\", "
              "leder_informeret = true" + extra_underretning + " } }")
    text = replace_once(RESEN_EXAMPLE.read_text(encoding="utf-8"), "sikkerhed = false", safety)
    # A lille sag is between the room and the parents: on the abuse path the case is a stor sag,
    # and the parents have no task.
    meeting = working_day_on_or_after(dt.date.today() + dt.timedelta(days=7)).isoformat()
    text = replace_once(text, 'hvem = "Forældrene"', 'hvem = "Pædagog Ali"')
    return replace_once(text, 'sagstype = "lille"', 'sagstype = "stor"\nsagsbehandler = "Sagsbehandler kontaktet"\n'
                        f'teammoede = {{ dato = "{meeting}", deltagere = "Sagsbehandler, leder" }}')


def test_abuse_path_skips_parent_steps_with_a_warning(cli, tmp_path):
    result = cli(["new", "--guide", "resen", "--answers", str(write(tmp_path / "svar.toml", abuse_text()))])
    assert result.code == 0, result.err
    assert_no_traceback(result)
    out = flat(result.out)
    # The example answers all three parent-contact steps: each is named and skipped.
    for step_id in ("foraeldre-orienteret", "foraeldres-syn", "underskrift"):
        assert re.search(rf"Bemærk: Trinnet «{step_id}» .*? sprunget over", out), out
    assert out.count("Bemærk:") == 3

    plan = plan_json(cli, created_code(result.out))
    assert plan["mistanke_om_vold_eller_overgreb"] is True
    assert plan["sikkerhedsregel"]
    assert plan["faerdig"] is True
    assert len(plan["underretninger"]) == 1
    assert plan["underretninger"][0]["leder_informeret"] is True
    assert plan["underretninger"][0]["modtager"] == "Familieafdelingen"
    # Nothing from the parent-contact steps is saved, and the parents are not added to meetings.
    assert plan["foraeldre"]["samtykker"] == []
    assert plan["foraeldre"]["perspektiv"] == []
    assert plan["foraeldre"]["underskrift"] is None
    assert len(plan["statusmoeder"]) == 3
    for meeting in plan["statusmoeder"]:
        assert not any(p.casefold().startswith("forældre") for p in meeting["deltagere"])
    assert plan["tovholder"]["navn"] == "Ali Demir"
    assert not any("leder" in item.lower() for item in plan["forsinket"])


def test_abuse_path_without_parent_steps_gives_no_warning(cli, tmp_path):
    text = abuse_text()
    data = tomllib.loads(text)
    for step_id in ("foraeldre-orienteret", "foraeldres-syn", "underskrift"):
        del data[step_id]
    result = cli(["new", "--guide", "resen", "--answers", str(write_json(tmp_path / "svar.json", data))])
    assert result.code == 0, result.err
    assert "Bemærk" not in result.out
    assert plan_json(cli, created_code(result.out))["faerdig"] is True


def test_abuse_path_requires_the_underretning(cli, tmp_path):
    text = replace_once(RESEN_EXAMPLE.read_text(encoding="utf-8"), "sikkerhed = false",
                        "sikkerhed = { mistanke = true }")
    result = cli(["new", "--guide", "resen", "--answers", str(write(tmp_path / "svar.toml", text))])
    assert result.code == 2
    assert_no_traceback(result)
    message = flat(result.err)
    assert "«sikkerhed»" in message
    assert "underretning" in message
    assert cases(cli) == []


def test_abuse_path_with_leader_not_informed_is_flagged(cli, tmp_path):
    text = abuse_text().replace("leder_informeret = true", "leder_informeret = false")
    result = cli(["new", "--guide", "resen", "--answers", str(write(tmp_path / "svar.toml", text))])
    assert result.code == 0, result.err
    plan = plan_json(cli, created_code(result.out))
    assert any("leder" in item.lower() for item in plan["forsinket"])


# ---------------------------------------------------------------- guides


def test_guide_show_lists_step_ids(cli):
    result = cli(["guide", "show", "resen"])
    assert result.code == 0, result.err
    guide = tomllib.loads(RESEN_GUIDE.read_text(encoding="utf-8"))
    step_ids = [s["id"] for phase in guide["phases"] for s in phase["steps"]]
    assert len(step_ids) >= 10
    words = set(re.split(r"\s+", result.out))
    for step_id in ["sikkerhed", *step_ids]:
        assert step_id in words, f"step id {step_id!r} not listed"
    # The option ids a decision answer needs are listed too.
    assert re.search(r"\blille: Lille sag\b", result.out)
    assert re.search(r"\bstor: Stor sag\b", result.out)


def broken_guide(tmp_path: Path, old: str, new: str) -> Path:
    text = RESEN_GUIDE.read_text(encoding="utf-8")
    return write(tmp_path / "broken.toml", replace_once(text, old, new))


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('rule = "Ved mistanke', 'regel = "Ved mistanke', "«rule» mangler i [safety]"),
        ('kind = "tovholder"', 'kind = "nonsense"', "kind"),
        ('id = "statusmoeder"', 'id = "tovholder"', "tovholder"),
        ('when = "sagstype=stor"\nmessage = "Hvem er sagsbehandler',
         'when = "sagstype=mellem"\nmessage = "Hvem er sagsbehandler', "when"),
        ("schema = 1", 'schema = "en"', "schema"),
        ('law = "underretningspligt"', 'law = "findes-ikke"', "safety.law"),
    ],
)
def test_broken_guide_file_gives_exit_3_naming_file_and_key(cli, tmp_path, old, new, key):
    path = broken_guide(tmp_path, old, new)
    result = cli(["new", "--guide", str(path), "--answers", str(RESEN_EXAMPLE)])
    assert result.code == 3, result
    assert_no_traceback(result)
    message = flat(result.err)
    assert str(path) in message
    assert key in message
    assert "nonsense" in message if new == 'kind = "nonsense"' else True
    assert cases(cli) == []


def test_guide_file_that_is_not_toml(cli, tmp_path):
    path = broken_guide(tmp_path, 'short = "Resen"', 'short = "Resen')
    result = cli(["new", "--guide", str(path), "--answers", str(RESEN_EXAMPLE)])
    assert result.code == 3
    assert_no_traceback(result)
    message = flat(result.err)
    assert str(path) in message
    assert "TOML" in message
    assert re.search(r"linje \d+", message)


def test_guide_given_as_path_works_with_answers(cli, tmp_path):
    """A municipality's own copy of a guide, given by path, is used as-is."""
    copy = tmp_path / "egen-guide.toml"
    shutil.copy(RESEN_GUIDE, copy)
    result = cli(["new", "--guide", str(copy), "--answers", str(RESEN_EXAMPLE)])
    assert result.code == 0, result.err
    assert plan_json(cli, created_code(result.out))["faerdig"] is True


def test_unknown_guide_name(cli):
    result = cli(["new", "--guide", "atlantis", "--answers", str(RESEN_EXAMPLE)])
    assert result.code == 5
    assert_no_traceback(result)
    message = flat(result.err)
    assert "atlantis" in message
    assert "resen" in message  # lists the installed guides
    assert cases(cli) == []


def test_resume_file_answering_an_already_answered_step_is_not_silently_dropped(cli, tmp_path):
    data = example_dict()
    first_part = {k: data[k] for k in ("sikkerhed", "barn", "stikord", "foraeldre-orienteret")}
    result = cli(["new", "--guide", "resen", "--answers", str(write_json(tmp_path / "del1.json", first_part))])
    assert result.code == 0, result.err
    code = created_code(result.out)
    # The first file stopped at iagttagelser, so the optional foraeldres-syn before it was skipped.
    rest = {k: v for k, v in data.items() if k not in first_part}
    assert "foraeldres-syn" in rest
    result = cli(["resume", code, "--answers", str(write_json(tmp_path / "del2.json", rest))])
    assert result.code == 0, result.err
    saved = [t["tekst"] for t in plan_json(cli, code)["foraeldre"]["perspektiv"]]
    # Either the answer is saved, or the user is told it was not used.
    assert saved == [data["foraeldres-syn"]] or "«foraeldres-syn»" in flat(result.out + result.err)
