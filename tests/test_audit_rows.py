"""Audit rows a parent's insight (rettidig indsigt SAG, aktindsigt) must show, also when nothing
was written in the end:

* `backup` copies every child's data: one "backup" row per case in the file (and the general row).
* `export --til anonym` shows the document before it is written: a "visning" row, even when the
  user then cancels.
* `slet` shows the child's name, age group and setting before it asks for the code: a "visning"
  row, even when the user does not confirm; the erasure itself keeps it.

Each row must read as Danish in `indsigt`. Every test runs with a plain and an encrypted file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import CTRL_C, DOWN, ENTER, EXAMPLES, query


def run(cli, *args: str, code: int = 0, keys: str | None = None):
    result = cli(list(args), keys=keys)
    assert result.code == code, f"{args}: exit {result.code}\nout: {result.out}\nerr: {result.err}"
    assert "Traceback" not in result.out + result.err
    return result


def new_case(cli) -> str:
    made = run(cli, "new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml"))
    return re.search(r"Ny sag: (RT-\d{4}-\d{3})", made.out).group(1)


def rows(home: Path, action: str, path: Path | None = None) -> list[dict]:
    return query(home, "SELECT case_code, purpose, detail FROM audit_log WHERE action = ? ORDER BY id", (action,),
                 path=path)


def insight(cli, monkeypatch, code: str) -> tuple[list[dict], str]:
    """The case's log as JSON entries and as the table a parent reads (wide, so no cell wraps)."""
    monkeypatch.setenv("COLUMNS", "300")
    log = json.loads(run(cli, "indsigt", code, "--json").out)["log"]
    table = " ".join(run(cli, "indsigt", code).out.split())
    return log, table


# ---------------------------------------------------------------- backup


def test_a_backup_is_logged_against_every_case_in_the_file(cli, data_home, monkeypatch):
    first, second, closed = new_case(cli), new_case(cli), new_case(cli)
    run(cli, "luk", closed, "--grund", "Trivslen er genoprettet")
    made = run(cli, "backup")
    copy = Path(" ".join(made.out.split()).split("Sikkerhedskopi gemt: ", 1)[1].split()[0])

    logged = rows(data_home, "backup")
    assert sorted(r["case_code"] for r in logged if r["case_code"]) == sorted([first, second, closed])
    assert all(r["purpose"] == "backup" for r in logged)
    general = [r for r in logged if r["case_code"] is None]
    assert len(general) == 1 and general[0]["detail"] == "3 sager"
    # The copy holds the per-case rows: restored, it still says that it was taken.
    assert sorted(r["case_code"] for r in rows(data_home, "backup", path=copy)) == sorted([first, second, closed])

    for code in (first, closed):
        log, table = insight(cli, monkeypatch, code)
        assert [e["handling"] for e in log].count("backup") == 1
        assert "kopieret til en sikkerhedskopi" in table


def test_a_backup_that_is_not_taken_leaves_no_rows(cli, data_home, tmp_path):
    code = new_case(cli)
    target = tmp_path / "kopi.db"
    target.write_text("mine egne noter\n", encoding="utf-8")
    result = run(cli, "backup", "--til", str(target), code=4)
    assert "overskrives ikke" in " ".join(result.err.split())
    assert rows(data_home, "backup") == []
    run(cli, "backup", "--til", str(tmp_path / "ny.db"))
    assert [r["case_code"] for r in rows(data_home, "backup")] == [code, None]


def test_the_backup_rows_are_written_in_one_transaction(cli, data_home, monkeypatch):
    """A failure half-way through the rows leaves none of them (and no copy)."""
    from rettidig_cli.storage import store as stores

    codes = [new_case(cli) for _ in range(3)]
    original = stores.Store.audit
    backup_rows = []

    def failing(self, action, case_code=None, detail=""):
        if action == "backup":
            backup_rows.append(case_code)
            if len(backup_rows) == 2:  # the second case's row
                raise stores.StoreError("Disken er fuld (test).")
        return original(self, action, case_code, detail)

    monkeypatch.setattr(stores.Store, "audit", failing)
    run(cli, "backup", code=4)
    assert rows(data_home, "backup") == []
    assert not list(data_home.glob("sikkerhedskopier/*.db"))
    monkeypatch.setattr(stores.Store, "audit", original)
    run(cli, "backup")
    assert sorted(r["case_code"] for r in rows(data_home, "backup") if r["case_code"]) == sorted(codes)


# ---------------------------------------------------------------- the anonymous preview


@pytest.mark.parametrize(("keys", "what"), [(DOWN + DOWN + ENTER, "Afbryd"), (CTRL_C, "Ctrl-C")])
def test_a_cancelled_anonymous_preview_is_logged(cli, data_home, tmp_path, monkeypatch, keys, what):
    code = new_case(cli)
    folder = tmp_path / "ud"
    folder.mkdir()
    result = run(cli, "export", code, "--til", "anonym", "--format", "markdown", "--out", str(folder),
                 code=130, keys=keys)
    assert "Det her kommer med i filen" in result.out  # the case's text was on the screen
    assert list(folder.iterdir()) == []
    assert rows(data_home, "eksport") == []
    assert rows(data_home, "visning") == [{"case_code": code, "purpose": "export", "detail": "anonym forhåndsvisning"}]
    log, table = insight(cli, monkeypatch, code)
    assert "visning" in [e["handling"] for e in log], what
    assert "vist på skærmen" in table
    assert "anonymt dokument vist til gennemlæsning før eksport" in table


