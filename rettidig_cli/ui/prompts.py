"""The interactive side of the wizard: the only module that imports questionary.

Each ask_* function returns the same raw shape an --answers file holds for that step, so the
wizard validates both paths with the same code. unsafe_ask() lets Ctrl-C reach the caller as
KeyboardInterrupt; everything answered before it is already saved."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys

import questionary
from prompt_toolkit.enums import DEFAULT_BUFFER
from prompt_toolkit.filters import has_focus
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.key_binding import KeyBindings
from questionary import Choice
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rettidig_cli.domain import dates, fields
from rettidig_cli.guide import parents
from rettidig_cli.workflow import wizard
from rettidig_cli.domain.privacy import printable
from rettidig_cli.domain.vocabulary import AgreementStatus, StepKind
from rettidig_cli.guide.reader import Step
from rettidig_cli.guide.parents import visible

from rettidig_cli.ui.output import console  # cleans every text it writes: the output boundary
SKIP = "__skip__"
OTHER = "__other__"


class Parsed:
    """An answer the asker already validated field by field (with wizard.parse), so the
    source must not parse it again from its raw form."""

    def __init__(self, value):
        self.value = value


def terminal_available() -> bool:
    """questionary needs a terminal; tests that feed pipe input replace this check."""
    return sys.stdin.isatty()


# ---------------------------------------------------------------- small prompt helpers


NONE_TYPED = "-"  # typed in an optional field with a suggestion: leave the field empty
SUGGESTION_SHOWN_MAX = 20  # a longer suggestion is called "forslaget" in the instruction


# Going back in the guide: inside a step of the walk (InteractiveSource) a text field takes the
# word BACK_WORD and a list has the choice BACK_CHOICE; either raises wizard.GoBack. Outside the
# walk (the follow-up commands) neither exists.
BACK_WORD = "tilbage"
BACK_CHOICE = "← Tilbage"
_BACK = "__back__"
_walk = {"on": False, "asked": 0}


@contextlib.contextmanager
def going_back_allowed():
    """One step of the walk: its questions can go back; the first of them goes to the previous step."""
    before = dict(_walk)
    _walk.update(on=True, asked=0)
    try:
        yield
    finally:
        _walk.update(before)


def _back(answer) -> None:
    """After a question of the walk: go back if asked to, else count it as answered."""
    if not _walk["on"]:
        return
    if answer == _BACK or (isinstance(answer, str) and answer.strip().casefold() == BACK_WORD):
        raise wizard.GoBack(first=_walk["asked"] == 0)
    _walk["asked"] += 1


def _or_back(check):
    """A validator that lets the back word through (only inside the walk)."""
    if not _walk["on"]:
        return check
    return lambda raw: True if raw.strip().casefold() == BACK_WORD else check(raw)


def _parses(parse, raw: str) -> bool:
    try:
        parse(raw)
    except ValueError:
        return False
    return True


def ask_text(message: str, parse, default: str = "", instruction: str | None = None) -> str:
    """A line of text. A suggestion (`default`) is never text in the field, or typing would be
    glued to it ("SaraMor"): it is a grey placeholder that Enter on the empty field accepts and
    any typed key replaces. In an optional field with a suggestion, "-" leaves it empty. Every
    text prompt goes through here, so this holds for all of them; so does the output boundary:
    question, suggestion and instruction can hold text from the data file, and are cleaned."""
    message, default = printable(message), printable(default or "")
    instruction = printable(instruction) if instruction else instruction
    if not default:
        answer = questionary.text(message, validate=_or_back(fields.validator(parse)), instruction=instruction).unsafe_ask()
        _back(answer)
        return answer
    optional = _parses(parse, "")

    def meant(raw: str) -> str:
        """What a typed answer means: empty is the suggestion, "-" is none (optional fields)."""
        if raw == "":
            return default
        if raw.strip() == NONE_TYPED:  # none; a field that must be filled in then says so
            return ""
        return raw

    check = fields.validator(parse)
    shown = default if len(default) <= SUGGESTION_SHOWN_MAX else "forslaget"
    hints = [instruction.strip().removeprefix("(").removesuffix(")")] if instruction else []
    hints.append(f"Enter = {shown}" + (f"; skriv {NONE_TYPED} for ingen" if optional else ""))

    keys = KeyBindings()

    @keys.add("enter", filter=has_focus(DEFAULT_BUFFER))
    def _accept(event) -> None:
        # An accepted suggestion becomes the field's text, so it is shown as the answer; one that
        # no longer holds stays out of the field and is refused with its reason.
        buffer = event.current_buffer
        if buffer.text == "" and _parses(parse, default):
            buffer.text = default
        buffer.validate_and_handle()

    answer = questionary.text(message, validate=_or_back(lambda raw: check(meant(raw))),
                              instruction=f"({'; '.join(hints)})", key_bindings=keys,
                              placeholder=FormattedText([("class:placeholder fg:#888888", default)])).unsafe_ask()
    _back(answer)
    return meant(answer)


def ask_date(message: str, default: dt.date | None = None, required: bool = True, extra=None,
             ahead: bool = False) -> str:
    """A date typed in Danish form; asked again with an example until it reads."""

    def parse(raw):
        day = fields.date(raw, "Datoen", required=required, ahead=ahead)
        if day and extra:
            problem = extra(day)
            if problem:
                raise ValueError(problem)
        return day

    if default:  # shown as typed (14-12-2026); ask_text adds "Enter = ..." and how to leave it empty
        raw = ask_text(message, parse, f"{default.day}-{default.month}-{default.year}", "(fx 3-3-2026, fredag, om 2 uger)")
    else:
        raw = ask_text(message, parse, instruction=f"(fx {dates.DATE_EXAMPLE}{'; tom = ingen' if not required else ''})")
    day = parse(raw) if raw.strip() else None
    understood = dates.said_back(raw, day) if day else None
    if understood:
        say(understood, "dim")
    warning = dates.far_away(day) if day else None
    if warning:
        say(warning, "yellow")
    return raw


def select(message: str, choices: list[tuple[str, object]], default=None, instruction=None):
    """One choice from a list; the question and the choices (an agreement's text, a meeting's kind
    from the data file) are cleaned like everything else that reaches the terminal."""
    message = printable(message)
    width = _list_width()
    options = [Choice(_wrapped(printable(title), width), value=value) for title, value in choices]
    if _walk["on"]:
        options.append(Choice(BACK_CHOICE, value=_BACK))
    chosen = next((c for c in options if c.value == default), None)
    question = questionary.select(message, choices=options, default=chosen,
                                  instruction=instruction or "(brug piletasterne og Enter)")
    _wrap_lines(question)
    answer = question.unsafe_ask()
    _back(answer)
    return answer


CHOICE_LEAD = 3  # questionary's " » " (or three spaces) before each choice


def _list_width() -> int:
    """The columns a list of choices is drawn in: the terminal's, as prompt_toolkit sees it."""
    try:
        from prompt_toolkit.application.current import get_app_session

        return get_app_session().output.get_size().columns
    except Exception:  # noqa: BLE001 - an output that cannot say: the console's width
        return console.width


