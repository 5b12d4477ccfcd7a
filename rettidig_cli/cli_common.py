"""What every command shares: Danish help screens, the common options, printing without
markup, and opening the store. Only typer is imported at module level (startup speed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from rettidig_cli.errors import UsageError


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
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _say(*parts: str | tuple[str, str]) -> None:
    """Print plain and (text, style) parts; nothing is read as rich markup, since paths,
    guide names and case data may contain brackets."""
    from rich.text import Text

    _console().print(Text.assemble(*parts), soft_wrap=True)  # commands and paths stay whole for copying


def _open(db: Path | None):
    from rettidig_cli.store import Store, db_path

    return Store(db_path(db))


def _home() -> Path:
    from rettidig_cli.store import data_home

    return data_home()


def _read_answers(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"Svarfilen {path} findes ikke.") from None
    except (OSError, UnicodeDecodeError):
        raise UsageError(f"Svarfilen {path} kan ikke læses som UTF-8-tekst.") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import tomllib

            data = tomllib.loads(text)
    except ValueError as exc:
        import re

        # json gives .lineno; tomllib before Python 3.14 only names the line in its message.
        found = getattr(exc, "lineno", None) or re.search(r"line (\d+)", str(exc))
        line = found.group(1) if isinstance(found, re.Match) else found
        place = f" (linje {line})" if line else ""
        raise UsageError(f"Svarfilen {path} er ikke gyldig {'JSON' if path.suffix.lower() == '.json' else 'TOML'}{place}.") from None
    if not isinstance(data, dict):
        raise UsageError(f"Svarfilen {path} skal være en tabel med trin-id'er som nøgler.")
    return data
