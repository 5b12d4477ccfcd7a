"""Helpers shared by the test modules: running a command that must succeed, reading a plan, and
matching Danish messages across rich's line wrapping. Fixtures live in conftest.py."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path


def flat(text: str) -> str:
    """Collapse rich's line wrapping and table borders so a message can be matched as one line."""
    return " ".join(re.sub(r"[\u2500-\u257f]", " ", text).split())


def assert_no_traceback(result) -> None:
    assert "Traceback" not in result.err, result.err
    assert "Traceback" not in result.out, result.out


no_traceback = assert_no_traceback


def ok(cli, *args: str, keys: str | None = None):
    """Run a command that must succeed (exit 0, no traceback); keys are typed at its questions."""
    result = cli(list(args), keys=keys)
    assert result.code == 0, f"{args}: exit {result.code}\nout: {result.out}\nerr: {result.err}"
    assert_no_traceback(result)
    return result


def plan_json(cli, code: str, keys: str | None = None) -> dict:
    return json.loads(ok(cli, "plan", code, "--json", keys=keys).out)


def created_code(out: str) -> str:
    """The code of the case a `new` printed."""
    match = re.search(r"Ny sag: (RT-\d{4}-\d{3})", out)
    assert match, f"no case code in output: {out!r}"
    return match.group(1)


def working_day(days_ahead: int) -> str:
    """The first working day (no weekend, no holiday) at or after today + days_ahead, as ISO."""
    from conftest import is_working_day

    day = dt.date.today() + dt.timedelta(days=days_ahead)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day.isoformat()


def example_answers(path: Path) -> dict:
    """An example answers file with its dates moved relative to today, read by the shape of each
    answer (any guide's example): status meetings on three working days ahead, other meetings on
    one, observations and consents today, agreements due in 60 days."""
    today = dt.date.today()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for key, value in data.items():
        if isinstance(value, dict) and "rytme_uger" in value:
            data[key] = {k: v for k, v in value.items() if k in ("tidspunkt", "deltagere")}
            data[key]["datoer"] = [working_day(d) for d in (14, 42, 70)]
        elif isinstance(value, dict) and "svar" in value and "dato" in value:
            value["dato"] = today.isoformat()
        elif isinstance(value, dict) and "deltagere" in value and "dato" in value:
            value["dato"] = working_day(10)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and "hvad" in item and "dato" in item:
                    item["dato"] = today.isoformat()
                if isinstance(item, dict) and "senest" in item:
                    item["senest"] = (today + dt.timedelta(days=60)).isoformat()
    return data


def extra_pragmas(monkeypatch, *pragmas: str, keep: bool = True) -> None:
    """Run these pragmas on every data file the store opens in this test, after its own (a
    max_page_count to fill the disk, synchronous = OFF for speed); keep=False drops those added
    before. The store's own method is wrapped, so the product carries no hook for it."""
    from rettidig_cli.storage.store import Store

    own = getattr(Store._set_pragmas, "own", Store._set_pragmas)
    chosen = (*getattr(Store._set_pragmas, "pragmas", ()), *pragmas) if keep else pragmas

    def set_pragmas(self, create: bool) -> None:
        own(self, create)
        for pragma in chosen:
            self.conn.execute(pragma)

    set_pragmas.own, set_pragmas.pragmas = own, chosen
    monkeypatch.setattr(Store, "_set_pragmas", set_pragmas)
