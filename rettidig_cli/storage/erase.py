"""Erasure that is erasure (Datatilsynet: soft delete is not deletion): every row of a case is
deleted, freed pages are overwritten (secure_delete is on for every connection), and the file is
rebuilt and its WAL emptied, so the text is gone from the data file. The audit log keeps its
rows: they name the case by code only, and they are the answer to "who saw my child's data"."""

from __future__ import annotations

import datetime as dt

from rettidig_cli.domain.vocabulary import CaseStatus


def case_tables(store) -> list[str]:
    """Every table with a case_id column, found in the schema so a future table is not forgotten."""
    names = [r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [n for n in names if any(c[1] == "case_id" for c in store.conn.execute(f'PRAGMA table_info("{n}")'))]


def record_counts(store, case: dict) -> dict[str, int]:
    """The case's records, table by table; its kept overview summary is not a record of its own."""
    counts = {}
    for table in case_tables(store):
        if table == "case_summaries":
            continue
        n = store.conn.execute(f'SELECT count(*) FROM "{table}" WHERE case_id = ?', [case["id"]]).fetchone()[0]
        if n:
            counts[table] = n
    return counts


def erase_case(store, case: dict, action: str = "slet") -> None:
    """Delete the case and every row that belongs to it, in one transaction with its audit row."""
    with store.atomic(case):
        # Child tables refer to each other (an agreement's events, a meeting's scores): checked at commit.
        store.conn.execute("PRAGMA defer_foreign_keys = ON")
        for table in case_tables(store):
            store.conn.execute(f'DELETE FROM "{table}" WHERE case_id = ?', [case["id"]])
        store.conn.execute("DELETE FROM cases WHERE id = ?", [case["id"]])
        # The guide snapshot holds no child data, but nothing needs it once its last case is gone.
        store.conn.execute("DELETE FROM guides WHERE sha = ? AND NOT EXISTS "
                           "(SELECT 1 FROM cases WHERE guide_sha = ?)", [case["guide_sha"], case["guide_sha"]])
        store.audit(action, case["code"])


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` months earlier (the month's last day if it is shorter). A period
    reaching past the calendar's first or last day (`--lukkede-efter 1000000000000`, or a negative
    period in indstillinger.toml) gives that day, so nothing or everything is older."""
    month_index = day.year * 12 + day.month - 1 - months
    if month_index < dt.MINYEAR * 12:
        return dt.date.min
    if month_index >= (dt.MAXYEAR + 1) * 12:
        return dt.date.max
    year, month = divmod(month_index, 12)
    last_day = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30,
                31, 31, 30, 31, 30, 31][month]
    return dt.date(year, month + 1, min(day.day, last_day))


def expired_cases(store, months: int, today: dt.date) -> list[dict]:
    """Closed cases whose closing lies more than `months` months back."""
    cutoff = months_before(today, months).isoformat()
    return store.query("SELECT * FROM cases WHERE status != ? AND closed_at IS NOT NULL AND closed_at < ? "
                       "ORDER BY closed_at", [CaseStatus.OPEN, cutoff])


def old_audit_rows(store, months: int, today: dt.date) -> int:
    cutoff = months_before(today, months).isoformat()
    return store.conn.execute("SELECT count(*) FROM audit_log WHERE at < ?", [cutoff]).fetchone()[0]


def prune_audit(store, months: int, today: dt.date) -> int:
    """Delete audit rows older than the period; the pruning itself is logged (with the count)."""
    cutoff = months_before(today, months).isoformat()
    with store.atomic():
        removed = store.conn.execute("DELETE FROM audit_log WHERE at < ?", [cutoff]).rowcount
        if removed:
            store.audit("log-oprydning", None, f"{removed} poster før {cutoff}")
    return removed
