"""FIT scores (rettidig_cli/domain/fit.py) and the reference data they are judged by (data/fit.toml via
rettidig_cli/guide/reference.py): reading what the user types, grouping stored scores into series,
reliable change, cut-off and alliance flags, and the chart data."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest

from rettidig_cli.domain import fit
from rettidig_cli.guide import reference
from rettidig_cli.domain.errors import GuideError
from rettidig_cli.domain.privacy import CPR_MESSAGE
from rettidig_cli.guide.reference import FitRules, fit_rules, followup_rules

from conftest import EXAMPLES, ROOT

CPR = "010203-1234"
TODAY = dt.date.today()


# ---------------------------------------------------------------- helpers


def day(offset: int) -> str:
    """An ISO date `offset` days from today."""
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def stored(row_id: int, measured_on: str, who: str, skema: str, points: list[float] | None = None,
           note: str = "", meeting_id: int | None = None) -> dict:
    """A fit_scores row shaped exactly as followup.record_fit stores it."""
    return {
        "id": row_id, "measured_on": measured_on, "respondent": who, "instrument": skema,
        "items": json.dumps(points) if points else None,
        "total": round(sum(points), 1) if points else None,
        "note": note, "meeting_id": meeting_id,
    }


def totals(*values: float, who: str = "Mor", skema: str = "ORS") -> list[dict]:
    """One stored score per total (four equal items), a week apart, oldest first."""
    return [stored(i, day(7 * i - 100), who, skema, [v / 4] * 4) for i, v in enumerate(values, start=1)]


def only(entries: list[dict], skema: str, who: str | None = None) -> dict:
    found = [e for e in entries if e["skema"] == skema and (who is None or e["hvem"].casefold() == who.casefold())]
    assert len(found) == 1, f"expected one {skema} series, got {found}"
    return found[0]


def with_instrument(rules: FitRules, instrument_id: str, **changes) -> FitRules:
    """A copy of the rules with one instrument's fields changed."""
    instruments = tuple(i._replace(**changes) if i.id == instrument_id else i for i in rules.instruments)
    return rules._replace(instruments=instruments)


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A writable copy of data/ that reference.py reads instead of the shipped files."""
    folder = tmp_path / "data"
    (folder / "guides").mkdir(parents=True)
    for name in ("fit.toml", "followup.toml"):
        shutil.copy(ROOT / "data" / name, folder / name)
    monkeypatch.setattr(reference, "builtin_guide_dir", lambda: folder / "guides")
    fit_rules.cache_clear()
    followup_rules.cache_clear()
    yield folder
    fit_rules.cache_clear()
    followup_rules.cache_clear()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"test setup: {old!r} must occur exactly once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


# ---------------------------------------------------------------- shipped reference data


def test_shipped_cutoffs_match_the_checked_figures():
    """The shipped fit.toml has the checked cut-offs: ORS 25, CORS 32, SRS and CSRS 36."""
    rules = fit_rules()
    cutoffs = {i.id: i.cutoff for i in rules.instruments}
    assert cutoffs == {"ORS": 25, "CORS": 32, "YCORS": None, "SRS": 36, "CSRS": 36}


def test_shipped_reliable_effect_size_is_0_8():
    """Reliable change is an effect size of at least 0.8, scores have one decimal."""
    rules = fit_rules()
    assert rules.reliable_effect_size == 0.8
    assert rules.decimals == 1


def test_shipped_instruments_have_four_scales_of_ten():
    """Every scored form has four 0-10 scales (total 40); YCORS has none."""
    rules = fit_rules()
    for instrument in rules.instruments:
        if instrument.id == "YCORS":
            assert not instrument.scored and instrument.kind == "engagement"
        else:
            assert (instrument.items, instrument.item_max, instrument.total_max) == (4, 10, 40)


def test_only_outcome_forms_have_a_standard_deviation():
    """Effect size needs an sd: ORS and CORS have one, the alliance forms do not."""
    sds = {i.id: i.sd for i in fit_rules().instruments}
    assert sds["ORS"] == 8.7 and sds["CORS"] == 8.7
    assert sds["SRS"] is None and sds["CSRS"] is None


def test_instrument_lookup_ignores_case_and_spaces():
    """' cors ' finds the CORS form."""
    assert fit_rules().instrument(" cors ").id == "CORS"


def test_instrument_lookup_names_the_known_forms_when_unknown():
    """An unknown form name is refused with the list of forms."""
    with pytest.raises(ValueError, match="ORS, CORS, YCORS, SRS, CSRS"):
        fit_rules().instrument("PHQ-9")


def test_edited_fit_toml_cutoff_is_used_by_series(data_copy):
    """Changing the ORS cut-off in fit.toml changes which scores are flagged, with no code change."""
    edit(data_copy / "fit.toml", "cutoff = 25", "cutoff = 30")
    assert fit_rules().instrument("ORS").cutoff == 30
    entry = only(fit.series(totals(28)), "ORS")
    assert entry["graense"] == 30
    assert entry["punkter"][0]["under_graense"] is True
    assert "under grænsen på 30" in entry["advarsler"][0]


def test_edited_fit_toml_effect_size_is_used_by_series(data_copy):
    """Changing reliable_effect_size in fit.toml changes the judgement of the same scores."""
    rows = totals(20, 25)  # effect 5/8.7 = 0.57
    assert only(fit.series(rows), "ORS")["vurdering"] == "Ingen pålidelig ændring endnu"
    edit(data_copy / "fit.toml", "reliable_effect_size = 0.8", "reliable_effect_size = 0.5")
    fit_rules.cache_clear()
    assert only(fit.series(rows), "ORS")["vurdering"] == "Pålidelig forbedring siden første måling"


def test_broken_fit_toml_is_reported_in_danish(data_copy):
    """An instrument kind that is not known gives a GuideError naming the key."""
    edit(data_copy / "fit.toml", 'kind = "alliance"\nwho = "Voksne', 'kind = "tilfredshed"\nwho = "Voksne')
    with pytest.raises(GuideError, match="kind"):
        fit_rules()


def test_missing_fit_toml_is_reported_in_danish(data_copy):
    """A missing data file is a GuideError that says the file cannot be read."""
    (data_copy / "fit.toml").unlink()
    with pytest.raises(GuideError, match="kan ikke læses"):
        fit_rules()


# ---------------------------------------------------------------- format_score


def test_format_score_whole_number_has_no_decimals():
    """25.0 is written 25."""
    assert fit.format_score(25.0) == "25"


def test_format_score_uses_danish_decimal_comma():
    """22.5 is written 22,5."""
    assert fit.format_score(22.5) == "22,5"


def test_format_score_zero_and_none():
    """0 is written 0; a missing score is an empty string."""
    assert fit.format_score(0) == "0"
    assert fit.format_score(None) == ""


# ---------------------------------------------------------------- parse_score


def test_parse_score_reads_space_separated_danish_decimals():
    """'6,5 7 8 9,5' gives four scores and their total."""
    value = fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": "6,5 7 8 9,5"})
    assert value == {"hvem": "Mor", "skema": "ORS", "point": [6.5, 7.0, 8.0, 9.5], "total": 31.0, "note": ""}


def test_parse_score_accepts_semicolons_between_scores():
    """'6,5;7; 8 ;9,5' is read like the space-separated form."""
    value = fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": "6,5;7; 8 ;9,5"})
    assert value["point"] == [6.5, 7.0, 8.0, 9.5]


def test_parse_score_accepts_a_list_of_numbers_and_strings():
    """A TOML/JSON list may mix numbers and Danish decimal strings."""
    value = fit.parse_score({"hvem": "Far", "skema": "SRS", "point": [9, 9.5, "8,5", "10"]})
    assert value["point"] == [9.0, 9.5, 8.5, 10.0]
    assert value["total"] == 37.0


def test_parse_score_accepts_decimal_point():
    """'6.5' is accepted as well as '6,5'."""
    assert fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": "6.5 6.5 6.5 6.5"})["total"] == 26.0


def test_parse_score_total_has_one_decimal():
    """The total is rounded to one decimal, without float noise."""
    value = fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": "0,1 0,2 0,3 0,1"})
    assert value["total"] == 0.7


def test_parse_score_normalises_form_name():
    """'cors' is stored as CORS."""
    assert fit.parse_score({"hvem": "Barnet", "skema": "cors", "point": "5 5 5 5"})["skema"] == "CORS"


def test_parse_score_keeps_an_optional_note():
    """A scored form may carry a note."""
    value = fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": "5 5 5 5", "note": "Travl uge"})
    assert value["note"] == "Travl uge"


def test_parse_score_accepts_the_scale_ends():
    """0 and 10 are both allowed on a scale."""
    assert fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": "0 10 0 10"})["total"] == 20.0


@pytest.mark.parametrize("points", ["5 5 5", "5 5 5 5 5", "", []])
def test_parse_score_requires_exactly_four_scores(points):
    """Three, five or no scores are refused with a message naming the four scales."""
    with pytest.raises(ValueError, match="ORS har 4 skalaer"):
        fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": points})


def test_parse_score_refuses_score_above_scale_max():
    """11 on a 0-10 scale is refused, naming the scale."""
    with pytest.raises(ValueError, match=r"Skala 2 skal være fra 0 til 10 \(ikke 11\)"):
        fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": "5 11 5 5"})


def test_parse_score_refuses_two_decimals():
    """6,55 is refused: a score has at most one decimal."""
    with pytest.raises(ValueError, match="højst 1 decimal"):
        fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": "6,55 5 5 5"})


@pytest.mark.parametrize("bad", ["-1", "seks", "6,5,5", "6½"])
def test_parse_score_refuses_what_is_not_a_score(bad):
    """Negative numbers, words and malformed decimals are not scores."""
    with pytest.raises(ValueError, match="er ikke et tal"):
        fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": f"{bad} 5 5 5"})


def test_parse_score_refuses_true_as_a_score():
    """A TOML boolean is not a score."""
    with pytest.raises(ValueError, match="Skala 1 skal være et tal"):
        fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": [True, 5, 5, 5]})


def test_parse_score_refuses_a_single_number_for_point():
    """point = 20 (a total instead of four scores) is refused."""
    with pytest.raises(ValueError, match="fire tal"):
        fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": 20})


def test_parse_score_refuses_unknown_field():
    """A typo like 'points' is refused rather than silently ignored."""
    with pytest.raises(ValueError, match="ukendt felt «points»"):
        fit.parse_score({"hvem": "Mor", "skema": "ORS", "points": "5 5 5 5"})


def test_parse_score_refuses_unknown_form():
    """An unknown form is refused with the list of forms."""
    with pytest.raises(ValueError, match="skema skal være en af"):
        fit.parse_score({"hvem": "Mor", "skema": "XYZ", "point": "5 5 5 5"})


def test_parse_score_refuses_something_that_is_not_a_table():
    """A bare string is not a FIT score."""
    with pytest.raises(ValueError, match="tabel"):
        fit.parse_score("ORS 5 5 5 5")


def test_parse_score_requires_respondent():
    """Who filled in the form must be given."""
    with pytest.raises(ValueError, match="Hvem udfyldte skemaet skal udfyldes"):
        fit.parse_score({"hvem": "  ", "skema": "ORS", "point": "5 5 5 5"})


def test_parse_score_refuses_cpr_in_respondent():
    """A CPR number as respondent is refused and not echoed back."""
    with pytest.raises(ValueError) as caught:
        fit.parse_score({"hvem": CPR, "skema": "ORS", "point": "5 5 5 5"})
    assert str(caught.value) == CPR_MESSAGE
    assert CPR not in str(caught.value)


def test_parse_score_refuses_cpr_in_note():
    """A CPR number in the note of a scored form is refused."""
    with pytest.raises(ValueError, match="CPR-nummer"):
        fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": "5 5 5 5", "note": f"Barnet {CPR}"})


def test_parse_score_never_echoes_a_cpr_number_typed_as_a_score():
    """A CPR number typed into the scores is refused without repeating the number."""
    with pytest.raises(ValueError) as caught:
        fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": f"{CPR} 5 5 5"})
    assert CPR not in str(caught.value)


def test_parse_score_ycors_is_a_note_without_score():
    """YCORS gives only a note: no points and no total."""
    value = fit.parse_score({"hvem": "Barnet", "skema": "YCORS", "note": "Pegede på den glade smiley"})
    assert value == {"hvem": "Barnet", "skema": "YCORS", "point": None, "total": None,
                     "note": "Pegede på den glade smiley"}


def test_parse_score_ycors_refuses_points():
    """Points on YCORS are refused: it gives no score."""
    with pytest.raises(ValueError, match="YCORS gives ingen score"):
        fit.parse_score({"hvem": "Barnet", "skema": "YCORS", "point": "5 5 5 5", "note": "Glad"})


def test_parse_score_ycors_requires_a_note():
    """YCORS without a note is refused."""
    with pytest.raises(ValueError, match="Noten til YCORS skal udfyldes"):
        fit.parse_score({"hvem": "Barnet", "skema": "YCORS"})


def test_parse_score_ycors_refuses_cpr_in_note():
    """The YCORS note is checked for CPR numbers like any text."""
    with pytest.raises(ValueError, match="CPR-nummer"):
        fit.parse_score({"hvem": "Barnet", "skema": "YCORS", "note": f"Se {CPR}"})


def test_parse_score_follows_decimals_from_rules():
    """With decimals = 0 in the rules, 6,5 is refused."""
    rules = fit_rules()._replace(decimals=0)
    with pytest.raises(ValueError, match="højst 0 decimal"):
        fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": "6,5 5 5 5"}, rules=rules)


def test_parse_score_follows_item_max_from_rules():
    """A form with 0-5 scales (in the rules) refuses 6."""
    rules = with_instrument(fit_rules(), "ORS", item_max=5)
    with pytest.raises(ValueError, match="fra 0 til 5"):
        fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": "6 5 5 5"}, rules=rules)


# ---------------------------------------------------------------- the child's age


def test_child_age_is_the_first_number_of_the_age_group():
    """'3-4 år' is age 3; a label without a number has no age."""
    assert fit.child_age("3-4 år") == 3
    assert fit.child_age(" 12 år") == 12
    assert fit.child_age("Ukendt") is None and fit.child_age(None) is None


def test_parse_score_refuses_cors_for_a_child_under_6():
    """A 4-year-old's own form is YCORS: CORS is refused, naming YCORS."""
    with pytest.raises(ValueError, match=r"CORS er til børn 6-12 år, og barnet er 4 år\. Til barnet selv: YCORS\."):
        fit.parse_score({"hvem": "Barnet", "skema": "CORS", "point": "5 5 5 5"}, age=4)


