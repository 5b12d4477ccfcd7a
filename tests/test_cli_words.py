"""The words of the command line itself (issue 16, "Screens that fit"): click's usage errors said in
Danish with what is useful in them (the near name, the value, the option); `rettidig` alone as a
short start screen that makes no data file and asks no passphrase; -h as --help everywhere; an
example in every command's help; --db under its own panel; the Tab key installed by one command;
questionary's checkbox answered in Danish.

Every test here failed on the code before the change, except those whose docstring says Control
(and the row "guide show": a missing argument was said in Danish before too)."""

from __future__ import annotations

import io
import json
import shlex

import pytest

from conftest import DOWN, ENTER, EXAMPLES, SPACE, db_file, query
from helpers import flat, no_traceback, ok

RESEN = EXAMPLES / "resen-svar.toml"

# click's own English words: none may reach the user.
ENGLISH = ("Got unexpected", "requires an argument", "does not take a value", "No such", "Did you mean",
           "Missing command", "Missing argument", "Missing option", "Invalid value", "is not one of",
           "is not a valid", "Possible options", "Error:", "Usage:", "Try '")


def refused(cli, args: list[str]):
    result = cli(args)
    assert result.code == 2, (args, result.code, result.out, result.err)
    no_traceback(result)
    for word in ENGLISH:
        assert word not in result.err + result.out, (args, word, result.err)
    return flat(result.err)


def new_case(cli) -> str:
    out = ok(cli, "new", "--guide", "resen", "--answers", str(RESEN)).out
    return out.split("Ny sag: ", 1)[1].split()[0]


# ================================================================ usage errors in Danish


