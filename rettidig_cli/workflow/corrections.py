"""Correcting what was written: a record's fields corrected, a record entered by mistake removed,
and the last change to a case undone. Each keeps the earlier version – in the journal of changes
(Store: record_changes) and the audit log – as a journal does: nothing is silently overwritten,
and the history shows what it was."""

from __future__ import annotations

import datetime as dt
import json
from typing import Callable, NamedTuple

from rettidig_cli.domain import dates, fields
from rettidig_cli.domain.errors import CaseChangedError, UsageError
from rettidig_cli.guide import parents
from rettidig_cli.workflow import followup, wizard


class Field(NamedTuple):
    key: str  # the flag and the answers-file key: --hvad
    column: str
    label: str  # Danish, for questions and the history
    parse: Callable  # (raw, case) -> the stored value


class Kind(NamedTuple):
    """A kind of record that can be corrected and removed."""

    name: str  # as the user writes it: observation, aftale …
    table: str
    noun: str  # "Observation"
    fields: tuple[Field, ...]
    summary: Callable[[dict], str]  # the record in one line


def _text(label: str, required: bool = True, short: bool = False):
    limit = fields.SHORT_MAX if short else None
    return lambda raw, case: fields.text(raw, label, required=required, **({"max_length": limit} if limit else {}))


def _day(label: str, required: bool = True, ahead: bool = False):
    def parse(raw, case):
        day = fields.date(raw, label, required=required, ahead=ahead)
        return day.isoformat() if day else None
    return parse


def _person(label: str, role: str):
    """A name that may not be a parent's on the abuse path (an agreement's who)."""
    return lambda raw, case: parents.without_parents(fields.text(raw, label, max_length=fields.SHORT_MAX),
                                                     bool(case["abuse_path"]), role)


def _people(raw, case):
    people = parents.without_parents(fields.names(raw, "Deltagere"), bool(case["abuse_path"]), wizard.MEETING_ROLE)
    return json.dumps(people, ensure_ascii=False)


def _yes_no(label: str):
    return lambda raw, case: int(fields.yes_no(raw, label))


def _total(value) -> str:
    return "–" if value is None else f"{value:g}".replace(".", ",")


def _short(iso: str | None) -> str:
    return dates.format_iso(iso, short=True) if iso else "–"


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("observation", "observations", "Observation",
         (Field("dato", "observed_on", "Dato", _day("Dato")), Field("hvad", "what", "Hvad", _text("Hvad du så")),
          Field("metode", "method", "Metode", _text("Metode", False, True)),
          Field("hvem", "observer", "Hvem", _text("Hvem observerede", False, True))),
         lambda r: f"{_short(r['observed_on'])}: {r['what']}"),
    Kind("faktor", "factors", "Faktor", (Field("tekst", "text", "Tekst", _text("Faktoren")),),
         lambda r: r["text"]),
    Kind("aftale", "agreements", "Aftale",
         (Field("hvad", "what", "Hvad", _text("Hvad")), Field("hvem", "who", "Hvem", _person("Hvem", wizard.AGREEMENT_ROLE)),
          Field("senest", "due", "Senest", _day("Senest", False, ahead=True))),
         lambda r: f"{r['what']} ({r['who']}, senest {_short(r['due'])})"),
    Kind("møde", "meetings", "Møde",
         (Field("deltagere", "participants", "Deltagere", _people),
          Field("tidspunkt", "time", "Tidspunkt", lambda raw, case: fields.time(raw, "Tidspunkt").strftime("%H:%M")),
          Field("referat", "minutes", "Referat", _text("Referatet", False))),
         lambda r: f"{r['kind']} {_short(r['day'])}"),
    Kind("samtykke", "consents", "Samtykke",
         (Field("svar", "answer", "Svar", lambda raw, case: fields.choice(raw, "Svar", list(wizard.CONSENT_ANSWERS))),
          Field("navn", "given_by", "Hvem", _text("Hvem", False, True)),
          Field("dato", "given_on", "Dato", _day("Dato", False))),
         lambda r: f"{r['topic']}: {r['answer']}"),
    Kind("underretning", "underretninger", "Underretning",
         (Field("dato", "sent_on", "Dato", _day("Dato for underretningen")),
          Field("modtager", "recipient", "Modtager", _text("Modtager", True, True)),
          Field("hvordan", "method", "Hvordan", _text("Hvordan", True, True)),
          Field("leder_informeret", "leader_informed", "Lederen er informeret", _yes_no("leder_informeret")),
          Field("note", "note", "Note", _text("Note", False))),
         lambda r: f"{_short(r['sent_on'])} til {r['recipient']}"),
    Kind("placering", "positions", "Placering",
         (Field("begrundelse", "rationale", "Begrundelse", _text("Begrundelse", False)),),
         lambda r: f"{r['label']} ({_short(r['noted_on'])})"),
    Kind("fit", "fit_scores", "FIT-skema",
         (Field("dato", "measured_on", "Dato", _day("Dato")), Field("note", "note", "Note", _text("Note", False))),
         lambda r: f"{r['instrument']} ({r['respondent']}) {_short(r['measured_on'])}: {_total(r['total'])}"),
    Kind("beslutning", "decisions", "Beslutning",
         (Field("note", "note", "Note", _text("Note", False)),),
         lambda r: f"{r['label']} ({_short(r['decided_on'])})"),
    Kind("tovholder", "tovholders", "Tovholder",
         (Field("navn", "name", "Navn", _text("Tovholderens navn", True, True)),
          Field("rolle", "role", "Rolle", _text("Rolle", False, True))),
         lambda r: r["name"] + (f" ({r['role']})" if r["role"] else "")),
)}
BY_TABLE = {k.table: k for k in KINDS.values()}
# Only an underretning's own facts can be corrected on the abuse path; removing it is not possible there
# (the duty to report stays in the case), see remove().
NOT_REMOVED_ON_ABUSE_PATH = ("underretning",)
# A decision is the answer to a step of the guide: it is changed by answering the step again.
CHANGED_IN_THE_GUIDE = ("beslutning",)


