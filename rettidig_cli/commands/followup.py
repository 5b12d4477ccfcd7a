"""Commands for following a case over weeks. Each works two ways: with flags (for scripts, no
questions asked) or, when a needed flag is missing and there is a terminal, by asking. Both
paths validate with the same functions in followup.py and save at once."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from rettidig_cli.commands.common import (
    CaseArg, DanishCommand, DanishGroup, DbOption, DefaultGroup, asking_guard, home_folder, open_store, out_console,
    read_answers, say, warn,
)
from rettidig_cli.domain.errors import NoTerminalError, UsageError

agreement_app = typer.Typer(cls=DanishGroup, no_args_is_help=True,
                            help="Aftaler: tilføj en ny, eller skift status på en (aftalt, i gang, udført, opgivet).")
meeting_app = typer.Typer(cls=DanishGroup, no_args_is_help=True,
                          help="Statusmøder: tilføj, flyt, aflys – og hold et statusmøde.")
observation_app = typer.Typer(
    cls=DefaultGroup, help="Observationer: tilføj en med rettidig observation SAG (spørger, eller tager --hvad, --dato, "
                           "--metode og --hvem; se rettidig observation ny --help), ret eller fjern en.\n\n"
                           "Eksempel: rettidig observation RT-2026-001 --hvad \"Leger alene i frikvarteret\"")
factor_app = typer.Typer(
    cls=DefaultGroup, help="Trivselstegn, risiko- og beskyttelsesfaktorer: tilføj en med rettidig faktor SAG (spørger, "
                           "eller tager --type og --tekst; se rettidig faktor ny --help), ret eller fjern en.\n\n"
                           "Eksempel: rettidig faktor RT-2026-001 --type risiko --tekst \"Mange skift\"")


def Flag(help_text: str, name: str):  # noqa: N802 - reads like the typer.Option it returns
    return typer.Option(name, help=help_text, show_default=False)


NrArg = Annotated[Optional[str], typer.Argument(help="Nummeret (se rettidig plan SAG). Udelades: du vælger.",
                                                show_default=False, metavar="NR")]
YesFlag = Annotated[bool, typer.Option("--ja", help="Bekræft uden at spørge (til scripts).")]


# ---------------------------------------------------------------- shared steps


def _load(db, code: str, must_be_open: bool = True):
    from rettidig_cli.workflow import followup

    store = open_store(db)
    case = store.case(code)
    if must_be_open:
        followup.require_open(case)
    return store, case, store.guide_for(case)


def _need_terminal(missing: list[str], command: str) -> None:
    """A flag is missing: fine in a terminal (we ask), an error in a script (we say which)."""
    from rettidig_cli.ui import prompts

    if not prompts.terminal_available():
        raise NoTerminalError(f"Der er ingen terminal at spørge i. Angiv: {', '.join(missing)}.",
                              hint=f"Se: rettidig {command} --help")


def _checked(call):
    """Run a parse; a ValueError is the user's input, so it becomes a Danish usage error."""
    try:
        return call()
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def understood(raw: str | None, ahead: bool = False) -> None:
    """A date given as a flag in words (fredag, om 2 uger, 3/3) said back as the date understood,
    as the prompts say it; one written in full (3-3-2027) is not repeated."""
    from rettidig_cli.domain import dates

    if not raw or dates.written_in_full(raw):
        return
    try:
        said = dates.said_back(raw, dates.parse_date(raw, ahead))
    except ValueError:
        return
    say((said, "dim"))


def _done(what: str, code: str) -> None:
    say(what, " i sag ", (code, "bold"), ". Se handleplanen: ", (f"rettidig plan {code}", "bold"))


# ---------------------------------------------------------------- observation, faktor, aftale


def observation(
    case: CaseArg,
    hvad: Annotated[Optional[str], Flag("Hvad du så – konkret.", "--hvad")] = None,
    dato: Annotated[Optional[str], Flag("Dato for observationen (standard: i dag).", "--dato")] = None,
    metode: Annotated[Optional[str], Flag("Metode eller værktøj, fx TRAS.", "--metode")] = None,
    hvem: Annotated[Optional[str], Flag("Hvem observerede.", "--hvem")] = None,
    db: DbOption = None,
) -> None:
    """Tilføj en observation til en sag.

    Eksempel: rettidig observation RT-2026-001 --hvad "Leger med to andre" --metode TRAS
    """
    from rettidig_cli.workflow import followup, wizard

    store, row, guide = _load(db, case)
    raw = {"dato": dato, "hvad": hvad, "metode": metode, "hvem": hvem}
    if hvad is None:
        _need_terminal(["--hvad"], "observation")
        from rettidig_cli.ui import prompts
        from rettidig_cli.domain.vocabulary import StepKind

        step = followup.step_of_kind(guide, StepKind.OBSERVATIONS)
        with asking_guard():
            done = store.rows("observations", row["id"])  # the last observer and method are suggested
            last = {"hvem": done[-1]["observer"] or "", "metode": done[-1]["method"]} if done else {}
            raw = prompts.ask_observation(step, wizard.context_for(store, row, guide), last)
    followup.add_item(store, row, guide, "observations", raw)
    understood(dato)
    _done("Observationen er gemt", row["code"])