def test_parse_score_refuses_csrs_for_a_child_under_6():
    """CSRS (6-12 år) is refused for a 4-year-old too."""
    with pytest.raises(ValueError, match="barnet er 4 år"):
        fit.parse_score({"hvem": "Barnet", "skema": "CSRS", "point": "9 9 9 9"}, age=4)


def test_parse_score_refuses_ycors_for_a_child_of_7():
    """A 7-year-old scores CORS/CSRS themselves: YCORS is refused, naming those."""
    with pytest.raises(ValueError, match="Til barnet selv: CORS, CSRS"):
        fit.parse_score({"hvem": "Barnet", "skema": "YCORS", "note": "Glad"}, age=7)


def test_parse_score_age_check_says_when_no_child_form_fits():
    """For a 13-year-old no child form fits: 'intet skema'."""
    with pytest.raises(ValueError, match="intet skema"):
        fit.parse_score({"hvem": "Barnet", "skema": "CORS", "point": "5 5 5 5"}, age=13)


@pytest.mark.parametrize("skema", ["ORS", "SRS"])
def test_parse_score_adult_forms_fit_any_child_age(skema):
    """The parents' ORS and SRS have no age range, so a young child's age does not stop them."""
    assert fit.parse_score({"hvem": "Mor", "skema": skema, "point": "9 9 9 9"}, age=2)["skema"] == skema