def kind(name: str) -> Kind:
    found = KINDS.get(name.strip().lower().replace("moede", "møde"))
    if found is None:
        raise UsageError(f"«{name}» kan ikke rettes. Vælg en af: {', '.join(KINDS)}.")
    return found


def records(store, case: dict, which: Kind) -> list[dict]:
    """The kind's records of the case, numbered as the plan numbers them (removed ones not shown)."""
    return store.numbered(which.table, case["id"])


def pick(store, case: dict, which: Kind, nr) -> dict:
    return followup.pick(records(store, case, which), nr, which.noun.lower(), case)


def parse_changes(which: Kind, record: dict, raw: dict, case: dict) -> dict[str, tuple]:
    """column -> (label, before, after) for each field the user gives that differs from the record."""
    known = {f.key: f for f in which.fields}
    unknown = [key for key in raw if key not in known]
    if unknown:
        raise ValueError(f"«{unknown[0]}» kan ikke rettes på en {which.noun.lower()}. Det kan: {', '.join(known)}.")
    changes = {}
    for key, value in raw.items():
        field = known[key]
        new = field.parse(value, case)
        if new != record[field.column]:
            changes[field.column] = (field.label, record[field.column], new)
    return changes


def correct(store, case: dict, which: Kind, record: dict, changes: dict[str, tuple], why: str) -> None:
    """The corrected fields in one transaction, the earlier version in the journal."""
    followup.require_open(case)
    if not changes:
        raise UsageError(f"Intet at rette: {which.noun.lower()} nr. {record['nr']} er allerede sådan.")
    why = optional_reason(why)
    with store.atomic(case):
        _as_read(store, case, which, record)
        store.mark_change("ret", why)
        store.change(which.table, case, record["id"], {column: after for column, (_, _, after) in changes.items()})
        store.update_case(case)
        store.audit("ændre", case["code"], f"rettet: {which.name}")


def remove(store, case: dict, which: Kind, record: dict, why: str) -> None:
    """A record entered by mistake: out of the plan and the documents, kept in the history with the reason."""
    followup.require_open(case)
    if which.name in NOT_REMOVED_ON_ABUSE_PATH and case["abuse_path"]:
        raise UsageError("Der er mistanke om vold eller overgreb: underretningen bliver i sagen. Ret den i stedet, "
                         "hvis noget er skrevet forkert.", hint=f"rettidig ret {case['code']}")
    if which.name in CHANGED_IN_THE_GUIDE:
        raise UsageError("En beslutning fjernes ikke: besvar trinnet igen, så står den nye beslutning i sagen og "
                         "den tidligere i historikken.", hint=f"rettidig resume {case['code']} --fra TRIN")
    why = reason(why)
    with store.atomic(case):
        _as_read(store, case, which, record)
        store.mark_change("fjern", why)
        store.change(which.table, case, record["id"], {"removed_on": dates.today().isoformat(), "removed_reason": why})
        store.update_case(case)
        store.audit("ændre", case["code"], f"fjernet: {which.name}")


def _as_read(store, case: dict, which: Kind, record: dict) -> None:
    """Inside the write: the record is as the user saw it. A second window may have corrected or
    removed it while the question was open; then the later write would silently win."""
    state = ("state", "day") if which.table == "meetings" else ()  # a meeting held or moved meanwhile too
    columns = tuple(dict.fromkeys([*(f.column for f in which.fields), "removed_on", *state]))
    followup.unchanged(store, case, which.table, record, columns, f"{which.noun} nr. {record['nr']}")


