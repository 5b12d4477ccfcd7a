"""Finding a case: every command takes the code, a part of it, or the child's name or initials; an
ambiguous name lists the cases (and logs that it showed them); in a terminal without SAG the
user chooses; `rettidig find` searches codes, names, tovholders and what is written. A second
case about the same child (name and age group) is pointed out when it is made."""

from __future__ import annotations

import json

import pytest

from conftest import CTRL_C, DOWN, ENTER, EXAMPLES, query, to_toml
from helpers import example_answers, flat, ok, plan_json
from test_wizard_interactive import screen  # noqa: F401 - the fixture


def new_case(cli, tmp_path, name: str, age: str = "4-5 år", guide: str = "resen") -> str:
    answers = example_answers(EXAMPLES / "resen-svar.toml")
    answers["barn"] = {"navn": name, "aldersgruppe": age, "tilbud": "Børnehave"}
    path = tmp_path / f"{name}.toml"
    path.write_text(to_toml(answers), encoding="utf-8")
    made = ok(cli, "new", "--guide", guide, "--answers", str(path))
    return next(w for w in made.out.split() if w.startswith("RT-")), made.out


@pytest.mark.parametrize("written", ["Ida Hansen", "ida", "IH", "I.H.", "1", "001", "2026-1", "rt-2026-001"])
def test_a_case_is_found_by_a_part_of_its_code_or_the_childs_name(cli, tmp_path, written):
    code, _ = new_case(cli, tmp_path, "Ida Hansen")
    new_case(cli, tmp_path, "Bo")
    if written.isdigit() or written.startswith(("2026", "rt")):
        assert code.endswith("-001")
    assert plan_json(cli, written)["kode"] == code


def test_an_ambiguous_name_lists_the_cases_and_logs_that_it_showed_them(cli, tmp_path, data_home):
    first, _ = new_case(cli, tmp_path, "Ida", "3-4 år")
    second, _ = new_case(cli, tmp_path, "Ida", "5-6 år")
    result = cli(["plan", "Ida"])
    assert result.code == 2
    said = flat(result.err)
    assert "«Ida» passer på 2 sager" in said and f"{first} Ida, 3-4 år" in said and f"{second} Ida, 5-6 år" in said
    logged = query(data_home, "SELECT shown FROM audit_log WHERE action = 'søg' AND detail LIKE 'sag søgt%'")
    assert logged == [{"shown": f"{first} {second}"}]


def test_a_case_not_found_says_how_to_find_it(cli, tmp_path):
    new_case(cli, tmp_path, "Ida")
    result = cli(["plan", "Mads"])
    assert result.code == 5 and "rettidig find TEKST" in flat(result.err)


def test_an_anonymous_case_is_not_found_by_a_name(cli, tmp_path):
    answers = example_answers(EXAMPLES / "herlev-svar.toml")
    answers.pop("navngiven-samtykke")
    answers["droeftelse"] = "anonym"
    path = tmp_path / "svar.toml"
    path.write_text(to_toml(answers), encoding="utf-8")
    ok(cli, "new", "--guide", "herlev", "--answers", str(path))
    assert cli(["plan", "anonym"]).code == 5


def test_find_searches_codes_names_tovholders_and_text_and_is_logged(cli, tmp_path, data_home):
    ida, _ = new_case(cli, tmp_path, "Ida")
    bo, _ = new_case(cli, tmp_path, "Bo")
    ok(cli, "tovholder", bo, "--navn", "Birte Sørensen")
    ok(cli, "observation", ida, "--hvad", "Leger med klodser i lang tid", "--dato", "i dag")
    rows = json.loads(ok(cli, "find", "Birte", "--json").out)
    assert [r["kode"] for r in rows] == [bo] and rows[0]["fundet_i"] == ["tovholder"]
    rows = json.loads(ok(cli, "find", "klodser", "--json").out)
    assert [r["kode"] for r in rows] == [ida] and rows[0]["fundet_i"] == ["observation"]
    assert "Ingen sager passer på «Zebra»" in flat(ok(cli, "find", "Zebra").out)
    logged = query(data_home, "SELECT detail, shown FROM audit_log WHERE action = 'søg' AND detail LIKE 'søgning%'")
    assert logged[:2] == [{"detail": "søgning, 1 sager", "shown": bo}, {"detail": "søgning, 1 sager", "shown": ida}]


def test_find_takes_percent_and_underscore_as_they_are(cli, tmp_path):
    code, _ = new_case(cli, tmp_path, "Ida")
    ok(cli, "observation", code, "--hvad", "Smilede 100% af tiden", "--dato", "i dag")
    assert [r["kode"] for r in json.loads(ok(cli, "find", "100%", "--json").out)] == [code]
    assert json.loads(ok(cli, "find", "_", "--json").out) == []


def test_a_second_case_about_the_same_child_is_pointed_out(cli, tmp_path):
    first, _ = new_case(cli, tmp_path, "Ida")
    second, said = new_case(cli, tmp_path, "ida")
    assert f"Samme barn? Der er allerede en åben sag om Ida (4-5 år): {first}" in flat(said)
    third, said = new_case(cli, tmp_path, "Ida", "3-4 år")
    assert "Samme barn?" not in said


def test_in_a_terminal_without_sag_the_case_is_chosen_from_a_list(cli, tmp_path, screen):
    first, _ = new_case(cli, tmp_path, "Ida")
    second, _ = new_case(cli, tmp_path, "Bo")
    result = cli(["plan"], DOWN + ENTER)
    assert result.code == 0 and "Hvilken sag?" in screen.text()
    shown = flat(result.out)
    assert f"Sag {first}" in shown or f"Sag {second}" in shown
    stopped = cli(["historik"], CTRL_C)
    assert stopped.code == 130 and "Traceback" not in stopped.err


def test_without_a_terminal_a_missing_sag_is_still_said(cli):
    result = cli(["plan"])
    assert result.code == 2 and "SAG" in flat(result.err)
