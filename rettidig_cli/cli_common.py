"""What every command shares: Danish help screens, the common options, printing without
markup, and opening the store. Only typer is imported at module level (startup speed)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from rettidig_cli.errors import Interrupted, NoTerminalError, UsageError


_METAVARS = {"<bool>": "", "<str>": "TEKST", "<path>": "STI", "<int>": "TAL"}


class _Danish:
    """Typer's help and usage lines in Danish."""

    def __init__(self, *args, **kwargs):
        kwargs["options_metavar"] = "[VALG]"
        if "subcommand_metavar" in kwargs or isinstance(self, TyperGroup):
            kwargs["subcommand_metavar"] = "KOMMANDO [ARG]..."
        super().__init__(*args, **kwargs)

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "Vis denne hjælp og afslut."
        return option

    def format_usage(self, ctx, formatter):
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="Brug: ")

    def format_help(self, ctx, formatter):
        from typer import rich_utils

        rich_utils.ARGUMENTS_PANEL_TITLE = "Argumenter"
        rich_utils.OPTIONS_PANEL_TITLE = "Valgmuligheder"
        rich_utils.COMMANDS_PANEL_TITLE = "Kommandoer"
        rich_utils.DEFAULT_STRING = "[standard: {}]"
        rich_utils.REQUIRED_LONG_STRING = "[skal angives]"
        for param in self.get_params(ctx):
            if not hasattr(param, "display_type"):
                continue
            # Typer shows the Python type ("<bool>", "<str>"); a Danish user reads a Danish word,
            # and an argument's name (SAG) already says what to write.
            if param.param_type_name == "argument":
                param.display_type_rich = lambda ctx: ""
            elif param.metavar is None and param.display_type(ctx) in _METAVARS:
                param.metavar = _METAVARS[param.display_type(ctx)]
        return super().format_help(ctx, formatter)


class DanishGroup(_Danish, TyperGroup):
    pass


class DanishCommand(_Danish, TyperCommand):
    pass


DbOption = Annotated[
    Optional[Path],
    typer.Option("--db", help="Brug denne datafil (standard: rettidig.db i din datamappe eller $RETTIDIG_HOME).",
                 show_default=False),
]
CaseArg = Annotated[str, typer.Argument(help="Sagens kode, fx RT-2026-001.", show_default=False, metavar="SAG")]
AnswersOption = Annotated[
    Optional[Path],
    typer.Option("--answers", help="Svar fra en TOML- eller JSON-fil i stedet for spørgsmål (trin-id = svar).",
                 show_default=False),
]


def _console(stderr: bool = False):
    # The output boundary: this console cleans every text it writes (rettidig_cli.output).
    from rettidig_cli.output import make_console

    return make_console(stderr)


def _say(*parts: str | tuple[str, str]) -> None:
    """Print plain and (text, style) parts; nothing is read as rich markup, since paths,
    guide names and case data may contain brackets."""
    from rich.text import Text

    from rettidig_cli.privacy import for_terminal

    clean = [(for_terminal(p[0]), p[1]) if isinstance(p, tuple) else for_terminal(p) for p in parts]
    _console().print(Text.assemble(*clean), soft_wrap=True)  # commands and paths stay whole for copying


def _count(n: int, one: str, many: str) -> str:
    """'1 sag', '3 sager'."""
    return f"{n} {one if n == 1 else many}"


def _open(db: Path | None, create: bool = True):
    """Open the data file: offer encryption the first time, ask a passphrase if one locks it,
    and say where the file is unsafe. Every audit row names the command (its purpose)."""
    from rich.text import Text

    from rettidig_cli import settings
    from rettidig_cli.store import Store, check_place, db_path

    path = db_path(db)
    check_place(path)
    chosen = None
    if create and not path.exists() and settings.encryption(_home()) is None:
        chosen = _offer_encryption()
    store = Store(path, ask_passphrase=_ask_passphrase, ask_new_passphrase=_ask_new_passphrase, create=create,
                  encryption=chosen, tell=lambda note: _console(stderr=True).print(Text(note, style="bold"),
                                                                                 soft_wrap=True))
    if chosen:  # remembered once the file exists: Ctrl-C at the passphrase leaves the question open
        settings.save(_home(), kryptering=chosen)
    for warning in store.warnings:
        _warn(warning)
    for notice in store.notices:  # stderr: stdout may be JSON for a script
        _console(stderr=True).print(Text(notice, style="bold"), soft_wrap=True)
    from typer._click.globals import get_current_context

    context = get_current_context(silent=True)
    if context is not None:
        store.purpose = " ".join(context.command_path.split()[1:])
    return store


def _warn(text: str) -> None:
    from rich.text import Text

    from rettidig_cli.privacy import for_terminal

    _console(stderr=True).print(Text.assemble(("Advarsel: ", "bold yellow"), for_terminal(text)), soft_wrap=True)


def _terminal() -> bool:
    from rettidig_cli import prompts

    return prompts.terminal_available()


@contextlib.contextmanager
def _asking(saved_hint: str = "Intet nyt er gemt."):
    """Around questions: Ctrl-C and a missing terminal become Danish messages that say what is kept."""
    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted(f"Afbrudt. {saved_hint}") from None
    except EOFError:
        raise NoTerminalError(f"Der er ingen terminal at spørge i. {saved_hint}") from None


