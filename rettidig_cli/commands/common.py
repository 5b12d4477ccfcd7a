"""What every command shares: Danish help screens, the common options, printing without
markup, and opening the store. Only typer is imported at module level (startup speed).

No `from __future__ import annotations` in the cli modules: typer reads every command's
annotations when it builds the commands, and evaluating them from strings costs ~25 ms a start."""

import contextlib
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from rettidig_cli.domain.errors import Interrupted, NoTerminalError, UsageError

try:  # typer carries its own copy of click (0.17 and later), loaded with typer.core; older typers use click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import exceptions as click_errors


_METAVARS = {"<bool>": "", "<boolean>": "", "<str>": "TEKST", "<path>": "STI", "<int>": "TAL"}

# The help screen's Danish words (typer's rich help layout, see _rich_help).
ARGUMENTS_TITLE = "Argumenter"
OPTIONS_TITLE = "Valgmuligheder"
COMMANDS_TITLE = "Kommandoer"
DEFAULT_STRING = "[standard: {}]"
REQUIRED_LONG_STRING = "[skal angives]"


def _shown_type(param, ctx) -> str:
    """What the help shows in an option's type column: its metavar, or a Danish word for its type
    (a Danish user reads TEKST, not <str>); nothing for an argument, whose name (SAG) says it."""
    if isinstance(param, TyperArgument) or param.param_type_name == "argument":
        return ""
    if param.metavar is not None:
        return param.metavar
    shown = _type_name(param, ctx)
    return _METAVARS.get(shown, shown)


def _type_name(param, ctx) -> str:
    """Typer's name for a parameter's type: <str>, <path>, <bool> (typer 0.28: <boolean>)."""
    if hasattr(param, "display_type"):  # typer 0.29 and later
        return param.display_type(ctx)
    return f"<{param.type.name}>"


class _Danish:
    """Typer's help and usage lines in Danish."""

    def __init__(self, *args, **kwargs):
        kwargs["options_metavar"] = "[VALG]"
        if "subcommand_metavar" in kwargs or isinstance(self, TyperGroup):
            kwargs["subcommand_metavar"] = "KOMMANDO [ARG]..."
        super().__init__(*args, **kwargs)

    def parse_args(self, ctx, args):
        """A command that takes SAG, run in a terminal without it: the user chooses the case from a list."""
        typed = list(args)  # click's parser empties the list it is given; the options are read again
        try:
            return self._parse(ctx, args)
        except click_errors.MissingParameter as exc:
            if exc.param is None or exc.param.name != "case":
                raise
            code = choose_case(typed)
            if code is None:
                raise
            return self._parse(ctx, [code, *typed])

    def _parse(self, ctx, args):
        """click's parse, with each usage error carrying what its Danish message names (app.py,
        _usage_message): the words left over, the value given, the command it was given to."""
        # A command (not a group) takes the words left over, and they are said here, not by click.
        extra_allowed, typed = ctx.allow_extra_args, list(args)  # click's parser empties the list it is given
        if not isinstance(self, TyperGroup):
            ctx.allow_extra_args = True
        try:
            rest = super().parse_args(ctx, args)
        except click_errors.UsageError as exc:
            if exc.ctx is None:  # click's parser says "requires an argument" without the command
                exc.ctx, exc.cmd = ctx, self
            if isinstance(exc, click_errors.BadParameter) and exc.param is not None:
                exc.given = given_value(exc.param, typed)
            raise
        finally:
            ctx.allow_extra_args = extra_allowed
        if rest and not extra_allowed and not isinstance(self, TyperGroup) and not ctx.resilient_parsing:
            raise ExtraArguments(rest, ctx)
        return rest

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "Vis denne hjælp og afslut."
        return option

    def format_usage(self, ctx, formatter):
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="Brug: ")

    def format_help(self, ctx, formatter):
        from typer import core

        if core.HAS_RICH and getattr(self, "rich_markup_mode", None) == "rich":
            return _rich_help(self, ctx)
        # Plain help (TYPER_USE_RICH=0): click's layout, with the Danish words for the types.
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                if hasattr(param, "display_type_rich"):  # typer 0.29 and later would add <str>
                    param.display_type_rich = lambda ctx: ""
            elif param.metavar is None and _type_name(param, ctx) in _METAVARS:
                param.metavar = _METAVARS[_type_name(param, ctx)]
        return super().format_help(ctx, formatter)


