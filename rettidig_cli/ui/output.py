"""The output boundary: every string that reaches a terminal or a file goes through one cleaning
function, privacy.printable, at the moment it is written – whatever its source (the data file,
which any program can edit; a guide file; the environment, such as $USER; a file name).

Cleaning where text is read is not enough on its own: a new field, a new command or an older
data file is always one place that forgot. So the terminal side is a rich Console that cleans
each text segment just before rich turns the segments into the string it writes, and the file
side (exporters, JSON) cleans every string it puts in a file here too.

What is cleaned is the text only, never rich's own style codes (colours, bold) or its control
segments (cursor movement), which are made by rich and hold no data."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from typing import Iterable, Iterator, Mapping, TextIO

from rich.console import Console
from rich.segment import Segment

from rettidig_cli.domain.privacy import printable


def clean_segments(segments: Iterable[Segment]) -> list[Segment]:
    """The segments with their text cleaned. A control segment is rich's own escape code (cursor
    movement, a window title it was asked for) and is passed on as it is. A link in a style is
    cleaned too: rich writes it into an OSC 8 sequence, so an ESC or BEL in it would end that
    sequence early and start one of its own."""
    cleaned, seen = [], {}
    for text, style, control in segments:
        if control:
            cleaned.append(Segment(text, style, control))
            continue
        if style is not None and style.link:
            style = style.update_link(printable(style.link) or None)
        if not (text.isascii() and text.isprintable()):  # else nothing printable() removes can be in it
            if text not in seen:  # a screen repeats its pieces (spaces, borders): each cleaned once
                seen[text] = printable(text)
            text = seen[text]
        cleaned.append(Segment(text, style, control))
    return cleaned


class CleanConsole(Console):
    """A rich Console whose every text segment passes through privacy.printable just before it is
    written. Text is cleaned after layout, so a table holding a removed character may be a column
    narrower than rich measured; that only happens to text that was hostile or broken anyway."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        # Every normal write, the pager and capture() turn segments into text here.
        return super()._render_buffer(clean_segments(buffer))

    def _write_buffer(self) -> None:
        # The legacy Windows console and the recording buffer (export_text/export_html) read the
        # buffer without _render_buffer; cleaning it in place first covers them too. Cleaning is
        # idempotent, so the second pass in _render_buffer changes nothing.
        with self._lock:
            self._buffer[:] = clean_segments(self._buffer)
        super()._write_buffer()


def make_console(stderr: bool = False) -> CleanConsole:
    """The console every command prints with. highlight=False: rich would otherwise colour numbers
    and paths in case text as if they meant something; emoji=False: no ':word:' becomes an emoji
    (and rich's emoji table is not loaded at each start)."""
    return CleanConsole(stderr=stderr, highlight=False, emoji=False)


# The wizard's console (prompts.console): one for the whole run, like the rich Console it replaces.
console = make_console()


