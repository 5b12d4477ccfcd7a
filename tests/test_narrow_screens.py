"""Screens that fit (issue 16): the morning view and the timeline at 80 columns cut nothing and
wrap no column a word a line; the table at 120 shows every word; long output in a terminal goes
through a pager as git log's does; a choice wider than the terminal wraps instead of being cut."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import to_toml
from helpers import created_code, flat, ok
from seeded import answers_up_to, full_answers

GUIDES = ("resen", "ikast-brande-dagtilbud", "hedensted", "herlev", "ishoej-vallensbaek-tois")
LONG_AGREEMENT = "Pædagogen laver en sprogvurdering med TRAS og drøfter den med forældrene"
posix_only = pytest.mark.skipif(os.name == "nt", reason="the fake pagers are shell scripts")


def new_case(cli, tmp_path: Path, guide: str, answers: dict) -> str:
    path = tmp_path / f"{guide}-svar.toml"
    path.write_text(to_toml(answers), encoding="utf-8")
    return created_code(ok(cli, "new", "--guide", guide, "--answers", str(path)).out)


@pytest.fixture
def five(cli, tmp_path):
    """A case from each shipped guide, one of them stopped in its first phase (its phase title is
    longer than the old table's 24 characters), one with a long agreement long overdue."""
    codes = [new_case(cli, tmp_path, guide, full_answers(guide)) for guide in GUIDES[:4]]
    codes.append(new_case(cli, tmp_path, GUIDES[4], answers_up_to(GUIDES[4], 1)))
    ok(cli, "aftale", "ny", codes[0], "--hvad", LONG_AGREEMENT, "--hvem", "Ressourcepædagog Mette Hansen",
       "--senest", "2020-03-02")
    return codes


def rows_of(cli) -> list[dict]:
    return json.loads(ok(cli, "list", "--json").out)


def todo_of(row: dict) -> list[str]:
    from rettidig_cli.views import overview

    return overview.shown_tasks(row)


def assert_whole(out: str, rows: list[dict]) -> None:
    """Every word the user needs is on the screen whole: the codes, children, tovholdere, phases and
    each thing to do, and no "…" but the ones the data itself has."""
    text = flat(out)
    for row in rows:
        for value in (row["kode"], row["barn"], row["tovholder"], row["fase"], *todo_of(row)):
            if value:
                assert value in text, (value, out)
    ellipses = sum(value.count("…") for row in rows for value in (row["fase"], *todo_of(row)))
    assert out.count("…") == ellipses, out


# ---------------------------------------------------------------- rettidig list


def test_the_morning_view_at_80_columns_is_a_block_per_case(cli, five, monkeypatch):
    ok(cli, "tovholder", five[1], "--navn", "Marie-Louise Kristiansen-Bøgelund", "--rolle", "pædagog")
    rows = rows_of(cli)
    monkeypatch.setenv("COLUMNS", "80")
    out = ok(cli, "list").out
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "┃" not in out and "│" not in out  # no table: nothing shares a line with another column
    for row in rows:
        # The case's first line: code, child, setting (and the position on the ruler, if any).
        head = next(line for line in out.splitlines() if line.startswith(row["kode"]))
        assert f"{row['kode']}  {row['barn']} · {row['aldersgruppe']} · {row['tilbud']}" in head
        for item in todo_of(row):
            assert f"  • {item.split()[0]}" in out
    assert_whole(out, rows)
    assert "Marie-Louise Kristiansen-Bøgelund" in out  # a long name on one line, not cut
    assert LONG_AGREEMENT[:30] in flat(out)


def test_the_morning_view_at_120_columns_is_a_table_with_every_word(cli, five, monkeypatch):
    from rich.console import Console

    from rettidig_cli.ui import render

    rows = rows_of(cli)
    console = Console(width=120, record=True, file=io.StringIO(), color_system=None)
    render.print_list(rows, console)
    out = console.export_text()
    assert "┃ Sag" in out and all(len(line) <= 120 for line in out.splitlines())
    words = out.split()
    for row in rows:
        for value in (row["kode"], row["barn"], row["tovholder"], row["fase"], *todo_of(row)):
            for word in value.split():
                assert word in words, (word, out)  # a word is never broken over two lines, nor cut
    ellipses = sum(value.count("…") for row in rows for value in (row["fase"], *todo_of(row)))
    assert out.count("…") == ellipses, out
    # The case stopped after its first phase has a phase longer than the 24 characters the old
    # table cut it to, and it is whole (above).
    assert any(row["fase"] != "Alle faser gennemgået" and len(row["fase"]) > 24 for row in rows)


def row(code: str, **changes) -> dict:
    line = {"kode": code, "barn": "Ida", "tilbud": "Børnehave", "fase": "2/5 Undersøg, iagttag og vurdér trivslen",
            "fase_nummer": 2, "tovholder": "Ali Demir", "naeste_statusmoede": "2026-12-10",
            "placering": "Bekymringsbarn med behov for særlig opmærksomhed", "placering_farve": "yellow",
            "lukket": None, "niveau": 1, "opgaver": ["Statusmøde i morgen"],
            "mistanke_om_vold_eller_overgreb": False}
    line.update(changes)
    return line


@pytest.mark.parametrize("width", [60, 80, 100, 120, 160])
def test_no_width_cuts_a_word(width):
    """Long words in every column (a position on the ruler, a phase, a name): at any width the table
    shows them whole, or the blocks do."""
    from rich.console import Console

    from rettidig_cli.ui import render

    rows = [row("RT-2026-001"), row("RT-2026-002", tovholder="Marie-Louise Kristiansen-Bøgelund", placering="",
                                    opgaver=["Aftale 1 overskredet (2. mar. 2020): " + LONG_AGREEMENT[:39] + "…",
                                             "Iagttagelserne skal ligge klar fredag 11. december 2026"]),
            row("RT-2026-003", lukket={"dato": "2026-11-30", "grund": "Bekymringen er væk"}, niveau=5, opgaver=[]),
            row("RT-2026-004", mistanke_om_vold_eller_overgreb=True, niveau=0, opgaver=[])]
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    render.print_list(rows, console)
    out = console.export_text()
    assert all(len(line) <= width for line in out.splitlines())
    words = out.replace("●", " ").split()
    for line in rows:
        for value in (line["kode"], line["barn"], line["tovholder"], line["fase"], line["placering"], *todo_of(line)):
            for word in value.split():
                assert word in words, (width, word, out)
    assert out.count("…") == 1  # the one in the data


def test_the_blocks_say_what_the_table_says(cli, five, monkeypatch):
    """The blocks at 80 columns and the table at 120 come from the same lines: the same cases in the
    same order, and the same things to do."""
    wide = flat(ok(cli, "list").out)
    monkeypatch.setenv("COLUMNS", "80")
    narrow = flat(ok(cli, "list").out)
    codes = [row["kode"] for row in rows_of(cli)]
    assert sorted(codes, key=wide.index) == codes == sorted(codes, key=narrow.index)


# ---------------------------------------------------------------- rettidig historik


def test_the_timeline_at_80_columns_gives_the_text_the_width(cli, five, monkeypatch):
    code = five[0]
    entries = json.loads(ok(cli, "historik", code, "--json").out)
    monkeypatch.setenv("COLUMNS", "80")
    out = ok(cli, "historik", code).out
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines) and "│" not in out
    text = flat(out)
    kinds = {e["type"] for e in entries}
    indent = max(len(kind) for kind in kinds) + 4
    for e in entries:
        assert e["tekst"] in text, e
        # Each entry begins on a line of its own with its kind; its text starts within the first
        # columns (a date column no longer takes a third of the screen).
        first = e["tekst"][:20].split()[0]
        assert any(line.startswith(f"  {e['type']}") and line[indent:].startswith(first) for line in lines), e


