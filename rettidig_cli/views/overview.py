"""The morning view: every case as one line, sorted by what needs doing first. Built from the
same plan data as `rettidig plan`, so the two never disagree.

Urgency, most urgent first: overdue (agreements, observation deadline, meetings not registered,
leader not told) > a status meeting this week > next week or a deadline coming up > no activity
for a long time > nothing pressing > closed."""

from __future__ import annotations

import datetime as dt
import functools
import json

from rettidig_cli import __version__
from rettidig_cli.domain import dates
from rettidig_cli.views.model import Duty, DutyKind, Facts, Summary, to_json
from rettidig_cli.views.plan import duty_command, overdue_sentence
from rettidig_cli.guide.reference import followup_rules
from rettidig_cli.domain.vocabulary import CaseStatus

OVERDUE, THIS_WEEK, SOON, QUIET, CALM, CLOSED = range(6)
LEVEL_NAMES = {OVERDUE: "overskredet", THIS_WEEK: "denne uge", SOON: "snart", QUIET: "stille",
               CALM: "i gang", CLOSED: "lukket"}
UNREADABLE_NAME = "kan ikke vises"  # a case whose plan cannot be built: shown first, at the overdue level


def _week(day: dt.date) -> tuple[int, int]:
    return day.isocalendar()[:2]


def tasks(plan: Summary, today: dt.date) -> list[dict]:
    """What this case asks of the practitioner now, each with its urgency level and date."""
    return [{"niveau": level, "tekst": say(), "dato": day} for level, day, say in _ranked(plan, today)]


def _ranked(plan: Summary, today: dt.date) -> list[tuple]:
    """(level, ISO date or None, the words as a function), most urgent first. The words are made
    only for the lines shown: 10,000 cases are ranked, 25 are phrased."""
    if plan.status != CaseStatus.OPEN:
        return []
    rules = followup_rules()
    soon = today + dt.timedelta(days=rules.soon_days)
    found = [(OVERDUE, d.day.isoformat() if d.day else None, functools.partial(_overdue_cell, d, plan.code))
             for d in plan.duties if d.overdue(today)]
    nxt = plan.next_status_meeting(today)
    if nxt:
        day = dt.date.fromisoformat(nxt)
        if _week(day) == _week(today):
            held_how = f": rettidig møde hold {plan.code}" if day == today else ""  # the command on the day
            found.append((THIS_WEEK, nxt, lambda: f"Statusmøde {_when(day, today)}{held_how}"))
        elif _week(day) == _week(today + dt.timedelta(weeks=1)):
            found.append((SOON, nxt, lambda: f"Statusmøde næste uge: {dates.format_date(day)}"))
    for duty in plan.duties:
        if duty.day and today <= duty.day <= soon and duty.kind in (DutyKind.OBSERVATIONS, DutyKind.AGREEMENT):
            # (a meeting to come is the status meeting above, or on its own day)
            found.append((SOON, duty.day.isoformat(), functools.partial(_soon_cell, duty)))
    quiet_for = (today - dt.date.fromisoformat(plan.updated)).days
    if quiet_for >= rules.inactive_days:
        found.append((QUIET, plan.updated, lambda: f"Intet registreret i {quiet_for} dage"))
    if not plan.tovholder and plan.phase.number > 1:
        found.append((QUIET, None, lambda: "Ingen tovholder valgt"))
    if not plan.done and plan.next_phase:
        found.append((CALM, None, lambda: f"Fortsæt guiden: {plan.next_phase}"))
    return sorted(found, key=lambda t: (t[0], t[1] or ""))


def _soon_cell(duty: Duty) -> str:
    if duty.kind == DutyKind.OBSERVATIONS:
        return f"Iagttagelserne skal ligge klar {dates.format_date(duty.day)}"
    return f"Aftale nr. {duty.ref} skal være udført {dates.format_date(duty.day)}"


_short = dates.format_short


def _overdue_cell(duty: Duty, code: str) -> str:
    """An overdue duty said short enough for one table cell."""
    match duty.kind:
        case DutyKind.NO_UNDERRETNING:
            # (the view marks every abuse-path case «Mistanke om vold/overgreb» first)
            return f"Ingen underretning registreret: {duty_command(duty, code)}"
        case DutyKind.LEADER_NOT_INFORMED:
            return "Lederen er ikke informeret om underretningen"
        case DutyKind.OBSERVATIONS:
            return f"Iagttagelserne skulle ligge klar {_short(duty.day)}"
        case DutyKind.AGREEMENT:
            return f"Aftale {duty.ref} overskredet ({_short(duty.day)}): {duty.label}"
        case DutyKind.MEETING:
            return f"{duty.label} {_short(duty.day)} er ikke registreret som holdt: {duty_command(duty, code)}"
    raise ValueError(duty.kind)