def test_parse_score_without_age_does_not_check_age():
    """Without the child's age, any form is accepted."""
    assert fit.parse_score({"hvem": "Barnet", "skema": "CORS", "point": "5 5 5 5"})["skema"] == "CORS"


def test_parse_score_age_ranges_come_from_rules():
    """If the rules let CORS start at 4, a 4-year-old may fill it in."""
    rules = with_instrument(fit_rules(), "CORS", min_age=4)
    assert fit.parse_score({"hvem": "Barnet", "skema": "CORS", "point": "5 5 5 5"}, rules=rules, age=4)["total"] == 20


# ---------------------------------------------------------------- instrument_for_age


@pytest.mark.parametrize(("age_group", "expected"), [
    ("0-1 år", "YCORS"), ("3-4 år", "YCORS"), ("5-6 år", "YCORS"),
    ("6 år", "CORS"), ("7-8 år", "CORS"), ("12 år", "CORS"),
])
def test_instrument_for_age_uses_first_number_of_the_group(age_group, expected):
    """Under 6 the child's form is YCORS; 6-12 it is CORS."""
    assert fit.instrument_for_age(age_group).id == expected


@pytest.mark.parametrize("age_group", ["13-14 år", "Ukendt", "", None])
def test_instrument_for_age_none_when_no_child_form_fits(age_group):
    """Too old for the child forms, or no number at all: no form."""
    assert fit.instrument_for_age(age_group) is None