def _wrapped(title: str, width: int) -> str:
    """A choice too wide for the terminal, which would cut it off: wrapped at its spaces, its further
    lines indented under it. A choice that fits is left as it is."""
    import textwrap

    room = width - CHOICE_LEAD - 1
    if len(title) <= room or "\n" in title:
        return title
    lines = textwrap.wrap(title, width=max(room, 20), subsequent_indent="  ", break_on_hyphens=False)
    return ("\n" + " " * CHOICE_LEAD).join(lines)


def _wrap_lines(question) -> None:
    """questionary draws the list of choices, and the question's line once answered, in windows that
    cut a line at the edge of the terminal: here they wrap it instead (a word longer than the line,
    the answered line with a long choice in it)."""
    from prompt_toolkit.filters import to_filter

    layout = getattr(getattr(question, "application", None), "layout", None)
    for window in layout.find_all_windows() if layout is not None else ():
        window.wrap_lines = to_filter(True)


CHOSEN_SHOWN_MAX = 60  # a longer list of what was ticked is said as "4 valgt"


def checkbox(message: str, choices: list[tuple[str, object]], instruction: str, ticked=()) -> list:
    """questionary's checkbox, whose answered line names what was ticked, in Danish. questionary
    writes "done (3 selections)" there and has no setting for it; its checkbox builds the screen
    with common.create_inquirer_layout(ic, get_prompt_tokens), so for this one question that
    function gets prompt tokens whose answer part is ours (the rest: questionary's own)."""
    from questionary.prompts import common

    made = common.create_inquirer_layout

    def layout(ic, get_prompt_tokens, **kwargs):
        def tokens():
            shown = get_prompt_tokens()
            if not ic.is_answered:
                return shown
            return [token for token in shown if token[0] != "class:answer"] + [("class:answer", _ticked(ic))]

        return made(ic, tokens, **kwargs)

    common.create_inquirer_layout = layout
    try:
        question = questionary.checkbox(message, choices=[Choice(t, value=v, checked=v in ticked) for t, v in choices],
                                        instruction=instruction)
    finally:
        common.create_inquirer_layout = made
    return question.unsafe_ask()


