"""A large, realistic data folder for benchmarks. Asserts nothing about the product.

    python benchmarks/generate.py --cases 10000 --home DIR [--observations N] [--no-big-case] [--check]

How the records are made (no hand-written INSERT of a record kind anywhere in this file):

1. A throw-away template file is filled through the real write path: wizard.run with the example
   answers files (their dates set around today, some cut short so the case stops in an earlier
   phase, resumed later with more answers), and the followup functions for held, moved, cancelled
   and added meetings, FIT scores, agreement status, tovholder changes, Børnelineal positions,
   escalation, a suspicion registered later, closing and reopening. Between these stages the
   template case is aged (its dates moved back some weeks, the same move as in 2.), so meetings
   planned ahead are in the past when they are held. 18 varied template cases, across both guides,
   plus one "pool" case per guide with 300 observations made with followup.add_item.
2. The data file in DIR is made by Store (so its schema is the product's own migrations), the
   template file is ATTACHed, and every table that has a case_id column (found in the schema, like
   erase.case_tables does) is copied with one INSERT ... SELECT per table. The column lists come
   from PRAGMA table_info of the live data file; foreign keys between case tables (an agreement's
   events, a meeting's FIT scores) are renumbered from PRAGMA foreign_key_list. Each copy gets a
   new case id, a new code in Store.next_code's format (RT-YEAR-NNN, numbered per year in the order
   the cases were created), a child's name or initials, an age group and a setting, and all its
   dates (every TEXT value that starts with an ISO date) moved by a whole number of weeks, so
   weekdays stay weekdays; a meeting that then lands on a holiday is moved a week on.
3. Observations: each case takes an uneven number (log-normal, capped by the pool) from its
   guide's pool, a different slice for each case, together with the pool's matching audit rows.
   One extra case (default on) takes 10,000 observations spread over two years.
4. The audit log is copied with the case codes replaced, so `rettidig indsigt SAG` shows each
   copy's own history, and `rettidig doctor` finds every row belonging to a case.

Dates inside the stored answers' JSON (the answer to the status-meetings step, say) are not
moved; nothing in plan, list, historik or export reads a date from there."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
try:  # the installed package when run with the benchmark venv; else the working tree
    import rettidig_cli  # noqa: F401  (only: is it there?)
except ImportError:
    sys.path.insert(0, str(ROOT))

# Tables with a case_id that hold what the product derives from the other rows (a kept summary of a
# case's plan for `list`): not copied, the product makes them again when it needs them. A copied one
# would carry the template's code and child.
DERIVED_TABLES = {"case_summaries"}
POOL_SIZE = 300  # observations per guide in the pool; the most one ordinary case gets
BIG_OBSERVATIONS = 10_000

FIRST_NAMES = [
    "Emma", "Ida", "Clara", "Alma", "Freja", "Ella", "Karla", "Sofia", "Agnes", "Olivia", "Nora", "Asta",
    "Luna", "Josefine", "Lærke", "Marie", "Liva", "Frida", "Ellen", "Mille", "William", "Noah", "Oscar",
    "Lucas", "Carl", "Alfred", "Emil", "Aksel", "Valdemar", "Oliver", "Malthe", "Viggo", "Arthur", "Anton",
    "Magnus", "Elias", "August", "Felix", "Storm", "Theo", "Ali", "Yusuf", "Zainab", "Amira", "Mohammed",
    "Leyla", "Omar", "Sara", "Ahmad", "Hiba", "Bjørk", "Ejner", "Sigrid", "Thor", "Åse", "Søren",
]
LETTERS = "ABCDEFGHIJKLMNOPRSTUVWYÆØÅ"
STAFF = ["Mette Hansen", "Ali Demir", "Birte Nielsen", "Jonas Krogh", "Pia Sørensen", "Lise Holm",
         "Hanne Ravn", "Kasper Lund", "Fatima Aziz", "Rikke Bach", "Søs Madsen", "Niels Dahl"]
SITUATIONS = [
    "Står ved siden af legen i {n} minutter uden at gå ind i den.",
    "Græder ved aflevering i {n} minutter; falder til ro hos kendt voksen.",
    "Siger få ord i samling og peger i stedet for at spørge.",
    "Konflikt om legetøj; slår ud efter en anden, falder til ro efter {n} minutter.",
    "Spiser kun lidt til frokost og virker træt efter middag.",
    "Leger med to andre i sandkassen i {n} minutter, tager selv initiativ.",
    "Søger den voksne i overgangen fra leg til samling.",
    "Trækker sig, da gruppen bliver stor; vender tilbage, da den deles.",
    "Fortæller en lang historie om weekenden med flere sætninger end sidst.",
    "Har svært ved at vente på tur ved bordet; rejser sig {n} gange.",
    "Virker glad ved afhentning og viser far sin tegning.",
    "Sidder alene ved bordet og tegner i {n} minutter, vil ikke deltage i legen.",
]
PARTS_OF_DAY = ["om morgenen", "ved formiddagsleg", "på legepladsen", "ved frokost", "i samling",
                "ved eftermiddagsleg", "i garderoben", "på tur"]


# ---------------------------------------------------------------- dates


def working_day(day: dt.date, weekday: int | None = None, backwards: bool = False) -> dt.date:
    """The first day on or after `day` (on or before, backwards) that a meeting can be held, on the
    given weekday if one is given."""
    from rettidig_cli.domain import dates

    sign = -1 if backwards else 1
    if weekday is not None:
        day += dt.timedelta(days=sign * ((sign * (weekday - day.weekday())) % 7))
    while dates.check_meeting_day(day, True):
        day += dt.timedelta(days=sign * (7 if weekday is not None else 1))
    return day


def iso(day: dt.date) -> str:
    return day.isoformat()


# ---------------------------------------------------------------- the templates (real write path)


class Builder:
    """Makes the template cases in a store through wizard.run and the followup functions.

    A template is built in stages, the way a case grows: the wizard's answers today (status
    meetings planned weeks ahead), then the whole case is aged (every date in it moved back a
    number of weeks, the same date move the copy makes), so the first meetings now lie in the past
    and are held, moved or cancelled with the followup functions today, a later phase answered with
    resume, or the case closed; and so on."""

    def __init__(self, store, home: Path):
        from rettidig_cli.guide import reader as guides

        self.store = store
        self.today = dt.date.today()
        self.ikast = guides.find("ikast-brande-dagtilbud", home)
        self.resen = guides.find("resen", home)
        self.examples = {
            self.ikast.id: tomllib.loads((ROOT / "eksempler" / "ikast-svar.toml").read_text(encoding="utf-8")),
            self.resen.id: tomllib.loads((ROOT / "eksempler" / "resen-svar.toml").read_text(encoding="utf-8")),
        }
        self.templates: list[dict] = []  # {"code", "weight", "open", "guide", "weeks"}
        self._weekday = 0

    # -- helpers

    def day(self, offset_days: int) -> str:
        return iso(self.today + dt.timedelta(days=offset_days))

    def weekday(self) -> int:
        """Monday to Friday in turn: each template meets on its own weekday."""
        self._weekday = (self._weekday + 1) % 5
        return self._weekday

    def meeting_days(self, weeks: list[int], weekday: int) -> list[str]:
        # A past week stays in the past (searched backwards), a coming one in the future.
        return [iso(working_day(self.today + dt.timedelta(weeks=w), weekday, backwards=w < 0)) for w in weeks]

    def recent(self, weekday: int | None = None) -> str:
        """A working day in the last week (a meeting that was just held)."""
        return iso(working_day(self.today - dt.timedelta(days=1), weekday, backwards=True))

    def answers(self, guide, upto: str | None = None, weeks=(3, 9, 15), **changes) -> dict:
        """The example answers for the guide with its dates set around today (observations the last
        days, agreements due in some weeks, status meetings `weeks` ahead), changed, and cut short
        before the step `upto` (the case then stops there, as if the user paused)."""
        data = {k: (dict(v) if isinstance(v, dict) else [dict(i) for i in v] if isinstance(v, list) else v)
                for k, v in self.examples[guide.id].items()}
        days = self.meeting_days(list(weeks), self.weekday())
        if guide is self.ikast:
            data["observationer"][0]["dato"] = self.day(-4)
            data["observationer"][1]["dato"] = self.day(-1)
            data["aftaler"][0]["senest"] = self.day(21)
            data["aftaler"][1]["senest"] = self.day(42)
            data["underskrift"]["dato"] = self.day(0)
            data["statusmoeder"] = {"datoer": days, "tidspunkt": "14:00",
                                    "deltagere": "Forældre, Mette Hansen, ressourcepædagog"}
        else:
            data["foraeldre-orienteret"]["dato"] = self.day(-2)
            data["koordinator"] = f"Tidlig indsats-koordinatoren kontaktet {self.day(-3)}"
            data["iagttagelser"][0]["dato"] = self.day(-1)
            data["aftaler"][0]["senest"] = self.day(28)
            data["statusmoeder"] = {"datoer": days, "tidspunkt": "13:30",
                                    "deltagere": "Ali Demir, tidlig indsats-koordinator"}
        data.update(changes)
        if upto is not None:
            order = ["sikkerhed"] + [s.id for s in guide.steps()]
            data = {k: v for k, v in data.items() if k not in order or order.index(k) < order.index(upto)}
        return {k: v for k, v in data.items() if v is not None}

    def new(self, guide, answers: dict, weight: float, is_open: bool = True) -> dict:
        from rettidig_cli.workflow import wizard

        source = wizard.FileSource(answers, wizard.Context(guide=guide))
        case = self.store.create_case(guide, abuse_path=False)
        wizard.run(self.store, case, guide, source)
        self.templates.append({"code": case["code"], "weight": weight, "open": is_open, "guide": guide,
                               "weeks": 0})
        return case

    def resume(self, case, guide, answers: dict) -> None:
        from rettidig_cli.workflow import wizard

        ctx = wizard.context_for(self.store, case, guide)
        wizard.run(self.store, case, guide, wizard.FileSource(answers, ctx))

    def age(self, case: dict, weeks: int) -> dict:
        """Move every date of the case `weeks` weeks back (what has happened so far happened that
        long ago); returns the case as it now reads."""
        conn, days = self.store.db.conn, str(-7 * weeks)
        with self.store.atomic():
            for table in _tables(conn, "main"):
                columns = _columns(conn, "main", table)
                key = "id" if table == "cases" else "case_id" if any(c[0] == "case_id" for c in columns) else None
                texts = [c[0] for c in columns if "TEXT" in c[1] and c[0] != "code"]
                if key and texts:
                    sets = ", ".join(f'"{c}" = ' + _shifted(f'"{c}"', days) for c in texts)
                    conn.execute(f'UPDATE "{table}" SET {sets} WHERE "{key}" = ?', [case["id"]])
            conn.execute(f"UPDATE audit_log SET at = {_shifted('at', days)} WHERE case_code = ?", [case["code"]])
        next(t for t in self.templates if t["code"] == case["code"])["weeks"] += weeks
        return self.store.case(case["code"], log=False)

    def hold(self, case, guide, meeting, parents_present=True, agreements=(), placering=None, fit=True,
             new_agreements=(), minutes="Kort referat: fremgang i legen.", people="Mette Hansen, Birte Nielsen"):
        from rettidig_cli.workflow import followup

        open_now = {a["nr"] for a in followup.open_agreements(self.store, case)}
        raw = {"dato": meeting["day"], "deltagere": people, "referat": minutes,
               "aftaler": [{"nr": nr, "status": status, "note": note} for nr, status, note in agreements
                           if nr in open_now]}
        if not case["abuse_path"]:
            raw["foraeldre_deltog"] = parents_present
            if not parents_present:
                raw["fravaer_grund"] = "Syg"
            if fit:
                raw["fit"] = [{"hvem": "Mor", "skema": "ORS", "point": "5 6 6,5 7"},
                              {"hvem": "Mor", "skema": "SRS", "point": "9 9 8,5 9"}]
        if placering:
            raw["placering"] = placering
        if new_agreements:
            raw["nye_aftaler"] = list(new_agreements)
        followup.hold_meeting(self.store, case, guide, meeting, followup.MeetingFile(raw, self.store, case, guide, meeting))

    def past_planned(self, case) -> list[dict]:
        from rettidig_cli.workflow import followup

        return [m for m in followup.planned_meetings(self.store, case) if m["day"] <= iso(self.today)]

    def future_planned(self, case) -> list[dict]:
        from rettidig_cli.workflow import followup

        return [m for m in followup.planned_meetings(self.store, case) if m["day"] > iso(self.today)]

    def close(self, case, reason: str) -> None:
        from rettidig_cli.workflow import followup

        followup.close_case(self.store, case, followup.parse_close_reason(reason))

    def agreement_status(self, case, nr: int, status: str, note: str) -> None:
        from rettidig_cli.workflow import followup

        agreement = followup.pick(followup.numbered(self.store, "agreements", case), nr, "aftale", case)
        followup.change_agreement(self.store, case, agreement,
                                  followup.parse_status_change({"status": status, "note": note}))

    def observation(self, case, guide, day: str, text: str, method: str = "Praksisfortælling",
                    who: str = "Pædagog Mette") -> None:
        from rettidig_cli.workflow import followup

        followup.add_item(self.store, case, guide, "observations",
                          {"dato": day, "hvad": text, "metode": method, "hvem": who})

    # -- the templates

    def build(self) -> None:
        from rettidig_cli.workflow import followup, wizard

        I, R, s = self.ikast, self.resen, self.store

        # Ikast: stopped in phase 2 (no observations yet), in phase 3, and in phase 4 without a tovholder.
        self.new(I, self.answers(I, upto="observationer", kolleger=None), 4)
        case = self.age(self.new(I, self.answers(I, upto="analyse"), 6), 2)
        followup.add_item(s, case, I, "factors", {"type": "trivselstegn", "tekst": "Glad for at synge"})
        self.new(I, self.answers(I, upto="tovholder"), 5)

        # Ikast, whole guide, "ikke nu": two meetings held (agreements followed up), one moved, more planned.
        case = self.age(self.new(I, self.answers(I, weeks=(2, 7, 12, 17)), 14), 9)
        first, second = self.past_planned(case)[:2]
        self.hold(case, I, first, agreements=[(1, "i gang", "Grupperne kører")],
                  new_agreements=[{"hvad": "Billedstøtte i overgange", "hvem": "Stuens pædagoger",
                                   "senest": self.day(20)}])
        self.hold(case, I, second, parents_present=False, agreements=[(1, "udført", "Fast del af ugen")])
        moved = self.future_planned(case)[0]
        followup.move_meeting(s, case, moved, followup.parse_move(
            {"dato": iso(working_day(dt.date.fromisoformat(moved["day"]) + dt.timedelta(days=1))), "grund": "Sygdom"},
            moved, I))
        self.observation(case, I, self.day(-2), "Leger med to andre i 25 minutter; tager selv initiativ.")

        # Ikast: phases 1-4, a status meeting held, then the K-møde held and its outcome recorded.
        case = self.age(self.new(I, self.answers(I, upto="tvaerfaglig-vej", weeks=(2, 8, 14)), 6), 5)
        self.hold(case, I, self.past_planned(case)[0], agreements=[(1, "i gang", "Startet")])
        self.resume(case, I, {"tvaerfaglig-vej": "k-moede", "k-moede-spoergsmaal": "Skal PPR vurdere sproget?",
                              "k-moede-oensket": "PPR, sundhedsplejerske",
                              "k-moede-samtykke": {"svar": "ja", "navn": "Mor", "dato": self.day(-10)},
                              "k-moede": {"dato": self.recent(), "tidspunkt": "10:00",
                                          "deltagere": "PPR, Leder, Mette Hansen", "afholdt": True},
                              "k-moede-udfald": ["ppr", "indsatser"]})

        # Ikast: U-møde with its underretning; the first status meeting held with the parents away.
        case = self.age(self.new(I, self.answers(I, upto="tvaerfaglig-vej", weeks=(1, 5, 11)), 4), 2)
        self.hold(case, I, self.past_planned(case)[0], parents_present=False, fit=False)
        self.resume(case, I, {"tvaerfaglig-vej": "u-moede", "underretning": {
            "dato": self.day(-1), "modtager": "Modtagelsen, Ikast-Brande Kommune",
            "hvordan": "Underretningsmøde (U-møde)", "leder_informeret": True}})

        # Ikast: "ikke nu", meetings held, then escalated to a K-møde; its steps answered with resume.
        case = self.age(self.new(I, self.answers(I, weeks=(2, 6, 10, 14)), 4), 7)
        for meeting in self.past_planned(case):
            self.hold(case, I, meeting, agreements=[(1, "i gang", "")])
        esc = next(e for e, _, _ in followup.escalations(s, case, I) if e.to == "k-moede")
        followup.escalate(s, case, I, esc, "Indsatserne i dagtilbuddet er ikke nok")
        self.resume(case, I, {"k-moede-spoergsmaal": "Hvordan støtter vi overgangene?",
                              "k-moede-samtykke": {"svar": "ja", "navn": "Far", "dato": self.day(0)},
                              "k-moede": {"dato": self.meeting_days([2], 3)[0], "tidspunkt": "10:00",
                                          "deltagere": "PPR, Leder"}})

        # Ikast: suspicion of abuse from the start (underretning sent, leader told): no parents anywhere;
        # the K-møde held three weeks later.
        abuse = {"mistanke": True, "underretning": {"dato": self.day(-1), "leder_informeret": True,
                                                    "modtager": "Modtagelsen, Ikast-Brande Kommune"}}
        case = self.age(self.new(I, self.answers(
            I, upto="tvaerfaglig-vej", sikkerhed=abuse, weeks=(2, 8),
            statusmoeder={"datoer": self.meeting_days([4, 10], 1), "tidspunkt": "10:00",
                          "deltagere": "Mette Hansen, Leder"}), 2), 3)
        self.resume(case, I, {"tvaerfaglig-vej": "k-moede", "k-moede-udfald": ["ppr"],
                              "k-moede": {"dato": self.recent(), "tidspunkt": "11:00", "deltagere": "PPR, Leder",
                                          "afholdt": True}})

        # Ikast: whole guide, three meetings held, closed.
        case = self.age(self.new(I, self.answers(I, weeks=(2, 7, 12, 17)), 14, is_open=False), 16)
        for i, meeting in enumerate(self.past_planned(case)):
            self.hold(case, I, meeting, agreements=[(1, "udført", "Klaret"), (2, "udført" if i else "i gang", "")])
        self.close(case, "Trivslen er genoprettet")

        # Ikast: closed in phase 2, the child moved.
        case = self.age(self.new(I, self.answers(I, upto="laeringsmiljoe"), 5, is_open=False), 2)
        self.close(case, "Barnet er flyttet")

        # Resen, Trin 1 stopped before the Børnelineal.
        self.new(R, self.answers(R, upto="placering"), 5)

        # Resen, lille sag: meetings held with FIT and Børnelineal positions, one cancelled, one added.
        case = self.age(self.new(R, self.answers(R, weeks=(2, 6, 10, 14, 18)), 12), 11)
        held = self.past_planned(case)
        self.hold(case, R, held[0], agreements=[(1, "i gang", "To gange om ugen")], people="Ali Demir")
        self.hold(case, R, held[1], agreements=[(1, "udført", "Virker"), (2, "i gang", "")],
                  placering={"placering": "trivsel", "begrundelse": "Leger igen med de andre"}, people="Ali Demir")
        followup.cancel_meeting(s, case, held[2], "Ferie")
        weekday = dt.date.fromisoformat(held[2]["day"]).weekday()
        extra = followup.parse_new_meeting({"dato": self.meeting_days([1], weekday)[0], "tidspunkt": "13:30"}, s, case, R)
        followup.add_meeting(s, case, R, extra)

        # Resen, stor sag: decided, then the sagsbehandler, the tværfagligt teammøde and Trin 2 later.
        case = self.age(self.new(R, self.answers(R, upto="sagsbehandler", sagstype="stor"), 5), 3)
        self.resume(case, R, {k: v for k, v in self.answers(R, weeks=(3, 9, 15), **{
            "sagsbehandler": f"Sagsbehandler i familieafdelingen, inddraget {self.day(-10)}",
            "teammoede": {"dato": self.recent(), "tidspunkt": "09:00", "deltagere": "Sagsbehandler, Ali Demir",
                          "afholdt": True},
            "teammoede-underskrift": {"svar": "ja", "navn": "Mor og far", "dato": self.day(-9)}}).items()
            if k in ("sagsbehandler", "teammoede", "teammoede-underskrift", "aftaler", "tovholder",
                     "statusmoeder", "underskrift")})

        # Resen, lille sag escalated to stor after a meeting; the stor steps answered with resume.
        case = self.age(self.new(R, self.answers(R, weeks=(2, 6, 10)), 3), 5)
        self.hold(case, R, self.past_planned(case)[0], agreements=[(1, "i gang", "")], people="Ali Demir")
        esc = followup.escalations(s, case, R)[0][0]
        followup.escalate(s, case, R, esc, "Der er også sociale forhold")
        self.resume(case, R, {"sagsbehandler": "Sagsbehandler kontaktet",
                              "teammoede": {"dato": self.meeting_days([3], 2)[0], "tidspunkt": "09:00",
                                            "deltagere": "Sagsbehandler"},
                              "teammoede-underskrift": "ikke endnu"})

        # Resen: a suspicion that arose later, the leader not yet told (overdue on the morning view).
        case = self.age(self.new(R, self.answers(R), 2), 4)
        underretning = wizard.parse_underretning_fields(
            {"dato": self.day(-1), "leder_informeret": False}, wizard.context_for(s, case, R))
        followup.register_suspicion(s, case, underretning)

        # Resen: tovholder changed, a meeting cancelled, one held, closed.
        case = self.age(self.new(R, self.answers(R, weeks=(2, 6, 11)), 10, is_open=False), 8)
        followup.change_tovholder(s, case, R, {"navn": "Birte Nielsen", "rolle": "ressourcepædagog"})
        first, second = self.past_planned(case)[:2]
        followup.cancel_meeting(s, case, first, "Sygdom")
        self.hold(case, R, second, agreements=[(1, "udført", "")], people="Birte Nielsen",
                  placering={"placering": "trivsel", "begrundelse": "I trivsel igen"})
        self.close(case, "Overgået til anden indsats")

        # Resen: closed, reopened months later with a new concern; a new observation and factor since.
        case = self.age(self.new(R, self.answers(R), 2), 10)
        self.close(case, "Trivslen er genoprettet")
        case = self.age(case, 8)
        followup.reopen_case(s, case, "Ny bekymring efter sommerferien")
        self.observation(case, R, self.day(0), "Trækker sig igen fra legen efter ferien.", "TRAS", "Pædagog Ali")
        followup.add_item(s, case, R, "factors", {"type": "risiko", "tekst": "Ny lillebror"})

        # Resen: closed in Trin 1, the child started elsewhere.
        case = self.age(self.new(R, self.answers(R, upto="analyse"), 4, is_open=False), 3)
        self.close(case, "Barnet er startet i et andet tilbud")

    def pools(self, size: int) -> dict[str, str]:
        """One case per guide with `size` observations made with followup.add_item: the pool every
        copy takes its observations from. Returns guide sha -> pool case code."""
        from rettidig_cli.workflow import followup

        rng = random.Random(7)
        found = {}
        for guide, upto in ((self.ikast, "observationer"), (self.resen, "iagttagelser")):
            answers = self.answers(guide, upto=upto)
            from rettidig_cli.workflow import wizard

            case = self.store.create_case(guide, abuse_path=False)
            wizard.run(self.store, case, guide, wizard.FileSource(answers, wizard.Context(guide=guide)))
            tools = [t.text for t in guide.tools if not t.parent_contact]
            for i in range(size):
                text = rng.choice(SITUATIONS).format(n=rng.randint(3, 40)) + " (" + rng.choice(PARTS_OF_DAY) + ")"
                followup.add_item(self.store, case, guide, "observations", {
                    "dato": self.day(-(i * 7 % 60)), "hvad": text, "metode": rng.choice(tools),
                    "hvem": "Pædagog " + rng.choice(STAFF).split()[0]})
            found[guide.sha] = case["code"]
        return found


# ---------------------------------------------------------------- copying in bulk


def _columns(conn, schema: str, table: str) -> list[tuple[str, str, int]]:
    """(name, declared type, pk) of a table's columns, from the live schema."""
    return [(r[1], (r[2] or "").upper(), r[5]) for r in conn.execute(f'PRAGMA {schema}.table_info("{table}")')]