def choose_case(args: list[str]) -> str | None:
    """In a terminal: the case the user picks from the open cases (most urgent first); None without
    a terminal or without cases (then the missing SAG is said as before)."""
    from rettidig_cli.ui import prompts

    if not prompts.terminal_available():
        return None
    db = next((Path(args[i + 1]) for i, a in enumerate(args[:-1]) if a == "--db"), None)
    from rettidig_cli.domain import dates
    from rettidig_cli.views import overview

    store = open_store(db)
    with store.atomic():
        rows, _ = overview.from_store(store, dates.today(), False, False, None, None, None, limit=None)
        store.audit("søg", None, f"valg af sag, {len(rows)} sager", shown=[r["kode"] for r in rows])
    if not rows:
        return None
    with asking_guard("Ingen sag er valgt."):
        return prompts.select("Hvilken sag?", [(f"{r['kode']}  {r['barn']} ({r['tilbud'] or '–'}) – {r['fase']}",
                                               r["kode"]) for r in rows])


class DanishGroup(_Danish, TyperGroup):
    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click_errors.UsageError as exc:
            # click's one plain UsageError here is "No such command" (its words may be translated).
            if type(exc) is not click_errors.UsageError or not args:
                raise
            from difflib import get_close_matches

            raise NoSuchCommand(args[0], get_close_matches(args[0], visible_commands(self, ctx)), ctx) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click_errors.UsageError as exc:
            # A group given options but no command (`rettidig aftale --`): click's "Missing command".
            if type(exc) is click_errors.UsageError and exc.ctx is ctx and ctx.invoked_subcommand is None:
                raise MissingCommand(visible_commands(self, ctx), ctx) from None
            raise


def visible_commands(group, ctx) -> list[str]:
    """The names a group's help lists (not the hidden spellings, like moede and genaabn)."""
    return [name for name in group.list_commands(ctx)
            if (command := group.get_command(ctx, name)) is not None and not command.hidden]


def given_value(param, args: list[str]) -> str | None:
    """The value the user typed for an option (the last, as click keeps it), for a message."""
    value = None
    for i, arg in enumerate(args):
        for opt in getattr(param, "opts", ()):
            if arg == opt and i + 1 < len(args):
                value = args[i + 1]
            elif opt.startswith("--") and arg.startswith(f"{opt}="):
                value = arg.partition("=")[2]
    return value


# click's usage errors that carry what the Danish message says (see _Danish._parse and DanishGroup):
# its own say it only in English words.
class NoSuchCommand(click_errors.UsageError):
    def __init__(self, name: str, possibilities: list[str], ctx):
        super().__init__(f"No such command {name!r}.", ctx)
        self.name, self.possibilities = name, possibilities


class MissingCommand(click_errors.UsageError):
    def __init__(self, names: list[str], ctx):
        super().__init__("Missing command.", ctx)
        self.names = names


class ExtraArguments(click_errors.UsageError):
    def __init__(self, extra: list[str], ctx):
        super().__init__(f"Got unexpected extra argument(s) ({' '.join(extra)})", ctx)
        self.extra = extra


class DanishCommand(_Danish, TyperCommand):
    pass


class DefaultGroup(DanishGroup):
    """A command that is also a group: `rettidig observation SAG` adds one (its default command,
    "ny"), and `rettidig observation ret SAG NR` corrects one. Anything that is not one of its
    command names (a case code, an option, nothing) goes to the default command."""

    default_command = "ny"

    def collect_usage_pieces(self, ctx):
        return ["[VALG] SAG", "|", "KOMMANDO [ARG]..."]

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


