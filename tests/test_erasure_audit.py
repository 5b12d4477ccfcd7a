"""Erasure, retention, the audit log, backups and the health check – the data-protection side of
rettidig, through the real CLI (`cli` fixture) and checked in the data file itself.

* `slet SAG`: every row of the case is gone from every table that has a case_id (the tables are
  found in the schema here, independently of the product), the other case is untouched, the audit
  log keeps its rows and gains a "slet" row. With a plain file the erased text must be absent from
  the raw bytes of the file and its WAL – after it was seen there before, so the check can fail.
  With an encrypted file the bytes say nothing, so every value in every table is searched instead.
* `oprydning`: closed cases older than the period are erased, younger and open ones kept, old
  audit rows pruned and the pruning logged; the periods default to data/privacy.toml.
* The audit log: who, when, what and why for every kind of use – and never any content.
* `indsigt`, `backup` and `doctor`.

Every test runs with a plain and with an encrypted data file (conftest's `storage` fixture;
the module is marked both_storages)."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sqlite3
import stat
import tomllib
from pathlib import Path

import pytest

from conftest import CTRL_C, ENTER, EXAMPLES, ROOT, UP, c_level_output, db_file, every_value, is_working_day, query, raw_connect
from helpers import flat, ok, plan_json

pytestmark = pytest.mark.both_storages  # erasure must leave nothing in either kind of data file

SQLITE_HEADER = b"SQLite format 3\x00"
RESEN = EXAMPLES / "resen-svar.toml"
PRIVACY = tomllib.loads((ROOT / "data" / "privacy.toml").read_text(encoding="utf-8"))

# Texts that appear nowhere else; each goes into a different table. ASCII, so a byte search finds them.
CHILD = "Quokkabarn"
OBSERVATION = "Zebrafinken leger alene ved gyngen"
FACTOR = "Lindormens lange skygge"
AGREEMENT = "Albatros-samtale med PPR"
AGREEMENT_NOTE = "Albatros-noten om fremdrift"
MOVE_REASON = "Narhval-ferie i familien"
CANCEL_REASON = "Kakadue-aflysning pga sygdom"
TOVHOLDER = "Pelikan Hansen"
RATIONALE = "Flamingo-begrundelse for placeringen"
REDACTED = "Tukanskolen"
MINUTES = "Okapi-referatet fra moedet"
CLOSE_REASON = "Hyaene-lukning efter aftale"
REOPEN_REASON = "Baever-genaabning efter ny bekymring"
SECRETS = (CHILD, OBSERVATION, FACTOR, AGREEMENT, AGREEMENT_NOTE, MOVE_REASON, CANCEL_REASON, TOVHOLDER,
           RATIONALE, REDACTED, MINUTES, CLOSE_REASON, REOPEN_REASON)


# ---------------------------------------------------------------- helpers


def fails(cli, code: int, *args: str, keys: str | None = None):
    result = cli(list(args), keys=keys)
    assert result.code == code, f"{args}: exit {result.code}\nout: {result.out}\nerr: {result.err}"
    assert "Traceback" not in result.out + result.err
    return result


def today() -> dt.date:
    return dt.date.today()


def working_day(days_ahead: int) -> dt.date:
    day = today() + dt.timedelta(days=days_ahead)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def answers_file(tmp_path: Path, child: str = "C.D.") -> Path:
    """The Resen example with the child named, and its dates moved relative to today."""
    data = tomllib.loads(RESEN.read_text(encoding="utf-8"))
    data["barn"]["navn"] = child
    data["statusmoeder"] = {"tidspunkt": "14:00", "deltagere": ["Forældre", "Ali Demir"],
                            "datoer": [working_day(days).isoformat() for days in (14, 42, 70)]}
    for agreement in data["aftaler"]:
        if "senest" in agreement:
            agreement["senest"] = (today() + dt.timedelta(days=60)).isoformat()
    path = tmp_path / f"svar-{len(list(tmp_path.glob('svar-*')))}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def new_case(cli, tmp_path: Path, child: str = "C.D.") -> str:
    out = ok(cli, "new", "--guide", "resen", "--answers", str(answers_file(tmp_path, child))).out
    return out.split("Ny sag: ", 1)[1].split()[0]


def full_case(cli, tmp_path: Path) -> str:
    """A case with a record in nearly every table, each holding one of SECRETS."""
    code = new_case(cli, tmp_path, CHILD)
    ok(cli, "observation", code, "--hvad", OBSERVATION)
    ok(cli, "faktor", code, "--type", "risiko", "--tekst", FACTOR)
    ok(cli, "aftale", "ny", code, "--hvad", AGREEMENT, "--hvem", "Leder")
    ok(cli, "aftale", "status", code, "1", "--status", "i gang", "--note", AGREEMENT_NOTE)
    ok(cli, "møde", "flyt", code, "2", "--dato", working_day(49).isoformat(), "--grund", MOVE_REASON, "--ja")
    ok(cli, "møde", "aflys", code, "3", "--grund", CANCEL_REASON, "--ja")
    ok(cli, "tovholder", code, "--navn", TOVHOLDER, "--rolle", "leder")
    ok(cli, "placering", code, "--placering", "udsat", "--begrundelse", RATIONALE)
    meeting = tmp_path / "moede.json"
    meeting.write_text(json.dumps({"dato": today().isoformat(), "foraeldre_deltog": True, "referat": MINUTES,
                                   "fit": [{"hvem": "Mor", "skema": "ORS", "point": [4, 4, 4, 4]}]}), encoding="utf-8")
    ok(cli, "møde", "hold", code, "--answers", str(meeting))
    out = tmp_path / "ud"
    out.mkdir(exist_ok=True)
    ok(cli, "export", code, "--til", "anonym", "--ja", "--skjul", REDACTED, "--out", str(out / "anonym.md"))
    return code


def case_id(home: Path, code: str) -> int:
    return query(home, "SELECT id FROM cases WHERE code = ?", (code,))[0]["id"]


def case_tables(home: Path) -> list[str]:
    """Every table with a case_id column, read from the schema (not from the product)."""
    conn = raw_connect(db_file(home), dicts=False)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return sorted(n for n in names if any(c[1] == "case_id" for c in conn.execute(f'PRAGMA table_info("{n}")')))
    finally:
        conn.close()


def rows_of(home: Path, cid: int) -> dict[str, list[dict]]:
    found = {t: query(home, f'SELECT * FROM "{t}" WHERE case_id = ? ORDER BY rowid', (cid,)) for t in case_tables(home)}
    found["cases"] = query(home, "SELECT * FROM cases WHERE id = ?", (cid,))
    return found


def audit(home: Path, path: Path | None = None) -> list[dict]:
    return query(home, "SELECT * FROM audit_log ORDER BY id", path=path)


def last_audit_id(home: Path) -> int:
    if not db_file(home).exists():  # (a raw connection would make an empty file)
        return 0
    return query(home, "SELECT coalesce(max(id), 0) AS n FROM audit_log")[0]["n"]


def raw_bytes(home: Path) -> bytes:
    """The data file and its WAL as they lie on the disk."""
    path = db_file(home)
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def settle() -> None:
    """Close connections left by earlier in-process commands (they checkpoint as they close)."""
    import gc

    gc.collect()


def no_terminal(monkeypatch) -> None:
    """Undo the fixture's 'there is a terminal' from an earlier keys= call in the same test."""
    import sys

    from rettidig_cli.ui import prompts

    monkeypatch.setattr(prompts, "terminal_available", lambda: sys.stdin.isatty())