@pytest.mark.parametrize("args, said, hint", [
    (["lsit"], "Ukendt kommando: «lsit». Mente du «list»?", "Se: rettidig --help"),
    (["aftale", "nyy"], "Ukendt kommando: «nyy». Mente du «ny»?", "Se: rettidig aftale --help"),
    (["mode"], "Ukendt kommando: «mode». Mente du «møde»?", "Se: rettidig --help"),
    (["xyzzy"], "Ukendt kommando: «xyzzy».", "Se: rettidig --help"),
    (["plan", "RT-2026-001", "ekstra"], "rettidig plan forstår ikke: «ekstra».", "Se: rettidig plan --help"),
    (["list", "--tilbud"], "--tilbud skal have en værdi efter sig, fx --tilbud TEKST.", "Se: rettidig list --help"),
    (["list", "--tilbu", "Vuggestue"], "Ukendt valgmulighed: --tilbu. Mente du «--tilbud»?",
     "Se: rettidig list --help"),
    (["list", "-x"], "Ukendt valgmulighed: -x.", "Se: rettidig list --help"),
    (["list", "--json=3"], "--json tager ingen værdi: skriv bare --json.", "Se: rettidig list --help"),
    (["oprydning", "--lukkede-efter", "tolv"], "Ugyldig værdi for --lukkede-efter: «tolv». Skriv et helt tal",
     "Se: rettidig oprydning --help"),
    (["export", "RT-2026-001", "--moede=første"], "Ugyldig værdi for --moede: «første». Skriv et helt tal",
     "Se: rettidig export --help"),
    (["aftale", "--"], "Skriv en kommando efter rettidig aftale: «ny», «status»", "Se: rettidig aftale --help"),
    (["guide", "show"], "Mangler NAVN.", "Se: rettidig guide show --help"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_usage_errors_are_danish_and_keep_what_is_useful(cli, data_home, args, said, hint):
    err = refused(cli, args)
    assert said in err
    assert err.endswith(hint)
    assert not db_file(data_home).exists()  # refused before anything is opened


def test_words_meant_as_one_text_get_the_tip_about_quotes(cli):
    err = refused(cli, ["aftale", "ny", "RT-2026-001", "--hvad", "Læse", "højt", "--hvem", "Bo"])
    assert "rettidig aftale ny forstår ikke: «højt»." in err
    assert 'sæt anførselstegn om hele teksten' in err
    # A command with no text to quote gets no tip.
    assert "anførselstegn" not in refused(cli, ["plan", "RT-2026-001", "ekstra"])


def test_the_message_is_read_from_the_error_not_from_its_english_words():
    """click's words may be translated (gettext) or changed: the Danish message is made from the
    error's class and what it carries."""
    from typer._click import exceptions as click_errors

    from rettidig_cli.commands.app import _usage_message
    from rettidig_cli.commands.common import NoSuchCommand

    assert _usage_message(click_errors.NoSuchOption("--tilbu", message="Keine solche Option: --tilbu",
                                                    possibilities=["--tilbud"])) == \
        "Ukendt valgmulighed: --tilbu. Mente du «--tilbud»?"
    assert _usage_message(NoSuchCommand("lsit", ["list", "find"], None)) == \
        "Ukendt kommando: «lsit». Mente du «list» eller «find»?"


def test_a_group_alone_shows_its_help_and_nothing_else(cli):
    result = cli(["aftale"])
    assert result.code == 0
    assert "Brug: rettidig aftale" in result.out
    assert result.err == ""  # before: "Forkert brug: " (empty) and exit 2


# ================================================================ -h


@pytest.mark.parametrize("command", [[], ["aftale"], ["møde"], ["guide"], ["kryptering"], ["plan"], ["aftale", "ny"],
                                     ["guide", "show"], ["observation"], ["list"]],
                         ids=lambda c: " ".join(c) or "rettidig")
def test_h_is_help_everywhere(cli, command):
    long = cli([*command, "--help"])
    short = cli([*command, "-h"])
    assert (short.code, long.code) == (0, 0), short.err
    assert short.out == long.out
    assert "Brug: rettidig" in short.out


# ================================================================ the start screen


def test_start_screen_without_a_data_file_says_how_to_begin_and_makes_no_file(cli, data_home):
    before = sorted(p.name for p in data_home.rglob("*"))
    result = cli([])
    assert result.code == 0, result.err
    out = flat(result.out)
    assert "Der er ingen sager endnu" in out
    for command in ("rettidig new", "rettidig guide list", "rettidig --help"):
        assert command in out
    assert "Brug: rettidig" not in out  # not the whole help
    assert len(result.out.splitlines()) <= 8
    assert sorted(p.name for p in data_home.rglob("*")) == before
    assert not db_file(data_home).exists()


def test_start_screen_shows_the_most_urgent_cases_and_logs_them(cli, data_home):
    codes = [new_case(cli) for _ in range(7)]
    result = cli([])
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    shown = [code for code in codes if any(line.strip().startswith(code) for line in lines)]
    assert len(shown) == 5
    out = flat(result.out)
    assert "7 åbne sager" in out
    assert "… og 2 sager mere: rettidig list" in out
    for command in ("rettidig list", "rettidig new", "rettidig plan SAG", "rettidig --help"):
        assert command in out
    assert len(lines) <= 16
    assert max(len(line) for line in lines) <= 120  # one line a case (COLUMNS=120 in the tests)
    rows = query(data_home, "SELECT action, purpose, detail, shown FROM audit_log WHERE purpose = 'startskærm'")
    assert rows == [{"action": "søg", "purpose": "startskærm", "detail": "startskærm, 5 sager",
                     "shown": " ".join(shown)}]


def test_start_screen_with_only_closed_cases_says_how_to_begin(cli):
    code = new_case(cli)
    ok(cli, "luk", code, "--grund", "Trivslen er genoprettet", "--opsummering", "Det går godt.")
    result = cli([])
    assert result.code == 0, result.err
    assert "Der er ingen åbne sager" in flat(result.out)
    assert "rettidig new" in result.out


def test_start_screen_asks_no_passphrase_for_a_locked_file(cli, data_home, storage):
    if storage == "krypteret":
        pytest.skip("the file is locked by a passphrase here")
    from test_encryption import PASSPHRASE, write_settings

    write_settings(data_home, "adgangskode")
    ok(cli, "new", "--guide", "resen", "--answers", str(RESEN), keys=PASSPHRASE + ENTER + PASSPHRASE + ENTER)
    before = db_file(data_home).read_bytes()
    result = cli([], keys="")  # a terminal that types nothing: a passphrase question would end in EOF
    assert result.code == 0, result.err
    out = flat(result.out)
    assert "Datafilen er låst med en adgangskode. Se dine sager med: rettidig list" in out
    assert "Adgangskode" not in result.out + result.err
    assert "rettidig new" in out
    assert db_file(data_home).read_bytes() == before


def test_start_screen_never_asks_to_encrypt_a_first_file(cli, data_home):
    (data_home / "indstillinger.toml").unlink()  # the first-run question would come with a new file
    result = cli([], keys="")
    assert result.code == 0, result.err
    assert "krypter" not in result.out.lower()
    assert not db_file(data_home).exists()


# ================================================================ help screens


def all_commands():
    import typer

    from rettidig_cli.commands.app import app

    def walk(command, path):
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            if getattr(sub, "commands", None):
                yield from walk(sub, [*path, name])
            else:
                yield [*path, name], sub

    return list(walk(typer.main.get_command(app), []))


def test_every_command_has_an_example_that_uses_its_own_options():
    commands = all_commands()
    assert len(commands) > 30
    missing = [" ".join(path) for path, command in commands if "Eksempel:" not in (command.help or "")]
    assert missing == []
    for path, command in commands:
        example = (command.help or "").split("Eksempel:", 1)[1].strip().splitlines()[0]
        words = shlex.split(example)
        assert words[0] == "rettidig", example
        # The example is written with the command's own name (or its visible spelling: møde, not moede),
        # or, for the default command of a group (`rettidig observation SAG`), with the group's.
        names = [path, [{"moede": "møde", "genaabn": "genåbn"}.get(p, p) for p in path], path[:-1]]
        assert any(words[1:len(name) + 1] == name for name in names), (path, example)
        options = {o for p in command.params for o in (*getattr(p, "opts", ()), *getattr(p, "secondary_opts", ()))
                   if o.startswith("-")}
        used = {w.split("=", 1)[0] for w in words if w.startswith("--")}
        assert used <= options, (path, used - options)


def test_db_is_in_its_own_panel_at_the_bottom(cli):
    out = ok(cli, "aftale", "ny", "--help").out
    assert out.index("─ Valgmuligheder ─") < out.index("│ --hvad") < out.index("─ Avanceret ─") < out.index("│ --db")
    assert out.rstrip().endswith("╯") and out.count("─ Avanceret ─") == 1


# ================================================================ the Tab key


def test_tab_completes_commands_and_options(cli, monkeypatch):
    monkeypatch.setenv("_RETTIDIG_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "rettidig pl")
    monkeypatch.setenv("COMP_CWORD", "1")
    result = cli([])
    assert result.code == 0, result.err
    assert result.out.split() == ["plan", "placering"]
    monkeypatch.setenv("COMP_WORDS", "rettidig aftale ny RT-2026-001 --h")
    monkeypatch.setenv("COMP_CWORD", "4")
    result = cli(["aftale", "ny", "RT-2026-001", "--h"])
    assert set(result.out.split()) == {"--hvad", "--hvem", "--help"}


@pytest.mark.parametrize("shell, script, rc", [
    ("bash", ".bash_completions/rettidig.sh", ".bashrc"),
    ("zsh", ".zfunc/_rettidig", ".zshrc"),
    ("fish", ".config/fish/completions/rettidig.fish", None),
])
def test_installer_tab_sets_up_the_shell_once(cli, monkeypatch, tmp_path, shell, script, rc):
    import shellingham

    home = tmp_path / "hjem"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(shellingham, "detect_shell", lambda: (shell, f"/bin/{shell}"))
    if rc:
        (home / rc).write_text("# mine\nalias ll='ls -l'", encoding="utf-8")  # no newline at the end
    for _ in range(2):
        result = ok(cli, "--installer-tab")
        assert f"Tab-tasten er sat op til rettidig i {shell}" in flat(result.out)
    assert "_RETTIDIG_COMPLETE" in (home / script).read_text(encoding="utf-8")
    if rc:
        text = (home / rc).read_text(encoding="utf-8")
        assert text.startswith("# mine\nalias ll='ls -l'\n")  # kept, with the new line on a line of its own
        assert len(text.splitlines()) == 3  # the line that loads the script, once


def test_installer_tab_in_an_unknown_shell_says_which_it_can(cli, monkeypatch, tmp_path):
    import shellingham

    home = tmp_path / "hjem"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(shellingham, "detect_shell", lambda: ("tcsh", "/bin/tcsh"))
    result = cli(["--installer-tab"])
    assert result.code == 2
    no_traceback(result)
    assert "Tab-tasten kan sættes op i bash, zsh og fish, men din terminal bruger tcsh." in flat(result.err)
    assert list(home.iterdir()) == []


def test_completion_costs_no_start_of_another_command():
    """Control: the Tab key's parts are loaded only when the shell asks (--version stays light)."""
    import subprocess
    import sys

    from conftest import ROOT

    code = ("import sys; sys.argv = ['rettidig', '--version']; from rettidig_cli.commands import app\n"
            "try:\n    app.main()\nexcept SystemExit:\n    pass\n"
            "print([m for m in ('rich', 'questionary', 'sqlite3', 'rettidig_cli.storage.store') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


# ================================================================ questions


def test_a_case_chosen_from_the_list_keeps_the_other_options(cli):
    """`rettidig plan --json` without SAG, in a terminal: the case is chosen from a list, and the
    plan comes as JSON (before, the options typed were lost when the case was added)."""
    code = new_case(cli)
    result = cli(["plan", "--json"], keys=ENTER)
    assert result.code == 0, result.err
    assert json.loads(result.out[result.out.index("{"):])["kode"] == code


def test_checkbox_answer_is_said_in_danish():
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.data_structures import Size
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output.vt100 import Vt100_Output

    from rettidig_cli.ui import prompts

    def answered(keys: str, choices) -> tuple[list, str]:
        screen = io.StringIO()
        output = Vt100_Output(screen, lambda: Size(rows=24, columns=80), term="xterm")
        with create_pipe_input() as inp:
            inp.send_text(keys)
            with create_app_session(input=inp, output=output):
                picked = prompts.checkbox("Hvem deltager?", choices, instruction="(mellemrum vælger, Enter gemmer)")
        return picked, screen.getvalue()

    picked, screen = answered(SPACE + DOWN + DOWN + SPACE + ENTER, [("Pædagog", 1), ("Leder", 2), ("PPR", 3)])
    assert picked == [1, 3]
    assert "Pædagog, PPR" in screen
    assert "mellemrum vælger" in screen  # Danish instruction while asking
    assert "done" not in screen and "selection" not in screen and "Use arrow" not in screen
    _, screen = answered(ENTER, [("Pædagog", 1)])
    assert "ingen valgt" in screen and "done" not in screen
    _, screen = answered(SPACE + DOWN + SPACE + ENTER, [("A" * 40, 1), ("B" * 40, 2)])
    assert "2 valgt" in screen