# ---------------------------------------------------------------- the help screen
# Typer's rich help layout (typer/rich_utils.py, rich_format_help, MIT licence) with the Danish
# words, drawn here so that `--help` imports only the parts of rich it draws with: typer's module
# also imports rich.markdown, markdown_it, rich.syntax and rich.traceback (~35 ms a start), which
# this app's help never uses. The output is the same, character for character and colour for
# colour (tests/test_terminal_text.py and the help screens of every command).

_STYLES = {"option": "bold cyan", "switch": "bold green", "negative_option": "bold magenta",
           "negative_switch": "bold red", "types": "bold yellow", "types_sep": "dim", "usage": "yellow"}
_TABLE = {"show_lines": False, "leading": 0, "box": None, "border_style": None, "row_styles": None,
          "pad_edge": False, "padding": (0, 1)}


def _highlighters():
    from rich.highlighter import RegexHighlighter

    class OptionHighlighter(RegexHighlighter):
        highlights = [
            r"(^|\W)(?P<switch>\-\w+)(?![a-zA-Z0-9])",
            r"(^|\W)(?P<option>\-\-[\w\-]+)(?![a-zA-Z0-9])",
            r"(?P<types>\<[^\>]+\>)",
            r"(?P<usage>Usage: )",
        ]

    class NegativeOptionHighlighter(RegexHighlighter):
        highlights = [
            r"(^|\W)(?P<negative_switch>\-\w+)(?![a-zA-Z0-9])",
            r"(^|\W)(?P<negative_option>\-\-[\w\-]+)(?![a-zA-Z0-9])",
        ]

    class TypesHighlighter(RegexHighlighter):
        highlights = [
            r"^(?P<types_sep>(\[|<))",
            r"(?P<types_sep>\|)",
            r"(?P<types_sep>(\]|>))(\.\.\.)?$",
        ]

    return OptionHighlighter(), NegativeOptionHighlighter(), TypesHighlighter()