def _offer_encryption() -> str | None:
    """Asked once, when the first data file is made; the answer goes to indstillinger.toml."""
    from rettidig_cli import keys, prompts
    from rettidig_cli.errors import StoreError

    if not _terminal():
        from rich.text import Text

        _console(stderr=True).print(Text("Datafilen oprettes uden kryptering. Kryptér den senere med: "
                                         "rettidig kryptering til"), soft_wrap=True)
        return None
    _say("rettidig gemmer oplysninger om børn. Krypteres datafilen, kan ingen læse den, "
         "hvis computeren bliver væk eller stjålet.")
    choices = []
    try:
        keys.keyring_backend()
        choices.append(("Ja – med en nøgle i computerens nøglering (anbefalet)", keys.KEYRING))
    except StoreError:
        _say("(Computerens nøglering kan ikke bruges her, så nøglen må være en adgangskode.)")
    choices += [("Ja – med en adgangskode, som jeg skriver, hver gang jeg bruger rettidig", keys.PASSPHRASE),
                ("Nej – ikke nu (kan slås til senere med: rettidig kryptering til)", "ingen")]
    return prompts.select("Skal datafilen krypteres?", choices, default=choices[0][1])


def _ask_passphrase(attempt: int) -> str:
    import questionary

    if not _terminal():
        raise NoTerminalError("Datafilen er krypteret med en adgangskode, og der er ingen terminal at spørge i.",
                              hint="Kør kommandoen i en terminal.")
    if attempt:
        _say(("Forkert adgangskode. ", "bold red"), f"Prøv igen ({attempt + 1}. af 3 forsøg).")
    return questionary.password("Adgangskode til datafilen:").unsafe_ask()


def _ask_new_passphrase() -> str:
    import questionary

    from rettidig_cli import keys

    if not _terminal():
        raise NoTerminalError("Nye datafiler krypteres med en adgangskode, og der er ingen terminal at spørge i.",
                              hint="Kør kommandoen i en terminal, eller vælg nøgleringen i indstillinger.toml.")
    _say((keys.LOST_KEY_WARNING.format(what="adgangskoden"), "bold"))
    while True:
        # Checked after Enter, not while typing: a validator would keep the refused text in the field.
        first = questionary.password("Vælg en adgangskode til datafilen:").unsafe_ask()
        try:
            keys.check_new_passphrase(first)
        except ValueError as exc:
            _say((str(exc), "bold red"))
            continue
        second = questionary.password("Skriv den samme adgangskode igen:").unsafe_ask()
        if first == second:
            return first
        _say(("De to adgangskoder er ikke ens. ", "bold red"), "Prøv igen.")


def _home() -> Path:
    from rettidig_cli.store import data_home

    return data_home()


def _answers_limits() -> tuple[int, int]:
    """(largest answers file in bytes, deepest nesting): [answers] in data/limits.toml."""
    from rettidig_cli.reference import limits

    return limits().answers_max_bytes, limits().answers_max_depth


def _read_answers(path: Path) -> dict:
    """An answers file (TOML, or JSON by its suffix) as a table, or a Danish UsageError. The size is
    checked before the file is read (never more than the limit is read: a huge file or a device
    that never ends is refused at once), and the depth before anything else looks at it."""
    max_bytes, max_depth = _answers_limits()
    kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
        if len(raw) > max_bytes:
            raise UsageError(f"Svarfilen {path} er for stor: højst {max_bytes:,} byte.".replace(",", "."),
                             hint="Er det den rigtige fil? Grænsen står i data/limits.toml ([answers]).")
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"Svarfilen {path} findes ikke.") from None
    except (OSError, UnicodeDecodeError):
        raise UsageError(f"Svarfilen {path} kan ikke læses som UTF-8-tekst.") from None
    too_deep = UsageError(f"Svarfilen {path} har tabeller eller lister inden i hinanden i for mange lag "
                          f"(højst {max_depth}).", hint="Er det den rigtige fil? Grænsen står i data/limits.toml "
                          "([answers]).")
    import tomllib

    try:
        data = json.loads(text) if kind == "JSON" else tomllib.loads(text)
    except RecursionError:  # both parsers recurse once per nested [ or {
        raise too_deep from None
    except ValueError as exc:
        import re

        if not isinstance(exc, (json.JSONDecodeError, tomllib.TOMLDecodeError)):
            # Not a syntax error: an integer of more than 4300 digits, which Python will not convert.
            raise UsageError(f"Svarfilen {path} har et tal med alt for mange cifre.",
                             hint="Ret tallet i filen; ingen svar er så lange.") from None
        # json gives .lineno; tomllib before Python 3.14 only names the line in its message.
        found = getattr(exc, "lineno", None) or re.search(r"line (\d+)", str(exc))
        line = found.group(1) if isinstance(found, re.Match) else found
        place = f" (linje {line})" if line else ""
        raise UsageError(f"Svarfilen {path} er ikke gyldig {kind}{place}.") from None
    if not isinstance(data, dict):
        raise UsageError(f"Svarfilen {path} skal være en tabel med trin-id'er som nøgler.")
    # Iterative, so a file just under the parsers' recursion limit is refused without recursion too.
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > max_depth:
            raise too_deep
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return data