def shown_tasks(line: dict) -> list[str]:
    """What a line of the morning view says is to be done (its "Skal gøres"): the abuse path marked
    first; a closed case, when and why it was closed. The list and the start screen say the same."""
    if line["lukket"]:
        return [f"Lukket {dates.format_iso(line['lukket']['dato'], True)}: {line['lukket']['grund']}"]
    marked = ["Mistanke om vold/overgreb"] if line["mistanke_om_vold_eller_overgreb"] else []
    return marked + list(line["opgaver"])


def _when(day: dt.date, today: dt.date) -> str:
    if day == today:
        return "i dag"
    if day == today + dt.timedelta(days=1):
        return "i morgen"
    return dates.format_date(day)


def row(plan: Summary, today: dt.date) -> dict:
    """One line of the overview."""
    return _line(plan, today, _ranked(plan, today))


def rank(facts: Facts, today: dt.date) -> tuple:
    """(level, date, next status meeting, code): the sort key of a case in the morning view, from
    the facts alone. It gives the level and date of the first of the case's tasks (_ranked), so
    the view can rank 10,000 cases without phrasing them (test_overview_history checks the two agree)."""
    nxt = facts.next_status_meeting(today)
    later = nxt or "9999"
    if not facts.open:
        return (CLOSED, "9999", later, facts.code)
    iso = today.isoformat()
    if facts.has_undated_duty:  # the abuse path's duties have no date and come before every dated one
        return (OVERDUE, "", later, facts.code)
    if facts.first_duty and facts.first_duty < iso:
        return (OVERDUE, facts.first_duty, later, facts.code)
    rules = followup_rules()
    if nxt and _week(dt.date.fromisoformat(nxt)) == _week(today):
        return (THIS_WEEK, nxt, later, facts.code)
    soon = (today + dt.timedelta(days=rules.soon_days)).isoformat()
    candidates = [nxt] if nxt and _week(dt.date.fromisoformat(nxt)) == _week(today + dt.timedelta(weeks=1)) else []
    if facts.first_soon_duty and iso <= facts.first_soon_duty <= soon:
        candidates.append(facts.first_soon_duty)
    if candidates:
        return (SOON, min(candidates), later, facts.code)
    if facts.needs_tovholder:
        return (QUIET, "9999", later, facts.code)
    if (today - dt.date.fromisoformat(facts.updated)).days >= rules.inactive_days:
        return (QUIET, facts.updated, later, facts.code)
    return (CALM, "9999", later, facts.code)


def _line(plan: Summary, today: dt.date, todo: list[tuple]) -> dict:
    level = rank(plan.facts(), today)[0]
    return {
        "kode": plan.code, "barn": plan.child.shown_name(),
        "tilbud": plan.child.setting or "",
        "aldersgruppe": plan.child.age_group or "",  # two children of one name told apart
        "fase": f"{plan.phase.number}/{plan.phase.count} {plan.phase.title}"
        if not plan.done else "Alle faser gennemgået",
        "fase_nummer": plan.phase.number, "fase_id": plan.phase.id, "fase_titel": plan.phase.title,
        "tovholder": plan.tovholder,
        "naeste_statusmoede": plan.next_status_meeting(today),
        "placering": plan.position.label if plan.position else "",
        "placering_farve": plan.position.colour if plan.position else "",
        "status": plan.status,
        "lukket": to_json(plan.closed),
        "niveau": level, "niveau_navn": LEVEL_NAMES[level],
        "opgaver": [say() for _, _, say in todo],
        "forsinket": [overdue_sentence(d) for d in plan.overdue(today)],
        "mistanke_om_vold_eller_overgreb": plan.abuse_path,
        "sidst_aendret": plan.updated,
    }


def matches(facts: Facts, tovholder: str | None, setting: str | None, phase: str | None) -> bool:
    """Filters compare without regard to case; a phase is its number, its id or part of its title."""
    if tovholder and tovholder.casefold() not in facts.tovholder.casefold():
        return False
    if setting and setting.casefold() != facts.setting.casefold():
        return False
    if phase:
        wanted = phase.strip().casefold()
        if wanted.isdecimal():  # not isdigit: int() refuses "²"; and no int() of 5000 digits
            if len(wanted) > 6 or int(wanted) != facts.phase_number:
                return False
        elif wanted != facts.phase_id and wanted not in facts.phase_title.casefold():
            return False
    return True