def _rich_help(obj, ctx) -> None:
    """Print the help of a command or group as typer's rich_format_help does (markup mode "rich")."""
    import inspect

    from rich.columns import Columns
    from rich.console import Console, group
    from rich.align import Align
    from rich.padding import Padding
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text
    from rich.theme import Theme

    highlighter, negative_highlighter, types_highlighter = _highlighters()

    def rich_text(text: str, style: str = ""):
        text = inspect.cleandoc(text)
        if "\033[" in text:
            return highlighter(Text.from_ansi(text, style=style))
        # An emoji code (:smile:) needs two colons; without them rich's emoji table is not loaded.
        return highlighter(Text.from_markup(text, style=style, emoji=text.count(":") > 1))

    def title(name: str):
        # A panel reads a str title as markup with emoji codes; the Text is the same title, and
        # rich's emoji table (~2 ms) is only loaded for a title that could hold an emoji code.
        return Text.from_markup(name, emoji=name.count(":") > 1)

    @group()
    def help_text():
        if obj.deprecated:
            yield Text("(deprecated) ", style="red")
        first_line, *remaining = inspect.cleandoc(obj.help or "").partition("\f")[0].split("\n\n")
        if not first_line.startswith("\b"):
            first_line = first_line.replace("\n", " ")
        yield rich_text(first_line.strip())
        if remaining:
            yield Text("")
            yield rich_text("\n\n".join(remaining), style="dim")

    def parameter_help(param):
        items = []
        envvar = getattr(param, "envvar", None)
        if envvar is None and getattr(param, "allow_from_autoenv", None) \
                and getattr(ctx, "auto_envvar_prefix", None) is not None and param.name:
            envvar = f"{ctx.auto_envvar_prefix}_{param.name.upper()}"
        help_value = getattr(param, "help", None)
        if help_value:
            paragraphs = [x.replace("\n", " ").strip() if not x.startswith("\b") else "{}\n".format(x.strip("\b\n"))
                          for x in help_value.split("\n\n")]
            items.append(rich_text("\n".join(paragraphs).strip()))
        if envvar and getattr(param, "show_envvar", None):
            shown = envvar if isinstance(envvar, str) else ", ".join(str(d) for d in envvar)
            items.append(Text(f"[env var: {shown}]", style="dim yellow"))
        if isinstance(param, (TyperOption, TyperArgument)):
            default_value = param._extract_default_help_str(ctx=ctx)
            show_default_is_str = isinstance(param.show_default, str)
            if show_default_is_str or (default_value is not None and (param.show_default or ctx.show_default)):
                default_str = param._get_default_string(ctx=ctx, show_default_is_str=show_default_is_str,
                                                        default_value=default_value)
                if default_str:
                    items.append(Text(DEFAULT_STRING.format(default_str), style="dim"))
        if param.required:
            items.append(Text(REQUIRED_LONG_STRING, style="dim red"))
        return Columns(items)

    def options_panel(name: str, params: list) -> None:
        rows, required_rows = [], []
        for param in params:
            long_strs, short_strs, secondary_long, secondary_short = [], [], [], []
            display_name = None
            if isinstance(param, TyperArgument):
                display_name = param.metavar if param.metavar is not None else param.name
                if param.metavar is None and param.nargs != 1:
                    display_name += "..."
            for opt_str in param.opts:
                if "--" in opt_str:
                    long_strs.append(opt_str)
                else:
                    short_strs.append(display_name or opt_str)
            for opt_str in param.secondary_opts:
                if "--" in opt_str:
                    secondary_long.append(opt_str)
                else:
                    secondary_short.append(display_name or opt_str)
            types = Text(style="bold yellow", overflow="fold")
            types.append(_shown_type(param, ctx))
            range_str = _range_help(param)
            if range_str:
                types.append(f" [{range_str}]")
            required_rows.append(Text("*", style="red") if param.required else "")
            rows.append([highlighter(",".join(long_strs)), highlighter(",".join(short_strs)),
                         negative_highlighter(",".join(secondary_long)),
                         negative_highlighter(",".join(secondary_short)), types_highlighter(types),
                         parameter_help(param)])
        if not rows:
            return
        if any(required_rows):
            rows = [[required, *row] for required, row in zip(required_rows, rows, strict=True)]
        table = Table(highlight=True, show_header=False, expand=True, **_TABLE)
        for row in rows:
            table.add_row(*row)
        console.print(Panel(table, border_style="dim", title=title(name), title_align="left"))

    def commands_panel(name: str, commands: list, cmd_len: int) -> None:
        table = Table(highlight=False, show_header=False, expand=True, **_TABLE)
        table.add_column(style="bold cyan", no_wrap=True, width=cmd_len)
        table.add_column("Description", justify="left", no_wrap=False, ratio=10)
        rows, deprecated_rows = [], []
        for command in commands:
            paragraphs = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")
            if paragraphs[0].startswith("\b"):
                paragraphs[0] = paragraphs[0].replace("\b\n", "")
            if command.deprecated:
                name_text = Text(command.name or "", style="dim")
                deprecated_rows.append(Text("(deprecated) ", style="red"))
            else:
                name_text = Text(command.name or "")
                deprecated_rows.append(None)
            rows.append([name_text, rich_text(paragraphs[0].strip())])
        if any(deprecated_rows):
            rows = [[*row, deprecated] for row, deprecated in zip(rows, deprecated_rows, strict=True)]
        for row in rows:
            table.add_row(*row)
        if table.row_count:
            console.print(Panel(table, border_style="dim", title=title(name), title_align="left"))

    # Colour and width as rich decides them for every other screen of rettidig (FORCE_COLOR,
    # NO_COLOR, COLUMNS): the product reads no environment variable but its own, so typer's
    # GITHUB_ACTIONS, PY_COLORS, TERMINAL_WIDTH and _TYPER_FORCE_DISABLE_TERMINAL are not read.
    console = Console(theme=Theme(_STYLES), highlighter=highlighter, color_system="auto")

    console.print(Padding(highlighter(obj.get_usage(ctx)), 1), style="bold")
    if obj.help:
        console.print(Padding(Align(help_text(), pad=False), (0, 1, 1, 1)))
    arguments, options = {}, {}
    for param in obj.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        if isinstance(param, TyperArgument):
            arguments.setdefault(getattr(param, "rich_help_panel", None) or ARGUMENTS_TITLE, []).append(param)
        elif isinstance(param, TyperOption):
            options.setdefault(getattr(param, "rich_help_panel", None) or OPTIONS_TITLE, []).append(param)
    for panels, default in ((arguments, ARGUMENTS_TITLE), (options, OPTIONS_TITLE)):
        options_panel(default, panels.get(default, []))
        for name, params in panels.items():
            if name != default:
                options_panel(name, params)
    if isinstance(obj, TyperGroup):
        panels = {}
        for command_name in obj.list_commands(ctx):
            command = obj.get_command(ctx, command_name)
            if command and not command.hidden:
                panels.setdefault(getattr(command, "rich_help_panel", None) or COMMANDS_TITLE, []).append(command)
        cmd_len = max([len(c.name or "") for commands in panels.values() for c in commands], default=0)
        commands_panel(COMMANDS_TITLE, panels.get(COMMANDS_TITLE, []), cmd_len)
        for name, commands in panels.items():
            if name != COMMANDS_TITLE:
                commands_panel(name, commands, cmd_len)
    if obj.epilog:
        epilogue = rich_text("\n\n".join(obj.epilog.split("\n\n")))
        console.print(Padding(Align(epilogue, pad=False), 1))