def _ticked(ic) -> str:
    """The answered line of a checkbox: the names ticked, or how many when they are long."""
    titles = [title if isinstance(title, str) else "".join(part[1] for part in title)
              for title in (choice.title for choice in ic.get_selected_values())]
    if not titles:
        return "ingen valgt"
    names = ", ".join(titles)
    return names if len(names) <= CHOSEN_SHOWN_MAX else f"{len(titles)} valgt"


def yes(message: str, default: bool = True) -> bool:
    return select(message, [("Ja", True), ("Nej", False)], default=default)


def say(text: str, style: str = "") -> None:
    console.print(Text(text, style=style))


def bullet_list(items) -> Text:
    return Text("\n").join(Text(f"  • {item}") for item in items)


def show_help(step: Step) -> None:
    """A step's help text on its own line: long hints beside the question wrap badly."""
    if step.help:
        say(step.help, "dim")


# ---------------------------------------------------------------- one ask_* per record kind


ANONYMOUS_HELP = ("Drøftes barnet anonymt, gemmes hverken navn eller initialer. Skriv heller ikke navne eller "
                  "andet, der kan genkende barnet, i sagen. Når forældrene giver samtykke, får sagen barnets navn.")


def anonymous_note(ctx, instruction: str | None = None) -> str | None:
    """An instruction for a free text, with the reminder an anonymous case needs."""
    if not ctx.anonymous:
        return instruction
    note = "sagen er anonym: skriv ikke navne eller andet, der kan genkende barnet"
    return f"({instruction.strip('()')}; {note})" if instruction else f"({note})"


def earlier(step: Step, ctx) -> dict:
    """The step's saved answer when it is asked again (going back, resume --fra): its parts are
    the suggestions, so Enter keeps them. Empty the first time."""
    value = ctx.answered.get(step.id)
    return value if isinstance(value, dict) else {}


def ask_child(step: Step, ctx):
    before = earlier(step, ctx)
    anonymous = False
    # A case named since (consent, navngiv) keeps its name: it is not made anonymous again here.
    if step.anonymous and not ctx.abuse_path and not ctx.child_named:
        say(ANONYMOUS_HELP, "dim")
        anonymous = select("Drøftes barnet med navn?", [("Ja, med navn eller initialer", False),
                                                        ("Nej, anonymt (uden navn)", True)],
                           default=bool(before.get("anonym")))
    if not anonymous:
        show_help(step)
    name = None if anonymous else ask_text(
        step.message, lambda v: fields.text(v, "Barnets navn eller initialer", max_length=fields.NAME_MAX),
        default=before.get("navn") or ctx.child_name)
    guide = ctx.guide
    if guide.setting_ages:  # the classes depend on the setting: the setting first
        setting = select("Tilbud:", [(s, s) for s in guide.settings], default=before.get("tilbud"))
        age = select("Aldersgruppe eller klasse:", [(a, a) for a in guide.ages_for(setting)],
                     default=before.get("aldersgruppe"))
    else:
        age = select("Aldersgruppe:", [(a, a) for a in guide.age_groups], default=before.get("aldersgruppe"))
        setting = select("Tilbud:", [(s, s) for s in guide.settings], default=before.get("tilbud"))
    return {"navn": name, "anonym": anonymous, "aldersgruppe": age, "tilbud": setting}


def ask_network(step: Step, ctx):
    show_help(step)
    example = "fx mormor, en nabo" if ctx.anonymous else "fx Mormor Else, Naboen Karin"
    value = ask_text(step.message, lambda v: wizard.parse_network(step, v, ctx),
                     default=", ".join(ctx.answered.get(step.id) or []),
                     instruction=anonymous_note(ctx, f"(adskil med komma, {example}"
                                                + ("; kan springes over: tryk Enter)" if not step.required else ")")))
    return value or None


