"""FIT scores: reading what the user types (four item scores, or a note for YCORS) and turning a
case's scores into series a person can read: the trend, the cut-off, reliable change and alliance
flags. Plain data only; render.py draws the chart. Every threshold comes from data/fit.toml."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal

from rettidig_cli.domain import fields
from rettidig_cli.guide import parents
from rettidig_cli.domain.privacy import CPR_MESSAGE, contains_cpr
from rettidig_cli.guide.reference import FitRules, Instrument, fit_rules

_NUMBER = re.compile(r"^\d{1,2}(?:[.,]\d+)?$")


def format_score(value: float | None) -> str:
    """Danish decimal comma, no decimals on whole numbers: 22,5 and 25."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}".replace(".", ",")


def _shown(value: int | float) -> str:
    """A number from a file for a message: never one of hundreds of digits, never 'inf' or 'nan'."""
    if isinstance(value, float) and not math.isfinite(value):
        return "et tal, der ikke kan regnes med"
    return format_score(value) if abs(value) < 10**6 else "et meget stort tal"


def parse_item(value, label: str, instrument: Instrument, decimals: int) -> float:
    """One item score: a whole number, a decimal number or a typed '6,5'. Checked without float()
    of the value first: a whole number of hundreds of digits (from an answers file) does not fit a
    float, and 1e400 in a file is read as infinity."""
    if isinstance(value, bool):
        raise ValueError(f"{label} skal være et tal fra 0 til {instrument.item_max}.")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value) or not 0 <= value <= instrument.item_max:
            raise ValueError(f"{label} skal være fra 0 til {instrument.item_max} (ikke {_shown(value)}).")
        text = repr(float(value))
    elif isinstance(value, str) and _NUMBER.match(value.strip()):
        text = value.strip().replace(",", ".")
    else:
        shown = f"«{value}» " if isinstance(value, str) and len(value) <= 20 and not contains_cpr(value) else ""
        raise ValueError(f"{label}: {shown or 'værdien '}er ikke et tal. Skriv fx 6,5.")
    number = float(text)
    if not 0 <= number <= instrument.item_max:
        raise ValueError(f"{label} skal være fra 0 til {instrument.item_max} (ikke {format_score(number)}).")
    # Decimal, not the text: repr(0.00001) is '1e-05', which has no '.' to count decimals after.
    if -Decimal(text).normalize().as_tuple().exponent > decimals:
        raise ValueError(f"{label} har højst {decimals} decimal (fx 6,5).")
    return round(number, decimals)


def split_items(raw) -> list:
    """Four scores as a list, or typed as '6,5 7 8 9,5' (space or ; between them)."""
    if isinstance(raw, list):
        return raw
    if isinstance(raw, str):
        return [part for part in re.split(r"[;\s]+", raw.strip()) if part]
    raise ValueError("point skal være fire tal, adskilt med mellemrum, fx 6,5 7 8 9,5.")


# A Danish child starts in 0. klasse in the year it turns six (folkeskoleloven § 34).
CLASS_ZERO_AGE = 6


def child_age(age_group: str | None) -> int | None:
    """The youngest age in an age-group label like '3-4 år', or the age of a class ('3. klasse')."""
    # At most three digits: an age group written by hand with thousands of digits is no age (and
    # int() refuses more than 4300 digits in English).
    found = re.match(r"\s*(\d{1,3})(?!\d)(\.\s*klasse)?", age_group or "", re.IGNORECASE)
    if not found:
        return None
    return int(found.group(1)) + (CLASS_ZERO_AGE if found.group(2) else 0)


def fits_age(instrument: Instrument, age: int | None) -> bool:
    """Forms with an age range are the child's own; they must match the child's age group."""
    if age is None:
        return True
    return (instrument.min_age is None or age >= instrument.min_age) and \
        (instrument.max_age is None or age <= instrument.max_age)


def parse_score(raw, rules: FitRules | None = None, age: int | None = None) -> dict:
    """One respondent's answer on one FIT form: {hvem, skema, point, total, note}. With the
    child's age, a child's form for another age is refused (under 6: only the YCORS note)."""
    rules = rules or fit_rules()
    if not isinstance(raw, dict):
        raise ValueError("En FIT-score skal være en tabel med felterne: hvem, skema, point, note.")
    unknown = [key for key in raw if key not in ("hvem", "skema", "point", "note")]
    if unknown:
        raise ValueError(f"ukendt felt «{unknown[0]}». En FIT-score kan have: hvem, skema, point, note.")
    instrument = rules.instrument(str(raw.get("skema") or ""))
    respondent = fields.text(raw.get("hvem"), "Hvem udfyldte skemaet", max_length=fields.NAME_MAX)
    if not fits_age(instrument, age):
        allowed = [i.id for i in rules.instruments if i.min_age is not None or i.max_age is not None
                   if fits_age(i, age)]
        # The wording without the parents: a message here does not know whether the case is on the abuse path.
        whom = (parents.shown(instrument.who, True) or "").lower()
        raise ValueError(f"{instrument.id} er til {whom}, og barnet er {age} år. "
                         f"Til barnet selv: {', '.join(allowed) or 'intet skema'}.")
    if not instrument.scored:
        if raw.get("point") not in (None, "", []):
            raise ValueError(f"{instrument.id} gives ingen score – skriv kun en note om barnets engagement.")
        note = fields.text(raw.get("note"), f"Noten til {instrument.id}", max_length=fields.SHORT_MAX * 5)
        return {"hvem": respondent, "skema": instrument.id, "point": None, "total": None, "note": note}
    if isinstance(raw.get("point"), str) and contains_cpr(raw["point"]):
        raise ValueError(CPR_MESSAGE)  # and never echo the number back
    items = split_items(raw.get("point"))
    if len(items) != instrument.items:
        raise ValueError(f"{instrument.id} har {instrument.items} skalaer: skriv {instrument.items} tal "
                         f"fra 0 til {instrument.item_max}, fx 6,5 7 8 9,5.")
    scores = [parse_item(v, f"Skala {i}", instrument, rules.decimals) for i, v in enumerate(items, start=1)]
    return {
        "hvem": respondent, "skema": instrument.id, "point": scores,
        "total": round(sum(scores), rules.decimals),
        "note": fields.text(raw.get("note"), "Note", required=False, max_length=fields.SHORT_MAX * 5),
    }