# ---------------------------------------------------------------- the last change, and undoing it


class Change(NamedTuple):
    id: int
    at: str  # when it was made
    lines: list[str]  # what it did, in Danish
    refused: str  # why it cannot be undone ("" if it can)


# Table names and columns as the user reads them in a change.
NOUNS = {"observations": "Observation", "factors": "Faktor", "agreements": "Aftale", "meetings": "Møde",
         "consents": "Samtykke", "tovholders": "Tovholder", "positions": "Placering", "underretninger": "Underretning",
         "decisions": "Beslutning", "fit_scores": "FIT-skema", "agreement_events": "Aftalens status",
         "case_events": "Hændelse", "answers": "Svar", "cases": "Sagen"}
NEUTER = ("meetings", "consents", "fit_scores")  # et møde, et samtykke, et FIT-skema: "Nyt"
COLUMNS = {f.column: f.label for k in KINDS.values() for f in k.fields} | {
    "status": "Status", "state": "Status", "day": "Dato", "held_on": "Holdt", "attended": "Deltog",
    "removed_on": "Fjernet", "child_name": "Barnets navn", "age_group": "Aldersgruppe", "setting": "Tilbud",
    "value": "Svar", "choice": "Valg", "label": "Valg", "guide_sha": "Guidens udgave"}


def described(store, case: dict, guide, group: list[dict]) -> list[str]:
    """The rows of one change, in Danish."""
    return [line for row in group for line in _describe(store, case, guide, row)] or ["En ændring uden indhold."]


def last_change(store, case: dict, guide) -> Change | None:
    """The newest change to the case that is not undone, described."""
    rows = store.changes(case["id"], undone=False)
    if not rows:
        return None
    newest = rows[-1]["change_id"]
    group = [r for r in rows if r["change_id"] == newest]
    return Change(newest, group[0]["created_at"], described(store, case, guide, group), _refusal(group, case))


def _refusal(group: list[dict], case: dict) -> str:
    for row in group:
        before = json.loads(row["before"]) if row["before"] else {}
        if row["table_name"] == "cases" and "abuse_path" in before and before["abuse_path"]:
            return ("At tage mistanken om vold eller overgreb af sagen fortrydes ikke: er der mistanke igen, "
                    f"registrér den med rettidig mistanke {case['code']}.")
        if row["table_name"] == "cases" and "abuse_path" in before:
            return ("En mistanke om vold eller overgreb fortrydes ikke: tag den af sagen med en begrundelse "
                    f"(rettidig mistanke {case['code']} --fjern --grund \"...\").")
        if row["table_name"] == "cases" and "status" in before:
            return f"At lukke eller genåbne sagen fortrydes ikke: brug rettidig genåbn {case['code']} eller rettidig luk."
        if row["table_name"] == "underretninger" and row["action"] == "insert" and case["abuse_path"]:
            return "Der er mistanke om vold eller overgreb: underretningen bliver i sagen (ret den med rettidig ret)."
    return ""


def _describe(store, case: dict, guide, row: dict) -> list[str]:
    table, action = row["table_name"], row["action"]
    noun = NOUNS.get(table, table)
    after = json.loads(row["after"]) if row["after"] else {}
    before = json.loads(row["before"]) if row["before"] else {}
    which = BY_TABLE.get(table)
    if action == "insert":
        new = "Nyt" if table in NEUTER else "Ny"
        named = noun if noun[1:2].isupper() else noun.lower()  # FIT-skema keeps its capitals
        if which is not None:
            try:
                return [f"{new} {named}: {which.summary({**{f.column: None for f in which.fields}, **after})}."]
            except (KeyError, TypeError):
                return [f"{new} {named}."]
        if table == "answers":
            return [f"Svar på trinnet «{guide.step_title(after.get('step_id'))}»."]
        if table == "decisions":
            return [f"Beslutning: {guide.step_title(after.get('step_id'))}: {after.get('label')}."]
        if table == "agreement_events":
            return [f"Aftalens status sat til «{after.get('status')}»."]
        if table == "case_events":
            return [f"Hændelse: {after.get('kind')}."]
        return [f"{new} {named}."]
    if "removed_on" in after:
        found = store.query(f'SELECT * FROM "{table}" WHERE id = ?', [row["row_id"]]) if which else []
        what = f": «{which.summary(found[0])}»" if found else ""
        why = after.get("removed_reason") or row["reason"] or "ingen grund"  # a record's own reason first
        return [f"{noun} nr. {_number(store, case, table, row['row_id'])} fjernet{what} ({why})."]
    if table == "answers":
        return _answer_changed(store, guide, row["row_id"], before.get("value"), after.get("value"))
    number = "" if table == "cases" else f" nr. {_number(store, case, table, row['row_id'])}"
    changed = [f"{COLUMNS.get(col, col)} «{_shown(before.get(col))}» → «{_shown(after.get(col))}»"
               for col in after if col not in BOOKKEEPING and _shown(before.get(col)) != _shown(after.get(col))]
    return [f"{noun}{number}: {'; '.join(changed)}."] if changed else []