def faktor(
    case: CaseArg,
    tekst: Annotated[Optional[str], Flag("Beskriv faktoren.", "--tekst")] = None,
    type_: Annotated[Optional[str], Flag("Trivselstegn, risiko eller beskyttelse.", "--type")] = None,
    db: DbOption = None,
) -> None:
    """Tilføj et trivselstegn, en risikofaktor eller en beskyttelsesfaktor.

    Eksempel: rettidig faktor RT-2026-001 --type risiko --tekst "Flytning"
    """
    from rettidig_cli.workflow import followup, wizard

    store, row, guide = _load(db, case)
    raw = {"type": type_, "tekst": tekst}
    if tekst is None or type_ is None:
        _need_terminal(["--type", "--tekst"], "faktor")
        from rettidig_cli.ui import prompts

        with asking_guard():
            raw = prompts.ask_factor(followup.factor_step(guide), wizard.context_for(store, row, guide), {})
    followup.add_item(store, row, guide, "factors", raw)
    _done("Faktoren er gemt", row["code"])


@agreement_app.command(name="ny", cls=DanishCommand)
def agreement_new(
    case: CaseArg,
    hvad: Annotated[Optional[str], Flag("Hvad skal gøres.", "--hvad")] = None,
    hvem: Annotated[Optional[str], Flag("Hvem gør det.", "--hvem")] = None,
    senest: Annotated[Optional[str], Flag("Senest hvornår (dato).", "--senest")] = None,
    db: DbOption = None,
) -> None:
    """Tilføj en aftale: hvem gør hvad, senest hvornår.

    Eksempel: rettidig aftale ny RT-2026-001 --hvad "Læse højt" --hvem Forældrene --senest 1-12-2026
    """
    from rettidig_cli.workflow import followup, wizard

    store, row, guide = _load(db, case)
    raw = {"hvad": hvad, "hvem": hvem, "senest": senest}
    if hvad is None or hvem is None:
        _need_terminal(["--hvad", "--hvem"], "aftale ny")
        from rettidig_cli.ui import prompts
        from rettidig_cli.domain.vocabulary import StepKind

        step = followup.step_of_kind(guide, StepKind.AGREEMENTS)
        with asking_guard():
            done = store.rows("agreements", row["id"])  # who did the last agreement is suggested
            raw = prompts.ask_agreement(step, wizard.context_for(store, row, guide),
                                        {"hvem": done[-1]["who"]} if done else {})
    number = followup.add_item(store, row, guide, "agreements", raw)
    understood(senest, ahead=True)
    _done(f"Aftale nr. {number} er gemt", row["code"])


@agreement_app.command(name="status", cls=DanishCommand)
def agreement_status(
    case: CaseArg,
    nr: NrArg = None,
    status: Annotated[Optional[str], Flag("aftalt, i gang, udført eller opgivet.", "--status")] = None,
    note: Annotated[Optional[str], Flag("Hvorfor / hvad der er sket (skal udfyldes ved opgivet).", "--note")] = None,
    db: DbOption = None,
) -> None:
    """Skift status på en aftale, og skriv hvorfor.

    Eksempel: rettidig aftale status RT-2026-001 2 --status udført --note "Kører fast"
    """
    from rettidig_cli.workflow import followup

    store, row, _ = _load(db, case)
    rows = followup.numbered(store, "agreements", row)
    if not rows:
        raise UsageError(f"Sag {row['code']} har ingen aftaler endnu.",
                         hint=f"Tilføj en med: rettidig aftale ny {row['code']}")
    if nr is not None and status is not None:
        agreement = followup.pick(rows, nr, "aftale", row)
        value = _checked(lambda: followup.parse_status_change({"status": status, "note": note}))
    else:
        _need_terminal(["NR", "--status"], "aftale status")
        from rettidig_cli.ui import followup_prompts as ask

        with asking_guard():
            agreement = followup.pick(rows, nr, "aftale", row) if nr is not None else ask.choose_agreement(rows)
            value = ask.ask_status_change(agreement)
    followup.change_agreement(store, row, agreement, value)
    _done(f"Aftale nr. {agreement['nr']} har nu status «{value['status']}»", row["code"])


# ---------------------------------------------------------------- tovholder, placering