def instrument_for_age(age_group: str | None, rules: FitRules | None = None) -> Instrument | None:
    """The child's own outcome form for an age group label like '3-4 år'."""
    rules = rules or fit_rules()
    age = child_age(age_group)
    if age is None:
        return None
    return next((i for i in rules.instruments if i.kind != "alliance" and (i.min_age is not None or i.max_age is not None)
                 and fits_age(i, age)), None)


def series(rows: list[dict], rules: FitRules | None = None) -> list[dict]:
    """Group stored scores by form and respondent, oldest first, with the readings a meeting needs."""
    rules = rules or fit_rules()
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in sorted(rows, key=lambda r: (r["measured_on"], r["id"])):
        groups.setdefault((row["instrument"], row["respondent"].casefold()), []).append(row)
    result = []
    for (instrument_id, _), group in groups.items():
        try:
            instrument = rules.instrument(instrument_id)
        except ValueError:
            continue  # a form removed from fit.toml: its scores stay stored but are not charted
        points = [
            {"dato": r["measured_on"], "total": r["total"], "point": json.loads(r["items"]) if r["items"] else None,
             "note": r["note"] or "", "moede_id": r["meeting_id"],
             "under_graense": instrument.scored and r["total"] is not None and r["total"] < instrument.cutoff}
            for r in group
        ]
        entry = {
            "skema": instrument.id, "navn": instrument.name, "type": instrument.kind,
            "hvem": group[-1]["respondent"], "graense": instrument.cutoff, "max": instrument.total_max,
            "punkter": points, "effektstoerrelse": None, "vurdering": "", "advarsler": [],
        }
        if instrument.kind == "outcome":
            _judge_outcome(entry, instrument, rules)
        elif instrument.kind == "alliance":
            low = [p for p in points if p["under_graense"]]
            who = f"{instrument.id} ({entry['hvem']})"
            limit = format_score(instrument.cutoff)
            if low and low[-1] is points[-1]:
                entry["advarsler"].append(f"{who} er under {limit} ved seneste møde: tal om samarbejdet – "
                                          "hvad kan gøres anderledes?")
            elif low:
                times = "ét tidligere møde" if len(low) == 1 else f"{len(low)} tidligere møder"
                entry["advarsler"].append(f"{who} var under {limit} ved {times}; hold øje med samarbejdet.")
        result.append(entry)
    order = {kind: i for i, kind in enumerate(("outcome", "alliance", "engagement"))}
    return sorted(result, key=lambda e: (order[e["type"]], e["skema"], e["hvem"].casefold()))


def _judge_outcome(entry: dict, instrument: Instrument, rules: FitRules) -> None:
    points = entry["punkter"]
    first, last = points[0]["total"], points[-1]["total"]
    if len(points) >= 2 and instrument.sd:
        # Judged on the rounded figure the user sees, so 0.7999999 from float arithmetic counts as 0.8.
        effect = round((last - first) / instrument.sd, 2)
        entry["effektstoerrelse"] = effect
        if effect >= rules.reliable_effect_size:
            entry["vurdering"] = "Pålidelig forbedring siden første måling"
        elif effect <= -rules.reliable_effect_size:
            entry["vurdering"] = "Pålidelig forværring siden første måling"
            entry["advarsler"].append(f"{instrument.id} ({entry['hvem']}): pålidelig forværring – drøft indsatsen.")
        else:
            entry["vurdering"] = "Ingen pålidelig ændring endnu"
    elif len(points) == 1:
        entry["vurdering"] = "Første måling"
    if points[-1]["under_graense"]:
        entry["advarsler"].append(
            f"{instrument.id} ({entry['hvem']}) er under grænsen på {format_score(instrument.cutoff)}.")


def chart(entry: dict, width: int = 40) -> dict:
    """Where the bars and the cut-off line fall on a chart `width` characters wide: the data a
    terminal chart is drawn from (render.py), kept here so it can be checked without pixels."""
    scale = width / entry["max"] if entry["max"] else 0
    rows = [
        {"dato": p["dato"], "total": p["total"], "laengde": round(_within(p["total"], entry["max"]) * scale),
         "under_graense": p["under_graense"]}
        for p in entry["punkter"] if p["total"] is not None
    ]
    cut = round(entry["graense"] * scale) if entry["graense"] is not None else None
    ticks = [(round(v * scale), v) for v in range(0, entry["max"] + 1, 10)] if entry["max"] else []
    return {"bredde": width, "graense_kolonne": cut, "raekker": rows, "akse": ticks}


def _within(total: float, top: float) -> float:
    """A stored total on the chart's scale, 0 to top. Totals are checked when they are given, but
    one written into the data file by hand may be anything SQLite holds (9e999 is infinity)."""
    return 0.0 if math.isnan(total) else min(max(total, 0.0), top)