def set_closed_at(home: Path, code: str, days_ago: int) -> None:
    moment = dt.datetime.now() - dt.timedelta(days=days_ago)
    conn = raw_connect(db_file(home))
    try:
        conn.execute("UPDATE cases SET closed_at = ? WHERE code = ?", (moment.isoformat(timespec="microseconds"), code))
    finally:
        conn.close()


def close(cli, code: str) -> None:
    ok(cli, "luk", code, "--grund", "Trivslen er genoprettet")


def assert_text_gone(home: Path, storage: str, *texts: str) -> None:
    if storage == "klar":
        data = raw_bytes(home)
        for text in texts:
            assert text.encode() not in data, text
    values = every_value(db_file(home))
    for text in texts:
        assert text not in values, text


def assert_text_present(home: Path, storage: str, *texts: str) -> None:
    """Before erasure: the same search finds the text (so the 'gone' check can fail)."""
    settle()
    if storage == "klar":
        data = raw_bytes(home)
        for text in texts:
            assert text.encode() in data, text
    values = every_value(db_file(home))
    for text in texts:
        assert text in values, text


# ================================================================ slet


def test_erasing_a_case_removes_every_row_and_every_trace_of_its_text(cli, data_home, tmp_path, storage):
    code = full_case(cli, tmp_path)
    other = new_case(cli, tmp_path, "Anden")
    ok(cli, "observation", other, "--hvad", "Den anden sags observation")
    cid, other_id = case_id(data_home, code), case_id(data_home, other)

    before = rows_of(data_home, cid)
    filled = {t for t, rows in before.items() if rows}
    # The case reaches every kind of record a follow-up can make.
    assert {"cases", "answers", "observations", "factors", "agreements", "agreement_events", "meetings",
            "case_events", "fit_scores", "tovholders", "positions", "redaction_terms", "consents",
            "decisions"} <= filled, filled
    other_before = rows_of(data_home, other_id)
    other_plan = plan_json(cli, other)
    log_before = audit(data_home)
    assert_text_present(data_home, storage, *SECRETS[:-2])  # CLOSE/REOPEN are not used in this case
    settle()
    files_before = {p.name for p in data_home.iterdir()}

    result = ok(cli, "slet", code, "--bekraeft", code)
    assert f"Sag {code} er slettet" in flat(result.out)
    assert "Teksten er fjernet fra datafilen" in flat(result.out)

    after = rows_of(data_home, cid)
    assert {t: rows for t, rows in after.items() if rows} == {}
    assert set(after) == set(before)  # no table came or went
    assert query(data_home, "SELECT * FROM cases WHERE code = ?", (code,)) == []
    # The other case is untouched.
    assert rows_of(data_home, other_id) == other_before
    assert plan_json(cli, other) == other_plan
    # The audit log keeps every row and adds one for the erasure.
    log_after = audit(data_home)
    assert log_after[:len(log_before)] == log_before
    erased = [r for r in log_after[len(log_before):] if r["action"] == "slet"]
    assert len(erased) == 1
    assert erased[0]["case_code"] == code and erased[0]["purpose"] == "slet"
    assert erased[0]["os_user"] == getpass.getuser()
    # The texts are gone from the data file and its WAL (plain), and from every value (both).
    settle()
    assert_text_gone(data_home, storage, *SECRETS)
    # Erasing made no new file beside the data (no copy of what was erased).
    assert {p.name for p in data_home.iterdir()} - files_before <= {"rettidig.db-wal", "rettidig.db-shm"}
    # The case is gone for the CLI too, with a Danish message.
    gone = fails(cli, 5, "plan", code)
    assert f"Sagen «{code}» findes ikke" in flat(gone.err)