def tovholder(
    case: CaseArg,
    navn: Annotated[Optional[str], Flag("Den nye tovholders navn.", "--navn")] = None,
    rolle: Annotated[Optional[str], Flag("Rolle, fx ressourcepædagog.", "--rolle")] = None,
    db: DbOption = None,
) -> None:
    """Skift tovholder på en sag (den tidligere ses i historikken).

    Eksempel: rettidig tovholder RT-2026-001 --navn Birte --rolle ressourcepædagog
    """
    from rettidig_cli.workflow import followup

    store, row, guide = _load(db, case)
    raw = {"navn": navn, "rolle": rolle}
    if navn is None:
        _need_terminal(["--navn"], "tovholder")
        from rettidig_cli.ui import followup_prompts as ask

        current = store.rows("tovholders", row["id"])
        with asking_guard():
            raw = ask.ask_tovholder(current[-1]["name"] if current else "")
    value = followup.change_tovholder(store, row, guide, raw)
    _done(f"{value['navn']} er nu tovholder", row["code"])


def placering(
    case: CaseArg,
    position: Annotated[Optional[str], Flag("Placeringen på børnelinealen (se rettidig guide show).", "--placering")] = None,
    begrundelse: Annotated[Optional[str], Flag("Hvorfor placeringen er ændret.", "--begrundelse")] = None,
    db: DbOption = None,
) -> None:
    """Registrér barnets placering på børnelinealen.

    Eksempel: rettidig placering RT-2026-001 --placering trivsel --begrundelse "Leger igen"
    """
    from rettidig_cli.workflow import followup

    store, row, guide = _load(db, case)
    parse = lambda raw: followup.parse_position(raw, store, row, guide)  # noqa: E731
    if position is not None:
        value = _checked(lambda: parse({"placering": position, "begrundelse": begrundelse}))
    else:
        _need_terminal(["--placering"], "placering")
        from rettidig_cli.ui import followup_prompts as ask

        if not guide.ruler:
            raise UsageError(f"Guiden «{guide.short or guide.name}» har ingen børnelineal.")
        rows = store.rows("positions", row["id"])
        with asking_guard():
            value = ask.ask_position(guide, rows[-1]["label"] if rows else None, parse=parse)
    followup.record_position(store, row, guide, value)
    label = next(p.label for p in guide.ruler if p.id == value["placering"])
    _done(f"Placeringen «{label}» er gemt", row["code"])


# ---------------------------------------------------------------- meetings


@meeting_app.command(name="ny", cls=DanishCommand)
def meeting_new(
    case: CaseArg,
    dato: Annotated[Optional[str], Flag("Mødedato, fx 3-3-2026.", "--dato")] = None,
    tid: Annotated[Optional[str], Flag("Klokkeslæt, fx 14:00.", "--tid")] = None,
    deltagere: Annotated[Optional[str], Flag("Deltagere, adskilt med komma.", "--deltagere")] = None,
    db: DbOption = None,
) -> None:
    """Tilføj et statusmøde (på en hverdag, ikke en helligdag).

    Eksempel: rettidig møde ny RT-2026-001 --dato 14-12-2026 --tid 14:00
    """
    from rettidig_cli.domain import dates
    from rettidig_cli.workflow import followup, wizard

    store, row, guide = _load(db, case)
    if dato is not None:
        value = _checked(lambda: followup.parse_new_meeting(
            {"dato": dato, "tidspunkt": tid, "deltagere": deltagere}, store, row, guide))
    else:
        _need_terminal(["--dato"], "møde ny")
        from rettidig_cli.ui import followup_prompts as ask

        planned = [m for m in followup.planned_meetings(store, row) if followup.is_status_meeting(guide, m)]
        after = max([dates.today()] + _plausible_days(planned, row["code"]))
        with asking_guard():
            value = ask.ask_new_meeting(store, row, guide, followup.suggested_next_day(store, row, guide, after))
    warning = wizard.same_day_warning(store, row, value["dato"])
    followup.add_meeting(store, row, guide, value)
    _done(f"{guide.meetings.label} {_long(value['dato'])} kl. {value['tidspunkt'].replace(':', '.')} er gemt", row["code"])
    if warning:
        from rettidig_cli.commands.common import warn

        warn(warning)


def _plausible_days(meetings: list[dict], code: str) -> list:
    """The days of these meetings that can be counted from. A stored day that is not a date, or lies
    outside the plausible range (year 9999: written by hand or by an older version), is named as a
    probable typo and left out, so the next meeting is suggested from the others."""
    from rettidig_cli.domain import dates
    from rettidig_cli.commands.common import warn

    days = []
    for meeting in meetings:
        try:
            days.append(dates.check_plausible(dates.from_iso(meeting["day"])))
        except (ValueError, TypeError):
            warn(f"{meeting['kind']} nr. {meeting['nr']} står til {dates.format_iso(meeting['day'])}, og det ligner "
                  "en tastefejl; det tælles ikke med, når næste møde foreslås. Flyt det med: rettidig møde flyt "
                  f"{code} {meeting['nr']} – eller aflys det med: rettidig møde aflys {code} {meeting['nr']}")
    return days


