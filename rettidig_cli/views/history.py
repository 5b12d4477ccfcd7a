"""A case as a dated timeline of everything that happened, oldest first (newest last). Plain data:
each entry has a date (the day it happened, e.g. the day an observation was made or a meeting
held), the moment it was recorded, a kind, and a Danish text. render.py prints it."""

from __future__ import annotations

import json
import os

from rettidig_cli.domain import dates, fit, privacy
from rettidig_cli.workflow import followup
from rettidig_cli.domain.errors import UNREADABLE_VALUE, CaseUnreadableError
from rettidig_cli.guide.reader import SAFETY_STEP_ID
from rettidig_cli.domain.vocabulary import EventKind, MeetingState


def _entry(day: str | None, recorded: str, kind: str, text: str, detail: str = "") -> dict:
    return {"dato": (day or recorded)[:10], "registreret": recorded, "type": kind, "tekst": text, "detalje": detail}


_day = dates.format_iso


def build(store, case: dict) -> list[dict]:
    """The case's timeline. A value rettidig did not write itself (JSON, a number or a date written
    by hand or by an older version) raises CaseUnreadableError (exit 4) naming the case, as `plan`
    does, never anything else."""
    guide = store.guide_for(case)  # a GuideError is its own message
    try:
        return _build(store, case, guide)
    except UNREADABLE_VALUE as exc:
        if os.environ.get("RETTIDIG_DEBUG"):
            raise
        raise CaseUnreadableError.of(case["code"], exc) from None


def _build(store, case: dict, guide) -> list[dict]:
    cid = case["id"]
    entries = [_entry(None, case["created_at"], "Sag", f"Sagen er oprettet (guide: {guide.short or guide.name}).")]
    agreements = {row["id"]: i for i, row in enumerate(store.rows("agreements", cid, removed=True), start=1)}
    meetings = {row["id"]: (i, row) for i, row in enumerate(store.rows("meetings", cid, removed=True), start=1)}

    for step_id, row in store.answers(cid).items():
        value = row["value"]
        if step_id == SAFETY_STEP_ID:
            text = ("Mistanke om vold eller overgreb: underretning uden at kontakte forældrene."
                    if value and value.get("mistanke") else "Sikkerhedsspørgsmålet er besvaret: ingen mistanke om vold eller overgreb.")
            entries.append(_entry(None, row["created_at"], "Sikkerhed", text))
        elif row["kind"] == "text" and value:
            entries.append(_entry(None, row["created_at"], "Notat", f"{guide.step_title(step_id)}: {value}"))
        elif row["kind"] == "child" and value:
            # An anonymous case named later (consent) has its own entry for that (EventKind.NAMED).
            who = value["navn"] or "Drøftes anonymt, uden navn"
            entries.append(_entry(None, row["created_at"], "Barnet", f"{who} ({value['aldersgruppe']}, {value['tilbud']})."))
        elif row["kind"] == "network" and value:
            entries.append(_entry(None, row["created_at"], "Netværk",
                                  f"{guide.step_title(step_id)}: {', '.join(value)}."))
    written = _as_first_written(store, cid)
    for row in written("observations"):
        method = f" ({row['method']})" if row["method"] else ""
        who = f" – {row['observer']}" if row["observer"] else ""
        entries.append(_entry(row["observed_on"], row["created_at"], "Observation", f"{row['what']}{method}{who}"))
    for row in written("factors"):
        label = followup.factor_label(guide, row["step_id"], row["kind"])
        entries.append(_entry(None, row["created_at"], "Faktor", f"{label}: {row['text']}"))
    for row in store.rows("decisions", cid):
        note = f" Begrundelse: {row['note']}" if row["note"] else ""
        entries.append(_entry(row["decided_on"], row["created_at"], "Beslutning",
                              f"{guide.step_title(row['step_id'])}: {row['label']}.{note}"))
    for row in written("agreements"):
        due = f", senest {_day(row['due'])}" if row["due"] else ""
        entries.append(_entry(None, row["created_at"], "Aftale",
                              f"Aftale nr. {agreements[row['id']]}: {row['what']} ({row['who']}{due})."))
    for row in store.rows("agreement_events", cid):
        note = f" {row['note']}" if row["note"] else ""
        entries.append(_entry(row["on_day"], row["created_at"], "Aftale",
                              f"Aftale nr. {agreements.get(row['agreement_id'], '?')} er nu «{row['status']}».{note}"))
    tovholders = written("tovholders")
    for i, row in enumerate(tovholders):
        role = f" ({row['role']})" if row["role"] else ""
        verb = "er tovholder" if i == 0 else f"overtager som tovholder efter {tovholders[i - 1]['name']}"
        entries.append(_entry(row["since"], row["created_at"], "Tovholder", f"{row['name']}{role} {verb}."))
    events = store.rows("case_events", cid)
    added = {e["meeting_id"] for e in events if e["kind"] == EventKind.PLANNED}  # these have their own entry
    held_at = {e["meeting_id"]: e["created_at"] for e in events if e["kind"] == "holdt"}
    first_day: dict[int, str] = {}  # where a meeting was first planned, before any move
    for e in events:
        if e["kind"] == "flyttet":
            first_day.setdefault(e["meeting_id"], e["from_value"])
    for number, row in meetings.values():
        at = f" {dates.clock(row['time'])}" if row["time"] else ""
        if row["id"] not in added:
            entries.append(_entry(None, row["created_at"], "Møde",
                                  f"{row['kind']} nr. {number} aftalt til {_day(first_day.get(row['id'], row['day']))}{at}."))
        if row["state"] == MeetingState.HELD:
            entries.append(_held(row, number, held_at.get(row["id"], row["created_at"])))
    for row in events:
        if row["kind"] != "holdt":
            entries.append(_case_event(row, meetings))
    for row in written("fit_scores"):
        if row["total"] is not None:
            text = f"{row['instrument']} ({row['respondent']}): {fit.format_score(row['total'])}"
            items = json.loads(row["items"]) if row["items"] else []
            detail = " / ".join(fit.format_score(v) for v in items)
        else:
            text, detail = f"{row['instrument']} ({row['respondent']}): {row['note']}", ""
        entries.append(_entry(row["measured_on"], row["created_at"], "FIT", text, detail))
    for row in written("positions"):
        reason = f" – {row['rationale']}" if row["rationale"] else ""
        entries.append(_entry(row["noted_on"], row["created_at"], "Børnelineal", f"{row['label']}{reason}"))
    for row in written("consents"):
        who = f" ({row['given_by']})" if row["given_by"] else ""
        entries.append(_entry(row["given_on"], row["created_at"], "Forældre",
                              f"{guide.step_title(row['step_id'])}: {row['answer']}{who}."))
    for row in written("underretninger"):
        leader = "lederen er informeret" if row["leader_informed"] else "lederen er IKKE informeret"
        entries.append(_entry(row["sent_on"], row["created_at"], "Underretning",
                              f"Underretning til {row['recipient']} ({row['method']}); {leader}."))
    entries += _corrections(store, case, guide)
    entries.sort(key=lambda e: (e["dato"], e["registreret"]))
    return privacy.printable_tree(entries)


