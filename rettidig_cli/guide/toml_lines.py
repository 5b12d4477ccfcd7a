"""Line numbers for keys in a TOML file, and a guess at the key meant by a typo.

`tomllib` returns plain dicts and lists without positions, so an error about a key it parsed
cannot name the line. This module scans the text once more with a small tokenizer that
understands exactly the constructs that could fool a line-by-line search (strings and
multi-line strings holding `=`, `[`, `{` or `#`, comments, quoted and dotted keys, inline
tables and arrays over several lines, arrays of tables) and records where every key path of
the parse result is written. It does not validate: the text has already been parsed by
`tomllib`, and on text it cannot follow it simply finds nothing.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import tomllib

__all__ = ["locate", "nearest"]

# A bare key ends at any of these; everything else is taken as part of it, so a newer TOML
# that allows more characters in bare keys still scans.
_KEY_END = frozenset(" \t\r\n.=[]{},#\"'")
# A scalar value (number, boolean, date) ends at any of these; a date may hold a space.
_SCALAR_END = frozenset(",]}#\r\n")


class _CannotScan(Exception):
    """The text is not TOML this scanner can follow."""


class _Scanner:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.found: dict[tuple, int] = {}  # key path -> offset where it is written
        self.implicit: set[tuple] = set()  # tables only mentioned as part of a longer header
        self.aot_count: dict[tuple, int] = {}  # array-of-tables path -> elements so far

    # -- positions -------------------------------------------------------------------------

    def mark(self, path: tuple, offset: int, implicit: bool = False) -> None:
        """Keep the first place a path is written; a later `[a]` header still wins over an
        earlier `[a.b]` that only created `a` on the way."""
        if path not in self.found or (path in self.implicit and not implicit):
            self.found[path] = offset
            if implicit:
                self.implicit.add(path)
            else:
                self.implicit.discard(path)

    # -- low-level reading -----------------------------------------------------------------

    def peek(self, s: str) -> bool:
        return self.text.startswith(s, self.pos)

    def expect(self, s: str) -> None:
        if not self.peek(s):
            raise _CannotScan(f"expected {s!r} at offset {self.pos}")
        self.pos += len(s)

    def skip_blank(self, newlines: bool) -> None:
        """Skip spaces and comments, and line ends too when `newlines` (inside arrays)."""
        text, n = self.text, len(self.text)
        while self.pos < n:
            c = text[self.pos]
            if c in " \t" or (newlines and c in "\r\n"):
                self.pos += 1
            elif c == "#":
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end
            else:
                break

    def skip_string(self) -> str:
        """Skip one string of any of the four kinds; return its raw text with quotes."""
        text, start = self.text, self.pos
        for delim, escapes in (('"""', True), ("'''", False), ('"', True), ("'", False)):
            if self.peek(delim):
                break
        else:
            raise _CannotScan(f"no string at offset {start}")
        i = start + len(delim)
        while True:
            if i >= len(text):
                raise _CannotScan("unterminated string")
            if escapes and text[i] == "\\":
                i += 2  # the escaped character can be a quote, so never end on it
            elif text.startswith(delim, i):
                i += len(delim)
                if len(delim) == 3:
                    # `""""` ends a multi-line string with a quote in its content: up to two
                    # extra quotes belong to the content, the last three close it.
                    extra = 0
                    while extra < 2 and i < len(text) and text[i] == delim[0]:
                        i, extra = i + 1, extra + 1
                break
            elif len(delim) == 1 and text[i] == "\n":
                raise _CannotScan("line end in a one-line string")
            else:
                i += 1
        self.pos = i
        return text[start:i]

    def key_part(self) -> tuple[str, int]:
        """One part of a (possibly dotted) key: its name as tomllib reports it, and its offset."""
        start = self.pos
        if self.peek('"'):
            raw = self.skip_string()
            # tomllib decodes the escapes, so the name is exactly the one in its result.
            return next(iter(tomllib.loads(f"{raw} = 0"))), start
        if self.peek("'"):
            return self.skip_string()[1:-1], start
        while self.pos < len(self.text) and self.text[self.pos] not in _KEY_END:
            self.pos += 1
        if self.pos == start:
            raise _CannotScan(f"no key at offset {start}")
        return self.text[start:self.pos], start

    def dotted_key(self) -> list[tuple[str, int]]:
        parts = [self.key_part()]
        while True:
            self.skip_blank(newlines=False)
            if not self.peek("."):
                return parts
            self.pos += 1
            self.skip_blank(newlines=False)
            parts.append(self.key_part())

    # -- structure -------------------------------------------------------------------------

    def document(self) -> dict[tuple, int]:
        table: tuple = ()  # the table that key/value lines belong to
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return self.found
            if self.peek("["):
                table = self.header()
            else:
                self.key_value(table)

    def header(self) -> tuple:
        """Read `[a.b]` or `[[a.b]]` and return the concrete path of the table it opens."""
        array = self.peek("[[")
        self.pos += 2 if array else 1
        self.skip_blank(newlines=False)
        parts = self.dotted_key()
        self.expect("]]" if array else "]")
        path: tuple = ()
        for name, offset in parts[:-1]:
            path += (name,)
            self.mark(path, offset, implicit=True)
            # `[[phases.steps]]` extends the latest `[[phases]]` element, so the index of the
            # parent is part of the path and step counts restart in every phase.
            if path in self.aot_count:
                path += (self.aot_count[path] - 1,)
        name, offset = parts[-1]
        path += (name,)
        if not array:
            self.mark(path, offset)
            return path
        index = self.aot_count.get(path, 0)
        self.aot_count[path] = index + 1
        self.mark(path, offset)
        self.mark(path + (index,), offset)
        return path + (index,)

    def key_value(self, table: tuple) -> None:
        path = table
        for name, offset in self.dotted_key():
            path += (name,)
            self.mark(path, offset)  # `a.b = 1` also writes table `a` here
        self.skip_blank(newlines=False)
        self.expect("=")
        self.skip_blank(newlines=False)
        self.value(path)

    def value(self, path: tuple) -> None:
        if self.peek('"') or self.peek("'"):
            self.skip_string()
        elif self.peek("{"):
            self.pos += 1
            while True:
                # Newlines are not TOML 1.0 inside `{}`, but skipping them costs nothing.
                self.skip_blank(newlines=True)
                if self.peek("}"):
                    self.pos += 1
                    return
                self.key_value(path)
                self.skip_blank(newlines=True)
                if self.peek(","):
                    self.pos += 1
        elif self.peek("["):
            self.pos += 1
            index = 0
            while True:
                self.skip_blank(newlines=True)
                if self.pos >= len(self.text):
                    raise _CannotScan("unterminated array")
                if self.peek("]"):
                    self.pos += 1
                    return
                self.mark(path + (index,), self.pos)
                self.value(path + (index,))
                index += 1
                self.skip_blank(newlines=True)
                if self.peek(","):
                    self.pos += 1
        else:
            start = self.pos
            while self.pos < len(self.text) and self.text[self.pos] not in _SCALAR_END:
                self.pos += 1
            if self.pos == start:
                raise _CannotScan(f"no value at offset {start}")