def test_erasure_with_the_wrong_code_deletes_nothing(cli, data_home, tmp_path, storage):
    code = new_case(cli, tmp_path)
    other = new_case(cli, tmp_path)
    cid = case_id(data_home, code)
    before = rows_of(data_home, cid)
    result = fails(cli, 2, "slet", code, "--bekraeft", other)
    assert "Koden passer ikke til sagen. Intet er slettet." in flat(result.err)
    assert rows_of(data_home, cid) == before
    assert not [r for r in audit(data_home) if r["action"] == "slet"]


def test_erasure_without_a_terminal_needs_the_confirmation_flag(cli, data_home, tmp_path, storage):
    code = new_case(cli, tmp_path)
    cid = case_id(data_home, code)
    before = rows_of(data_home, cid)
    result = fails(cli, 6, "slet", code)
    assert "Sletning skal bekræftes" in flat(result.err)
    assert f"rettidig slet {code} --bekraeft {code}" in flat(result.err)
    assert rows_of(data_home, cid) == before


def test_erasure_confirmed_by_typing_the_code(cli, data_home, tmp_path, storage):
    code = new_case(cli, tmp_path, CHILD)
    cid = case_id(data_home, code)
    result = ok(cli, "slet", code.lower(), keys=code + ENTER)  # the code is looked up forgivingly
    out = flat(result.out)
    assert f"Sag {code}" in out and "Sletningen kan ikke fortrydes" in out
    assert f"Sag {code} er slettet" in out
    assert {t: r for t, r in rows_of(data_home, cid).items() if r} == {}
    settle()
    assert_text_gone(data_home, storage, CHILD)


def test_erasure_typed_wrong_deletes_nothing(cli, data_home, tmp_path, storage):
    code = new_case(cli, tmp_path)
    cid = case_id(data_home, code)
    before = rows_of(data_home, cid)
    result = fails(cli, 2, "slet", code, keys="RT-1999-999" + ENTER)
    assert "Intet er slettet" in flat(result.err)
    assert rows_of(data_home, cid) == before


def test_ctrl_c_at_the_erasure_prompt_deletes_nothing(cli, data_home, tmp_path, storage):
    code = new_case(cli, tmp_path)
    cid = case_id(data_home, code)
    before = rows_of(data_home, cid)
    result = fails(cli, 130, "slet", code, keys=code[:4] + CTRL_C)
    assert "Afbrudt. Intet er ændret." in flat(result.err)
    assert rows_of(data_home, cid) == before
    assert not [r for r in audit(data_home) if r["action"] == "slet"]


def test_erasure_reminds_of_backups_that_still_hold_the_data(cli, data_home, tmp_path, storage):
    code = new_case(cli, tmp_path)
    second = new_case(cli, tmp_path)
    quiet = ok(cli, "slet", code, "--bekraeft", code)
    assert "sikkerhedskopier" not in quiet.out  # no backups yet: nothing to remind of
    ok(cli, "backup")
    ok(cli, "backup")
    result = ok(cli, "slet", second, "--bekraeft", second)
    out = flat(result.out)
    assert "Husk:" in out
    assert f"2 sikkerhedskopier i {data_home / 'sikkerhedskopier'}" in out
    assert "indeholder stadig det slettede" in out


def test_erasing_an_unknown_case_says_so(cli, data_home, tmp_path, storage):
    new_case(cli, tmp_path)
    result = fails(cli, 5, "slet", "RT-1999-999", "--bekraeft", "RT-1999-999")
    assert "Sagen «RT-1999-999» findes ikke" in flat(result.err)


# ================================================================ oprydning