def ask_plain_text(step: Step, ctx):
    show_help(step)
    before = ctx.answered.get(step.id)
    value = ask_text(step.message, lambda v: fields.text(v, step.title or "Svaret", required=step.required),
                     default=before if isinstance(before, str) else "",
                     instruction=anonymous_note(ctx, "(kan springes over: tryk Enter)" if not step.required else None))
    return value if value.strip() else None


def ask_decision(step: Step, ctx):
    options = parents.offered(step.options, ctx.abuse_path)
    if len(options) == 1 and len(step.options) > 1 and not step.multiple and step.required:
        # The other choices mean working with the parents; on the abuse path there is nothing to choose.
        say(f"{step.title or step.message}: {options[0].label} – ved mistanke om vold eller overgreb er det "
            "det eneste valg.", "bold")
        return options[0].id
    choices = fitted_choices([(o.label, o.description, o.id) for o in options])
    if step.multiple:  # asked again: the earlier choices ticked, so Enter keeps them
        return checkbox(step.message, choices, instruction="(mellemrum vælger, Enter gemmer)",
                        ticked=earlier(step, ctx).get("valg") or ())
    if not step.required:
        choices.append(("Spring over", SKIP))
    show_help(step)
    chosen = earlier(step, ctx).get("valg") or [None]
    picked = select(step.message, choices, default=chosen[0])
    return None if picked == SKIP else picked


def ask_tovholder(step: Step, ctx):
    show_help(step)
    before = earlier(step, ctx)
    name = ask_text(step.message, lambda v: fields.text(v, "Tovholderens navn", max_length=fields.NAME_MAX),
                    default=before.get("navn") or "", instruction="(navn)")
    role = ask_text("Tovholderens rolle:", lambda v: fields.text(v, "Rolle", required=False, max_length=fields.NAME_MAX),
                    default=before.get("rolle") or "", instruction="(fx pædagog, ressourcepædagog, leder – kan springes over)")
    return {"navn": name, "rolle": role}


def meeting_table(value: dict, plural: str) -> Table:
    table = Table(title=Text(f"Forslag til {plural.lower()}"), title_justify="left")
    table.add_column("Nr.", justify="right")
    table.add_column("Dato")
    table.add_column("Tid")
    table.add_column("Bemærkning")
    for number, meeting in enumerate(value["moeder"], start=1):
        note = ""
        if meeting["flyttet_fra"]:
            moved = dt.date.fromisoformat(meeting["flyttet_fra"])
            note = f"flyttet fra {dates.format_date(moved)} ({meeting['grund'] or 'lukkedag'})"
        table.add_row(str(number), Text(dates.format_iso(meeting["dato"])),
                      f"kl. {value['tidspunkt'].replace(':', '.')}", Text(note))
    return table


def ask_status_meetings(step: Step, ctx):
    rules = ctx.guide.meetings
    rhythm = select(step.message, [(f"Hver {n}. uge", n) for n in rules.rhythm_weeks], default=rules.default_rhythm)
    count = ask_text(f"Hvor mange {rules.plural.lower()} vil I aftale nu?",
                     lambda v: fields.whole_number(v, "Antal", 1, wizard.max_meetings()),
                     default=str(rules.default_count))
    first = ask_date(f"Dato for det første {rules.label.lower()}:",
                     dates.working_day_after_weeks(dates.today(), rhythm, rules.skip_optional_holidays), ahead=True)
    at = ask_text("Klokkeslæt:", lambda v: fields.time(v, "Klokkeslæt"), default=rules.default_time)
    parents_first = parents.take_part(ctx.guide, ctx.abuse_path)
    default_people = ", ".join(p for p in (("Forældre" if parents_first else ""), ctx.tovholder, *ctx.network()) if p)
    hint = "(adskil med komma; forældrene deltager altid)" if parents_first else "(adskil med komma)"
    people = ask_text("Hvem deltager?", lambda v: wizard.meeting_participants(v, ctx), default=default_people,
                      instruction=hint)
    raw = {"rytme_uger": rhythm, "antal": int(count), "start": first, "tidspunkt": at, "deltagere": people}
    value = wizard.parse(step, raw, ctx)
    while True:
        console.print(meeting_table(value, rules.plural))
        action = select("Passer datoerne?", [("Ja, gem dem", "ok"), ("Ret en dato", "edit")])
        if action == "ok":
            return Parsed(value)
        number = select("Hvilken dato vil du rette?",
                        [(dates.format_iso(m["dato"]), i) for i, m in enumerate(value["moeder"])])
        new_day = ask_date("Ny dato:", dt.date.fromisoformat(value["moeder"][number]["dato"]), ahead=True,
                           extra=lambda d: dates.check_meeting_day(d, rules.skip_optional_holidays))
        # Only the edited meeting changes; the others keep their "moved from a holiday" note.
        value["moeder"][number] = {"dato": fields.date(new_day, "Dato").isoformat(), "flyttet_fra": None, "grund": ""}
        value["moeder"].sort(key=lambda m: m["dato"])