def test_instrument_for_age_never_picks_an_alliance_form():
    """CSRS has the same ages as CORS but is an alliance form, so CORS is chosen."""
    for age in range(6, 13):
        assert fit.instrument_for_age(f"{age} år").kind == "outcome"


def test_instrument_for_age_follows_ages_in_rules():
    """If the rules let CORS start at 4, a 4-5-year-old gets CORS."""
    rules = with_instrument(fit_rules(), "CORS", min_age=4)
    assert fit.instrument_for_age("4-5 år", rules=rules).id == "CORS"


# ---------------------------------------------------------------- series: grouping


def test_series_groups_respondent_without_regard_to_case():
    """'Mor' and 'mor' on ORS are one series; 'Far' is another."""
    rows = [stored(1, day(-20), "Mor", "ORS", [5, 5, 5, 5]), stored(2, day(-10), "mor", "ORS", [6, 6, 6, 6]),
            stored(3, day(-10), "Far", "ORS", [7, 7, 7, 7])]
    entries = fit.series(rows)
    assert sorted((e["hvem"], len(e["punkter"])) for e in entries) == [("Far", 1), ("mor", 2)]


def test_series_names_respondent_as_last_written():
    """The series is named with the latest spelling of the respondent."""
    rows = [stored(1, day(-20), "MOR", "ORS", [5, 5, 5, 5]), stored(2, day(-10), "Mor", "ORS", [6, 6, 6, 6])]
    assert fit.series(rows)[0]["hvem"] == "Mor"