def unreadable_row(case: dict, reason: str) -> dict:
    """The line of a case whose plan cannot be built: its code, the reason (which names no child)
    and the safety flag, so the case is never silently missing from the morning view."""
    closed = case["status"] != CaseStatus.OPEN
    return {
        "kode": case["code"], "barn": "–", "tilbud": "", "aldersgruppe": "", "fase": "–", "fase_nummer": 0, "fase_id": "",
        "fase_titel": "", "tovholder": "", "naeste_statusmoede": None, "placering": "", "placering_farve": "",
        "status": case["status"], "lukket": None,
        "niveau": OVERDUE, "niveau_navn": UNREADABLE_NAME,
        "opgaver": [f"Kan ikke vises: {reason}", f"Se mere med: rettidig plan {case['code']}"],
        "forsinket": [],
        "mistanke_om_vold_eller_overgreb": bool(case.get("abuse_path")) and not closed,
        "sidst_aendret": str(case.get("updated_at") or case.get("created_at") or "")[:10],
        "kan_ikke_vises": reason,
    }


def overview(plans: list[Summary], today: dt.date, tovholder=None, setting=None, phase=None,
             unreadable: list[dict] = ()) -> list[dict]:
    """The lines, most urgent first. Lines of cases that cannot be shown (unreadable_row) are kept
    whatever the filters: what they would match cannot be known."""
    return morning(plans, today, tovholder, setting, phase, unreadable)[0]


def morning(plans: list[Summary], today: dt.date, tovholder=None, setting=None, phase=None,
            unreadable: list[dict] = (), limit: int | None = None) -> tuple[list[dict], list[int]]:
    """The first `limit` lines (all without a limit), and the urgency levels of the lines left out."""
    ranked = [(rank(facts, today), plan) for plan in plans
              if matches(facts := plan.facts(), tovholder, setting, phase)]
    return _lines(ranked, today, unreadable, limit, lambda ids: {})


# A kept summary is used only by the version that made it: a newer one may phrase or sort differently.
SUMMARY_VERSION = f"{__version__}/3"


def from_store(store, today: dt.date, include_closed: bool, closed_only: bool = False, tovholder=None,
               setting=None, phase=None, limit: int | None = None) -> tuple[list[dict], list[int]]:
    """The morning view of the data file: every case ranked from the facts kept beside its summary,
    and only the lines shown read and phrased. A case without a kept summary (a write removed it,
    or another version made it) gets one from its plan, kept in the caller's transaction (see
    Store.keep_summaries) for the next `list`."""
    from rettidig_cli.views import plan as plans

    ranked, unreadable, made = [], [], []
    for case_id, code, status, case_setting, version, *kept in store.overview_rows(include_closed, Facts.COLUMNS):
        if closed_only and status == CaseStatus.OPEN:
            continue
        if version == SUMMARY_VERSION:
            facts = Facts(code, status == CaseStatus.OPEN, case_setting or "", *kept)
        else:
            # One case that cannot be planned (its guide beyond the limits, a value written by hand)
            # is a line saying so; the overview of the other cases goes on.
            row = store.case_row(case_id)
            try:
                summary = plans.build(store, row, today).summary()
            except (plans.CaseGuideError, plans.CaseUnreadableError) as exc:
                unreadable.append(unreadable_row(row, exc.reason))
                continue
            facts = summary.facts()
            made.append((case_id, SUMMARY_VERSION, json.dumps(summary.to_stored(), ensure_ascii=False),
                         *facts.columns()))
            if len(made) == 500:  # kept as they are made: 10,000 new summaries are never all in memory
                store.keep_summaries(Facts.COLUMNS, made)
                made = []
        if matches(facts, tovholder, setting, phase):
            ranked.append((rank(facts, today), case_id))  # its summary is read back if it is shown
    if made:
        store.keep_summaries(Facts.COLUMNS, made)

    def read(case_ids: list[int]) -> dict[int, Summary]:
        return {case_id: Summary.from_json(json.loads(data)) for case_id, data in store.summaries(case_ids).items()}

    return _lines(ranked, today, unreadable, limit, read)


def _lines(ranked: list[tuple], today: dt.date, unreadable: list[dict], limit: int | None, read):
    """Sort, cut at the limit and phrase. An entry is a Summary, or the id of a case whose kept
    summary `read` fetches (for the lines shown only)."""
    ranked += [((OVERDUE, "", "", line["kode"]), line) for line in unreadable]
    ranked.sort(key=lambda item: item[0])
    shown = ranked if limit is None else ranked[:limit]
    kept = read([entry for _, entry in shown if isinstance(entry, int)])
    lines = []
    for _, entry in shown:
        if isinstance(entry, dict):  # a case that cannot be shown
            lines.append(entry)
            continue
        summary = kept[entry] if isinstance(entry, int) else entry
        lines.append(_line(summary, today, _ranked(summary, today)))
    return lines, [key[0] for key, _ in ranked[len(shown):]]