def _tables(conn, schema: str) -> list[str]:
    return [r[0] for r in conn.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' "
                                       "AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]


def _shifted(expr: str, days: str) -> str:
    """A TEXT value that starts with an ISO date, with that date moved by `days` (an SQL expression)."""
    return (f"CASE WHEN {expr} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' "
            f"THEN date(substr({expr}, 1, 10), ({days}) || ' days') || substr({expr}, 11) ELSE {expr} END")


class Copier:
    """Copies template cases into the data file with INSERT ... SELECT, one statement per table."""

    def __init__(self, conn):
        self.conn = conn
        tables = _tables(conn, "tpl")
        self.case_tables = [t for t in tables if any(c[0] == "case_id" for c in _columns(conn, "tpl", t))
                            and t not in DERIVED_TABLES]
        # table -> {column: referenced table}, for every foreign key between case tables
        self.refs: dict[str, dict[str, str]] = {}
        for table in self.case_tables:
            self.refs[table] = {r[3]: r[2] for r in conn.execute(f'PRAGMA main.foreign_key_list("{table}")')}
        referenced = {r for refs in self.refs.values() for r in refs.values()} - {"cases", "guides"}
        # A referenced table's rows get id = offset + copy index * span + template id: unique, and
        # every reference to it is renumbered with the same formula.
        self.span = {t: (conn.execute(f'SELECT coalesce(max(id), 0) FROM tpl."{t}"').fetchone()[0] + 1)
                     for t in referenced}
        self.offset = {t: conn.execute(f'SELECT coalesce(max(id), 0) FROM main."{t}"').fetchone()[0]
                       for t in referenced}

    def _select(self, table: str, alias: str, days: str, overrides: dict[str, str]) -> tuple[list[str], list[str]]:
        target = _columns(self.conn, "main", table)
        source = {c[0] for c in _columns(self.conn, "tpl", table)}
        names, exprs = [], []
        for name, kind, pk in target:
            if name not in source:
                continue  # a column the template file lacks: its default
            col = f'{alias}."{name}"'
            if name in overrides:
                expr = overrides[name]
            elif pk and table in self.span:
                expr = f"{self.offset[table]} + m.idx * {self.span[table]} + {col}"
            elif pk:
                continue  # a fresh id
            elif name == "case_id":
                expr = "m.new_id"
            elif name in self.refs.get(table, {}) and self.refs[table][name] in self.span:
                ref = self.refs[table][name]
                expr = f"CASE WHEN {col} IS NULL THEN NULL ELSE {self.offset[ref]} + m.idx * {self.span[ref]} + {col} END"
            elif "TEXT" in kind:
                expr = _shifted(col, days)
            else:
                expr = col
            names.append(f'"{name}"')
            exprs.append(expr)
        return names, exprs

    def copy_all(self) -> dict[str, int]:
        """Every template case once per row of temp.gen_map; returns rows written per table."""
        conn, counts = self.conn, {}
        names = [c[0] for c in _columns(conn, "main", "guides")]
        cols = ", ".join(f'"{n}"' for n in names)
        conn.execute(f"INSERT OR IGNORE INTO main.guides ({cols}) SELECT {cols} FROM tpl.guides")
        case_overrides = {
            "id": "m.new_id", "code": "m.new_code",
            "child_name": "CASE WHEN t.child_name IS NULL THEN NULL ELSE m.child_name END",
            "age_group": "CASE WHEN t.age_group IS NULL THEN NULL ELSE m.age_group END",
            "setting": "CASE WHEN t.setting IS NULL THEN NULL ELSE m.setting END",
        }
        names, exprs = self._select("cases", "t", "m.shift", case_overrides)
        counts["cases"] = conn.execute(
            f"INSERT INTO main.cases ({', '.join(names)}) SELECT {', '.join(exprs)} "
            "FROM temp.gen_map m JOIN tpl.cases t ON t.id = m.tpl_id ORDER BY m.new_id").rowcount
        # The child's answer holds the name too (historik shows it): the same per-copy values.
        answer_overrides = {"value": "CASE WHEN t.kind = 'child' THEN json_set(t.value, '$.navn', m.child_name, "
                                     "'$.aldersgruppe', m.age_group, '$.tilbud', m.setting) ELSE t.value END"}
        for table in self.case_tables:
            names, exprs = self._select(table, "t", "m.shift", answer_overrides if table == "answers" else {})
            counts[table] = conn.execute(
                f'INSERT INTO main."{table}" ({", ".join(names)}) SELECT {", ".join(exprs)} '
                f'FROM temp.gen_map m JOIN tpl."{table}" t ON t.case_id = m.tpl_id ORDER BY m.idx, t.id').rowcount
        # The pool's observations: a different slice of `obs_n` rows for each copy, from obs_start,
        # repeated (rep) with the dates spread for the big case.
        names, exprs = self._select("observations", "t", "m.shift - p.rep * m.rep_days", {})
        counts["observations"] += conn.execute(
            f'INSERT INTO main.observations ({", ".join(names)}) SELECT {", ".join(exprs)} '
            "FROM temp.gen_map m JOIN temp.pool_rows p ON p.guide_sha = m.guide_sha "
            "AND p.kind = 'obs' AND p.rep < m.reps AND p.rep * p.size + (p.seq - m.obs_start + p.size) % p.size < m.obs_n "
            "JOIN tpl.observations t ON t.id = p.row_id ORDER BY m.idx, p.rep, p.seq").rowcount
        # The audit log: each copy's rows with its own code, the pool's rows for its observations;
        # in time order, as the log is written.
        audit = [c[0] for c in _columns(conn, "main", "audit_log") if not c[2]]
        source = {c[0] for c in _columns(conn, "tpl", "audit_log")}
        audit = [c for c in audit if c in source]
        def audit_exprs(days):  # noqa: E306
            return ", ".join("m.new_code" if c == "case_code" else _shifted(f't."{c}"', days) if c == "at"
                             else f't."{c}"' for c in audit)
        conn.execute("CREATE TEMP TABLE new_audit AS SELECT * FROM main.audit_log WHERE 0")
        written = conn.execute(
            f'INSERT INTO temp.new_audit ({", ".join(audit)}) SELECT {audit_exprs("m.shift")} '
            "FROM temp.gen_map m JOIN tpl.audit_log t ON t.case_code = m.tpl_code").rowcount
        written += conn.execute(
            f'INSERT INTO temp.new_audit ({", ".join(audit)}) SELECT {audit_exprs("m.shift - p.rep * m.rep_days")} '
            "FROM temp.gen_map m JOIN temp.pool_rows p ON p.guide_sha = m.guide_sha "
            "AND p.kind = 'audit' AND p.rep < m.reps AND p.rep * p.size + (p.seq - m.obs_start + p.size) % p.size < m.obs_n "
            "JOIN tpl.audit_log t ON t.id = p.row_id").rowcount
        cols = ", ".join(f'"{c}"' for c in audit)
        conn.execute(f"INSERT INTO main.audit_log ({cols}) SELECT {cols} FROM temp.new_audit ORDER BY at")
        conn.execute("DROP TABLE temp.new_audit")
        counts["audit_log"] = written
        return counts


# ---------------------------------------------------------------- the plan of copies


def _child(rng: random.Random, guide) -> tuple[str, str, str]:
    name = (rng.choice(FIRST_NAMES) if rng.random() < 0.6
            else ".".join(rng.choice(LETTERS) for _ in range(rng.choice((2, 2, 3)))) + ".")
    age = rng.choice(guide.age_groups)
    young = int(age.split("-")[0]) < 3
    settings = [s for s in guide.settings if (s in ("Vuggestue", "Dagpleje")) == young] or list(guide.settings)
    return name, age, rng.choice(settings)


def _observation_counts(rng: random.Random, eligible: int, total: int, cap: int) -> list[int]:
    """`eligible` uneven counts (log-normal) that add up to `total`, none above `cap`."""
    if eligible == 0 or total <= 0:
        return [0] * eligible
    total = min(total, eligible * cap)
    weights = [rng.lognormvariate(0, 1.0) for _ in range(eligible)]
    scale = total / sum(weights)
    counts = [min(cap, int(w * scale)) for w in weights]
    missing = total - sum(counts)
    order = list(range(eligible))
    while missing > 0:
        rng.shuffle(order)
        for i in order:
            if missing and counts[i] < cap:
                counts[i] += 1
                missing -= 1
    return counts


def generate(home: Path, cases: int, observations: int | None = None, big_case: bool = True, seed: int = 2026,
             quiet: bool = False) -> dict:
    """Fill `home` with `cases` cases (the big case among them). Returns what was made."""
    from rettidig_cli.storage import store as stores
    from rettidig_cli.storage.store import Store

    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    started = time.perf_counter()
    rng = random.Random(seed)
    today = dt.date.today()
    home = home.expanduser().resolve()
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    db_file = home / stores.DB_NAME
    if db_file.exists():
        raise SystemExit(f"{db_file} findes allerede; brug en tom mappe (eller --erstat).")
    (home / "indstillinger.toml").write_text('kryptering = "ingen"\n', encoding="utf-8")
    os.environ["RETTIDIG_HOME"] = str(home)
    # Like the tests' no_fsync: the generator's own commits need not wait for the disk.
    own_pragmas = stores.Store._set_pragmas

    def set_pragmas(self, create: bool) -> None:
        own_pragmas(self, create)
        self.conn.execute("PRAGMA synchronous = OFF")

    stores.Store._set_pragmas = set_pragmas

    # 1. The templates, through the real write path, in a throw-away file.
    scratch = Path(tempfile.mkdtemp(prefix="rettidig-skabeloner-"))
    try:
        tpl_store = Store(scratch / stores.DB_NAME)
        tpl_store.purpose = "generate"
        builder = Builder(tpl_store, home)
        builder.build()
        pool_codes = builder.pools(POOL_SIZE)
        templates = builder.templates
        tpl = {}
        for t in templates:
            row = tpl_store.case(t["code"], log=False)
            own = tpl_store.db.execute("SELECT count(*) FROM observations WHERE case_id = ?", [row["id"]]).fetchone()[0]
            answered = {a for a in tpl_store.answers(row["id"])}
            obs_step = next(s.id for s in t["guide"].steps() if s.kind == "observations")
            tpl[t["code"]] = {**t, "id": row["id"], "sha": row["guide_sha"], "own_obs": own,
                              "takes_obs": obs_step in answered}
        tpl_store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tpl_store.close()
        built = time.perf_counter()
        say(f"skabeloner: {len(templates)} sager + {len(pool_codes)} puljer à {POOL_SIZE} observationer "
            f"({built - started:.1f} s)")

        # 2. The plan: which template each case copies, its dates, name, code and observations.
        codes = list(tpl)
        weights = [tpl[c]["weight"] for c in codes]
        big = big_case and cases > 0
        chosen = rng.choices(codes, weights, k=cases - (1 if big else 0))
        plan = []
        for code in chosen:
            t = tpl[code]
            # Begun within the last two years: the template's own weeks plus the copy's move back.
            # Open cases mostly lately active, some forgotten for longer; closed ones any time.
            most = max(0, 104 - t["weeks"])
            if t["open"] and rng.random() < 0.7:
                weeks = rng.randint(0, min(26, most))
            else:
                weeks = rng.randint(0, most)
            plan.append({"tpl": code, "shift": -7 * weeks})
        if big:  # the long case: the whole guide, meetings now, observations over two years
            plan.append({"tpl": next(c for c in codes if tpl[c]["guide"].id == "ikast-brande-dagtilbud"
                                     and tpl[c]["open"] and tpl[c]["weight"] == max(
                                         x["weight"] for x in tpl.values() if x["open"])),
                         "shift": 0, "big": True})
        total_obs = observations if observations is not None else 20 * cases
        own = sum(tpl[p["tpl"]]["own_obs"] for p in plan)
        big_n = min(BIG_OBSERVATIONS, total_obs) if big else 0
        takers = [p for p in plan if tpl[p["tpl"]]["takes_obs"] and not p.get("big")]
        counts = _observation_counts(rng, len(takers), max(0, total_obs - own - big_n), POOL_SIZE)
        for p, n in zip(takers, counts):
            p["obs_n"] = n
        # Codes as Store.next_code makes them, numbered per year in the order the cases were created.
        plan.sort(key=lambda p: (p["shift"], rng.random()))
        per_year: dict[int, int] = {}
        for i, p in enumerate(plan):
            t = tpl[p["tpl"]]
            year = (today + dt.timedelta(days=p["shift"])).year
            per_year[year] = per_year.get(year, 0) + 1
            p["code"] = f"RT-{year}-{per_year[year]:03d}"
            p["name"], p["age"], p["setting"] = _child(rng, t["guide"])
            p.setdefault("obs_n", 0)
            p["obs_start"] = rng.randrange(POOL_SIZE)
            p["rep_days"] = 0
            if p.get("big"):
                p["obs_n"] = big_n
                reps = math.ceil(big_n / POOL_SIZE)
                p["rep_days"] = 730 // reps
                p["obs_start"] = 0

        # 3. The data file, made by the product, and the copy.
        target = Store(db_file)
        target.purpose = "generate"
        conn = target.db.conn
        conn.execute("ATTACH DATABASE ? AS tpl", [str(scratch / stores.DB_NAME)])
        first_id = max(conn.execute("SELECT coalesce(max(id), 0) FROM cases").fetchone()[0],
                       (conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'cases'").fetchone() or [0])[0]) + 1
        conn.execute("CREATE TEMP TABLE gen_map (idx INTEGER PRIMARY KEY, tpl_id INTEGER, tpl_code TEXT, new_id INTEGER, "
                     "new_code TEXT, shift INTEGER, child_name TEXT, age_group TEXT, setting TEXT, guide_sha TEXT, "
                     "obs_n INTEGER, obs_start INTEGER, rep_days INTEGER, reps INTEGER)")
        conn.executemany("INSERT INTO temp.gen_map VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (i, tpl[p["tpl"]]["id"], p["tpl"], first_id + i, p["code"], p["shift"], p["name"], p["age"], p["setting"],
             tpl[p["tpl"]]["sha"], p["obs_n"], p["obs_start"], p["rep_days"], math.ceil(p["obs_n"] / POOL_SIZE))
            for i, p in enumerate(plan)])
        conn.execute("CREATE INDEX temp.gen_map_tpl ON gen_map (tpl_id)")
        conn.execute("CREATE INDEX temp.gen_map_code ON gen_map (tpl_code)")
        # The pool rows in order: observations and their audit rows, numbered 0..size-1 per guide,
        # and repeated (rep) as often as the big case needs.
        conn.execute("CREATE TEMP TABLE pool_rows (guide_sha TEXT, kind TEXT, seq INTEGER, rep INTEGER, size INTEGER, "
                     "row_id INTEGER)")
        reps = max([math.ceil(p["obs_n"] / POOL_SIZE) for p in plan] + [1])
        for sha, code in pool_codes.items():
            case_id = conn.execute("SELECT id FROM tpl.cases WHERE code = ?", [code]).fetchone()[0]
            obs = [r[0] for r in conn.execute("SELECT id FROM tpl.observations WHERE case_id = ? ORDER BY id", [case_id])]
            obs = obs[-POOL_SIZE:]  # those made by add_item (the wizard's own come first)
            logged = [r[0] for r in conn.execute("SELECT id FROM tpl.audit_log WHERE case_code = ? AND action = 'ændre' "
                                                 "AND detail = 'observations' ORDER BY id", [code])][-POOL_SIZE:]
            for kind, ids in (("obs", obs), ("audit", logged)):
                conn.executemany("INSERT INTO temp.pool_rows VALUES (?, ?, ?, ?, ?, ?)",
                                 [(sha, kind, seq, rep, len(ids), row_id) for rep in range(reps)
                                  for seq, row_id in enumerate(ids)])
        conn.execute("CREATE INDEX temp.pool_rows_guide ON pool_rows (guide_sha, kind, rep)")
        with target.atomic():
            conn.execute("PRAGMA defer_foreign_keys = ON")
            copier = Copier(conn)
            counts = copier.copy_all()
            moved = _off_holidays(conn, first_id)
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise SystemExit(f"{len(broken)} poster peger på noget, der ikke findes: {broken[:5]}")
        conn.execute("DETACH DATABASE tpl")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        target.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        stores.Store._set_pragmas = own_pragmas
    elapsed = time.perf_counter() - started
    big_code = next((p["code"] for p in plan if p.get("big")), None)
    typical = codes_in(home)[0]
    result = {"home": home, "cases": len(plan), "counts": counts, "seconds": elapsed, "big_case": big_code,
              "typical_case": typical, "holiday_moves": moved, "size_mb": db_file.stat().st_size / 2**20}
    say(f"kopieret: {counts['cases']} sager, {counts['observations']} observationer, "
        f"{counts['meetings']} møder, {counts['agreements']} aftaler, {counts['audit_log']} logposter "
        f"({moved} møder flyttet fra en helligdag)")
    say(f"datafil: {db_file} ({result['size_mb']:.0f} MiB)")
    say(f"typisk sag: {typical}")
    if big_code:
        say(f"sag med {big_n} observationer: {big_code}")
    say(f"tid: {elapsed:.1f} s")
    return result


def codes_in(home: Path) -> tuple[str, str, dict]:
    """(a typical open case, the case with the most observations) in a generated data folder:
    typical = open, a meeting held and one ahead, about the median number of observations."""
    conn = sqlite3.connect(f"file:{home / 'rettidig.db'}?mode=ro", uri=True)
    try:
        big = conn.execute("SELECT c.code FROM cases c JOIN observations o ON o.case_id = c.id "
                           "GROUP BY c.id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        counts = [r[0] for r in conn.execute("SELECT count(o.id) FROM cases c LEFT JOIN observations o "
                                             "ON o.case_id = c.id GROUP BY c.id ORDER BY 1")]
        median = counts[len(counts) // 2]
        today = dt.date.today().isoformat()
        typical = conn.execute(
            "SELECT c.code FROM cases c WHERE c.status = 'åben' AND c.code != ? "
            "AND EXISTS (SELECT 1 FROM meetings m WHERE m.case_id = c.id AND m.state = 'afholdt') "
            "AND EXISTS (SELECT 1 FROM meetings m WHERE m.case_id = c.id AND m.state = 'planlagt' AND m.day >= ?) "
            "ORDER BY abs((SELECT count(*) FROM observations o WHERE o.case_id = c.id) - ?), c.code LIMIT 1",
            [big, today, median]).fetchone()[0]
        n_cases = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
        n_open = conn.execute("SELECT count(*) FROM cases WHERE status = 'åben'").fetchone()[0]
        n_obs = conn.execute("SELECT count(*) FROM observations").fetchone()[0]
        big_n = conn.execute("SELECT count(*) FROM observations o JOIN cases c ON c.id = o.case_id WHERE c.code = ?",
                             [big]).fetchone()[0]
        typical_n = conn.execute("SELECT count(*) FROM observations o JOIN cases c ON c.id = o.case_id "
                                 "WHERE c.code = ?", [typical]).fetchone()[0]
    finally:
        conn.close()
    return typical, big, {"cases": n_cases, "open": n_open, "observations": n_obs, "big_n": big_n,
                          "typical_n": typical_n}


def _off_holidays(conn, first_id: int) -> int:
    """A copied meeting that landed on a holiday or closing day moves a week on (same weekday), and
    its events with it; returns how many were moved."""
    from rettidig_cli.domain import dates

    days = [r[0] for r in conn.execute("SELECT DISTINCT day FROM meetings WHERE case_id >= ?", [first_id])]
    closed = {}
    for day in days:
        moved = dt.date.fromisoformat(day)
        while dates.check_meeting_day(moved, True):
            moved += dt.timedelta(days=7)
        if moved.isoformat() != day:
            closed[day] = moved.isoformat()
    if not closed:
        return 0
    conn.execute("CREATE TEMP TABLE holiday_moves (old TEXT PRIMARY KEY, new TEXT)")
    conn.executemany("INSERT INTO temp.holiday_moves VALUES (?, ?)", closed.items())
    n = conn.execute("UPDATE meetings SET day = (SELECT new FROM temp.holiday_moves WHERE old = day), "
                     "held_on = CASE WHEN held_on = day THEN (SELECT new FROM temp.holiday_moves WHERE old = day) "
                     "ELSE held_on END WHERE case_id >= ? AND day IN (SELECT old FROM temp.holiday_moves)",
                     [first_id]).rowcount
    for column in ("from_value", "to_value"):
        conn.execute(f"UPDATE case_events SET {column} = (SELECT new FROM temp.holiday_moves WHERE old = {column}) "
                     f"WHERE case_id >= ? AND meeting_id IS NOT NULL AND {column} IN (SELECT old FROM temp.holiday_moves)",
                     [first_id])
    conn.execute("DROP TABLE temp.holiday_moves")
    return n


# ---------------------------------------------------------------- checking the result


def check(home: Path, codes: list[str], exe: str | None = None) -> bool:
    """Run the installed command on the generated folder; print each command's exit code and time."""
    beside = Path(sys.executable).parent / "rettidig"  # the rettidig of the venv that made the folder
    exe = exe or (str(beside) if beside.exists() else shutil.which("rettidig"))
    env = {**os.environ, "RETTIDIG_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "120"}
    out = Path(tempfile.mkdtemp(prefix="rettidig-eksport-"))
    ok = True
    commands = [["doctor"], ["list"], ["list", "--alle", "--json"]]
    for code in codes:
        commands += [["plan", code], ["historik", code], ["indsigt", code],
                     ["export", code, "-f", "docx", "--out", str(out), "--overskriv"]]
    for args in commands:
        start = time.perf_counter()
        done = subprocess.run([exe, *args], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        took = time.perf_counter() - start
        bad = done.returncode != 0 or "Traceback" in done.stderr
        if args[0] == "doctor":
            bad = bad or any(line.lstrip().lower().startswith("fejl") for line in done.stdout.splitlines())
        ok = ok and not bad
        print(f"  {'FEJL' if bad else 'ok  '} rettidig {' '.join(a if len(a) < 40 else '…' for a in args):<60} "
              f"{took:6.1f} s  (exit {done.returncode})")
        if bad:
            print("    " + (done.stderr or done.stdout)[-800:].replace("\n", "\n    "))
        if args[0] == "doctor":
            for line in done.stdout.splitlines():
                if line.strip():
                    print("      " + line.rstrip())
    shutil.rmtree(out, ignore_errors=True)
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="antal sager i alt (den store sag medregnet)")
    parser.add_argument("--home", type=Path, required=True, help="datamappen (bruges som RETTIDIG_HOME)")
    parser.add_argument("--observations", type=int, default=None, help="observationer i alt (standard: 20 pr. sag)")
    parser.add_argument("--no-big-case", dest="big", action="store_false",
                        help=f"ingen sag med {BIG_OBSERVATIONS} observationer")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--erstat", action="store_true", help="slet en eksisterende rettidig.db i mappen først")
    parser.add_argument("--check", action="store_true",
                        help="kør bagefter doctor, list, plan, historik, indsigt og export -f docx på resultatet")
    args = parser.parse_args()
    if args.erstat:
        for suffix in ("", "-wal", "-shm"):
            (args.home / f"rettidig.db{suffix}").unlink(missing_ok=True)
    result = generate(args.home, args.cases, args.observations, args.big, args.seed)
    if args.check:
        codes = [result["typical_case"]] + ([result["big_case"]] if result["big_case"] else [])
        if not check(result["home"], codes):
            sys.exit(1)


if __name__ == "__main__":
    main()