def _range_help(param) -> str | None:
    """An option's number range for the help ("x>=1"), as typer shows it."""
    if hasattr(param, "_get_number_range_help_str"):  # typer 0.29 and later
        return param._get_number_range_help_str()
    from typer._click import types

    kind = getattr(param, "type", None)
    if isinstance(kind, types._NumberRangeBase) and isinstance(param, TyperOption) \
            and not (param.count and kind.min == 0 and kind.max is None):
        return kind._describe_range() or None
    return None


ADVANCED_TITLE = "Avanceret"  # the help panel under the everyday options

DbOption = Annotated[
    Optional[Path],
    typer.Option("--db", help="Brug denne datafil (standard: rettidig.db i din datamappe eller $RETTIDIG_HOME).",
                 show_default=False, rich_help_panel=ADVANCED_TITLE),
]
CaseArg = Annotated[str, typer.Argument(help="Sagens kode, fx RT-2026-001.", show_default=False, metavar="SAG")]
AnswersOption = Annotated[
    Optional[Path],
    typer.Option("--answers", help="Svar fra en TOML- eller JSON-fil i stedet for spørgsmål (trin-id = svar).",
                 show_default=False),
]


def out_console(stderr: bool = False):
    # The output boundary: this console cleans every text it writes (rettidig_cli.ui.output).
    from rettidig_cli.ui.output import make_console

    return make_console(stderr)


def say(*parts: str | tuple[str, str]) -> None:
    """Print plain and (text, style) parts; nothing is read as rich markup, since paths,
    guide names and case data may contain brackets."""
    from rich.text import Text

    from rettidig_cli.domain.privacy import for_terminal

    clean = [(for_terminal(p[0]), p[1]) if isinstance(p, tuple) else for_terminal(p) for p in parts]
    out_console().print(Text.assemble(*clean), soft_wrap=True)  # commands and paths stay whole for copying


def plural(n: int, one: str, many: str) -> str:
    """'1 sag', '3 sager'."""
    return f"{n} {one if n == 1 else many}"


# The data file this command opened: a database error met outside a transaction names it.
opened_path: Path | None = None


