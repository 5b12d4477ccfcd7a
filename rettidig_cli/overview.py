"""The morning view: every case as one line, sorted by what needs doing first. Built from the
same plan data as `rettidig plan`, so the two never disagree.

Urgency, most urgent first: overdue (agreements, observation deadline, meetings not registered,
leader not told) > a status meeting this week > next week or a deadline coming up > no activity
for a long time > nothing pressing > closed."""

from __future__ import annotations

import datetime as dt
import functools

from rettidig_cli import dates
from rettidig_cli.vocabulary import OPEN_AGREEMENT, CaseStatus, MeetingState
from rettidig_cli.reference import followup_rules

OVERDUE, THIS_WEEK, SOON, QUIET, CALM, CLOSED = range(6)
LEVEL_NAMES = {OVERDUE: "overskredet", THIS_WEEK: "denne uge", SOON: "snart", QUIET: "stille",
               CALM: "i gang", CLOSED: "lukket"}
UNREADABLE_NAME = "kan ikke vises"  # a case whose plan cannot be built: shown first, at the overdue level


def _week(day: dt.date) -> tuple[int, int]:
    return day.isocalendar()[:2]


def tasks(plan: dict, today: dt.date) -> list[dict]:
    """What this case asks of the practitioner now, each with its urgency level and date."""
    if plan["status"] != CaseStatus.OPEN:
        return []
    rules = followup_rules()
    soon = today + dt.timedelta(days=rules.soon_days)
    found = _overdue(plan, today)
    if plan["mistanke_om_vold_eller_overgreb"] and not plan["underretninger"]:
        found.append({"niveau": OVERDUE, "tekst": "Mistanke om vold/overgreb: ingen underretning registreret.",
                      "dato": None})
    nxt = plan["naeste_statusmoede"]
    if nxt:
        day = dt.date.fromisoformat(nxt["dato"])
        if _week(day) == _week(today):
            found.append({"niveau": THIS_WEEK, "tekst": f"Statusmøde {_when(day, today)}", "dato": nxt["dato"]})
        elif _week(day) == _week(today + dt.timedelta(weeks=1)):
            found.append({"niveau": SOON, "tekst": f"Statusmøde næste uge: {dates.format_date(day)}",
                          "dato": nxt["dato"]})
    deadline = dates.from_iso(plan["iagttagelsesfrist"])
    if deadline and not plan["iagttagelser_faerdige"] and today <= deadline <= soon:
        found.append({"niveau": SOON, "tekst": f"Iagttagelserne skal ligge klar {dates.format_date(deadline)}",
                      "dato": deadline.isoformat()})
    for a in plan["aftaler"]:
        due = dates.from_iso(a["senest"])
        if due and a["status"] in OPEN_AGREEMENT and today <= due <= soon:
            found.append({"niveau": SOON, "tekst": f"Aftale nr. {a['nr']} skal være udført {dates.format_date(due)}",
                          "dato": due.isoformat()})
    quiet_for = (today - dt.date.fromisoformat(plan["opdateret"])).days
    if quiet_for >= rules.inactive_days:
        found.append({"niveau": QUIET, "tekst": f"Intet registreret i {quiet_for} dage", "dato": plan["opdateret"]})
    if not plan["tovholder"] and plan["fase"]["nummer"] > 1:
        found.append({"niveau": QUIET, "tekst": "Ingen tovholder valgt", "dato": None})
    if not plan["faerdig"] and plan["naeste_skridt"]["fase"]:
        found.append({"niveau": CALM, "tekst": f"Fortsæt guiden: {plan['naeste_skridt']['fase']}", "dato": None})
    return sorted(found, key=lambda t: (t["niveau"], t["dato"] or ""))


_short = functools.partial(dates.format_iso, short=True)


def clip(text: str, length: int = 40) -> str:
    """Cut a text to fit a table cell, marking the cut with an ellipsis."""
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _overdue(plan: dict, today: dt.date) -> list[dict]:
    """The same overdue items as the plan's list, said short enough for one table cell."""
    found = []
    deadline = plan["iagttagelsesfrist"]
    if deadline and not plan["iagttagelser_faerdige"] and deadline < today.isoformat():
        found.append({"tekst": f"Iagttagelserne skulle ligge klar {_short(deadline)}", "dato": deadline})
    for a in plan["aftaler"]:
        if a["overskredet"]:
            found.append({"tekst": f"Aftale {a['nr']} overskredet ({_short(a['senest'])}): {clip(a['hvad'])}",
                          "dato": a["senest"]})
    for m in plan["statusmoeder"] + plan["andre_moeder"]:
        if m["status"] == MeetingState.PLANNED and m["dato"] < today.isoformat():
            found.append({"tekst": f"{m['type']} {_short(m['dato'])} er ikke registreret som holdt", "dato": m["dato"]})
    if plan["mistanke_om_vold_eller_overgreb"] and any(not u["leder_informeret"] for u in plan["underretninger"]):
        found.append({"tekst": "Lederen er ikke informeret om underretningen", "dato": None})
    return [{"niveau": OVERDUE, **item} for item in found]