def ask_meeting(step: Step, ctx):
    day = ask_date(step.message, extra=lambda d: dates.check_meeting_day(d, include_optional=False))
    at = ask_text("Klokkeslæt:", lambda v: fields.time(v, "Klokkeslæt"), default=ctx.guide.meetings.default_time)
    people = ask_text("Hvem deltager?", lambda v: parents.without_parents(fields.names(v, "Deltagere"), ctx.abuse_path,
                                                                          wizard.MEETING_ROLE),
                      default=", ".join(ctx.network()), instruction="(adskil med komma)")
    held = fields.date(day, "Dato") <= dates.today() and yes("Er mødet holdt?", True)
    return {"dato": day, "tidspunkt": at, "deltagere": people, "afholdt": held}


def ask_consent(step: Step, ctx):
    naming = step.names_child and ctx.anonymous
    if naming:
        say("Barnet drøftes anonymt. Et ja her giver sagen barnets navn.", "dim")
    before = earlier(step, ctx)  # asked again: the earlier answer suggested, so Enter keeps it
    answer = select(step.message, [("Ja", "ja"), ("Nej", "nej"), ("Ikke endnu", "ikke endnu")],
                    default=before.get("svar"))
    raw = {"svar": answer}
    if answer == "ja":
        raw["navn"] = ask_text("Hvem har skrevet under / givet samtykke?",
                               lambda v: fields.text(v, "Navn", required=False, max_length=fields.SHORT_MAX),
                               default=before.get("navn") or "",
                               instruction="(fx forældremyndighedsindehaverne – kan springes over)")
        given = dates.from_iso(before.get("dato")) if before.get("svar") == "ja" else None
        raw["dato"] = ask_date("Dato:", given or dates.today())
        if naming:
            raw["barnets_navn"] = ask_text("Barnets navn eller initialer:", lambda v: fields.text(
                v, "Barnets navn eller initialer", max_length=fields.NAME_MAX))
    elif naming:
        say(f"Sagen forbliver anonym. Når forældrene giver samtykke, giver du den navn med: rettidig navngiv {ctx.code}",
            "yellow")
    return raw


def ask_underretning_fields(ctx, message: str):
    safety = ctx.guide.safety
    day = ask_date(message, dates.today())
    recipient = select("Til hvem?", [(r, r) for r in ctx.offered(safety.recipients)] + [("Anden modtager", OTHER)])
    if recipient == OTHER:
        recipient = ask_text("Skriv modtageren:", lambda v: fields.text(v, "Modtager", max_length=fields.SHORT_MAX))
    how = select("Hvordan?", [(m, m) for m in ctx.offered(safety.methods)])
    informed = select("Har du informeret din leder?", [("Ja", True), ("Nej, ikke endnu", False)])
    if not informed:
        say(safety.rule, "bold red")  # the guide's own rule says what to do, and that the leader is told
    return {"dato": day, "modtager": recipient, "hvordan": how, "leder_informeret": informed}


def ask_underretning(step: Step, ctx):
    return ask_underretning_fields(ctx, step.message + " Dato:")


def fitted_choices(options: list[tuple[str, str, object]]) -> list[tuple[str, object]]:
    """(label, description, value) as the choices of a list: "label – description", or, where one
    would be longer than the screen and cut, the descriptions said first in full and the labels
    alone in the list."""
    choices = [(label + (f" – {description}" if description else ""), value) for label, description, value in options]
    if all(len(title) <= console.width - 6 for title, _ in choices):
        return choices
    console.print(bullet_list([f"{label}: {description}" for label, description, _ in options if description]))
    return [(label, value) for label, _, value in options]


