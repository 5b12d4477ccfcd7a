"""`rettidig export`: documents for meetings (Word, Markdown) and data files (calendar, JSON, CSV).

An anonymous document is always shown before it is written, because free text can hold names
the tool cannot know: in a terminal the user reads it and confirms (or marks more words to
hide); a script must say --ja."""

from typing import Annotated, Optional

import typer

from rettidig_cli.commands.common import (
    CaseArg, DanishCommand, DbOption, home_folder, in_terminal, open_store, out_console, say, warn,
)
from rettidig_cli.domain.errors import Interrupted, NoTerminalError, UsageError

TERM_MAX = 80
# The audit row of an anonymous document shown before it is written (see cli_data.AUDIT_WORDS).
PREVIEW_DETAIL = "anonym forhåndsvisning"


def _purpose(name: str, guide, code: str):
    """The document asked for, among those the case's guide offers. One only the installed (newer)
    version of the guide has is pointed out, with how to move the case to it."""
    from rettidig_cli.domain.errors import RettidigError
    from rettidig_cli.guide import reader
    from rettidig_cli.guide.reference import purpose_for

    try:
        return purpose_for(guide, name)
    except ValueError as exc:
        hint = None
        try:
            newer = reader.find(guide.id, home_folder())
            if newer.sha != guide.sha:
                purpose_for(newer, name)
                hint = (f"Den nyeste udgave af guiden har dokumentet. Flyt sagen til den med: "
                        f"rettidig guide opdater {code}")
        except (RettidigError, ValueError):
            pass
        raise UsageError(str(exc), hint=hint) from None


def parse_terms(raw: list[str]) -> list[str]:
    """Words to hide, from --skjul or typed: comma-separated, checked like every other text."""
    from rettidig_cli.domain import fields

    terms = []
    for chunk in raw:
        for part in chunk.split(","):
            if part.strip():
                term = fields.text(part, "Ordet, der skal skjules", max_length=TERM_MAX)
                if len(term) < 2:
                    raise ValueError(f"«{term}» er for kort til at skjule (mindst 2 tegn).")
                terms.append(term)
    return terms


def _save_terms(store, case: dict, terms: list[str]) -> list[str]:
    """Remember the marked words for this case; returns all of them."""
    known = {r["term"].casefold(): r["term"] for r in store.rows("redaction_terms", case["id"])}
    new = [t for t in dict.fromkeys(terms) if t.casefold() not in known]
    if new:
        with store.atomic(case):
            for term in new:
                store.insert("redaction_terms", case, {"term": term})
                known[term.casefold()] = term
            store.audit("skjul-ord", case["code"], str(len(new)))
    return list(known.values())


def _preview(content: str | bytes, fmt: str, plan: dict, purpose, today, redactor, meeting) -> None:
    """Show exactly what will go out: the document as it reads, or the data file as it is."""
    from rich.markdown import Markdown
    from rich.panel import Panel
    from rich.text import Text

    from rettidig_cli.views import documents
    from rettidig_cli.export import markdown

    if fmt == "markdown":
        body = Markdown(content)
    elif fmt == "docx":  # the same document, read as Markdown in the terminal
        body = Markdown(markdown.document(documents.build(plan, purpose, today, redactor, meeting)))
    else:
        body = Text(content if isinstance(content, str) else content.decode("utf-8"))
    out_console().print(Panel(body, title=Text("Det her kommer med i filen"), title_align="left", border_style="yellow"))


def _confirm_anonymous(store, case, terms: list[str]) -> list[str] | None:
    """Ask whether the preview may go out. Returns None to write, or the new list of hidden words."""
    from rettidig_cli.ui import prompts

    if terms:
        say(("Skjules også: ", "bold"), ", ".join(terms))
    choice = prompts.select(
        "Er teksten fri for navne og andet, der kan genkende barnet eller familien?",
        [("Ja – skriv filen", "write"), ("Nej – skjul flere ord", "more"), ("Afbryd – skriv ingenting", "stop")],
        default="write")
    if choice == "write":
        return None
    if choice == "stop":
        raise Interrupted("Intet er skrevet.")
    typed = prompts.ask_text("Hvilke ord skal skjules? (fx barnets fornavn eller kaldenavn, institutionens eller vejens navn; adskil med komma)",
                             lambda v: parse_terms([v]))
    return _save_terms(store, case, parse_terms([typed]))