def test_series_separates_forms_for_same_respondent():
    """Mor's ORS and SRS are separate series."""
    rows = [stored(1, day(-10), "Mor", "ORS", [5, 5, 5, 5]), stored(2, day(-10), "Mor", "SRS", [9, 9, 9, 9])]
    assert [e["skema"] for e in fit.series(rows)] == ["ORS", "SRS"]


def test_series_points_are_oldest_first_whatever_the_row_order():
    """Rows stored out of order are charted by date, then by id on the same date."""
    rows = [stored(3, day(-5), "Mor", "ORS", [8, 8, 8, 8]), stored(1, day(-30), "Mor", "ORS", [5, 5, 5, 5]),
            stored(4, day(-5), "Mor", "ORS", [9, 9, 9, 9]), stored(2, day(-15), "Mor", "ORS", [6, 6, 6, 6])]
    entry = fit.series(rows)[0]
    assert [p["total"] for p in entry["punkter"]] == [20, 24, 32, 36]
    assert [p["dato"] for p in entry["punkter"]] == [day(-30), day(-15), day(-5), day(-5)]


def test_series_point_keeps_items_note_and_meeting():
    """Each point has its four scores, note and meeting id."""
    rows = [stored(1, day(-3), "Mor", "ORS", [6.5, 7, 8, 9.5], note="God uge", meeting_id=7)]
    point = fit.series(rows)[0]["punkter"][0]
    assert point == {"dato": day(-3), "total": 31.0, "point": [6.5, 7, 8, 9.5], "note": "God uge",
                     "moede_id": 7, "under_graense": False}


def test_series_describes_the_form():
    """A series names its form, kind, cut-off and maximum."""
    entry = fit.series(totals(30))[0]
    assert (entry["skema"], entry["navn"], entry["type"], entry["graense"], entry["max"]) == \
        ("ORS", "ORS – Outcome Rating Scale", "outcome", 25, 40)