def clean_tree(value):
    """printable() on every string in a JSON-like value, dictionary keys included (a key can come
    from the data file as well: a step id, an answer's name)."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {clean_tree(key) if isinstance(key, str) else key: clean_tree(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_tree(item) for item in value]
    return value


def json_text(value) -> str:
    """JSON for a script or a file, every string cleaned first. json.dumps escapes C0 controls, but
    with ensure_ascii=False (Danish letters as they are) it leaves a bidi override or an 8-bit CSI
    (\\x9b) in the text, where a terminal or an editor showing the file acts on it."""
    return json.dumps(clean_tree(value), ensure_ascii=False, indent=2) + "\n"


def write_json(value, stream: TextIO | None = None) -> None:
    """json_text() to standard output (or the stream given)."""
    (stream or sys.stdout).write(json_text(value))


# ---------------------------------------------------------------- long output through a pager, as git does


PAGER = "less"
# Set for the pager when the user has not set them, as git does: less leaves by itself when the text
# fits on one screen (F), shows the colours (R) and leaves the text on the screen when it quits (X);
# lv shows the colours with -c.
PAGER_ENVIRONMENT = {"LESS": "FRX", "LV": "-c"}
# Always, whatever the user set: less keeps no history file, where a search for a child's name would stay.
PAGER_PRIVATE = {"LESSHISTFILE": "-"}


def pager_command(settings: Mapping[str, str], is_terminal: bool) -> list[str] | None:
    """The pager to run long output through, or None to print it as it is: never when standard
    output is not a terminal (a pipe, a file, tests, CI) or is a dumb one; $PAGER when it is set,
    less when it is not; PAGER=cat or an empty PAGER turn paging off; a pager that is not installed
    is none (the output is printed)."""
    import shlex
    import shutil

    if not is_terminal or settings.get("TERM") == "dumb":
        return None
    command = settings.get("PAGER", PAGER).strip()
    if command in ("", "cat"):
        return None
    try:
        words = shlex.split(command, posix=os.name != "nt")
    except ValueError:  # an unmatched quote
        return None
    # A quoted path with spaces keeps its quotes when split as on Windows.
    words = [w[1:-1] if len(w) > 1 and w[0] == w[-1] == '"' else w for w in words]
    if not words or shutil.which(words[0], path=settings.get("PATH")) is None:
        return None
    return words


_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def screen_rows(text: str, width: int) -> int:
    """How many rows of a terminal `width` columns wide the text fills (its colour codes take none,
    a line wider than the terminal takes more than one)."""
    from rich.cells import cell_len

    width = max(1, width)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return sum(max(1, -(-cell_len(_ESCAPES.sub("", line)) // width)) for line in lines)


class _Kept:
    """Standard output while a paged() block runs: the text is kept, and the stream says it is the
    terminal it stands in for (rich asks isatty() to choose colours, and the encoding for borders)."""

    def __init__(self, terminal: TextIO):
        self.terminal, self.parts = terminal, []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True

    @property
    def encoding(self) -> str:
        return getattr(self.terminal, "encoding", None) or "utf-8"

    def text(self) -> str:
        return "".join(self.parts)


@contextlib.contextmanager
def paged() -> Iterator[None]:
    """Page what the block prints to standard output when it is taller than the terminal, as git
    log does (see pager_command); else, and when it cannot be paged, print it as it is. Every
    console made in the block writes to sys.stdout, so all of it is kept, in order, with its
    colours. An error in the block prints what was kept before the error is said.

    rich's own console.pager() is not used: it pages only one console's output, through pydoc,
    which pages even a single line and does not set LESS."""
    settings = {"PAGER": os.environ.get("PAGER"), "TERM": os.environ.get("TERM"), "PATH": os.environ.get("PATH")}
    command = pager_command({k: v for k, v in settings.items() if v is not None}, _is_terminal(sys.stdout))
    if command is None or isinstance(sys.stdout, _Kept) or _legacy_windows():
        yield
        return
    terminal = sys.stdout
    kept = sys.stdout = _Kept(terminal)
    try:
        yield
    except BaseException:
        sys.stdout = terminal
        _write(terminal, kept.text())
        raise
    finally:
        sys.stdout = terminal
    import shutil

    text = kept.text()
    size = shutil.get_terminal_size()  # COLUMNS and LINES first, as rich
    if screen_rows(text, size.columns) < size.lines:  # fits, with the shell's prompt under it
        _write(terminal, text)
    else:
        run_pager(command, text, terminal)


def _legacy_windows() -> bool:
    """A Windows console without colour codes: rich writes to it with Windows calls, not text that
    can be kept and printed later."""
    if os.name != "nt":
        return False
    from rich.console import detect_legacy_windows

    return detect_legacy_windows()


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def _write(terminal: TextIO, text: str) -> None:
    terminal.write(text)
    terminal.flush()


def run_pager(command: list[str], text: str, terminal: TextIO) -> None:
    """The text through the pager (which reads the keyboard itself). Quitting it before the end, or
    Ctrl-C while it shows the text, is no error; a pager that cannot be started prints the text."""
    import signal
    import subprocess
    import threading

    environment = {**os.environ}  # the whole environment passed on to the pager (its TERM, its keys)
    for name, value in PAGER_ENVIRONMENT.items():
        environment.setdefault(name, value)  # a LESS the user set is theirs
    environment.update(PAGER_PRIVATE)
    terminal.flush()
    try:
        pager = subprocess.Popen(command, stdin=subprocess.PIPE, env=environment)
    except OSError:  # gone since pager_command found it, or not a program
        _write(terminal, text)
        return
    # Ctrl-C belongs to the pager while it runs (less stops a search with it): rettidig waits for
    # it to end, as git does, instead of stopping with it under the pager's screen.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        with contextlib.suppress(OSError):  # BrokenPipeError: the pager was quit before the end
            pager.stdin.write(text.encode(getattr(terminal, "encoding", None) or "utf-8", "replace"))
        with contextlib.suppress(OSError):
            pager.stdin.close()
        pager.wait()
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
    if pager.returncode > 0:  # the pager failed (a bad option in $PAGER): the text is not lost
        _write(terminal, text)
