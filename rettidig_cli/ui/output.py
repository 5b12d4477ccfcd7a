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

import json
import sys
from typing import Iterable, TextIO

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
