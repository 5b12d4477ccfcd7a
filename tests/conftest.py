"""Shared fixtures: every test gets its own data folder, and a way to drive the real CLI
entry point (with its Danish error handling) with optional keystrokes for the prompts."""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "eksempler"

# Keys for prompt_toolkit pipe input.
ENTER = "\r"
DOWN = "\x1b[B"
UP = "\x1b[A"
CTRL_C = "\x03"
SPACE = " "

# Written here independently of rettidig_cli.dates on purpose: how a Danish reader writes a date.
WEEKDAYS_DA = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS_DA = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
             "oktober", "november", "december")


def closed_days(first_year: int, last_year: int, optional: bool = True) -> dict[dt.date, str]:
    """Public holidays and, unless told otherwise, the customary closing days (both guides skip them)."""
    import holidays

    years = range(first_year, last_year + 1)
    closed = dict(holidays.Denmark(years=years, language="da"))
    if optional:
        closed.update(holidays.Denmark(years=years, categories=("optional",), language="da"))
    return closed


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in closed_days(day.year, day.year)


def working_day_on_or_after(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def danish_long(day: dt.date) -> str:
    """'mandag 14. december 2026'"""
    return f"{WEEKDAYS_DA[day.weekday()]} {day.day}. {MONTHS_DA[day.month - 1]} {day.year}"


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    home = tmp_path / "rettidig-home"
    monkeypatch.setenv("RETTIDIG_HOME", str(home))
    monkeypatch.delenv("RETTIDIG_GUIDE", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    return home


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys, monkeypatch):
    """cli(["plan", "RT-..."], keys="...") runs rettidig_cli.cli.main() like the installed command.
    With keys, the prompts read them from a prompt_toolkit pipe instead of a terminal."""
    from rettidig_cli import cli as cli_module
    from rettidig_cli import prompts

    def run(args: list[str], keys: str | None = None) -> Result:
        monkeypatch.setattr(sys, "argv", ["rettidig", *args])
        code = 0
        if keys is None:
            try:
                cli_module.main()
            except SystemExit as exc:
                code = exc.code or 0
        else:
            from prompt_toolkit.application import create_app_session
            from prompt_toolkit.input import create_pipe_input
            from prompt_toolkit.output import DummyOutput

            monkeypatch.setattr(prompts, "terminal_available", lambda: True)
            with create_pipe_input() as inp:
                inp.send_text(keys)
                with create_app_session(input=inp, output=DummyOutput()):
                    try:
                        cli_module.main()
                    except SystemExit as exc:
                        code = exc.code or 0
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def refusals(monkeypatch):
    """Messages the prompt validators answered with when they refused an answer."""
    from rettidig_cli import fields

    seen: list[str] = []
    original = fields.validator

    def recording_validator(parse):
        check = original(parse)

        def recorded(raw):
            verdict = check(raw)
            if verdict is not True:
                seen.append(verdict)
            return verdict

        return recorded

    monkeypatch.setattr(fields, "validator", recording_validator)
    return seen


def db_file(home: Path) -> Path:
    return home / "rettidig.db"


def query(home: Path, sql: str, params: tuple = ()) -> list[dict]:
    """Rows of the data file as dicts, read straight from SQLite (not through the product)."""
    conn = sqlite3.connect(db_file(home))
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()