def test_series_orders_outcome_then_alliance_then_engagement():
    """Outcome forms first, then alliance, then YCORS; by form then respondent within a kind."""
    rows = [stored(1, day(-1), "Barnet", "YCORS", note="Glad"), stored(2, day(-1), "Mor", "SRS", [9, 9, 9, 9]),
            stored(3, day(-1), "Mor", "ORS", [7, 7, 7, 7]), stored(4, day(-1), "Barnet", "CORS", [8, 8, 8, 8]),
            stored(5, day(-1), "far", "ORS", [7, 7, 7, 7])]
    assert [(e["skema"], e["hvem"]) for e in fit.series(rows)] == [
        ("CORS", "Barnet"), ("ORS", "far"), ("ORS", "Mor"), ("SRS", "Mor"), ("YCORS", "Barnet")]


def test_series_skips_forms_no_longer_in_rules():
    """Scores for a form removed from fit.toml stay stored but are not charted."""
    rules = fit_rules()
    without_srs = rules._replace(instruments=tuple(i for i in rules.instruments if i.id != "SRS"))
    rows = [stored(1, day(-1), "Mor", "SRS", [9, 9, 9, 9]), stored(2, day(-1), "Mor", "ORS", [7, 7, 7, 7])]
    assert [e["skema"] for e in fit.series(rows, rules=without_srs)] == ["ORS"]


def test_series_of_nothing_is_empty():
    """No stored scores, no series."""
    assert fit.series([]) == []


# ---------------------------------------------------------------- series: reliable change


def test_effect_size_is_latest_minus_first_over_sd():
    """20 then 30 on ORS (sd 8.7) is an effect size of 1.15."""
    assert only(fit.series(totals(20, 30)), "ORS")["effektstoerrelse"] == round(10 / 8.7, 2) == 1.15


def test_effect_size_uses_first_and_latest_only():
    """A dip in between does not change the effect size."""
    assert only(fit.series(totals(20, 5, 30)), "ORS")["effektstoerrelse"] == \
        only(fit.series(totals(20, 30)), "ORS")["effektstoerrelse"]


def test_reliable_improvement_at_or_above_threshold():
    """+7 points on ORS (0.80) is a reliable improvement."""
    entry = only(fit.series(totals(18, 25)), "ORS")
    assert entry["effektstoerrelse"] == 0.8
    assert entry["vurdering"] == "Pålidelig forbedring siden første måling"
    assert entry["advarsler"] == []


def test_no_reliable_change_just_below_threshold():
    """+6.9 points on ORS (0.79) is not yet a reliable change."""
    entry = only(fit.series(totals(18.4, 25.3)), "ORS")
    assert entry["effektstoerrelse"] == 0.79
    assert entry["vurdering"] == "Ingen pålidelig ændring endnu"


def test_reliable_worsening_warns():
    """-7 points on ORS is a reliable worsening, with a warning to discuss the effort."""
    entry = only(fit.series(totals(33, 26)), "ORS")
    assert entry["effektstoerrelse"] == -0.8
    assert entry["vurdering"] == "Pålidelig forværring siden første måling"
    assert entry["advarsler"] == ["ORS (Mor): pålidelig forværring – drøft indsatsen."]


def test_first_score_is_just_a_first_measurement():
    """One score: no effect size, 'Første måling'."""
    entry = only(fit.series(totals(30)), "ORS")
    assert entry["effektstoerrelse"] is None
    assert entry["vurdering"] == "Første måling"


def test_cors_uses_its_own_sd():
    """CORS reliable change uses the CORS sd from the rules."""
    rules = with_instrument(fit_rules(), "CORS", sd=5.0)
    entry = only(fit.series(totals(30, 35, who="Barnet", skema="CORS"), rules=rules), "CORS")
    assert entry["effektstoerrelse"] == 1.0


def test_reliable_effect_size_comes_from_rules():
    """With reliable_effect_size 0.5 in the rules, +5 points is a reliable improvement."""
    rules = fit_rules()._replace(reliable_effect_size=0.5)
    rows = totals(20, 25)
    assert only(fit.series(rows), "ORS")["vurdering"] == "Ingen pålidelig ændring endnu"
    assert only(fit.series(rows, rules=rules), "ORS")["vurdering"] == "Pålidelig forbedring siden første måling"