def export(
    case: CaseArg,
    til: Annotated[str, typer.Option("--til", help="Dokumentet: handleplan, statusmoede, anonym eller et, sagens guide selv har.",
                                     metavar="FORMÅL")] = "handleplan",
    fmt: Annotated[Optional[str], typer.Option(
        "--format", "-f", help="docx (Word), markdown, ics (kalender), json eller csv (aftalerne). "
        "Standard: ud fra filnavnet, ellers docx.", metavar="FORMAT", show_default=False)] = None,
    out_text: Annotated[Optional[str], typer.Option(
        "--out", "-o", help="Filnavn eller mappe. Standard: FORMÅL-SAG-DATO i mappen, du står i.",
        metavar="STI", show_default=False)] = None,
    overwrite: Annotated[bool, typer.Option("--overskriv", help="Overskriv uden at spørge en fil, som rettidig selv har "
                                            "eksporteret, og som ingen har ændret siden (andre filer overskrives aldrig).")] = False,
    meeting_nr: Annotated[Optional[int], typer.Option(
        "--moede", help="Statusmøde: mødets nummer (se rettidig plan SAG). Standard: det næste.",
        metavar="NR", show_default=False)] = None,
    hide: Annotated[Optional[list[str]], typer.Option(
        "--skjul", help="Anonym: ord, der også skal skjules (fx institutionens navn). Kan gentages; huskes for sagen.",
        metavar="ORD", show_default=False)] = None,
    yes: Annotated[bool, typer.Option("--ja", help="Anonym: skriv uden at vise og spørge (til scripts).")] = False,
    separator: Annotated[str, typer.Option("--skilletegn", help="CSV: semikolon (dansk Excel) eller komma.",
                                           metavar="TEGN")] = "semikolon",
    db: DbOption = None,
) -> None:
    """Skriv et dokument til et møde (Word, Markdown) eller data til kalender, regneark og andre systemer.

    Eksempel: rettidig export RT-2026-001 --til statusmoede --format docx
    """
    from rettidig_cli.domain import dates
    from rettidig_cli.views import documents
    from rettidig_cli import export as exporters
    from rettidig_cli.views import plan as plans
    from rettidig_cli.export.csvfile import SEPARATORS

    out = exporters.out_path(out_text)
    fmt = exporters.resolve_format(fmt, out)
    if separator.strip().lower() not in SEPARATORS and separator.strip() not in SEPARATORS.values():
        raise UsageError(f"Skilletegnet «{separator}» kendes ikke. Brug semikolon eller komma.")
    sep = SEPARATORS.get(separator.strip().lower(), separator.strip())
    try:
        new_terms = parse_terms(hide or [])
    except ValueError as exc:
        raise UsageError(str(exc)) from None

    store = open_store(db)
    row = store.case(case, log=False)
    purpose = _purpose(til, store.guide_for(row), row["code"])
    if new_terms and not purpose.anonymous:
        raise UsageError("--skjul bruges kun med --til anonym.")
    today = dates.today()
    plan = plans.build(store, row, today)
    meeting = exporters.meeting_for(plan, meeting_nr) if purpose.calendar == "meeting" or meeting_nr else None
    history = None
    if fmt == "json" and purpose.json == "case":
        from rettidig_cli.views import history as histories

        history = histories.build(store, row)

    terms = _save_terms(store, row, new_terms) if purpose.anonymous else []
    while True:
        redactor = documents.redactor_for(plan, purpose, terms)
        content = exporters.render(plan, purpose, fmt, today, redactor, meeting, history, sep)
        if not purpose.anonymous or yes:
            break
        from rettidig_cli.ui import prompts  # questionary is slow to import: only when we will ask

        if not prompts.terminal_available():
            raise NoTerminalError("En anonym drøftelse skal læses igennem, før den skrives, og der er ingen "
                                  "terminal at vise den i. Intet er skrevet.",
                                  hint=f"Kør kommandoen i en terminal, eller tilføj --ja, hvis du har læst den: "
                                       f"rettidig export {row['code']} --til anonym --ja")
        # Logged before it is shown: the preview puts the case's text on the screen, and a parent's
        # insight must list that even when the user then cancels (or Ctrl-C, or the window closes).
        with store.atomic(row):
            store.audit("visning", row["code"], PREVIEW_DETAIL)
        _preview(content, fmt, plan, purpose, today, redactor, meeting)
        try:
            more = _confirm_anonymous(store, row, terms)
        except (KeyboardInterrupt, EOFError):
            raise Interrupted("Afbrudt. Intet er skrevet.") from None
        if more is None:
            break
        terms = more

    path = exporters.target(out, exporters.default_name(purpose.file_prefix, row["code"], fmt, today))
    exporters.check_name(path.name)  # the default name holds the case code, read from the file
    exporters.check_target(path, store)
    if exporters.exists(path) and not path.is_dir():
        exporters.check_replaceable(path, store)  # refused before asking: never a file the user made
    if exporters.exists(path) and not path.is_dir() and not overwrite and in_terminal():
        from rettidig_cli.ui import prompts

        try:
            from rettidig_cli.domain.privacy import for_terminal

            # prompt_toolkit writes the question past the cleaning console; the folder's name is
            # outside text (and could hold a CPR number), so it is cleaned like every message.
            overwrite = prompts.yes(f"Filen {for_terminal(str(path))} findes allerede. Vil du overskrive den?",
                                    default=False)
        except (KeyboardInterrupt, EOFError):
            raise Interrupted("Afbrudt. Intet er skrevet.") from None
        if not overwrite:
            raise UsageError("Filen er ikke overskrevet. Intet er skrevet.",
                             hint="Vælg et andet navn med --out.")
    with store.atomic(row):
        pass  # the case is still there and the same after the questions (not erased meanwhile)
    written = exporters.write_private(path, content, overwrite, store)
    with store.atomic():
        store.audit("eksport", row["code"], f"{purpose.id}/{fmt}")
    what = {"docx": "Word-dokumentet", "markdown": "Dokumentet", "ics": "Kalenderfilen", "json": "JSON-filen",
            "csv": "CSV-filen"}[fmt]
    say(f"{what} «{purpose.title}» er skrevet til ",
         (str(written.resolve()), "bold"), " (kun læsbar for dig).")
    from rettidig_cli.storage import places

    warning = places.location_warning(written, what)
    if warning:
        warn(warning)


def register(app: typer.Typer) -> None:
    app.command(name="export", cls=DanishCommand)(export)