def test_cleanup_erases_closed_cases_past_the_period_and_keeps_the_rest(cli, data_home, tmp_path, storage):
    old = new_case(cli, tmp_path, CHILD)
    recent = new_case(cli, tmp_path, "Nylig")
    still_open = new_case(cli, tmp_path, "Aaben")
    close(cli, old)
    close(cli, recent)
    set_closed_at(data_home, old, days_ago=400)  # 13 months back: more than the default 12
    set_closed_at(data_home, recent, days_ago=31)
    assert_text_present(data_home, storage, CHILD)
    old_id = case_id(data_home, old)

    result = ok(cli, "oprydning", "--ja")
    out = flat(result.out)
    assert f"{old} lukket" in out
    assert recent not in out and still_open not in out
    months, log_months = PRIVACY["closed_case_months"], PRIVACY["audit_months"]
    assert f"1 lukket sag (opbevares {months} måneder) er ældre end opbevaringsperioden" in out  # from data/privacy.toml
    assert "1 sag er slettet" in out

    assert {t: r for t, r in rows_of(data_home, old_id).items() if r} == {}
    assert {r["code"] for r in query(data_home, "SELECT code FROM cases")} == {recent, still_open}
    erased = [r for r in audit(data_home) if r["action"] == "slet-opbevaring"]
    assert [(r["case_code"], r["purpose"]) for r in erased] == [(old, "oprydning")]
    settle()
    assert_text_gone(data_home, storage, CHILD)

    again = ok(cli, "oprydning", "--ja")
    assert (f"Intet at rydde op: ingen lukkede sager ældre end {months} måneder og ingen logposter ældre end "
            f"{log_months} måneder.") in flat(again.out)


def test_cleanup_without_yes_and_without_terminal_erases_nothing(cli, data_home, tmp_path, storage):
    old = new_case(cli, tmp_path)
    close(cli, old)
    set_closed_at(data_home, old, days_ago=400)
    cid = case_id(data_home, old)
    before = rows_of(data_home, cid)
    log_before = len(audit(data_home))
    result = fails(cli, 6, "oprydning")
    assert "Sletningen skal bekræftes" in flat(result.err)
    assert "--ja" in flat(result.err)
    assert rows_of(data_home, cid) == before
    assert not [r for r in audit(data_home)[log_before:] if r["action"].startswith("slet")]


def test_cleanup_asks_and_no_keeps_everything_yes_erases(cli, data_home, tmp_path, storage):
    old = new_case(cli, tmp_path)
    close(cli, old)
    set_closed_at(data_home, old, days_ago=400)
    cid = case_id(data_home, old)
    before = rows_of(data_home, cid)
    result = ok(cli, "oprydning", keys=ENTER)  # default: Nej
    assert "Intet er slettet." in flat(result.out)
    assert rows_of(data_home, cid) == before
    ok(cli, "oprydning", keys=UP + ENTER)  # Ja
    assert {t: r for t, r in rows_of(data_home, cid).items() if r} == {}


def test_cleanup_ctrl_c_erases_nothing(cli, data_home, tmp_path, storage):
    old = new_case(cli, tmp_path)
    close(cli, old)
    set_closed_at(data_home, old, days_ago=400)
    cid = case_id(data_home, old)
    before = rows_of(data_home, cid)
    result = fails(cli, 130, "oprydning", keys=CTRL_C)
    assert "Intet er ændret" in flat(result.err)
    assert rows_of(data_home, cid) == before


def test_cleanup_periods_can_be_saved_and_are_used_next_time(cli, data_home, tmp_path, storage):
    first = new_case(cli, tmp_path)
    second = new_case(cli, tmp_path)
    for code in (first, second):
        close(cli, code)
    set_closed_at(data_home, first, days_ago=45)  # kept by the default 12 months, not by 1 month
    settings_before = tomllib.loads((data_home / "indstillinger.toml").read_text(encoding="utf-8"))

    result = ok(cli, "oprydning", "--lukkede-efter", "1", "--gem", "--ja")
    assert "Gemt: lukkede sager slettes efter 1 måneder" in flat(result.out)
    saved_path = data_home / "indstillinger.toml"
    saved = tomllib.loads(saved_path.read_text(encoding="utf-8"))
    assert saved["lukkede_sager_maaneder"] == 1
    assert saved["log_maaneder"] == PRIVACY["audit_months"]
    assert saved["kryptering"] == settings_before["kryptering"]  # the other setting is kept
    assert stat.S_IMODE(saved_path.stat().st_mode) == 0o600
    assert {r["code"] for r in query(data_home, "SELECT code FROM cases")} == {second}

    # Next time, without flags, the saved period applies.
    set_closed_at(data_home, second, days_ago=45)
    quiet = ok(cli, "oprydning", "--ja")
    assert "(opbevares 1 måned)" in flat(quiet.out)
    assert query(data_home, "SELECT code FROM cases") == []