def open_store(db: Path | None, create: bool = True):
    """Open the data file: offer encryption the first time, ask a passphrase if one locks it,
    and say where the file is unsafe. Every audit row names the command (its purpose)."""
    from rich.text import Text

    from rettidig_cli.storage import settings
    from rettidig_cli.storage.store import Store, check_place, db_path

    global opened_path
    path = opened_path = db_path(db)
    check_place(path)
    chosen = None
    if create and not path.exists() and settings.encryption(home_folder()) is None:
        chosen = _offer_encryption()
    store = Store(path, ask_passphrase=_ask_passphrase, ask_new_passphrase=_ask_new_passphrase, create=create,
                  encryption=chosen, tell=lambda note: out_console(stderr=True).print(Text(note, style="bold"),
                                                                                 soft_wrap=True))
    if chosen:  # remembered once the file exists: Ctrl-C at the passphrase leaves the question open
        settings.save(home_folder(), kryptering=chosen)
    for warning in store.warnings:
        warn(warning)
    for notice in store.notices:  # stderr: stdout may be JSON for a script
        out_console(stderr=True).print(Text(notice, style="bold"), soft_wrap=True)
    from typer._click.globals import get_current_context

    context = get_current_context(silent=True)
    if context is not None:
        words = context.command_path.split()[1:]
        parent = context.parent
        if parent is not None and isinstance(parent.command, DefaultGroup) and words[-1:] == [DefaultGroup.default_command]:
            words = words[:-1]  # `rettidig observation SAG` is logged as the user wrote it
        store.purpose = " ".join(words)
    return store


def warn(text: str) -> None:
    from rich.text import Text

    from rettidig_cli.domain.privacy import for_terminal

    out_console(stderr=True).print(Text.assemble(("Advarsel: ", "bold yellow"), for_terminal(text)), soft_wrap=True)


def in_terminal() -> bool:
    from rettidig_cli.ui import prompts

    return prompts.terminal_available()


@contextlib.contextmanager
def asking_guard(saved_hint: str = "Intet nyt er gemt."):
    """Around questions: Ctrl-C and a missing terminal become Danish messages that say what is kept."""
    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted(f"Afbrudt. {saved_hint}") from None
    except EOFError:
        raise NoTerminalError(f"Der er ingen terminal at spørge i. {saved_hint}") from None


def _offer_encryption() -> str | None:
    """Asked once, when the first data file is made; the answer goes to indstillinger.toml."""
    from rettidig_cli.storage import keys
    from rettidig_cli.ui import prompts
    from rettidig_cli.domain.errors import StoreError

    if not in_terminal():
        from rich.text import Text

        out_console(stderr=True).print(Text("Datafilen oprettes uden kryptering. Kryptér den senere med: "
                                         "rettidig kryptering til"), soft_wrap=True)
        return None
    say("rettidig gemmer oplysninger om børn. Krypteres datafilen, kan ingen læse den, "
         "hvis computeren bliver væk eller stjålet.")
    choices = []
    try:
        keys.keyring_backend()
        choices.append(("Ja – med en nøgle i computerens nøglering (anbefalet)", keys.KEYRING))
    except StoreError:
        say("(Computerens nøglering kan ikke bruges her, så nøglen må være en adgangskode.)")
    choices += [("Ja – med en adgangskode, som jeg skriver, hver gang jeg bruger rettidig", keys.PASSPHRASE),
                ("Nej – ikke nu (kan slås til senere med: rettidig kryptering til)", "ingen")]
    return prompts.select("Skal datafilen krypteres?", choices, default=choices[0][1])


def _ask_passphrase(attempt: int) -> str:
    import questionary

    if not in_terminal():
        raise NoTerminalError("Datafilen er krypteret med en adgangskode, og der er ingen terminal at spørge i.",
                              hint="Kør kommandoen i en terminal.")
    if attempt:
        say(("Forkert adgangskode. ", "bold red"), f"Prøv igen ({attempt + 1}. af 3 forsøg).")
    return questionary.password("Adgangskode til datafilen:").unsafe_ask()


