"""Schema changes, one function each, applied in order. Never edit one that has shipped:
add a new function instead."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sqlite_utils is imported only when a file has migrations to apply
    from sqlite_utils import Database

# The name the applied steps are recorded under in _sqlite_migrations.
SET_NAME = "rettidig"


def m001_initial(db: Database) -> None:
    # Guide snapshots: a case keeps the exact guide it was opened with, even if the file changes.
    db["guides"].create(
        {"sha": str, "guide_id": str, "name": str, "source_path": str, "toml": str, "stored_at": str},
        pk="sha", not_null={"guide_id", "toml"},
    )
    db["cases"].create(
        {
            "id": int, "code": str, "guide_sha": str, "child_name": str, "age_group": str,
            "setting": str, "abuse_path": int, "status": str, "created_at": str,
            "updated_at": str, "closed_at": str,
        },
        pk="id", not_null={"code", "guide_sha", "status", "created_at"},
        foreign_keys=[("guide_sha", "guides", "sha")],
        defaults={"status": "åben", "abuse_path": 0},
    )
    db["cases"].create_index(["code"], unique=True)

    def child_table(name: str, columns: dict, not_null: set[str] = frozenset()) -> None:
        db[name].create(
            {"id": int, "case_id": int, "step_id": str, **columns, "created_at": str},
            pk="id", not_null={"case_id", *not_null},
            foreign_keys=[("case_id", "cases", "id")],
        )
        db[name].create_index(["case_id"])

    # One row per answered step: the wizard's resume point and the plain-text answers.
    child_table("answers", {"phase_id": str, "kind": str, "value": str}, {"step_id"})
    db["answers"].create_index(["case_id", "step_id"], unique=True)
    child_table("observations", {"observed_on": str, "what": str, "method": str, "observer": str}, {"what"})
    child_table("factors", {"kind": str, "text": str}, {"kind", "text"})
    child_table("decisions", {"choice": str, "label": str, "note": str, "decided_on": str}, {"choice"})
    child_table("agreements", {"what": str, "who": str, "due": str, "status": str}, {"what", "status"})
    child_table("tovholders", {"name": str, "role": str, "since": str}, {"name"})
    child_table(
        "meetings",
        {"kind": str, "day": str, "time": str, "participants": str, "state": str, "moved_from": str,
         "moved_reason": str},
        {"kind", "day", "state"},
    )
    child_table("consents", {"topic": str, "answer": str, "given_by": str, "given_on": str}, {"topic", "answer"})
    child_table(
        "underretninger",
        {"sent_on": str, "recipient": str, "method": str, "leader_informed": int, "note": str},
        {"sent_on", "recipient", "method"},
    )
    child_table("positions", {"position": str, "label": str, "noted_on": str, "rationale": str}, {"position"})
    # The audit log names the case by code only, never its content.
    db["audit_log"].create(
        {"id": int, "at": str, "os_user": str, "action": str, "case_code": str, "detail": str},
        pk="id", not_null={"at", "action"},
    )


def m002_follow_up(db: Database) -> None:
    # Following a case over weeks: what happened at each meeting, the history of each agreement,
    # FIT scores, and case events (a meeting moved or cancelled, escalation, closing, reopening).
    for column in ("held_on", "attended", "parents_absent_reason", "minutes", "cancel_reason"):
        db["meetings"].add_column(column, str)
    db["meetings"].add_column("parents_present", int)
    db["cases"].add_column("closed_reason", str)

    def child_table(name: str, columns: dict, not_null: set[str], foreign_keys: list) -> None:
        db[name].create(
            {"id": int, "case_id": int, **columns, "created_at": str},
            pk="id", not_null={"case_id", "created_at", *not_null},
            foreign_keys=[("case_id", "cases", "id"), *foreign_keys],
        )
        db[name].create_index(["case_id"])

    child_table("agreement_events",
                {"agreement_id": int, "meeting_id": int, "status": str, "note": str, "on_day": str},
                {"agreement_id", "status", "on_day"},
                [("agreement_id", "agreements", "id"), ("meeting_id", "meetings", "id")])
    # Scores only: the forms' wording is licensed and never stored.
    child_table("fit_scores",
                {"meeting_id": int, "measured_on": str, "respondent": str, "instrument": str, "items": str,
                 "total": float, "note": str},
                {"measured_on", "respondent", "instrument"},
                [("meeting_id", "meetings", "id")])
    child_table("case_events",
                {"kind": str, "meeting_id": int, "on_day": str, "from_value": str, "to_value": str, "reason": str},
                {"kind", "on_day"},
                [("meeting_id", "meetings", "id")])


def m003_redaction_terms(db: Database) -> None:
    # Words the user marked to hide in anonymous documents (an institution, a street): kept per
    # case, so next month's anonymous discussion hides them too.
    db["redaction_terms"].create(
        {"id": int, "case_id": int, "term": str, "created_at": str},
        pk="id", not_null={"case_id", "term", "created_at"},
        foreign_keys=[("case_id", "cases", "id")],
    )
    db["redaction_terms"].create_index(["case_id", "term"], unique=True)


def m004_audit_purpose(db: Database) -> None:
    # The audit log answers a parent's request for insight (all rows of one case code) and is
    # pruned by age, so it needs the command's purpose and indexes on both.
    db["audit_log"].add_column("purpose", str)
    db["audit_log"].create_index(["case_code"])
    db["audit_log"].create_index(["at"])


def m005_case_ids_never_reused(db: Database) -> None:
    # A case's id is never given to another child, also after erasure and VACUUM: a window that
    # read a case before it was erased could otherwise save its text into a new child's case.
    # SQLite can only add AUTOINCREMENT by rebuilding the table (foreign keys are off meanwhile,
    # and checked before the commit, see Store._migrate).
    db.execute("""
        CREATE TABLE "cases_new" (
           "id" INTEGER PRIMARY KEY AUTOINCREMENT,
           "code" TEXT NOT NULL,
           "guide_sha" TEXT NOT NULL REFERENCES "guides"("sha"),
           "child_name" TEXT,
           "age_group" TEXT,
           "setting" TEXT,
           "abuse_path" INTEGER DEFAULT 0,
           "status" TEXT NOT NULL DEFAULT 'åben',
           "created_at" TEXT NOT NULL,
           "updated_at" TEXT,
           "closed_at" TEXT,
           "closed_reason" TEXT
        )""")
    columns = ('"id", "code", "guide_sha", "child_name", "age_group", "setting", "abuse_path", "status", '
               '"created_at", "updated_at", "closed_at", "closed_reason"')
    db.execute(f'INSERT INTO "cases_new" ({columns}) SELECT {columns} FROM "cases"')
    db.execute('DROP TABLE "cases"')
    db.execute('ALTER TABLE "cases_new" RENAME TO "cases"')
    db.execute('CREATE UNIQUE INDEX "idx_cases_code" ON "cases" ("code")')


def m006_exports(db: Database) -> None:
    # `export --overskriv` may only replace a file rettidig itself wrote as an export and nobody has
    # changed since: the SHA-256 of each export is remembered (a hash, no content, no path).
    db["export_hashes"].create({"sha256": str, "written_at": str}, pk="sha256", not_null={"written_at"})
    # A temporary export file is named here before it is made, so one left by kill -9 (it holds a
    # child's data) is found and removed by the next start; the row goes when the file has its name.
    db["pending_files"].create({"id": int, "path": str, "pid": int, "started_at": str}, pk="id",
                               not_null={"path", "pid", "started_at"})


def m007_overview(db: Database) -> None:
    # `list` reads one kept summary per case (made from its plan, removed by every write to the
    # case) instead of building every plan; and a search is logged as one row naming the cases it
    # showed, not one row per case.
    # Beside the summary (data, JSON) the facts the view ranks and filters by, so it ranks 10,000
    # cases from a few columns and reads the summaries of the 25 it shows (see model.Facts).
    db["case_summaries"].create(
        {"case_id": int, "version": str, "data": str, "has_undated_duty": int, "first_duty": str,
         "first_soon_duty": str, "next_status_meeting": str, "updated": str, "needs_tovholder": int,
         "tovholder": str, "phase_number": int, "phase_id": str, "phase_title": str},
        pk="case_id", not_null={"version", "data"}, foreign_keys=[("case_id", "cases", "id")])
    db["audit_log"].add_column("shown", str)


def m008_decision_kept_once(db: Database) -> None:
    # A decision's choices live in `decisions` (with their history); its row in `answers` says only
    # that the step is answered. A choice found only in the answer (a file edited by hand) gets its
    # decisions row first, labelled from the case's own guide snapshot, so nothing is lost.
    import json
    import tomllib

    rows = db.execute("SELECT a.id, a.case_id, a.step_id, a.value, a.created_at, c.guide_sha FROM answers a "
                      "JOIN cases c ON c.id = a.case_id WHERE a.kind = 'decision'").fetchall()
    labels: dict[str, dict[str, dict[str, str]]] = {}
    for answer_id, case_id, step_id, value, created_at, sha in rows:
        chosen = (json.loads(value) or {}).get("valg") or [] if value else []
        recorded = [r[0] for r in db.execute("SELECT choice FROM decisions WHERE case_id = ? AND step_id = ? ORDER BY id",
                                             [case_id, step_id])]
        missing = [c for c in chosen if c not in (recorded[-1:] if len(chosen) == 1 else recorded)]
        if missing and sha not in labels:
            toml = db.execute("SELECT toml FROM guides WHERE sha = ?", [sha]).fetchone()
            guide = tomllib.loads(toml[0]) if toml else {}
            labels[sha] = {s.get("id"): {o.get("id"): o.get("label", o.get("id")) for o in s.get("options", [])}
                           for p in guide.get("phases", []) for s in p.get("steps", [])}
        for choice in missing:
            label = labels[sha].get(step_id, {}).get(choice, choice)
            db.execute("INSERT INTO decisions (case_id, step_id, choice, label, note, decided_on, created_at) "
                       "VALUES (?, ?, ?, ?, '', ?, ?)", [case_id, step_id, choice, label, created_at[:10], created_at])
        db.execute("UPDATE answers SET value = 'null' WHERE id = ?", [answer_id])


def m009_corrections(db: Database) -> None:
    # A record entered by mistake is removed, not erased: it stays, marked with the day and the
    # reason, in the history; the plan and the documents leave it out.
    for table in ("observations", "factors", "agreements", "meetings", "consents", "tovholders", "positions",
                  "underretninger", "decisions", "fit_scores"):
        db[table].add_column("removed_on", str)
        db[table].add_column("removed_reason", str)
    # Every change to a case's records, row by row, grouped by the transaction that made it: a
    # correction keeps the earlier version (as a journal does), and `fortryd` undoes the last group.
    db["record_changes"].create(
        {"id": int, "case_id": int, "change_id": int, "table_name": str, "row_id": int, "action": str,
         "before": str, "after": str, "kind": str, "reason": str, "undone": int, "undone_at": str, "created_at": str},
        pk="id", not_null={"case_id", "change_id", "table_name", "row_id", "action", "created_at"},
        foreign_keys=[("case_id", "cases", "id")], defaults={"undone": 0})
    db["record_changes"].create_index(["case_id", "change_id"])


def m010_status_meetings_kept(db: Database) -> None:
    # A kept summary lives for days: it keeps every planned status meeting's day, and the morning
    # view takes the next one from today (it kept "the next one" as of the day it was made, which
    # a week later was a meeting already past). The summaries are made again by the next `list`.
    db.execute("DELETE FROM case_summaries")
    db.execute("ALTER TABLE case_summaries RENAME COLUMN next_status_meeting TO status_meetings")


# Every step, in the order they are applied. A new step is added at the end.
STEPS = (
    m001_initial,
    m002_follow_up,
    m003_redaction_terms,
    m004_audit_purpose,
    m005_case_ids_never_reused,
    m006_exports,
    m007_overview,
    m008_decision_kept_once,
    m009_corrections,
    m010_status_meetings_kept,
)
NAMES = tuple(step.__name__ for step in STEPS)


def migration_set():
    """sqlite-utils' Migrations holding every step."""
    from sqlite_utils.migrations import Migrations

    steps = Migrations(SET_NAME)
    for step in STEPS:
        steps()(step)
    return steps