def test_cleanup_prunes_old_audit_rows_and_logs_how_many(cli, data_home, tmp_path, storage):
    code = new_case(cli, tmp_path)
    ok(cli, "plan", code)
    rows = audit(data_home)
    old_ids = [r["id"] for r in rows[:3]]
    ancient = (dt.datetime.now() - dt.timedelta(days=800)).isoformat(timespec="microseconds")  # > 24 months
    fairly_old = (dt.datetime.now() - dt.timedelta(days=600)).isoformat(timespec="microseconds")  # < 24 months
    conn = raw_connect(db_file(data_home))
    try:
        conn.execute(f"UPDATE audit_log SET at = ? WHERE id IN ({','.join('?' * len(old_ids))})", (ancient, *old_ids))
        conn.execute("UPDATE audit_log SET at = ? WHERE id = ?", (fairly_old, rows[3]["id"]))
    finally:
        conn.close()

    result = ok(cli, "oprydning", "--ja")
    out = flat(result.out)
    assert "3 logposter (opbevares 24 måneder) er ældre end opbevaringsperioden" in out
    assert "3 logposter er slettet" in out and "0 sager" not in out
    remaining = audit(data_home)
    assert not {r["id"] for r in remaining} & set(old_ids)
    assert rows[3]["id"] in {r["id"] for r in remaining}  # younger than the period: kept
    pruned = [r for r in remaining if r["action"] == "log-oprydning"]
    assert len(pruned) == 1
    assert pruned[0]["detail"].startswith("3 poster før ")
    assert pruned[0]["case_code"] is None and pruned[0]["purpose"] == "oprydning"
    # The open case itself is untouched.
    assert query(data_home, "SELECT code FROM cases") == [{"code": code}]

    # With --log-efter the shorter period is used.
    again = ok(cli, "oprydning", "--log-efter", "12", "--ja")
    assert "1 logpost er slettet" in flat(again.out)
    assert rows[3]["id"] not in {r["id"] for r in audit(data_home)}


# ================================================================ the audit log


def audit_since(home: Path, since: int) -> list[dict]:
    return query(home, "SELECT * FROM audit_log WHERE id > ? ORDER BY id", (since,))