BOOKKEEPING = ("created_at", "updated_at")
# The parts of a step's answer as the user reads them (the answers file's keys otherwise).
ANSWER_PARTS = {"navn": "Navn", "aldersgruppe": "Aldersgruppe", "tilbud": "Tilbud", "anonym": "Anonym",
                "rolle": "Rolle", "svar": "Svar", "dato": "Dato", "placering": "Placering", "begrundelse": "Begrundelse",
                "tidspunkt": "Tidspunkt", "deltagere": "Deltagere", "afholdt": "Holdt"}


def _answer_changed(store, guide, answer_id: int, before: str | None, after: str | None) -> list[str]:
    """A step answered again: what changed in its answer, part by part. The child's facts are said
    by the case's own row, and a decision by its records, so those answers add nothing."""
    found = store.query("SELECT step_id, kind FROM answers WHERE id = ?", [answer_id])
    if not found or found[0]["kind"] in ("child", "decision"):
        return []
    old, new = (json.loads(v) if v else None for v in (before, after))
    title = guide.step_title(found[0]["step_id"])
    if isinstance(old, dict) and isinstance(new, dict):
        parts = [f"{ANSWER_PARTS.get(k, k)} «{_shown(_plain(old.get(k)))}» → «{_shown(_plain(new.get(k)))}»"
                 for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k)]
        return [f"Svaret på «{title}»: {'; '.join(parts)}."] if parts else []
    if old == new:
        return []
    return [f"Svaret på «{title}»: «{_shown(_plain(old))}» → «{_shown(_plain(new))}»."]


def _plain(value):
    """A part of an answer as text: a list of names joined, yes and no in Danish."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "ja" if value else "nej"
    return value


def _number(store, case: dict, table: str, row_id: int) -> int:
    return store.number_in_case(table, case, row_id)


def reason(value) -> str:
    """Why a record is removed: required, one line."""
    return fields.text(value, "Grunden", max_length=fields.SHORT_MAX)


def optional_reason(value) -> str:
    """Why a record is corrected: may be left out, one line."""
    return fields.text(value, "Grunden", required=False, max_length=fields.SHORT_MAX)


def shown_value(value, empty: str = "–") -> str:
    """A stored value as the user reads it (a list of names, a date in Danish)."""
    return empty if value in (None, "") else _shown(value)


def _shown(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, str) and value.startswith("["):
        try:
            return ", ".join(json.loads(value))
        except (ValueError, TypeError):
            return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return dates.format_date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def sign(store, case: dict, guide, raw: dict) -> None:
    """The parents' signature on the handleplan, when it happens: the guide's signature step
    answered (or answered again), so the walk and the plan both have it."""
    from rettidig_cli.domain.vocabulary import StepKind

    followup.require_open(case)
    if case["abuse_path"]:
        raise UsageError("Der er mistanke om vold eller overgreb: forældrene kontaktes ikke om bekymringen, og deres "
                         "underskrift indhentes ikke.")
    step = next((s for s in guide.steps() if s.kind == StepKind.CONSENT and s.topic == "handleplan"), None)
    if step is None:
        raise UsageError("Sagens guide har ingen underskrift på handleplanen.")
    ctx = wizard.context_for(store, case, guide)
    value = wizard.parse_consent(step, {"svar": "ja", "navn": raw.get("navn"), "dato": raw.get("dato")}, ctx)
    if not value["navn"]:
        raise ValueError("Skriv, hvem der har skrevet under (--navn).")
    wizard.save_step(store, case, step, value, ctx)


def undo(store, case: dict, change: Change) -> None:
    if change.refused:
        raise UsageError(change.refused)
    followup.require_open(case)
    with store.atomic(case):
        newest = store.changes(case["id"], undone=False)
        if not newest or newest[-1]["change_id"] != change.id:
            raise CaseChangedError("Sagen er ændret i et andet vindue, mens du så på ændringen. Intet er fortrudt.",
                                   hint=f"Se den seneste ændring igen: rettidig fortryd {case['code']}")
        store.undo_change(case, change.id)
        store.audit("ændre", case["code"], "fortrudt")