def _ask_new_passphrase() -> str:
    import questionary

    from rettidig_cli.storage import keys

    if not in_terminal():
        raise NoTerminalError("Nye datafiler krypteres med en adgangskode, og der er ingen terminal at spørge i.",
                              hint="Kør kommandoen i en terminal, eller vælg nøgleringen i indstillinger.toml.")
    say((keys.LOST_KEY_WARNING.format(what="adgangskoden"), "bold"))
    while True:
        # Checked after Enter, not while typing: a validator would keep the refused text in the field.
        first = questionary.password("Vælg en adgangskode til datafilen:").unsafe_ask()
        try:
            keys.check_new_passphrase(first)
        except ValueError as exc:
            say((str(exc), "bold red"))
            continue
        second = questionary.password("Skriv den samme adgangskode igen:").unsafe_ask()
        if first == second:
            return first
        say(("De to adgangskoder er ikke ens. ", "bold red"), "Prøv igen.")


def home_folder() -> Path:
    from rettidig_cli.storage.store import data_home

    return data_home()


def _answers_limits() -> tuple[int, int]:
    """(largest answers file in bytes, deepest nesting): [answers] in data/limits.toml."""
    from rettidig_cli.guide.reference import limits

    return limits().answers_max_bytes, limits().answers_max_depth


def read_answers(path: Path) -> dict:
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
    import json
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


# ---------------------------------------------------------------- the start screen
START_CASES = 5  # the most urgent open cases on the start screen; `rettidig list` shows the rest
MOST_USED = [("rettidig list", "morgenoversigten: alle dine sager, det vigtigste først"),
             ("rettidig new", "opret en ny sag og gå guiden igennem"),
             ("rettidig plan SAG", "handleplanen for en sag"),
             ("rettidig --help", "alle kommandoer (kort: rettidig -h)")]
FIRST_STEPS = [("rettidig new", "opret en sag om en bekymring og gå kommunens guide igennem"),
               ("rettidig guide list", "se, hvilke guides der er installeret"),
               ("rettidig --help", "alle kommandoer (kort: rettidig -h)")]


def start_screen() -> None:
    """`rettidig` alone: today's most urgent cases in a few lines and the commands used most, or
    how to begin. Never makes a data file, never asks for a passphrase: a file locked by one is
    left for `rettidig list`. The cases shown are logged, as the morning view logs them."""
    from rich.text import Text

    from rettidig_cli.storage.store import db_path

    console = out_console()
    console.print(Text("rettidig – fra bekymring til handling", style="bold"))
    console.print()
    found = _start_cases(db_path(None))
    if found is None or found == ([], []):
        say("Der er ingen sager endnu. Sådan kommer du i gang:" if found is None else
            "Der er ingen åbne sager. Sådan kommer du i gang med en ny:")
        _command_lines(FIRST_STEPS)
        return
    if isinstance(found, str):  # locked or not readable here: `rettidig list` opens it and says why
        say(found)
    else:
        _case_lines(*found)
    console.print()
    say("Det bruger du oftest:")
    _command_lines(MOST_USED)


def _start_cases(path: Path):
    """(rows, hidden) of the open cases; None without a data file; a sentence if it cannot be read here."""
    from rettidig_cli.domain import dates
    from rettidig_cli.domain.errors import RettidigError
    from rettidig_cli.storage.store import Store, check_place, database_errors

    try:
        if not path.is_file() or path.stat().st_size == 0:  # none yet, or a first start cut short
            return None
    except OSError:
        return None
    try:
        check_place(path)
        # create=False: makes, migrates and tightens nothing; no ask_passphrase: a locked file stays locked.
        store = Store(path, create=False)
        for warning in store.warnings:
            warn(warning)
        store.purpose = "startskærm"
        from rettidig_cli.views import overview

        with store.atomic():  # as `rettidig list`: the summaries made now are kept, and the cases shown logged
            rows, hidden = overview.from_store(store, dates.today(), False, limit=START_CASES)
            store.audit("søg", None, f"startskærm, {len(rows)} sager", shown=[r["kode"] for r in rows])
        return rows, hidden
    except NoTerminalError:
        return "Datafilen er låst med en adgangskode. Se dine sager med: rettidig list"
    except (RettidigError, OSError, *database_errors()):
        return "Se dine sager med: rettidig list"