def test_a_written_anonymous_export_logs_each_preview_and_the_export(cli, data_home, tmp_path):
    code = new_case(cli)
    folder = tmp_path / "ud"
    folder.mkdir()
    # Shown, more words hidden, shown again, written.
    run(cli, "export", code, "--til", "anonym", "--format", "markdown", "--out", str(folder),
        keys=DOWN + ENTER + "Sprogvurdering" + ENTER + ENTER)
    assert [r["case_code"] for r in rows(data_home, "visning")] == [code, code]
    assert [r["case_code"] for r in rows(data_home, "eksport")] == [code]
    # With --ja nothing is shown, so nothing is logged as shown.
    run(cli, "export", code, "--til", "anonym", "--ja", "--out", str(folder / "igen.md"))
    assert len(rows(data_home, "visning")) == 2


# ---------------------------------------------------------------- the erasure prompt


@pytest.mark.parametrize(("keys", "exit_code"), [("RT-1999-999" + ENTER, 2), (CTRL_C, 130)])
def test_an_unconfirmed_erasure_prompt_is_logged(cli, data_home, monkeypatch, keys, exit_code):
    code = new_case(cli)
    result = run(cli, "slet", code, keys=keys, code=exit_code)
    assert "Sletningen kan ikke fortrydes" in " ".join(result.out.split())  # the child was on the screen
    assert query(data_home, "SELECT count(*) AS n FROM cases WHERE code = ?", (code,)) == [{"n": 1}]
    assert rows(data_home, "visning") == [{"case_code": code, "purpose": "slet", "detail": "før sletning"}]
    assert rows(data_home, "slet") == []
    log, table = insight(cli, monkeypatch, code)
    assert "visning" in [e["handling"] for e in log]
    assert "vist på skærmen" in table
    assert "barnets navn, aldersgruppe og tilbud vist ved spørgsmålet om sletning" in table


def test_a_confirmed_erasure_keeps_the_row_of_what_was_shown(cli, data_home, monkeypatch):
    code = new_case(cli)
    run(cli, "slet", code, keys=code + ENTER)
    assert query(data_home, "SELECT count(*) AS n FROM cases WHERE code = ?", (code,)) == [{"n": 0}]
    log, table = insight(cli, monkeypatch, code)
    assert [e["handling"] for e in log][-2:] == ["visning", "slet"]
    # --bekraeft shows nothing about the child, so there is no display to log.
    other = new_case(cli)
    run(cli, "slet", other, "--bekraeft", other)
    assert [r["case_code"] for r in rows(data_home, "visning")] == [code]


def test_every_action_the_code_logs_reads_as_danish_in_insight():
    """A new action without a Danish word would show its code name to a parent."""
    from rettidig_cli.commands import data as cli_data

    source = "\n".join(p.read_text(encoding="utf-8") for p in (Path(cli_data.__file__).parent.parent).rglob("*.py"))
    logged = set(re.findall(r"\.audit\(\s*\"([^\"]+)\",(?!\s*None)", source))  # rows that name a case
    logged |= set(re.findall(r"erase_case\([^)]*action=\"([^\"]+)\"", source))
    logged |= set(re.findall(r"\.audit_every_case\(\s*\"([^\"]+)\"", source))  # a row for every case
    assert {"backup", "visning"} <= logged
    missing = logged - set(cli_data.ACTION_WORDS)
    assert missing == set(), missing


def test_a_backup_name_with_a_cpr_number_is_refused_and_nothing_is_written(cli, tmp_path, data_home):
    new_case(cli)
    target = tmp_path / "290187-4831.db"
    result = cli(["backup", "--til", str(target)])
    assert result.code == 2
    assert "CPR" in result.err and "4831" not in result.err + result.out
    assert not target.exists()


def test_a_cpr_like_login_name_is_never_stored_in_the_log(cli, data_home, monkeypatch):
    monkeypatch.setenv("USER", "290187-4831")
    monkeypatch.setenv("LOGNAME", "290187-4831")
    code = new_case(cli)
    cli(["plan", code])
    users = {r["os_user"] for r in query(data_home, "SELECT os_user FROM audit_log", ())}
    assert users == {"ukendt"}


@pytest.mark.plain_only  # encrypts a plain data file
def test_the_copy_taken_before_encryption_is_logged_against_every_case(cli, data_home):
    first, second = new_case(cli), new_case(cli)
    result = cli(["kryptering", "til", "--noeglering"])
    assert result.code == 0, result.err
    logged = [r for r in rows(data_home, "backup") if r["detail"] == "før-kryptering"]
    assert sorted(r["case_code"] for r in logged) == sorted([first, second])