# ---------------------------------------------------------------- the pager


def fake_pager(folder: Path, body: str = 'cat > "$0.out"') -> Path:
    """A pager that keeps what it is given (and $LESS) beside itself."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "fakepager"
    script.write_text(f'#!/bin/sh\nprintf "%s" "${{LESS-unset}}" > "$0.less"\n{body}\n', encoding="utf-8")
    script.chmod(0o755)
    return script


def test_which_pager():
    from rettidig_cli.ui.output import pager_command

    path = os.environ.get("PATH", "")
    assert pager_command({"PATH": path, "PAGER": "cat"}, True) is None
    assert pager_command({"PATH": path, "PAGER": ""}, True) is None
    assert pager_command({"PATH": path, "PAGER": "   "}, True) is None
    assert pager_command({"PATH": path, "PAGER": "ingen-sådan-pager"}, True) is None  # printed instead
    assert pager_command({"PATH": path, "PAGER": "less 'unmatched"}, True) is None
    assert pager_command({"PATH": path, "PAGER": "sh", "TERM": "dumb"}, True) is None
    assert pager_command({"PATH": path, "PAGER": "sh"}, False) is None  # a pipe, a file, tests, CI


@posix_only
def test_which_pager_when_it_is_there(tmp_path):
    from rettidig_cli.ui.output import pager_command

    script = fake_pager(tmp_path)
    (tmp_path / "less").symlink_to(script)
    path = str(tmp_path)
    assert pager_command({"PATH": path}, True) == ["less"]  # PAGER not set: less, as git
    assert pager_command({"PATH": path, "PAGER": "fakepager -R --x"}, True) == ["fakepager", "-R", "--x"]
    assert pager_command({"PATH": path, "PAGER": "less"}, False) is None


def test_rows_on_the_screen():
    from rettidig_cli.ui.output import screen_rows

    assert screen_rows("", 80) == 0
    assert screen_rows("a\nb\n", 80) == 2
    assert screen_rows("\x1b[1;31m" + "x" * 80 + "\x1b[0m\n", 80) == 1  # colour codes take no room
    assert screen_rows("x" * 81 + "\n\n", 80) == 3  # a line wider than the screen takes two, an empty one one
    assert screen_rows("æøå " * 30, 80) == 2


class FakeTerminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch, tmp_path):
    """A terminal of 80 x 10 for standard output; PAGER is a fake pager that keeps what it got.
    The test calls become() first: pytest's capture puts its own stdout back between a fixture and
    the test."""
    fake = FakeTerminal()
    monkeypatch.setenv("LINES", "10")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("LESS", raising=False)
    script = fake_pager(tmp_path / "bin")
    monkeypatch.setenv("PAGER", str(script))

    def become():
        monkeypatch.setattr(sys, "stdout", fake)
        return fake, script

    return become


def print_lines(n: int) -> None:
    from rich.text import Text

    from rettidig_cli.ui.output import make_console

    console = make_console()
    for i in range(n):
        console.print(Text(f"linje {i}", style="bold red"))


@posix_only
def test_taller_than_the_terminal_is_paged_with_colours_and_less_set(terminal):
    from rettidig_cli.ui.output import paged

    fake, script = terminal()
    with paged():
        print_lines(30)
    got = Path(f"{script}.out").read_text(encoding="utf-8")
    assert "linje 0" in got and "linje 29" in got and "\x1b[" in got  # colours kept (less -R shows them)
    assert Path(f"{script}.less").read_text() == "FRX"
    assert fake.getvalue() == ""


@posix_only
def test_a_less_the_user_set_is_kept(terminal, monkeypatch):
    from rettidig_cli.ui.output import paged

    fake, script = terminal()
    monkeypatch.setenv("LESS", "-S")
    with paged():
        print_lines(30)
    assert Path(f"{script}.less").read_text() == "-S"


@posix_only
def test_what_fits_is_printed(terminal):
    from rettidig_cli.ui.output import paged

    fake, script = terminal()
    with paged():
        print_lines(8)  # and the shell's prompt under it: 9 of 10 rows
    assert not Path(f"{script}.out").exists()
    assert "linje 7" in fake.getvalue() and "\x1b[" in fake.getvalue()


@posix_only
def test_paging_off_or_impossible_prints(terminal, monkeypatch, tmp_path):
    from rettidig_cli.ui.output import paged

    fake, script = terminal()
    for pager in ("cat", "", str(tmp_path / "ingen-pager")):
        monkeypatch.setenv("PAGER", pager)
        fake.seek(0)
        fake.truncate()
        with paged():
            print_lines(30)
        assert "linje 29" in fake.getvalue(), pager
    assert not Path(f"{script}.out").exists()


@posix_only
def test_an_error_in_the_block_prints_what_came_before_it(terminal):
    from rettidig_cli.ui.output import paged

    fake, script = terminal()
    with pytest.raises(ValueError):
        with paged():
            print_lines(30)
            raise ValueError("x")
    assert "linje 29" in fake.getvalue() and sys.stdout is fake
    assert not Path(f"{script}.out").exists()


@posix_only
def test_quitting_the_pager_early_is_no_error(terminal, monkeypatch, tmp_path):
    """A pager quit after the first screen: the rest cannot be written (a broken pipe), which is no
    error; nor is Ctrl-C while the pager shows the text (it is the pager's, as in git)."""
    from rettidig_cli.ui.output import paged

    terminal()
    monkeypatch.setenv("PAGER", str(fake_pager(tmp_path / "quits", 'head -c 100 > "$0.out"')))
    with paged():
        print_lines(30_000)  # far more than a pipe holds
    assert Path(f"{tmp_path / 'quits' / 'fakepager'}.out").read_text(encoding="utf-8").startswith("\x1b[")


@posix_only
def test_ctrl_c_under_the_pager_does_not_stop_rettidig(tmp_path):
    """Ctrl-C reaches every process in the terminal: rettidig waits for the pager instead of stopping
    with "Afbrudt" (or a traceback) under it. In a process of its own: the pager sends it SIGINT."""
    pager = fake_pager(tmp_path, 'cat > "$0.out"; kill -INT $PPID; sleep 0.2')
    program = textwrap.dedent("""
        import io, sys
        class Terminal(io.StringIO):
            encoding = "utf-8"
            def isatty(self):
                return True
        real, sys.stdout = sys.stdout, Terminal()
        from rettidig_cli.ui.output import make_console, paged
        with paged():
            for i in range(50):
                make_console().print(f"linje {i}")
        real.write("færdig\\n")
    """)
    environment = {**os.environ, "PAGER": str(pager), "LINES": "10", "COLUMNS": "80"}
    done = subprocess.run([sys.executable, "-c", program], env=environment, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout == "færdig\n"
    assert "linje 49" in Path(f"{pager}.out").read_text(encoding="utf-8")


@posix_only
@pytest.mark.parametrize("command", ["plan", "historik", "list", "indsigt", "guide show"])
def test_the_long_screens_are_paged_in_a_terminal(cli, five, terminal, capsys, command):
    """plan, historik, list, indsigt and guide show page what is taller than the terminal; the
    same commands in a pipe (every other test) print it."""
    fake, script = terminal()
    args = {"guide show": ["guide", "show", "hedensted"]}.get(command, [command, five[0]])
    if command == "list":
        args = ["list"]
    ok(cli, *args)
    got = Path(f"{script}.out").read_text(encoding="utf-8")
    assert "\x1b[" in got, got[:200]
    assert five[0] in got or "hedensted" in got


def test_a_pipe_is_never_paged(cli, five, monkeypatch, tmp_path):
    script = fake_pager(tmp_path / "bin")
    monkeypatch.setenv("PAGER", str(script))
    monkeypatch.setenv("LINES", "5")
    for args in (["plan", five[0]], ["historik", five[0]], ["list"], ["indsigt", five[0]], ["guide", "show", "resen"]):
        assert five[0] in ok(cli, *args).out or args[0] == "guide"
    assert not Path(f"{script}.out").exists()


# ---------------------------------------------------------------- choices wider than the terminal


def test_a_long_choice_wraps_instead_of_being_cut():
    from rettidig_cli.ui.prompts import _wrapped

    title = f"3. {LONG_AGREEMENT} (Ressourcepædagog Mette Hansen, aftalt)"
    shown = _wrapped(title, 80)
    lines = shown.split("\n")
    assert len(lines) > 1 and all(3 + len(line) < 80 for line in lines)
    assert lines[1].startswith("     ")  # under the choice, not under the pointer
    assert " ".join(shown.split()) == title  # every word, in order
    assert _wrapped("Ja", 80) == "Ja" and _wrapped(title, 200) == title


def test_a_list_of_choices_wraps_its_lines(monkeypatch):
    """questionary draws the list (and the answered line) in windows that cut at the edge of the
    terminal; select() makes them wrap, and wraps the long choice at a space."""
    import questionary
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from rettidig_cli.ui import prompts

    made = []
    original = questionary.select

    def select(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(questionary, "select", select)
    title = f"1. {LONG_AGREEMENT} (Ressourcepædagog Mette Hansen, aftalt)"
    with create_pipe_input() as keys:
        keys.send_text("\r")
        with create_app_session(input=keys, output=DummyOutput()):  # 80 columns
            assert prompts.select("Hvilken aftale?", [(title, 1), ("2. Læse højt", 2)]) == 1
    from questionary.prompts.common import InquirerControl

    windows = list(made[0].application.layout.find_all_windows())
    assert windows and all(window.wrap_lines() for window in windows)
    listed = next(w.content for w in windows if isinstance(w.content, InquirerControl))
    shown = listed.choices[0].title
    assert "\n" in shown and all(3 + len(line) < 80 for line in shown.split("\n"))
    assert " ".join(shown.split()) == title


def test_guide_list_at_80_columns_shows_every_guide_id_whole_on_its_line(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = ok(cli, "guide", "list").out
    for guide in GUIDES:
        assert any(guide in line for line in out.splitlines()), (guide, out)
    assert "…" not in out


def test_indsigt_takes_a_part_of_the_code_and_cuts_nothing_at_80_columns(cli, tmp_path, monkeypatch):
    code = new_case(cli, tmp_path, "resen", full_answers("resen"))
    monkeypatch.setenv("COLUMNS", "80")
    out = ok(cli, "indsigt", code[-3:]).out
    assert f"Log for sag {code}" in out and "sikkerhedsspørgsmål" in out and "…" not in out


@posix_only
def test_a_pager_that_fails_leaves_the_text_on_the_screen_and_less_keeps_no_history(terminal, monkeypatch, tmp_path):
    from rettidig_cli.ui.output import paged

    fake, _ = terminal()
    monkeypatch.setenv("LESSHISTFILE", str(tmp_path / "history"))  # the user's own: not used by rettidig's pager
    failing = fake_pager(tmp_path / "fails", 'echo "$LESSHISTFILE" > "$0.out"; cat > /dev/null; exit 1')
    monkeypatch.setenv("PAGER", str(failing))
    with paged():
        print_lines(30)
    assert "linje 29" in fake.getvalue()
    assert Path(f"{failing}.out").read_text(encoding="utf-8").strip() == "-"


@pytest.mark.parametrize("columns", ["80", "120"])
def test_a_tasks_command_is_never_broken_across_lines(cli, five, monkeypatch, columns):
    import datetime as dt
    import re

    from rettidig_cli.domain import dates

    monkeypatch.setattr(dates, "today", lambda: dt.date.today() + dt.timedelta(days=70))  # meetings not registered
    monkeypatch.setenv("COLUMNS", columns)
    out = ok(cli, "list").out
    tasks = [task for row in rows_of(cli) for task in row["opgaver"]]
    wanted = [m.group(0) for task in tasks for m in [re.search(r"rettidig møde hold RT-\d{4}-\d{3} \d+", task)] if m]
    assert wanted, tasks
    for command in wanted:
        assert any(command in line for line in out.splitlines()), (command, out)