def test_every_kind_of_use_is_logged_with_who_when_what_and_why(cli, data_home, tmp_path, storage):
    user = getpass.getuser()
    steps = []  # (command words, [(action, case code or None)])

    def run(expected, *args):
        since = last_audit_id(data_home)
        result = ok(cli, *args)
        rows = audit_since(data_home, since)
        steps.append((args, rows))
        start = dt.datetime.now() - dt.timedelta(minutes=5)
        for row in rows:
            assert row["os_user"] == user, row
            moment = dt.datetime.fromisoformat(row["at"])
            assert start <= moment <= dt.datetime.now(), row
        got = {(r["action"], r["case_code"], r["purpose"]) for r in rows}
        # A search names the cases it showed in one row (`shown`), not one row per case.
        got |= {(r["action"], shown, r["purpose"]) for r in rows for shown in (r["shown"] or "").split()}
        for item in expected:
            assert item in got, (args, item, got)
        return result

    since = last_audit_id(data_home)
    code = new_case(cli, tmp_path, CHILD)
    created = audit_since(data_home, since)
    assert ("opret", code, "new") in {(r["action"], r["case_code"], r["purpose"]) for r in created}
    assert {r["action"] for r in created} <= {"opret", "ændre"}
    assert all(r["case_code"] == code and r["os_user"] == user for r in created)

    run([("læs", code, "plan")], "plan", code)
    run([("læs", code, "historik")], "historik", code)
    run([("søg", code, "list")], "list")  # one row naming every case the list shows
    assert len(steps[-1][1]) == 1
    run([("ændre", code, "observation")], "observation", code, "--hvad", OBSERVATION)
    run([("ændre", code, "faktor")], "faktor", code, "--type", "risiko", "--tekst", FACTOR)
    run([("ændre", code, "aftale ny")], "aftale", "ny", code, "--hvad", AGREEMENT, "--hvem", "Leder")
    run([("ændre", code, "aftale status")], "aftale", "status", code, "1", "--status", "i gang", "--note",
        AGREEMENT_NOTE)
    run([("ændre", code, "møde ny")], "møde", "ny", code, "--dato", working_day(30).isoformat())
    run([("ændre", code, "møde flyt")], "møde", "flyt", code, "2", "--dato", working_day(50).isoformat(),
        "--grund", MOVE_REASON, "--ja")
    run([("ændre", code, "møde aflys")], "møde", "aflys", code, "3", "--grund", CANCEL_REASON, "--ja")
    run([("ændre", code, "tovholder")], "tovholder", code, "--navn", TOVHOLDER, "--rolle", "leder")
    run([("ændre", code, "placering")], "placering", code, "--placering", "udsat", "--begrundelse", RATIONALE)
    out = tmp_path / "ud"
    out.mkdir()
    run([("eksport", code, "export")], "export", code, "--out", str(out / "plan.md"))
    run([("eksport", code, "export"), ("skjul-ord", code, "export")],
        "export", code, "--til", "anonym", "--ja", "--skjul", REDACTED, "--out", str(out / "anonym.md"))
    run([("luk", code, "luk")], "luk", code, "--grund", CLOSE_REASON)
    run([("genåbn", code, "genåbn")], "genåbn", code, "--grund", REOPEN_REASON)
    run([("backup", None, "backup")], "backup")
    run([("indsigt", code, "indsigt")], "indsigt", code)
    # The content is in the data file, so the check below (never in the audit log) could fail.
    assert_text_present(data_home, storage, OBSERVATION, TOVHOLDER, REOPEN_REASON)
    run([("slet", code, "slet")], "slet", code, "--bekraeft", code)

    # Every command above left at least one row, and every row has all its fields.
    assert all(rows for _, rows in steps), [a for a, rows in steps if not rows]
    everything = audit(data_home)
    for row in everything:
        assert row["at"] and row["os_user"] and row["action"] and row["purpose"], row
    # The audit log never holds content: no secret in any column of any row.
    dump = json.dumps(everything, ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in dump, secret


def test_a_search_that_shows_the_case_appears_in_its_insight_log(cli, data_home, tmp_path, storage):
    code = new_case(cli, tmp_path, CHILD)
    shown = ok(cli, "list")
    assert CHILD in shown.out
    log = json.loads(ok(cli, "indsigt", code, "--json").out)["log"]
    assert "søg" in {entry["handling"] for entry in log}


def test_insight_shows_only_that_cases_log_in_danish(cli, data_home, tmp_path, storage):
    code = new_case(cli, tmp_path)
    other = new_case(cli, tmp_path)
    ok(cli, "plan", code)
    close(cli, other)  # a "luk" row, for the other case only
    expected = query(data_home, "SELECT * FROM audit_log WHERE case_code = ? ORDER BY id", (code,))

    result = ok(cli, "indsigt", code)
    out = result.out
    assert f"Log for sag {code} – hvem har brugt oplysningerne" in out
    for heading in ("Tidspunkt", "Bruger", "Handling", "Formål (kommando)", "Hvad"):
        assert heading in out
    assert "Loggen viser aldrig indhold" in flat(out)
    assert other not in out
    first = dt.datetime.fromisoformat(expected[0]["at"])
    assert f"{first:%d-%m-%Y %H.%M}" in out  # Danish date and time
    assert "ny sag" in out and "handleplan" in out  # commands in Danish words
    assert "│ luk" not in out

    data = json.loads(ok(cli, "indsigt", code.lower().replace("rt-", ""), "--json").out)
    assert set(data) == {"sag", "log"}
    assert data["sag"] == code
    # Its own rows: the earlier ones, plus the "indsigt" row the table view above added.
    assert len(data["log"]) == len(expected) + 1
    for entry in data["log"]:
        assert set(entry) == {"tidspunkt", "bruger", "handling", "formål", "detalje"}
        assert entry["bruger"] == getpass.getuser()
        dt.datetime.fromisoformat(entry["tidspunkt"])
    assert [e["handling"] for e in data["log"]][:len(expected)] == [r["action"] for r in expected]
    assert data["log"][-1]["handling"] == "indsigt"
    assert "luk" not in {e["handling"] for e in data["log"]}
    # Each view of the log is itself logged.
    views = query(data_home, "SELECT * FROM audit_log WHERE action = 'indsigt'")
    assert [(r["case_code"], r["purpose"]) for r in views] == [(code, "indsigt"), (code, "indsigt")]


def test_insight_still_works_after_the_case_is_erased(cli, data_home, tmp_path, storage):
    code = new_case(cli, tmp_path)
    ok(cli, "slet", code, "--bekraeft", code)
    data = json.loads(ok(cli, "indsigt", code, "--json").out)
    actions = [e["handling"] for e in data["log"]]
    assert actions[0] == "opret"
    assert "slet" in actions
    table = ok(cli, "indsigt", code).out
    assert f"Log for sag {code}" in table


def test_insight_for_an_unknown_case_says_so(cli, data_home, tmp_path, storage):
    new_case(cli, tmp_path)
    before = len(audit(data_home))
    result = fails(cli, 5, "indsigt", "RT-1999-999")
    assert "Der er ingen logposter for sagen «RT-1999-999»" in flat(result.err)
    assert "rettidig list" in flat(result.err)
    assert len(audit(data_home)) == before


# ================================================================ backup


def test_backup_is_private_complete_and_encrypted_like_the_data_file(cli, data_home, tmp_path, storage):
    code = full_case(cli, tmp_path)
    result = ok(cli, "backup")
    path = Path(flat(result.out).split("Sikkerhedskopi gemt: ", 1)[1].split()[0])
    folder = data_home / "sikkerhedskopier"
    assert path.parent == folder
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700

    side = path.with_name(path.name + ".kryptering")
    if storage == "krypteret":
        assert path.read_bytes()[:16] != SQLITE_HEADER
        assert side.exists() and stat.S_IMODE(side.stat().st_mode) == 0o600
        main = tomllib.loads((data_home / "rettidig.db.kryptering").read_text(encoding="utf-8"))
        assert tomllib.loads(side.read_text(encoding="utf-8"))["noegle_id"] == main["noegle_id"]
        assert "Kopien er krypteret med samme nøgle" in flat(result.out)
        assert OBSERVATION.encode() not in path.read_bytes()
    else:
        assert path.read_bytes()[:16] == SQLITE_HEADER
        assert not side.exists()

    # The copy opens and holds the same records (its audit log lacks only the "backup" row).
    tables = [r["name"] for r in query(data_home, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        mine = query(data_home, f'SELECT * FROM "{table}" ORDER BY rowid')
        copied = query(data_home, f'SELECT * FROM "{table}" ORDER BY rowid', path=path)
        if table == "audit_log":
            assert mine[:-1] == copied and mine[-1]["action"] == "backup"
        else:
            assert copied == mine, table
    assert query(data_home, "PRAGMA quick_check", path=path) == [{"quick_check": "ok"}]
    assert code in {r["code"] for r in query(data_home, "SELECT code FROM cases", path=path)}


def test_backup_to_a_chosen_file_never_overwrites(cli, data_home, tmp_path, storage):
    new_case(cli, tmp_path)
    target = tmp_path / "kopi.db"
    target.write_text("mine egne noter, ikke en kopi\n", encoding="utf-8")
    result = fails(cli, 4, "backup", "--til", str(target))
    assert "findes allerede og overskrives ikke" in flat(result.err)
    assert target.read_text(encoding="utf-8") == "mine egne noter, ikke en kopi\n"
    assert not target.with_name("kopi.db.kryptering").exists()

    fresh = tmp_path / "ny-kopi.db"
    ok(cli, "backup", "--til", str(fresh))
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert (fresh.read_bytes()[:16] == SQLITE_HEADER) == (storage == "klar")
    assert fresh.with_name("ny-kopi.db.kryptering").exists() == (storage == "krypteret")
    assert len(query(data_home, "SELECT * FROM cases", path=fresh)) == 1
    again = fails(cli, 4, "backup", "--til", str(fresh))
    assert "overskrives ikke" in flat(again.err)


# ================================================================ doctor


def doctor_lines(out: str) -> dict[str, str]:
    """{check title: status word} from doctor's 'Status   Title: detail' lines."""
    found = {}
    for line in out.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0] in ("OK", "Advarsel", "Fejl") and ":" in parts[1]:
            found[parts[1].split(":", 1)[0]] = parts[0]
    return found


def test_doctor_on_a_healthy_file(cli, data_home, tmp_path, storage):
    new_case(cli, tmp_path)
    ok(cli, "backup")
    data_home.chmod(0o700)
    settle()
    result = ok(cli, "doctor")
    lines = doctor_lines(result.out)
    for title in ("Datafil", "Placering", "Filrettigheder", "Hurtigt tjek", "Fuldt tjek", "Sammenhæng", "Version",
                  "Sikkerhedskopier", "Opbevaring"):
        assert lines.get(title) == "OK", (title, result.out)
    assert lines["Kryptering"] == ("OK" if storage == "krypteret" else "Advarsel")
    assert "Fejl" not in lines.values()


def test_doctor_reports_a_readable_data_file_and_leaves_it_so(cli, data_home, tmp_path, storage):
    new_case(cli, tmp_path)
    data_home.chmod(0o700)
    path = db_file(data_home)
    settle()
    path.chmod(0o644)
    result = fails(cli, 1, "doctor")
    lines = doctor_lines(result.out)
    assert lines["Filrettigheder"] == "Fejl"
    assert "rettidig.db (644, skal være 600)" in flat(result.out)
    assert "rettidig doctor fandt fejl" in flat(result.err)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # doctor says, it does not fix


def damage(home: Path, how: str) -> dict[str, bytes]:
    """Damage the data file as a failing disk would; returns every file's bytes afterwards."""
    settle()
    path = db_file(home)
    wal = path.with_name("rettidig.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # everything is in the file itself
    page_size = 4096
    root = query(home, "SELECT rootpage FROM sqlite_master WHERE name = 'observations'")[0]["rootpage"]
    settle()
    data = bytearray(path.read_bytes())
    assert len(data) > 8 * page_size
    if how == "truncated":
        data = data[:len(data) // 2]
    else:  # the observations table's page overwritten with garbage
        start = (root - 1) * page_size
        data[start:start + page_size] = b"\xa5" * page_size
    path.write_bytes(bytes(data))
    return {p.name: p.read_bytes() for p in home.iterdir() if p.is_file()}


def test_doctor_reports_a_damaged_file_and_changes_no_byte(cli, data_home, tmp_path, storage):
    ok(cli, "observation", new_case(cli, tmp_path), "--hvad", OBSERVATION)
    data_home.chmod(0o700)
    before = damage(data_home, "truncated")
    with c_level_output() as box:
        result = fails(cli, 1, "doctor")
    lines = doctor_lines(result.out)
    assert lines["Åbning"] == "Fejl", result.out
    assert "beskadiget" in flat(result.out) and "Filen er ikke ændret" in flat(result.out)
    assert "rettidig doctor fandt fejl" in flat(result.err)
    for noise in ("hmac", "ERROR CORE"):
        assert noise not in box[0] + result.out + result.err
    settle()
    assert {p.name: p.read_bytes() for p in data_home.iterdir() if p.is_file()} == before


def test_doctor_reports_a_damaged_table_page(cli, data_home, tmp_path, storage):
    ok(cli, "observation", new_case(cli, tmp_path), "--hvad", OBSERVATION)
    data_home.chmod(0o700)
    before = damage(data_home, "page")
    with c_level_output() as box:
        result = cli(["doctor"])
    settle()
    assert {p.name: p.read_bytes() for p in data_home.iterdir() if p.is_file()} == before
    for noise in ("hmac", "ERROR CORE"):
        assert noise not in box[0] + result.out + result.err
    assert "uventet fejl" not in result.err
    assert result.code == 1
    assert "Fejl" in doctor_lines(result.out).values(), result.out


def test_doctor_without_a_data_file_says_so_and_creates_nothing(cli, data_home, storage):
    before = sorted(p.name for p in data_home.rglob("*"))
    result = ok(cli, "doctor")
    assert "Der er ingen datafil" in flat(result.out)
    assert doctor_lines(result.out) == {"Datafil": "Advarsel"}
    assert sorted(p.name for p in data_home.rglob("*")) == before


def test_doctor_with_db_option_pointing_nowhere_creates_nothing(cli, tmp_path, storage):
    missing = tmp_path / "ingen" / "her.db"
    result = ok(cli, "doctor", "--db", str(missing))
    assert "Der er ingen datafil" in flat(result.out)
    assert not missing.parent.exists()


def test_doctor_advice_for_a_loose_folder_works(cli, data_home, tmp_path, storage):
    new_case(cli, tmp_path)
    data_home.chmod(0o755)
    first = fails(cli, 1, "doctor")
    assert "åbn rettidig én gang" in flat(first.out)
    assert f"mappen {data_home} (755" in flat(first.out)
    ok(cli, "list")  # "åbn rettidig én gang"
    second = cli(["doctor"])
    assert doctor_lines(second.out).get("Filrettigheder") == "OK", second.out


def test_an_erased_cases_code_is_never_given_to_a_new_case(cli, data_home, tmp_path, storage):
    first = new_case(cli, tmp_path)
    ok(cli, "slet", first, "--bekraeft", first)
    second = new_case(cli, tmp_path)
    assert second != first
    log = json.loads(ok(cli, "indsigt", second, "--json").out)["log"]
    assert "slet" not in {entry["handling"] for entry in log}


def test_closing_and_the_morning_list_say_when_a_case_is_due_for_erasure(cli, data_home, tmp_path, storage):
    code = new_case(cli, tmp_path)
    closed = ok(cli, "luk", code, "--grund", "Trivslen er genoprettet")
    assert "Når den har været lukket i 12 måneder, slettes den med: rettidig oprydning" in flat(closed.out)
    assert "Ryd op med" not in flat(ok(cli, "list").out)
    set_closed_at(data_home, code, days_ago=400)
    listed = flat(ok(cli, "list").out)
    assert "Bemærk: 1 lukket sag har været lukket i mere end 12 måneder. Ryd op med: rettidig oprydning" in listed
    assert query(data_home, "SELECT count(*) AS n FROM cases")[0]["n"] == 1  # a reminder, never an erasure


def test_doctor_warns_of_plain_backups_beside_an_encrypted_file(cli, data_home, tmp_path, storage):
    if storage != "krypteret":
        ok(cli, "backup")
        assert "ikke krypteret (fra før" not in flat(ok(cli, "doctor").out)
        return
    new_case(cli, tmp_path)
    folder = data_home / "sikkerhedskopier"
    folder.mkdir(mode=0o700)
    plain_copy = folder / "rettidig-kopi-gammel.db"
    conn = sqlite3.connect(plain_copy)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    plain_copy.chmod(0o600)
    out = flat(ok(cli, "doctor").out)
    assert "1 af sikkerhedskopierne er ikke krypteret" in out and "rettidig-kopi-gammel.db" in out


def test_slet_reminds_of_exported_documents_even_without_backups(cli, data_home, tmp_path, storage):
    code = new_case(cli, tmp_path)
    ok(cli, "export", code, "--out", str(tmp_path), "--format", "markdown")
    out = flat(ok(cli, "slet", code, "--bekraeft", code).out)
    assert "Husk: 1 eksporteret dokument (se rettidig indsigt) indeholder stadig det slettede" in out
    other = new_case(cli, tmp_path)
    assert "Husk" not in flat(ok(cli, "slet", other, "--bekraeft", other).out)


def test_doctor_flags_a_read_only_data_file(cli, data_home, tmp_path, storage):
    new_case(cli, tmp_path)
    (data_home / "rettidig.db").chmod(0o400)
    result = fails(cli, 1, "doctor")
    assert "Datafilen er skrivebeskyttet" in flat(result.out)