def test_effect_size_exactly_at_threshold_counts_as_reliable():
    """With sd 10, 12.4 → 20.4 is an effect size of exactly 0.8: a reliable improvement."""
    rules = with_instrument(fit_rules(), "ORS", sd=10.0)
    entry = only(fit.series(totals(12.4, 20.4), rules=rules), "ORS")
    assert entry["effektstoerrelse"] == 0.8
    assert entry["vurdering"] == "Pålidelig forbedring siden første måling"


# ---------------------------------------------------------------- series: cut-off and alliance


def test_ors_score_under_cutoff_is_flagged():
    """ORS 24.9 is under the cut-off of 25; 25 is not."""
    points = only(fit.series(totals(24.9, 25)), "ORS")["punkter"]
    assert [p["under_graense"] for p in points] == [True, False]


def test_latest_score_under_cutoff_warns():
    """A latest ORS under 25 gives a warning naming the cut-off."""
    entry = only(fit.series(totals(30, 22)), "ORS")
    assert "ORS (Mor) er under grænsen på 25." in entry["advarsler"]


def test_earlier_score_under_cutoff_does_not_warn():
    """Only the latest score decides the cut-off warning."""
    entry = only(fit.series(totals(20, 30)), "ORS")
    assert entry["punkter"][0]["under_graense"] is True
    assert entry["advarsler"] == []


def test_cors_cutoff_is_32():
    """CORS 30 is under its own cut-off of 32, although it is above the ORS cut-off."""
    entry = only(fit.series(totals(30, who="Barnet", skema="CORS")), "CORS")
    assert entry["punkter"][0]["under_graense"] is True
    assert entry["advarsler"] == ["CORS (Barnet) er under grænsen på 32."]


def test_cutoff_comes_from_rules():
    """With an ORS cut-off of 30 in the rules, 28 is flagged."""
    rules = with_instrument(fit_rules(), "ORS", cutoff=30.0)
    assert only(fit.series(totals(28)), "ORS")["punkter"][0]["under_graense"] is False
    entry = only(fit.series(totals(28), rules=rules), "ORS")
    assert entry["graense"] == 30
    assert entry["punkter"][0]["under_graense"] is True


def test_low_srs_at_latest_meeting_warns_about_alliance():
    """SRS 35 at the latest meeting asks to talk about the collaboration."""
    entry = only(fit.series(totals(38, 35, skema="SRS")), "SRS")
    assert entry["advarsler"] == [
        "SRS (Mor) er under 36 ved seneste møde: tal om samarbejdet – hvad kan gøres anderledes?"]


def test_srs_at_cutoff_does_not_warn():
    """SRS exactly 36 is not under the cut-off."""
    entry = only(fit.series(totals(36, skema="SRS")), "SRS")
    assert entry["punkter"][0]["under_graense"] is False
    assert entry["advarsler"] == []


def test_earlier_low_srs_is_counted():
    """Low SRS earlier but not at the latest meeting: the warning counts the times."""
    entry = only(fit.series(totals(30, 34, 38, skema="SRS")), "SRS")
    assert entry["advarsler"] == [
        "SRS (Mor) var under 36 ved 2 tidligere møder; hold øje med samarbejdet."]


def test_alliance_series_has_no_effect_size():
    """SRS is not judged for reliable change."""
    entry = only(fit.series(totals(20, 39, skema="SRS")), "SRS")
    assert entry["effektstoerrelse"] is None and entry["vurdering"] == ""


def test_csrs_cutoff_is_36():
    """CSRS under 36 warns like SRS."""
    entry = only(fit.series(totals(35.5, who="Barnet", skema="CSRS")), "CSRS")
    assert entry["type"] == "alliance"
    assert entry["advarsler"][0].startswith("CSRS (Barnet) er under 36 ved seneste møde")


def test_ycors_series_keeps_notes_without_flags():
    """YCORS is an engagement series of notes: no cut-off, no totals, no warnings."""
    rows = [stored(1, day(-14), "Barnet", "YCORS", note="Ville ikke"),
            stored(2, day(-1), "Barnet", "YCORS", note="Pegede på den glade")]
    entry = only(fit.series(rows), "YCORS")
    assert entry["type"] == "engagement" and entry["graense"] is None
    assert [(p["note"], p["total"], p["point"], p["under_graense"]) for p in entry["punkter"]] == [
        ("Ville ikke", None, None, False), ("Pegede på den glade", None, None, False)]
    assert entry["advarsler"] == [] and entry["effektstoerrelse"] is None