def _when(day: dt.date, today: dt.date) -> str:
    if day == today:
        return "i dag"
    if day == today + dt.timedelta(days=1):
        return "i morgen"
    return dates.format_date(day)


def row(plan: dict, today: dt.date) -> dict:
    """One line of the overview."""
    todo = tasks(plan, today)
    level = CLOSED if plan["status"] != CaseStatus.OPEN else (todo[0]["niveau"] if todo else CALM)
    nxt = plan["naeste_statusmoede"]
    return {
        "kode": plan["kode"], "barn": plan["barn"]["navn"] or "(ikke udfyldt)",
        "tilbud": plan["barn"]["tilbud"] or "",
        "fase": f"{plan['fase']['nummer']}/{plan['fase']['antal']} {plan['fase']['titel']}"
        if not plan["faerdig"] else "Alle faser gennemgået",
        "fase_nummer": plan["fase"]["nummer"], "fase_id": plan["fase"]["id"], "fase_titel": plan["fase"]["titel"],
        "tovholder": plan["tovholder"]["navn"] if plan["tovholder"] else "",
        "naeste_statusmoede": nxt["dato"] if nxt else None,
        "placering": plan["placering"]["label"] if plan["placering"] else "",
        "placering_farve": plan["placering"]["farve"] if plan["placering"] else "",
        "status": plan["status"],
        "lukket": plan["lukket"],
        "niveau": level, "niveau_navn": LEVEL_NAMES[level],
        "opgaver": [t["tekst"] for t in todo],
        "forsinket": plan["forsinket"],
        "mistanke_om_vold_eller_overgreb": plan["mistanke_om_vold_eller_overgreb"],
        "sidst_aendret": plan["opdateret"],
        "_sort": (level, (todo[0]["dato"] if todo and todo[0]["dato"] else "9999"), nxt["dato"] if nxt else "9999",
                  plan["kode"]),
    }


def matches(line: dict, tovholder: str | None, setting: str | None, phase: str | None) -> bool:
    """Filters compare without regard to case; a phase is its number, its id or part of its title."""
    if tovholder and tovholder.casefold() not in line["tovholder"].casefold():
        return False
    if setting and setting.casefold() != line["tilbud"].casefold():
        return False
    if phase:
        wanted = phase.strip().casefold()
        if wanted.isdecimal():  # not isdigit: int() refuses "²"; and no int() of 5000 digits
            if len(wanted) > 6 or int(wanted) != line["fase_nummer"]:
                return False
        elif wanted != line["fase_id"] and wanted not in line["fase_titel"].casefold():
            return False
    return True


def unreadable_row(case: dict, reason: str) -> dict:
    """The line of a case whose plan cannot be built: its code, the reason (which names no child)
    and the safety flag, so the case is never silently missing from the morning view."""
    closed = case["status"] != CaseStatus.OPEN
    return {
        "kode": case["code"], "barn": "–", "tilbud": "", "fase": "–", "fase_nummer": 0, "fase_id": "",
        "fase_titel": "", "tovholder": "", "naeste_statusmoede": None, "placering": "", "placering_farve": "",
        "status": case["status"], "lukket": None,
        "niveau": OVERDUE, "niveau_navn": UNREADABLE_NAME,
        "opgaver": [f"Kan ikke vises: {reason}", f"Se mere med: rettidig plan {case['code']}"],
        "forsinket": [],
        "mistanke_om_vold_eller_overgreb": bool(case.get("abuse_path")) and not closed,
        "sidst_aendret": str(case.get("updated_at") or case.get("created_at") or "")[:10],
        "kan_ikke_vises": reason,
        "_sort": (OVERDUE, "", "", case["code"]),
    }


def overview(plans: list[dict], today: dt.date, tovholder=None, setting=None, phase=None,
             unreadable: list[dict] = ()) -> list[dict]:
    """The lines, most urgent first. Lines of cases that cannot be shown (unreadable_row) are kept
    whatever the filters: what they would match cannot be known."""
    lines = [row(p, today) for p in plans]
    lines = [line for line in lines if matches(line, tovholder, setting, phase)] + list(unreadable)
    lines.sort(key=lambda line: line["_sort"])
    for line in lines:
        del line["_sort"]
    return lines