@functools.lru_cache(maxsize=8)
def _positions(text: str) -> tuple[dict[tuple, int], list[int]] | None:
    """Every key path's offset, and the offsets where lines start (cached: a reader may ask
    for several keys of one file)."""
    try:
        found = _Scanner(text).document()
    except (_CannotScan, tomllib.TOMLDecodeError, RecursionError):
        return None
    line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    return found, line_starts


def locate(text: str, path: tuple) -> tuple[int, int] | None:
    """The 1-based (line, column) where the key at `path` is written in the TOML `text`.

    `path` is a key path into `tomllib.loads(text)`: strings for keys, ints for list indexes.
    A table opened by a header points at its name in the header (`[safety]`, the n-th
    `[[phases]]`); an element of an inline array points at the element's first character.
    Lines are counted by "\\n" only, as tomllib counts them, so split with `text.split("\\n")`
    (not `splitlines()`, which also splits at characters a TOML string may contain).
    None when the path is not in the text or the text cannot be scanned.
    """
    scanned = _positions(text)
    if scanned is None:
        return None
    found, line_starts = scanned
    offset = found.get(tuple(path))
    if offset is None:
        return None
    line = bisect.bisect_right(line_starts, offset)
    return line, offset - line_starts[line - 1] + 1


def nearest(key: str, known) -> str | None:
    """The known key a typo most likely meant, or None when none is reasonably close.

    Case is ignored (`Message` -> `message`), and difflib's ratio catches a letter too many,
    too few or swapped (`parents_allways`, `requird`, `mesage`)."""
    by_lower: dict[str, str] = {}
    for name in known:
        by_lower.setdefault(name.lower(), name)
    if key.lower() in by_lower:
        return by_lower[key.lower()]
    close = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None