# ---------------------------------------------------------------- chart


def test_chart_bar_lengths_scale_to_width():
    """On an 80-wide chart of a 0-40 form, a total of 22.5 is 45 columns."""
    data = fit.chart(only(fit.series(totals(22.5, 30)), "ORS"), width=80)
    assert data["bredde"] == 80
    assert [r["laengde"] for r in data["raekker"]] == [45, 60]


def test_chart_cutoff_column():
    """The ORS cut-off 25 falls at column 25 of 40 and 50 of 80."""
    entry = only(fit.series(totals(30)), "ORS")
    assert fit.chart(entry)["graense_kolonne"] == 25
    assert fit.chart(entry, width=80)["graense_kolonne"] == 50


def test_chart_srs_cutoff_column():
    """The SRS cut-off 36 falls at column 36 of 40."""
    assert fit.chart(only(fit.series(totals(38, skema="SRS")), "SRS"))["graense_kolonne"] == 36


def test_chart_full_score_fills_the_width():
    """A total of 40 is a bar as wide as the chart; 0 is an empty bar."""
    rows = fit.chart(only(fit.series(totals(0, 40)), "ORS"), width=30)["raekker"]
    assert [r["laengde"] for r in rows] == [0, 30]


def test_chart_rows_carry_date_total_and_flag():
    """Each bar has its date, total and the under-cut-off flag."""
    entry = only(fit.series(totals(20, 30)), "ORS")
    rows = fit.chart(entry)["raekker"]
    assert [(r["dato"], r["total"], r["under_graense"]) for r in rows] == [
        (entry["punkter"][0]["dato"], 20, True), (entry["punkter"][1]["dato"], 30, False)]


def test_chart_of_ycors_has_no_bars_and_no_cutoff():
    """YCORS has no totals: no bars and no cut-off line."""
    entry = only(fit.series([stored(1, day(-1), "Barnet", "YCORS", note="Glad")]), "YCORS")
    assert fit.chart(entry) == {"bredde": 40, "graense_kolonne": None, "raekker": [], "akse": []}


# ---------------------------------------------------------------- on a real case


def test_recorded_scores_appear_in_the_plan(cli):
    """Scores recorded on a case come back in the plan as series, judged like stored rows."""
    from rettidig_cli.workflow import followup
    from rettidig_cli.views import plan as plans
    from rettidig_cli.storage.store import Store, db_path

    result = cli(["new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml")])
    assert result.code == 0, result.err
    code = re.search(r"Ny sag: (RT-\d{4}-\d{3})", result.out).group(1)
    store = Store(db_path(None))
    case = store.case(code, log=False)
    followup.record_fit(store, case, fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": "4 5 5 5"}), day(-14))
    followup.record_fit(store, case, fit.parse_score({"hvem": "mor", "skema": "ORS", "point": "7 7 7 7"}), day(-1))
    followup.record_fit(store, case, fit.parse_score({"hvem": "C.D.", "skema": "YCORS", "note": "Glad"}), day(-1))
    series = plans.build(store, store.case(code, log=False)).fit
    assert [(e["skema"], e["hvem"]) for e in series] == [("ORS", "mor"), ("YCORS", "C.D.")]
    ors = series[0]
    assert [p["total"] for p in ors["punkter"]] == [19, 28]
    assert ors["vurdering"] == "Pålidelig forbedring siden første måling"
    assert ors["punkter"][0]["point"] == [4, 5, 5, 5]


def test_chart_axis_ticks_every_ten_points():
    """The axis under an ORS chart marks 0, 10, 20, 30 and 40 at their columns."""
    entry = only(fit.series(totals(16, 23)), "ORS")
    assert fit.chart(entry, width=40)["akse"] == [(0, 0), (10, 10), (20, 20), (30, 30), (40, 40)]
    assert fit.chart(entry, width=20)["akse"] == [(0, 0), (5, 10), (10, 20), (15, 30), (20, 40)]
