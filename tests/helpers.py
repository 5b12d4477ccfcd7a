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
    """An example answers file with its dates moved relative to today."""
    today = dt.date.today()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["statusmoeder"] = {k: v for k, v in data["statusmoeder"].items() if k in ("tidspunkt", "deltagere")}
    data["statusmoeder"]["datoer"] = [working_day(d) for d in (14, 42, 70)]
    for key in ("iagttagelser", "observationer"):
        for item in data.get(key, []):
            item["dato"] = today.isoformat()
    for item in data["aftaler"]:
        if "senest" in item:
            item["senest"] = (today + dt.timedelta(days=60)).isoformat()
    for key in ("foraeldre-orienteret", "underskrift"):
        if "dato" in data.get(key, {}):
            data[key]["dato"] = today.isoformat()
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