def ask_position(step: Step, ctx):
    before = earlier(step, ctx)
    choices = fitted_choices([(p.label, p.description, p.id) for p in ctx.guide.ruler])
    position = select(step.message, choices, default=before.get("placering"))
    reason = ask_text("Begrundelse:", lambda v: fields.text(v, "Begrundelse", required=False),
                      default=before.get("begrundelse") or "", instruction="(kan springes over)")
    return {"placering": position, "begrundelse": reason}


def ask_observation(step: Step, ctx, last: dict):
    method_choices = [(t, t) for t in visible(ctx.guide.tools, ctx.abuse_path)]
    return {
        "dato": ask_date("Dato for observationen:", dates.today()),
        "hvad": ask_text("Hvad så du?", lambda v: fields.text(v, "Hvad du så"),
                         instruction=anonymous_note(ctx, "(beskriv konkret, hvad barnet gjorde og sagde)")),
        "metode": select("Metode / værktøj:", method_choices, default=last.get("metode")),
        "hvem": ask_text("Hvem observerede?", lambda v: fields.text(v, "Hvem", required=False, max_length=fields.SHORT_MAX),
                         default=last.get("hvem", "")),
    }


def ask_factor(step: Step, ctx, last: dict):
    kind = select("Hvilken slags?", [(o.label, o.id) for o in step.options], default=last.get("type"))
    text = ask_text("Beskriv:", lambda v: fields.text(v, "Faktoren", max_length=fields.SHORT_MAX * 5),
                    instruction=anonymous_note(ctx))
    return {"type": kind, "tekst": text}


def ask_agreement(step: Step, ctx, last: dict):
    return {
        "hvad": ask_text("Hvad skal gøres?", lambda v: fields.text(v, "Hvad")),
        "hvem": ask_text("Hvem gør det?",
                         lambda v: parents.without_parents(fields.text(v, "Hvem", max_length=fields.SHORT_MAX),
                                                           ctx.abuse_path, wizard.AGREEMENT_ROLE),
                         default=last.get("hvem", "")),
        "senest": ask_date("Senest hvornår?", required=False, ahead=True),
        "status": AgreementStatus.AGREED,
    }


ASKERS = {
    StepKind.CHILD: ask_child, StepKind.TEXT: ask_plain_text, StepKind.DECISION: ask_decision,
    StepKind.TOVHOLDER: ask_tovholder, StepKind.STATUS_MEETINGS: ask_status_meetings, StepKind.MEETING: ask_meeting,
    StepKind.CONSENT: ask_consent, StepKind.UNDERRETNING: ask_underretning, StepKind.POSITION: ask_position,
    StepKind.NETWORK: ask_network,
}
ITEM_ASKERS = {StepKind.OBSERVATIONS: ask_observation, StepKind.FACTORS: ask_factor, StepKind.AGREEMENTS: ask_agreement}
ITEM_NAMES = {StepKind.OBSERVATIONS: "observation", StepKind.FACTORS: "faktor", StepKind.AGREEMENTS: "aftale"}


# ---------------------------------------------------------------- the interactive source