def _as_first_written(store, case_id: int):
    """rows(table): a table's records (not removed) as they were first written. A record corrected
    since (ret, a step answered again) is told at its day as it was then; the correction has its own
    entry «Rettet … «før» → «efter»» (from the journal), so the history says both, in order."""
    first: dict[tuple[str, int], dict] = {}
    for change in store.changes(case_id, undone=False):
        if change["kind"] == "ret" and change["action"] == "update" and change["before"]:
            kept = first.setdefault((change["table_name"], change["row_id"]), {})
            for column, value in json.loads(change["before"]).items():
                kept.setdefault(column, value)

    def rows(table: str) -> list[dict]:
        return [{**row, **first.get((table, row["id"]), {})} for row in store.rows(table, case_id)]

    return rows


def _corrections(store, case: dict, guide) -> list[dict]:
    """Corrections and removals with the earlier version, and every change undone, from the journal."""
    from rettidig_cli.workflow import corrections

    groups: dict[int, list[dict]] = {}
    for row in store.changes(case["id"]):
        groups.setdefault(row["change_id"], []).append(row)
    entries = []
    for group in groups.values():
        first = group[0]
        if first["kind"] in ("ret", "fjern") or first["undone"]:
            lines = " ".join(corrections.described(store, case, guide, group))
        if first["kind"] in ("ret", "fjern"):
            why = f" Grund: {first['reason']}" if first["kind"] == "ret" and first["reason"] else ""
            entries.append(_entry(first["created_at"][:10], first["created_at"],
                                  "Rettet" if first["kind"] == "ret" else "Fjernet", lines + why))
        if first["undone"]:
            entries.append(_entry(first["undone_at"][:10], first["undone_at"], "Fortrudt", f"Fortrudt: {lines}"))
    return entries


def _held(row: dict, number: int, recorded: str) -> dict:
    people = json.loads(row["attended"] or "[]")
    text = f"{row['kind']} nr. {number} er holdt. Deltog: {', '.join(people) or '–'}."
    if row["parents_present"] == 0:
        text += f" Forældrene deltog ikke: {row['parents_absent_reason'] or 'ingen grund skrevet'}."
    return _entry(row["held_on"] or row["day"], recorded, "Møde", text, row["minutes"] or "")


def _case_event(row: dict, meetings: dict) -> dict:
    kind, reason = row["kind"], row["reason"] or ""
    number, meeting = meetings.get(row["meeting_id"], (None, None))
    label = f"{meeting['kind']} nr. {number}" if meeting else "Mødet"
    because = f" ({reason})" if reason else ""
    if kind == EventKind.PLANNED:
        text = f"{label} aftalt til {_day(row['to_value'])}."
    elif kind == EventKind.MOVED:
        text = f"{label} flyttet fra {_day(row['from_value'])} til {_day(row['to_value'])}{because}."
    elif kind == EventKind.CANCELLED:
        text = f"{label} ({_day(row['from_value'])}) er aflyst{because}."
    elif kind == EventKind.ESCALATED:
        text = f"Sagen er optrappet: {row['from_value']} → {row['to_value']}. Begrundelse: {reason}"
    elif kind == EventKind.CLOSED:
        text = f"Sagen er lukket: {reason}" + (f". Opsummering: {row['to_value']}" if row["to_value"] else "")
    elif kind == EventKind.REOPENED:
        text = f"Sagen er genåbnet: {reason}"
    elif kind == EventKind.SUSPICION:
        text = "Mistanke om vold eller overgreb registreret: underretning uden at kontakte forældrene."
    elif kind == EventKind.GUIDE_UPDATED:
        text = "Sagen følger nu den nyeste udgave af guiden. Svar på trin, som den ikke har, står stadig her."
    elif kind == EventKind.NAMED:
        text = f"Barnet drøftes nu med navn{because}."
    elif kind == EventKind.SUSPICION_REMOVED:
        text = f"Mistanken om vold eller overgreb er taget af sagen. Begrundelse: {reason}"
    else:
        text = f"{kind}{because}"
    return _entry(row["on_day"], row["created_at"], "Møde" if meeting else "Sag", text)