def _case_lines(rows: list[dict], hidden: list[int]) -> None:
    """One line a case: its code, the child and the first thing to do, coloured by urgency."""
    from rich.table import Table
    from rich.text import Text

    from rettidig_cli.domain.privacy import for_terminal
    from rettidig_cli.views.overview import CALM, OVERDUE, QUIET, SOON, THIS_WEEK, shown_tasks

    # The morning view's colours (ui/render.py, LEVEL_STYLES), without importing its tables (~5 ms).
    styles = {OVERDUE: "bold red", THIS_WEEK: "bold yellow", SOON: "yellow", QUIET: "magenta", CALM: "dim"}
    console = out_console()
    total = len(rows) + len(hidden)
    say(f"Dine sager i dag – det vigtigste først ({plural(total, 'åben sag', 'åbne sager')}):")
    # The code in a column of its own, the rest wrapped under itself: never cut, the code always clear.
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for row in rows:
        todo = shown_tasks(row) or [row["fase"]]
        child = row["barn"] + (f" ({row['tilbud']})" if row["tilbud"] else "")
        grid.add_row(Text("  " + row["kode"], style="bold"),
                     Text.assemble(for_terminal(child), "  ", (for_terminal(todo[0]), styles.get(row["niveau"], ""))))
    console.print(grid)
    if hidden:
        late = hidden.count(OVERDUE)
        more = f"  … og {plural(len(hidden), 'sag', 'sager')} mere" + (f" (heraf {late} med noget overskredet)"
                                                                    if late else "")
        say((more, "bold" if late else ""), ": ", ("rettidig list", "bold"))


def _command_lines(commands: list[tuple[str, str]]) -> None:
    width = max(len(command) for command, _ in commands)
    for command, what in commands:
        say("  ", (command.ljust(width), "bold"), f"  {what}")


# ---------------------------------------------------------------- Tab completion
COMPLETION_SHELLS = ("bash", "zsh", "fish")


def install_completion() -> None:
    """`rettidig --installer-tab`: the Tab key completes rettidig's commands and options in the
    user's shell (bash, zsh or fish). Writes typer's completion script for the shell and the line
    that loads it, once; run again, it changes nothing more. Works offline."""
    from typer import _completion_shared as shared

    shell = _shell_name()
    if shell not in COMPLETION_SHELLS:
        raise UsageError(f"Tab-tasten kan sættes op i bash, zsh og fish, men din terminal bruger "
                         f"{shell or 'en skal, som rettidig ikke kan genkende'}.",
                         hint="Kør kommandoen i en bash-, zsh- eller fish-terminal.")
    script = shared.get_completion_script(prog_name="rettidig", complete_var="_RETTIDIG_COMPLETE", shell=shell)
    home = Path.home()
    if shell == "bash":
        target, rc = home / ".bash_completions" / "rettidig.sh", home / ".bashrc"
        line = f"source '{target}'"
    elif shell == "zsh":
        target, rc = home / ".zfunc" / "_rettidig", home / ".zshrc"
        line = "fpath+=~/.zfunc; autoload -Uz compinit; compinit"
    else:
        target, rc, line = home / ".config" / "fish" / "completions" / "rettidig.fish", None, None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(f"{script}\n", encoding="utf-8")
    if rc is not None:
        text = rc.read_text(encoding="utf-8", errors="replace") if rc.exists() else ""
        if line not in text:
            with rc.open("a", encoding="utf-8") as handle:
                handle.write(("" if not text or text.endswith("\n") else "\n") + f"{line}\n")
    say("Tab-tasten er sat op til rettidig i ", (shell, "bold"), ": skriv fx ", ("rettidig pl", "bold"),
        " og tryk Tab.")
    say(f"Det virker i nye terminalvinduer. (Skrevet: {target}" + (f" og en linje i {rc}" if rc else "") + ".)")


def _shell_name() -> str | None:
    """The shell rettidig runs in (its parent process, as shellingham finds it, which typer uses)."""
    try:
        import shellingham

        return shellingham.detect_shell()[0].lower()
    except Exception:  # not detected (or shellingham missing): said as a shell rettidig cannot recognise
        return None
