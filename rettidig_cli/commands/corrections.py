"""Commands that correct what was written: `ret` (a record's fields), `fjern` (a record entered by
mistake), `fortryd` (the last change) and `underskrift` (the parents' signature, when it happens).
Each works with flags (scripts) or asks in a terminal; both validate with workflow/corrections.py."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from rettidig_cli.commands.common import CaseArg, DanishCommand, DbOption, asking_guard, in_terminal, say
from rettidig_cli.commands.followup import Flag, NrArg, YesFlag, _checked, _load, _need_terminal, understood
from rettidig_cli.domain.errors import UsageError

KindArg = Annotated[Optional[str], typer.Argument(
    help="Hvad der rettes: observation, faktor, aftale, møde, samtykke, underretning, placering, tovholder, fit "
         "(et FIT-skema) eller beslutning (dens note). "
         "Udelades: du vælger.", show_default=False, metavar="HVAD")]
ReasonFlag = Annotated[Optional[str], Flag("Hvorfor (står i historikken).", "--grund")]


def _choose_record(store, row, kind_name, nr, removing: bool = False):
    """The kind and the record: from the arguments, or chosen in a terminal from the case's records.
    The prompts (prompt_toolkit, ~100 ms) are imported only when something is asked: a script that
    gives every argument and --ja does not wait for them."""
    from rettidig_cli.workflow import corrections

    if kind_name is None:
        _need_terminal(["HVAD", "NR"], "ret")
        from rettidig_cli.ui import prompts

        present = [k for k in corrections.KINDS.values() if corrections.records(store, row, k)
                   and not (removing and k.name in corrections.CHANGED_IN_THE_GUIDE)]
        if not present:
            raise UsageError(f"Sag {row['code']} har endnu intet at rette.")
        kind_name = prompts.select("Hvad vil du rette?", [(k.noun, k.name) for k in present])
    which = corrections.kind(kind_name)
    if nr is None:
        found = corrections.records(store, row, which)
        if not found:
            raise UsageError(f"Sag {row['code']} har ingen {which.noun.lower()}.")
        _need_terminal(["NR"], "ret")
        from rettidig_cli.ui import prompts

        chosen = prompts.select(f"Hvilken {which.noun.lower()}?",
                                [(f"Nr. {r['nr']}: {which.summary(r)}", r["nr"]) for r in found])
        return which, corrections.pick(store, row, which, chosen)
    return which, corrections.pick(store, row, which, nr)


def ret(
    case: CaseArg,
    hvad: KindArg = None,
    nr: NrArg = None,
    felt: Annotated[Optional[list[str]], typer.Option(
        "--felt", "-f", help="Et felt og dets nye værdi: --felt hvem=Bo (gentag for flere felter).",
        show_default=False)] = None,
    grund: ReasonFlag = None,
    confirmed: YesFlag = False,
    db: DbOption = None,
) -> None:
    """Ret en observation, aftale, et møde, samtykke, en underretning, placering, faktor, tovholder, et FIT-skema eller en beslutnings note. Den tidligere udgave står i historikken.

    Eksempel: rettidig ret RT-2026-001 aftale 2 --felt hvem=Bo --felt senest=1-3-2027 --grund "Bo overtager"
    """
    from rettidig_cli.workflow import corrections

    store, row, _ = _load(db, case)
    with asking_guard("Intet er rettet."):
        which, record = _choose_record(store, row, hvad, nr)
        if felt:
            raw = {}
            for item in felt:
                key, sep, value = item.partition("=")
                if not sep:
                    raise UsageError(f"«{item}» skal skrives felt=værdi, fx hvem=Bo.")
                raw[key.strip().lower()] = value.strip()
        else:
            _need_terminal(["--felt felt=værdi"], "ret")
            raw = _ask_fields(which, record, row)
        changes = _checked(lambda: corrections.parse_changes(which, record, raw, row))
        if not changes:
            raise UsageError(f"Intet at rette: {which.noun.lower()} nr. {record['nr']} er allerede sådan.")
        for label, before, after in changes.values():
            say(f"{label}: «{corrections.shown_value(before)}» → «{corrections.shown_value(after)}»")
        if grund is None and not confirmed and in_terminal():
            from rettidig_cli.ui import prompts

            grund = prompts.ask_text("Hvorfor? (står i historikken)", corrections.optional_reason,
                                     instruction="(kan springes over)")
        if not confirmed and in_terminal():
            from rettidig_cli.ui import prompts

            if not prompts.yes(f"Ret {which.noun.lower()} nr. {record['nr']}?", True):
                say("Intet er rettet.")
                return
    _checked(lambda: corrections.correct(store, row, which, record, changes, grund or ""))
    say(f"{which.noun} nr. {record['nr']} er rettet i sag ", (row["code"], "bold"),
        ". Den tidligere udgave står i historikken.")


def _ask_fields(which, record, case) -> dict:
    """Each field with its value now as the suggestion: Enter keeps it."""
    from rettidig_cli.ui import prompts
    from rettidig_cli.workflow import corrections

    raw = {}
    for field in which.fields:
        now = corrections.shown_value(record[field.column], empty="")
        answer = prompts.ask_text(f"{field.label}:", lambda v, f=field: f.parse(v, case), default=now)
        raw[field.key] = answer
    return raw


def fjern(
    case: CaseArg,
    hvad: KindArg = None,
    nr: NrArg = None,
    grund: ReasonFlag = None,
    confirmed: YesFlag = False,
    db: DbOption = None,
) -> None:
    """Fjern en observation, aftale, et møde o.l., der er skrevet ind ved en fejl. Den står i historikken som fjernet med grunden; rettidig slet SAG sletter hele sagen.

    Eksempel: rettidig fjern RT-2026-001 observation 3 --grund "Skrevet på den forkerte sag"
    """
    from rettidig_cli.workflow import corrections

    store, row, _ = _load(db, case)
    with asking_guard("Intet er fjernet."):
        which, record = _choose_record(store, row, hvad, nr, removing=True)
        say(f"{which.noun} nr. {record['nr']}: {which.summary(record)}")
        if grund is None:
            _need_terminal(["--grund"], "fjern")
            from rettidig_cli.ui import prompts

            grund = prompts.ask_text("Hvorfor fjernes den? (står i historikken)",
                                     lambda v: corrections.reason(v))
        if not confirmed and in_terminal():
            from rettidig_cli.ui import prompts

            if not prompts.yes(f"Fjern {which.noun.lower()} nr. {record['nr']}?", False):
                say("Intet er fjernet.")
                return
    _checked(lambda: corrections.remove(store, row, which, record, grund))
    say(f"{which.noun} nr. {record['nr']} er fjernet fra sag ", (row["code"], "bold"),
        ". Den står i historikken som fjernet. Fortryd med: ", (f"rettidig fortryd {row['code']}", "bold"))


def fortryd(
    case: CaseArg,
    confirmed: YesFlag = False,
    db: DbOption = None,
) -> None:
    """Fortryd den seneste ændring af sagen – den vises først. Kør igen for at gå et skridt mere tilbage.

    Eksempel: rettidig fortryd RT-2026-001
    """
    from rettidig_cli.workflow import corrections

    store, row, guide = _load(db, case)
    change = corrections.last_change(store, row, guide)
    if change is None:
        raise UsageError(f"Sag {row['code']} har ingen ændringer at fortryde.")
    from rettidig_cli.domain import dates

    say((f"Den seneste ændring ({dates.format_iso(change.at[:10])}):", "bold"))
    for line in change.lines:
        say(f"  • {line}")
    if change.refused:
        raise UsageError(change.refused)
    if not confirmed:
        from rettidig_cli.ui import prompts  # the prompts (prompt_toolkit, ~100 ms) only when asking

        if not prompts.terminal_available():
            raise UsageError("Der er ingen terminal at spørge i. Tilføj --ja for at fortryde ændringen ovenfor.",
                             hint=f"rettidig fortryd {row['code']} --ja")
        with asking_guard("Intet er fortrudt."):
            if not prompts.yes("Fortryd den?", False):
                say("Intet er fortrudt.")
                return
    corrections.undo(store, row, change)
    say("Fortrudt. Ændringen står i historikken som fortrudt. Fortryd en til med: ",
        (f"rettidig fortryd {row['code']}", "bold"))


def underskrift(
    case: CaseArg,
    navn: Annotated[Optional[str], Flag("Hvem der har skrevet under (fx begge forældre).", "--navn")] = None,
    dato: Annotated[Optional[str], Flag("Hvornår (standard: i dag).", "--dato")] = None,
    db: DbOption = None,
) -> None:
    """Registrér forældrenes underskrift på handleplanen, når den sker.

    Eksempel: rettidig underskrift RT-2026-001 --navn "Begge forældre" --dato 3-2-2027
    """
    from rettidig_cli.domain import dates, fields
    from rettidig_cli.ui import prompts
    from rettidig_cli.workflow import corrections

    store, row, guide = _load(db, case)
    if navn is None:
        _need_terminal(["--navn"], "underskrift")
        with asking_guard("Intet er gemt."):
            navn = prompts.ask_text("Hvem har skrevet under?",
                                    lambda v: fields.text(v, "Hvem", max_length=fields.SHORT_MAX),
                                    instruction="(fx begge forældre)")
            dato = dato or prompts.ask_date("Dato:", dates.today())
    _checked(lambda: corrections.sign(store, row, guide, {"navn": navn, "dato": dato}))
    understood(dato)
    say("Forældrenes underskrift er registreret i sag ", (row["code"], "bold"), ".")


# The twins under `aftale`, `møde`, `observation` and `faktor`: the same correction with the kind's own flags.
def _given(**values) -> list[str]:
    return [f"{key}={value}" for key, value in values.items() if value is not None]


def agreement_correct(
    case: CaseArg, nr: NrArg = None,
    hvad: Annotated[Optional[str], Flag("Hvad skal gøres.", "--hvad")] = None,
    hvem: Annotated[Optional[str], Flag("Hvem gør det.", "--hvem")] = None,
    senest: Annotated[Optional[str], Flag("Senest hvornår.", "--senest")] = None,
    grund: ReasonFlag = None, confirmed: YesFlag = False, db: DbOption = None,
) -> None:
    """Ret en aftale (hvad, hvem, senest). Den tidligere udgave står i historikken.

    Eksempel: rettidig aftale ret RT-2026-001 2 --hvem Bo --senest 1-3-2027
    """
    ret(case, "aftale", nr, _given(hvad=hvad, hvem=hvem, senest=senest) or None, grund, confirmed, db)


def agreement_remove(case: CaseArg, nr: NrArg = None, grund: ReasonFlag = None, confirmed: YesFlag = False,
                     db: DbOption = None) -> None:
    """Fjern en aftale, der er skrevet ind ved en fejl (den står i historikken som fjernet).

    Eksempel: rettidig aftale slet RT-2026-001 2 --grund "Skrevet to gange" --ja
    """
    fjern(case, "aftale", nr, grund, confirmed, db)


def meeting_correct(
    case: CaseArg, nr: NrArg = None,
    deltagere: Annotated[Optional[str], Flag("Deltagerne, adskilt med komma.", "--deltagere")] = None,
    tid: Annotated[Optional[str], Flag("Klokkeslæt, fx 14:00.", "--tid")] = None,
    referat: Annotated[Optional[str], Flag("Mødets referat.", "--referat")] = None,
    grund: ReasonFlag = None, confirmed: YesFlag = False, db: DbOption = None,
) -> None:
    """Ret et mødes deltagere, klokkeslæt eller referat (en ny dag: rettidig møde flyt).

    Eksempel: rettidig møde ret RT-2026-001 1 --referat "Mor oplever fremgang."
    """
    ret(case, "møde", nr, _given(deltagere=deltagere, tidspunkt=tid, referat=referat) or None, grund, confirmed, db)


def meeting_remove(case: CaseArg, nr: NrArg = None, grund: ReasonFlag = None, confirmed: YesFlag = False,
                   db: DbOption = None) -> None:
    """Fjern et møde, der er skrevet ind ved en fejl (et møde, der ikke bliver til noget: rettidig møde aflys).

    Eksempel: rettidig møde slet RT-2026-001 4 --grund "Oprettet to gange" --ja
    """
    fjern(case, "møde", nr, grund, confirmed, db)


def observation_correct(
    case: CaseArg, nr: NrArg = None,
    dato: Annotated[Optional[str], Flag("Dato for observationen.", "--dato")] = None,
    hvad: Annotated[Optional[str], Flag("Hvad du så.", "--hvad")] = None,
    metode: Annotated[Optional[str], Flag("Metode eller værktøj.", "--metode")] = None,
    hvem: Annotated[Optional[str], Flag("Hvem observerede.", "--hvem")] = None,
    grund: ReasonFlag = None, confirmed: YesFlag = False, db: DbOption = None,
) -> None:
    """Ret en observation (dato, hvad, metode, hvem). Den tidligere udgave står i historikken.

    Eksempel: rettidig observation ret RT-2026-001 3 --hvad "Leger alene i frikvarteret" --grund "Stavefejl"
    """
    ret(case, "observation", nr, _given(dato=dato, hvad=hvad, metode=metode, hvem=hvem) or None, grund, confirmed, db)


def observation_remove(case: CaseArg, nr: NrArg = None, grund: ReasonFlag = None, confirmed: YesFlag = False,
                       db: DbOption = None) -> None:
    """Fjern en observation, der er skrevet ind ved en fejl (den står i historikken som fjernet).

    Eksempel: rettidig observation slet RT-2026-001 3 --grund "Skrevet på den forkerte sag" --ja
    """
    fjern(case, "observation", nr, grund, confirmed, db)


def factor_correct(
    case: CaseArg, nr: NrArg = None,
    tekst: Annotated[Optional[str], Flag("Faktoren, som den skal stå.", "--tekst")] = None,
    grund: ReasonFlag = None, confirmed: YesFlag = False, db: DbOption = None,
) -> None:
    """Ret en faktors tekst. Den tidligere udgave står i historikken.

    Eksempel: rettidig faktor ret RT-2026-001 2 --tekst "Mange skift af voksne i efteråret"
    """
    ret(case, "faktor", nr, _given(tekst=tekst) or None, grund, confirmed, db)


def factor_remove(case: CaseArg, nr: NrArg = None, grund: ReasonFlag = None, confirmed: YesFlag = False,
                  db: DbOption = None) -> None:
    """Fjern en faktor, der er skrevet ind ved en fejl (den står i historikken som fjernet).

    Eksempel: rettidig faktor slet RT-2026-001 2 --grund "Skrevet to gange" --ja
    """
    fjern(case, "faktor", nr, grund, confirmed, db)


def register(app: typer.Typer) -> None:
    from rettidig_cli.commands.followup import agreement_app, factor_app, meeting_app, observation_app

    for function, name in ((ret, "ret"), (fjern, "fjern"), (fortryd, "fortryd"), (underskrift, "underskrift")):
        app.command(name=name, cls=DanishCommand)(function)
    agreement_app.command(name="ret", cls=DanishCommand)(agreement_correct)
    agreement_app.command(name="slet", cls=DanishCommand)(agreement_remove)
    meeting_app.command(name="ret", cls=DanishCommand)(meeting_correct)
    meeting_app.command(name="slet", cls=DanishCommand)(meeting_remove)
    observation_app.command(name="ret", cls=DanishCommand)(observation_correct)
    observation_app.command(name="slet", cls=DanishCommand)(observation_remove)
    factor_app.command(name="ret", cls=DanishCommand)(factor_correct)
    factor_app.command(name="slet", cls=DanishCommand)(factor_remove)