def _long(iso: str) -> str:
    from rettidig_cli.domain import dates

    return dates.format_iso(iso)


def _planned(store, row, nr, message: str):
    from rettidig_cli.workflow import followup

    if nr is not None:
        meeting = followup.pick(followup.numbered(store, "meetings", row), nr, "møde", row)
        followup.require_planned(meeting, row)
        return meeting
    planned = followup.planned_meetings(store, row)
    if not planned:
        raise UsageError(f"Sag {row['code']} har ingen planlagte møder.",
                         hint=f"Tilføj et med: rettidig møde ny {row['code']}")
    from rettidig_cli.ui import followup_prompts as ask

    return ask.choose_meeting(planned, message)


@meeting_app.command(name="flyt", cls=DanishCommand)
def meeting_move(
    case: CaseArg,
    nr: NrArg = None,
    dato: Annotated[Optional[str], Flag("Den nye dato.", "--dato")] = None,
    tid: Annotated[Optional[str], Flag("Nyt klokkeslæt (standard: det samme).", "--tid")] = None,
    grund: Annotated[Optional[str], Flag("Hvorfor mødet flyttes.", "--grund")] = None,
    confirmed: YesFlag = False,
    db: DbOption = None,
) -> None:
    """Flyt et møde til en anden dag. Den nye dato vises på dansk og skal bekræftes.

    Eksempel: rettidig møde flyt RT-2026-001 3 --dato 15-12-2026 --grund Sygdom --ja
    """
    from rettidig_cli.workflow import followup, wizard

    store, row, guide = _load(db, case)
    if nr is not None and dato is not None:
        meeting = _planned(store, row, nr, "")
        value = _checked(lambda: followup.parse_move({"dato": dato, "tidspunkt": tid, "grund": grund}, meeting, guide))
        say(f"{meeting['kind']} nr. {meeting['nr']}: {_long(meeting['day'])} → ",
             (f"{_long(value['dato'])} kl. {value['tidspunkt'].replace(':', '.')}", "bold"))
        if not confirmed:
            _need_terminal(["--ja (for at bekræfte)"], "møde flyt")
            from rettidig_cli.ui import followup_prompts as ask

            with asking_guard():
                if not ask.confirm_move(meeting, value):
                    say("Mødet er ikke flyttet.")
                    return
    else:
        _need_terminal(["NR", "--dato"], "møde flyt")
        from rettidig_cli.ui import followup_prompts as ask

        with asking_guard():
            meeting = _planned(store, row, nr, "Hvilket møde skal flyttes?")
            value = ask.ask_move(meeting, guide)
        if value is None:
            say("Mødet er ikke flyttet.")
            return
    warning = wizard.same_day_warning(store, row, value["dato"], moved=meeting["id"])
    followup.move_meeting(store, row, meeting, value)
    _done(f"{meeting['kind']} nr. {meeting['nr']} er flyttet til {_long(value['dato'])}", row["code"])
    if warning:
        from rettidig_cli.commands.common import warn

        warn(warning)


@meeting_app.command(name="aflys", cls=DanishCommand)
def meeting_cancel(
    case: CaseArg,
    nr: NrArg = None,
    grund: Annotated[Optional[str], Flag("Hvorfor mødet aflyses.", "--grund")] = None,
    confirmed: YesFlag = False,
    db: DbOption = None,
) -> None:
    """Aflys et planlagt møde.

    Eksempel: rettidig møde aflys RT-2026-001 3 --grund "Ferie" --ja
    """
    from rettidig_cli.workflow import followup

    store, row, _ = _load(db, case)
    if nr is None or not confirmed:
        _need_terminal(["NR", "--ja"], "møde aflys")
    from_flags = nr is not None and confirmed
    with asking_guard():
        meeting = _planned(store, row, nr, "Hvilket møde skal aflyses?")
        if not from_flags:
            from rettidig_cli.domain import fields
            from rettidig_cli.ui import prompts

            if grund is None:
                grund = prompts.ask_text("Hvorfor aflyses mødet?", lambda v: fields.text(
                    v, "Grund", required=False, max_length=fields.SHORT_MAX), instruction="(kan springes over)")
            if not prompts.yes(f"Aflys {followup.definite(meeting['kind'].lower())} {_long(meeting['day'])}?", False):
                say("Mødet er ikke aflyst.")
                return
    followup.cancel_meeting(store, row, meeting, grund or "")
    _done(f"{meeting['kind']} nr. {meeting['nr']} {_long(meeting['day'])} er aflyst", row["code"])