class InteractiveSource:
    def __init__(self, case_code: str):
        self.code = case_code
        self.told_back = False

    def suspicion(self, ctx) -> bool:
        safety = ctx.guide.safety
        console.print(Panel(Text(safety.help or ""), title=Text("Først et vigtigt spørgsmål"), border_style="yellow"))
        return select(safety.question, [("Nej", False), ("Ja, der er mistanke", True)])

    def underretning(self, ctx):
        safety = ctx.guide.safety
        body = Text()
        body.append("Der er registreret mistanke om vold eller overgreb i sagen.\n\n", style="bold")
        body.append(safety.rule + "\n\n", style="bold")
        body.append(safety.duty + "\n")
        law = ctx.guide.law_ref(safety.law) if safety.law else None
        if law:
            body.append(f"\n{law.ref}: {law.text}\n")
        if safety.link:
            body.append(f"\nVejledning: {safety.link}\n")
        for contact in ctx.shown(safety.contact):
            body.append(f"\n{contact}")
        console.print(Panel(body, title=Text("Lav en underretning nu"), border_style="red"))
        return ask_underretning_fields(ctx, "Hvornår er underretningen sendt (eller sendes den)?")

    def continue_to(self, phase, ctx) -> bool:
        with going_back_allowed():
            go = select("Vil du fortsætte?", [(f"Fortsæt til: {phase.title}", True),
                                              ("Stop her – jeg fortsætter senere", False)])
        return go

    def phase_intro(self, phase, ctx) -> None:
        phases = ctx.guide.phases
        number = phases.index(phase) + 1
        # Only the parts the phase has, a blank line between them (a phase without guidance is no
        # panel of empty lines).
        parts = []
        guidance = ctx.shown(phase.guidance)
        if guidance:
            parts.append(bullet_list(guidance))
        sparring = ctx.shown(phase.sparring)
        if sparring:
            parts.append(Text.assemble(("Husk, du også kan få sparring hos: ", "bold"), " · ".join(sparring)))
        if ctx.abuse_path:
            parts.append(Text("Mistanke om vold eller overgreb: kontakt ikke forældrene om bekymringen.", style="bold red"))
        if not self.told_back:  # once a walk
            parts.append(Text(f"Vil du rette et svar, du lige har givet? Skriv «{BACK_WORD}» i et felt, eller vælg "
                              f"«{BACK_CHOICE}» i en liste.", style="dim"))
            self.told_back = True
        deadline = wizard.observation_deadline(ctx)
        if deadline and any(s.kind == StepKind.OBSERVATIONS for s in phase.steps):
            parts.append(Text(f"Iagttagelserne skal ligge klar senest {dates.format_date(deadline)}.", style="bold"))
        if parts:
            console.print(Panel(Text("\n\n").join(parts), title=Text(f"Fase {number} af {len(phases)}: {phase.title}"),
                                border_style="cyan"))
        else:
            console.print(Text(f"Fase {number} af {len(phases)}: {phase.title}", style="bold cyan"))

    def step(self, step, ctx):
        while True:
            with going_back_allowed():
                raw = ASKERS[step.kind](step, ctx)
            if isinstance(raw, Parsed):
                return raw.value
            try:
                return wizard.parse(step, raw, ctx) if raw is not None else None
            except ValueError as exc:  # a rule only the whole answer can break
                say(str(exc), "red")

    def loop(self, step, ctx, existing: int, save) -> int:
        name = ITEM_NAMES[step.kind]
        say(step.message, "bold")
        show_help(step)
        if existing:
            say(f"Der er allerede {existing} gemt.", "dim")
        count, last = existing, {}
        while True:
            first = count == 0
            with going_back_allowed():
                more = yes(f"Vil du tilføje en {name}?" if first else f"Vil du tilføje en {name} mere?", first)
            if not more:
                if count == 0 and step.required:
                    if yes(f"Der er ingen {name}er endnu. Vil du stoppe her og fortsætte senere?", True):
                        raise wizard.Paused()
                    continue
                return count
            with going_back_allowed():
                _walk["asked"] = 1  # back inside an item goes to the loop's start, not the step before
                raw = ITEM_ASKERS[step.kind](step, ctx, last)
            try:
                item = wizard.parse(step, raw, ctx)
            except ValueError as exc:
                say(str(exc), "red")
                continue
            save(item)
            count += 1
            last = item
            say(f"Gemt ({count}).", "green")

    def notice(self, text: str) -> None:
        say(text, "yellow")

    def after_step(self, step, value, ctx) -> None:
        if step.kind == StepKind.CONSENT and value.get("barnets_navn"):
            say(f"Sagen drøftes nu med barnets navn ({value['barnets_navn']}); samtykket er gemt.", "green")
        if step.kind == StepKind.DECISION and value:
            # Choices made together that mean the same are said once, under all their names.
            meanings: dict[tuple, list[str]] = {}
            for option in step.options:
                shown = tuple(ctx.shown(option.consequences))
                if option.id in value["valg"] and shown:
                    meanings.setdefault(shown, []).append(option.label)
            for shown, labels in meanings.items():
                console.print(Panel(bullet_list(shown), title=Text(f"{' og '.join(labels)} betyder"),
                                    border_style="magenta"))

    def finished(self, ctx) -> None:
        text = Text("Alle faser i guiden er gennemgået.\n", style="bold green")
        completion = parents.shown(ctx.guide.completion, ctx.abuse_path)
        if completion:
            text.append(completion + "\n")
        for contact in ctx.shown(ctx.guide.contact):
            text.append(f"{contact}\n")
        text.append(f"\nSe handleplanen: rettidig plan {self.code}")
        console.print(Panel(text, border_style="green"))