@meeting_app.command(name="hold", cls=DanishCommand)
def meeting_hold(
    case: CaseArg,
    nr: NrArg = None,
    answers: Annotated[Optional[Path], typer.Option(
        "--answers", help="Mødet fra en TOML- eller JSON-fil (deltagere, fit, aftaler, placering, ...).",
        show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Hold et møde – et statusmøde eller et andet af sagens møder (fx med et tværfagligt team): deltagere, aftalerne én for én, børnelinealen, FIT og næste møde.

    Eksempel: rettidig møde hold RT-2026-001
    """
    from rettidig_cli.domain import dates
    from rettidig_cli.workflow import followup

    store, row, guide = _load(db, case)
    if answers is None:
        _need_terminal(["--answers FIL"], "møde hold")
    meetings = followup.numbered(store, "meetings", row)
    if nr is not None:
        meeting = followup.pick(meetings, nr, "møde", row)
    else:
        planned = followup.meetings_to_hold(store, row, guide, dates.today())
        if not planned:
            raise UsageError(f"Sag {row['code']} har intet planlagt møde.",
                             hint=f"Tilføj et med: rettidig møde ny {row['code']}")
        meeting = planned[0]  # the earliest planned one: today's, or one not yet registered
        if answers is not None and not followup.is_status_meeting(guide, meeting):
            # A file is written for one meeting: not guessed when the first due is not a status meeting.
            listed = "; ".join(f"nr. {m['nr']} {m['kind']} {_long(m['day'])}" for m in planned[:5])
            raise UsageError(f"Skriv mødets nummer, så filen ikke bliver brugt til det forkerte møde ({listed}).",
                             hint=f"rettidig møde hold {row['code']} NR --answers {answers}")
        if answers is None and meeting["day"] != dates.today().isoformat() and len(planned) > 1:
            from rettidig_cli.ui import followup_prompts as ask

            with asking_guard():  # not today's: let the user say which meeting this is
                meeting = ask.choose_meeting(planned, "Hvilket møde holder I? (det første er valgt)")
    from rettidig_cli.domain.vocabulary import MeetingState

    if meeting["state"] == MeetingState.CANCELLED:
        raise UsageError(f"Møde nr. {meeting['nr']} er aflyst.", hint=f"Tilføj et nyt med: rettidig møde ny {row['code']}")
    if answers is not None:
        source = followup.MeetingFile(read_answers(answers), store, row, guide, meeting)
    else:
        from rettidig_cli.ui import followup_prompts as ask

        source = ask.InteractiveMeeting(store, row, guide)
        again = " (det er allerede registreret som holdt – du supplerer det)" if meeting["state"] == MeetingState.HELD else ""
        say((f"{meeting['kind']} nr. {meeting['nr']}, {_long(meeting['day'])}", "bold"), again)
    with asking_guard(f"Det, du nåede at registrere, er gemt i sag {row['code']}."):
        followup.hold_meeting(store, row, guide, meeting, source)
    named = followup.definite(meeting["kind"])
    say(f"{named[:1].upper()}{named[1:]} er registreret i sag ", (row["code"], "bold"), ".")
    from rettidig_cli.views import plan as plans
    from rettidig_cli.ui import render

    data = plans.build(store, row)
    console = out_console()
    if data.fit:
        console.print(render.fit_panel(data.fit))
    nxt = data.next_status_meeting
    say(f"Næste {guide.meetings.label.lower()}: ", (_long(nxt.day) if nxt else "ikke aftalt", "bold"),
         f". Se hele handleplanen: rettidig plan {row['code']}")


# ---------------------------------------------------------------- escalation, closing, history


def eskaler(
    case: CaseArg,
    til: Annotated[Optional[str], Flag("Valget, sagen optrappes til (se rettidig guide show).", "--til")] = None,
    begrundelse: Annotated[Optional[str], Flag("Hvorfor sagen optrappes.", "--begrundelse")] = None,
    db: DbOption = None,
) -> None:
    """Optrap en sag efter guidens regler (fx til et tværfagligt spor), og se hvad det betyder.

    Eksempel: rettidig eskaler RT-2026-001 --til stor --begrundelse "Ingen bedring efter to statusmøder"
    """
    from rettidig_cli.workflow import followup, wizard
    from rettidig_cli.ui import render

    store, row, guide = _load(db, case)
    options = followup.escalations(store, row, guide)
    if not guide.escalations:
        raise UsageError(f"Guiden «{guide.short or guide.name}» beskriver ikke, hvordan en sag optrappes.")
    if not options:
        step = guide.step(guide.escalations[0].step)
        chosen = wizard.context_for(store, row, guide).chosen(step.id)
        current = next((o.label for o in step.options if o.id in chosen), None)
        title = step.title or step.id
        reason = (f"«{title}» er nu «{current}», og guiden har ikke et tungere valg derfra." if current else
                  f"Sagen er ikke nået til «{title}» endnu. Fortsæt med: rettidig resume {row['code']}")
        raise UsageError(f"Sag {row['code']} kan ikke optrappes nu.", hint=reason)
    if til is not None and begrundelse is not None:
        matches = [o for o in options if til.strip().casefold() in
                   (o[0].to, next(x.label for x in o[1].options if x.id == o[0].to).casefold())]
        if not matches:
            raise UsageError(f"Sagen kan ikke optrappes til «{til}».",
                             hint=f"Muligt nu: {', '.join(o[0].to for o in options)}")
        esc = matches[0][0]
        reason = begrundelse
    else:
        _need_terminal(["--til", "--begrundelse"], "eskaler")
        from rettidig_cli.domain import fields
        from rettidig_cli.ui import prompts

        with asking_guard():
            labels = {o[0].to: next(x.label for x in o[1].options if x.id == o[0].to) for o in options}
            esc = prompts.select("Hvad skal sagen optrappes til?", [(labels[o[0].to], o[0]) for o in options])
            reason = prompts.ask_text("Hvorfor?", lambda v: fields.text(v, "Begrundelse"))
    step = guide.step(esc.step)
    label = next(o.label for o in step.options if o.id == esc.to)
    consequences = followup.escalate(store, row, guide, esc, reason)
    ctx = wizard.context_for(store, row, guide)
    new_steps = [s.title or s.id for _, s in wizard.pending(ctx) if s.when and s.when[0] == esc.step]
    out_console().print(render.consequences_panel(label, consequences, new_steps, row["code"]))
    _done(f"Sagen er optrappet til «{label}»", row["code"])


def luk(
    case: CaseArg,
    grund: Annotated[Optional[str], Flag("Hvorfor sagen lukkes, fx «Trivslen er genoprettet».", "--grund")] = None,
    opsummering: Annotated[Optional[str], Flag("Kort opsummering af forløbet (står i historikken og i "
                                               "afslutningsdokumentet).", "--opsummering")] = None,
    db: DbOption = None,
) -> None:
    """Luk en sag med en grund og en kort opsummering. Den kan stadig læses, men forsvinder fra den daglige oversigt; møder, der ikke har været endnu, aflyses.

    Eksempel: rettidig luk RT-2026-001 --grund "Trivslen er genoprettet" --opsummering "Legen fungerer igen."
    """
    from rettidig_cli.domain import dates
    from rettidig_cli.workflow import followup

    store, row, _ = _load(db, case)
    summary = _checked(lambda: followup.parse_close_summary(opsummering)) if opsummering is not None else ""
    if grund is not None:
        reason = _checked(lambda: followup.parse_close_reason(grund))
    else:
        _need_terminal(["--grund"], "luk")
        from rettidig_cli.ui import followup_prompts as ask
        from rettidig_cli.ui import prompts

        open_count = len(followup.open_agreements(store, row))
        unregistered = [m for m in followup.planned_meetings(store, row)
                        if not followup.still_to_come(m, dates.moment())]
        with asking_guard("Sagen er ikke lukket."):
            for meeting in unregistered:
                say((f"{meeting['kind']} nr. {meeting['nr']} {_long(meeting['day'])} er ikke registreret som holdt. "
                     f"Er det holdt, så registrér det først: rettidig møde hold {row['code']} {meeting['nr']}", "yellow"))
            if unregistered and not prompts.yes("Luk sagen alligevel?", False):
                say("Sagen er ikke lukket.")
                return
            reason = ask.ask_close_reason()
            counted = "1 åben aftale" if open_count == 1 else f"{open_count} åbne aftaler"
            if open_count and not prompts.yes(f"Der er {counted}. Luk sagen alligevel?", False):
                say("Sagen er ikke lukket.")
                return
            if opsummering is None:
                summary = prompts.ask_text(
                    "Kort opsummering af forløbet: hvad blev gjort, og hvordan går det barnet nu?",
                    followup.parse_close_summary, instruction="(står i historikken og i afslutningsdokumentet; "
                                                              "kan springes over: tryk Enter)")
    cancelled = followup.close_case(store, row, reason, summary)
    say("Sag ", (row["code"], "bold"), f" er lukket: {reason}.")

    def at(meeting) -> str:
        return f" {dates.clock(meeting['time'])}" if meeting["time"] else ""

    for meeting in cancelled:
        say(f"  {meeting['kind']} {_long(meeting['day'])}{at(meeting)} er aflyst.")
    for meeting in followup.planned_meetings(store, row):  # passed, never registered: not cancelled
        say((f"  {meeting['kind']} nr. {meeting['nr']} {_long(meeting['day'])}{at(meeting)} er ikke registreret som "
             "holdt og står fortsat som planlagt.", "yellow"))
    say("Afslutningen som dokument: ", (f"rettidig export {row['code']} --til afslutning", "bold"))
    say(f"Genåbn den med: rettidig genåbn {row['code']}")
    from rettidig_cli.storage import settings

    months, _ = settings.retention(home_folder(), warn=warn)  # the case is closed: a bad file is only a warning
    say(f"Når den har været lukket i {months} måneder, slettes den med: rettidig oprydning")


def genaabn(
    case: CaseArg,
    grund: Annotated[Optional[str], Flag("Hvorfor sagen genåbnes.", "--grund")] = None,
    db: DbOption = None,
) -> None:
    """Genåbn en lukket sag.

    Eksempel: rettidig genåbn RT-2026-001 --grund "Ny bekymring"
    """
    from rettidig_cli.workflow import followup

    store, row, _ = _load(db, case, must_be_open=False)
    if grund is None:
        _need_terminal(["--grund"], "genåbn")
        from rettidig_cli.domain import fields
        from rettidig_cli.ui import prompts

        with asking_guard():
            grund = prompts.ask_text("Hvorfor genåbnes sagen?", lambda v: fields.text(v, "Grunden"))
    followup.reopen_case(store, row, grund)
    say("Sag ", (row["code"], "bold"), " er åben igen. Tilføj et statusmøde med: ",
         (f"rettidig møde ny {row['code']}", "bold"))


def mistanke(
    case: CaseArg,
    fjern: Annotated[bool, typer.Option("--fjern", help="Tag mistanken af sagen igen (kræver en begrundelse).")] = False,
    grund: Annotated[Optional[str], Flag("Med --fjern: hvorfor mistanken tages af sagen.", "--grund")] = None,
    dato: Annotated[Optional[str], Flag("Hvornår underretningen er sendt (fx 2026-12-06 eller i dag).", "--dato")] = None,
    modtager: Annotated[Optional[str], Flag("Hvem underretningen er sendt til (standard: guidens første).", "--modtager")] = None,
    hvordan: Annotated[Optional[str], Flag("Hvordan den er sendt (standard: guidens første måde).", "--hvordan")] = None,
    leder: Annotated[bool, typer.Option("--leder-informeret", help="Din leder er informeret.")] = False,
    db: DbOption = None,
) -> None:
    """Registrér en mistanke om vold eller overgreb, der er opstået undervejs, med underretningen – eller tag den af sagen igen med en begrundelse.

    Eksempel: rettidig mistanke RT-2026-001 --dato 6-12-2026 --leder-informeret
    """
    import json

    from rettidig_cli.domain import fields
    from rettidig_cli.workflow import followup, wizard
    from rettidig_cli.guide import parents
    from rettidig_cli.ui import prompts

    store, row, guide = _load(db, case)
    if fjern:
        if dato or modtager or hvordan or leder:
            raise UsageError("--fjern bruges kun med --grund.")
        if grund is None:
            _need_terminal(["--grund"], "mistanke")
            with asking_guard():
                warn("Tager du mistanken af sagen, viser rettidig igen guidens trin om kontakt til forældrene. "
                      "Det bliver skrevet i historikken og loggen.")
                grund = prompts.ask_text("Hvorfor tages mistanken af sagen?", lambda v: fields.text(v, "Begrundelsen"))
                if not prompts.yes("Tag mistanken af sagen?", False):
                    say("Intet er ændret.")
                    return
        followup.remove_suspicion(store, row, grund)
        say("Mistanken er taget af sag ", (row["code"], "bold"), ". Begrundelsen står i historikken.")
        return
    if grund is not None:
        raise UsageError("--grund bruges kun med --fjern.")
    ctx = wizard.context_for(store, row, guide)
    if row["abuse_path"] and followup.has_underretning(store, row):
        raise UsageError(f"Sag {row['code']} er allerede registreret med mistanke om vold eller overgreb.",
                         hint=f"Se underretningen: rettidig plan {row['code']}")
    if dato is None:
        if modtager or hvordan or leder:
            raise UsageError("Angiv --dato for underretningen.")
        _need_terminal(["--dato"], "mistanke")
        # The suspicion first, alone: Ctrl-C at the underretning's questions must not lose it.
        if not row["abuse_path"]:
            followup.register_suspicion(store, row, None)
            row = store.case(row["code"], log=False)
            ctx.abuse_path = True
        with asking_guard(f"Mistanken er gemt. Registrér underretningen med: rettidig mistanke {row['code']}"):
            raw = prompts.InteractiveSource(row["code"]).underretning(ctx)
    else:
        raw = {"dato": dato, "modtager": modtager, "hvordan": hvordan, "leder_informeret": leder}
    underretning = _checked(lambda: wizard.parse_underretning_fields(raw, ctx))
    followup.register_suspicion(store, row, underretning)
    understood(dato)
    say("Mistanken og underretningen er gemt i sag ", (row["code"], "bold"), ". Guidens trin om kontakt til "
         "forældrene vises ikke længere.")
    warn(guide.safety.rule)
    if not underretning["leder_informeret"]:
        warn("Lederen er ikke registreret som informeret om underretningen.")
    with_parents = [m for m in followup.planned_meetings(store, row)
                    if any(parents.is_parent(p) for p in json.loads(m["participants"] or "[]"))]
    for meeting in with_parents:
        warn(f"{meeting['kind']} nr. {meeting['nr']} {_long(meeting['day'])} har forældrene som deltagere, men de må "
              f"ikke kontaktes om bekymringen: aflys eller flyt mødet (rettidig møde aflys {row['code']} {meeting['nr']}).")


def navngiv(
    case: CaseArg,
    navn: Annotated[Optional[str], Flag("Barnets navn eller initialer.", "--navn")] = None,
    givet_af: Annotated[Optional[str], Flag("Hvem der gav samtykke (fx forældremyndighedsindehaverne).",
                                            "--givet-af")] = None,
    dato: Annotated[Optional[str], Flag("Hvornår samtykket blev givet (standard: i dag).", "--dato")] = None,
    db: DbOption = None,
) -> None:
    """Giv en anonym sag barnets navn, når forældrene har givet samtykke til, at barnet drøftes med navn.

    Eksempel: rettidig navngiv RT-2026-001 --navn I.J. --givet-af "Mor og far"
    """
    from rettidig_cli.domain import dates, fields
    from rettidig_cli.workflow import followup, wizard
    from rettidig_cli.ui import prompts

    store, row, guide = _load(db, case)
    ctx = wizard.context_for(store, row, guide)
    raw = {"navn": navn, "givet_af": givet_af, "dato": dato}
    if navn is None:
        _checked(lambda: followup.parse_naming({"navn": "-"}, row, ctx))  # not anonymous: said before asking
        _need_terminal(["--navn"], "navngiv")
        with asking_guard():
            if not row["abuse_path"]:
                if not prompts.yes("Har forældrene givet samtykke til, at barnet drøftes med navn?", True):
                    say("Sagen forbliver anonym. Intet er ændret.")
                    return
                raw["givet_af"] = prompts.ask_text(
                    "Hvem gav samtykke?", lambda v: fields.text(v, "Hvem", required=False, max_length=fields.SHORT_MAX),
                    instruction="(fx forældremyndighedsindehaverne – kan springes over)")
                raw["dato"] = prompts.ask_date("Dato for samtykket:", dates.today())
            raw["navn"] = prompts.ask_text("Barnets navn eller initialer:", lambda v: fields.text(
                v, "Barnets navn eller initialer", max_length=fields.NAME_MAX))
    value = _checked(lambda: followup.parse_naming(raw, row, ctx))
    followup.name_anonymous_case(store, row, guide, value)
    say("Sag ", (row["code"], "bold"), " drøftes nu med barnets navn. Samtykket står i handleplanen og historikken."
        if not row["abuse_path"] else " har nu barnets navn.")


def historik(
    case: CaseArg,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv historikken som JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Vis sagen som en tidslinje over alt, der er sket – nyeste nederst.

    Eksempel: rettidig historik RT-2026-001
    """
    from rettidig_cli.views import history

    store, row, _ = _load(db, case, must_be_open=False)
    entries = history.build(store, row)
    if as_json:
        from rettidig_cli.ui.output import write_json

        write_json(entries)
        return
    from rettidig_cli.ui import output, render

    with output.paged():
        render.print_history(row["code"], entries, out_console())


def register(app: typer.Typer) -> None:
    observation_app.command(name="ny", cls=DanishCommand)(observation)
    factor_app.command(name="ny", cls=DanishCommand)(faktor)
    app.add_typer(observation_app, name="observation")
    app.add_typer(factor_app, name="faktor")
    for function, name in ((tovholder, "tovholder"),
                           (placering, "placering"), (eskaler, "eskaler"), (luk, "luk"), (genaabn, "genåbn"),
                           (historik, "historik"), (mistanke, "mistanke"), (navngiv, "navngiv")):
        app.command(name=name, cls=DanishCommand)(function)
    app.command(name="genaabn", cls=DanishCommand, hidden=True)(genaabn)  # for keyboards without å
    app.add_typer(agreement_app, name="aftale")
    app.add_typer(meeting_app, name="møde")
    app.add_typer(meeting_app, name="moede", hidden=True)
