"""Keeping a child's data safe in what users type: CPR detection and text cleaning."""

from __future__ import annotations

import re
import unicodedata

# Control characters and terminal escape sequences; newline and tab are kept.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Invisible characters that can reorder or hide text (bidi marks and overrides, among them the
# Arabic letter mark U+061C; zero-width and other format characters; variation selectors; tag
# characters), and code points XML (DOCX) cannot hold.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufffe\uffff\ud800-\udfff"
                        "\U000e0000-\U000e0fff]")
# Lone surrogates: bytes that were not UTF-8 (a terminal in another character set).
_SURROGATE = re.compile("[\ud800-\udfff]")

# ---------------------------------------------------------------- CPR numbers
#
# A CPR number is DDMMYY-SSSS. People write it in many ways: with an en dash from Word's
# autocorrect, spaces around the dash, the birth date grouped as 01.02.03 or 01-02-03, split over
# a line break, with a non-breaking space, with fullwidth or Arabic-Indic digits, with an
# invisible character pasted between the digits. Rather than one ever longer regex, every text is
# first brought to one canonical form by normalise_for_cpr(), and one small pattern runs on that.
# No modulus-11 check: numbers issued since 2007 may fail it, so a check would let real CPR
# numbers through.

# The one separator that every dash, space, line break, "." "/" "_" (a run of them) becomes.
CPR_SEPARATOR = "-"

# Dashes and minus signs outside Unicode's dash category (Pd), which takes the rest: the minus
# sign U+2212, the hyphen bullet, super-/subscript and heavy minus, the modifier minus.
_EXTRA_DASHES = frozenset("\u2212\u2043\u207b\u208b\u2796\u02d7")
# Punctuation that separates digit groups in dates and file names: 010203.1234, 010203/1234,
# 290187_4831.toml (the underscore and the other connectors, category Pc, are added by category);
# a backslash for Windows paths, the middle dot and the division and fraction slashes.
_PUNCTUATION_SEPARATORS = frozenset("./\\\u00b7\u2215\u2044")
# Default-ignorable code points (Unicode's DerivedCoreProperties) that are not format characters
# (Cf) or combining marks (Mn), both removed by category: the Hangul fillers, which are letters,
# and the unassigned ones of the ignorable blocks (a newer Unicode may give them a use).
_IGNORABLE = re.compile("[\u115f\u1160\u3164\uffa0\u2065\ufff0-\ufff8\U000e0000-\U000e0fff]")

# DDMMYY or DD-MM-YY, then an optional separator and SSSS, on text from normalise_for_cpr() (only
# ASCII digits, one separator). A split birth date has a separator in both places (the \1):
# "01-02031234" or "0102-03 1234" are not how a CPR number is written, and leaving them out keeps
# other number groups (phone numbers, amounts) out.
_CPR = re.compile(r"(?<![0-9])(?:0[1-9]|[12][0-9]|3[01])(-?)(?:0[1-9]|1[0-2])\1[0-9]{2}-?[0-9]{4}(?![0-9])")


def _cpr_char(ch: str) -> str:
    """What one character becomes in the canonical form: an ASCII digit, CPR_SEPARATOR, nothing
    (invisible), or itself."""
    category = unicodedata.category(ch)
    # Spaces and line breaks; also the other control characters and lone surrogates (bytes that
    # were not UTF-8): they are no part of a number, and clean_text() removes them before a free
    # text is checked, so "010203\x001234" is checked as "0102031234" there.
    if category in ("Zs", "Zl", "Zp", "Cc", "Cs"):
        return CPR_SEPARATOR
    # Invisible: format characters (zero-width space, word joiner, invisible times, soft hyphen,
    # BOM, bidi marks, tags, Mongolian vowel separator), combining marks (combining grapheme joiner,
    # variation selectors, and a strike-through or keycap drawn over a digit, which stays readable),
    # Hangul fillers.
    if category in ("Cf", "Mn", "Me") or _IGNORABLE.match(ch):
        return ""
    digit = unicodedata.decimal(ch, None)  # every decimal digit: fullwidth, Arabic-Indic, Devanagari, bold ...
    if digit is not None:
        return str(digit)
    if category in ("Pd", "Pc") or ch in _EXTRA_DASHES or ch in _PUNCTUATION_SEPARATORS:
        return CPR_SEPARATOR
    compatible = unicodedata.normalize("NFKC", ch)
    if compatible != ch:
        # A compatibility form: fullwidth "．" and "／", small hyphen, "…" become what they stand
        # for. Not so superscripts, circled and fraction digits ("m²", "①", "½"): Unicode does not
        # count them as decimal digits, they are not a way to write a CPR number, and as digits they
        # would join a neighbouring number ("²" + 9 digits) into a false CPR number.
        if any(unicodedata.decimal(c, None) is not None for c in compatible):
            return ch
        return "".join(_cpr_char(c) if c != ch else c for c in compatible)
    return ch


class _CprTable(dict):
    """_cpr_char() as a str.translate() table, filled the first time a character is seen: the
    translation itself runs at C speed (a whole guide file is checked on every load)."""

    def __missing__(self, code: int) -> str:
        self[code] = mapped = _cpr_char(chr(code))
        return mapped


_TABLE = _CprTable()
_SEPARATOR_RUN = re.compile(re.escape(CPR_SEPARATOR) + "{2,}")


def _normalised_with_origins(text: str) -> tuple[str, list[int]]:
    """normalise_for_cpr(), and for each character of the result the index in `text` it came from
    (so a match can be replaced in the text as written). Slower; for messages."""
    out: list[str] = []
    origins: list[int] = []
    for index, ch in enumerate(text):
        for mapped in _TABLE[ord(ch)]:
            if mapped == CPR_SEPARATOR and out and out[-1] == CPR_SEPARATOR:
                continue  # a run of separators ("010203 - 1234", "010203-\n1234") is one
            out.append(mapped)
            origins.append(index)
    return "".join(out), origins


# Everything but the decimal digits (\d is every Unicode decimal digit, as unicodedata.decimal).
_NON_DIGITS = re.compile(r"\D+")


def _ten_digits(text: str) -> bool:
    """A CPR number has ten digits: most texts have fewer and are answered at C speed, without
    normalising character by character (a large guide or answers file stays instant)."""
    return len(_NON_DIGITS.sub("", text or "")) >= 10


def normalise_for_cpr(text: str) -> str:
    """The text as the CPR check reads it; every input path's check goes through here.

    NFKC per character (fullwidth and small forms); every Unicode decimal digit as its ASCII digit;
    every dash and minus (category Pd and the minus signs), every space (Zs, tab, line breaks) and
    the separators "." "/" "_" (and other control characters) as one CPR_SEPARATOR, a run of them
    as one; every invisible code point (format characters, combining marks, variation selectors,
    tags, Hangul fillers) removed. A terminal escape sequence is not removed here (its ESC is a
    separator): check_text() and for_terminal() run on text that clean_text() or printable() has
    freed of them, and removing "ESC 7" (save cursor) from a raw text would eat the digit."""
    # A run of separators ("010203 - 1234", "010203-\n1234") is one.
    return _SEPARATOR_RUN.sub(CPR_SEPARATOR, (text or "").translate(_TABLE))


CPR_REMOVED = "[CPR-nummer fjernet]"
CPR_MESSAGE = (
    "Teksten ser ud til at indeholde et CPR-nummer. rettidig gemmer aldrig CPR-numre – "
    "brug barnets navn eller initialer, og fjern nummeret."
)


def contains_cpr(text: str) -> bool:
    """True if the text holds a CPR-like number in any written form (see normalise_for_cpr). Also
    for a file name or a path: "290187-4831.md", "/home/x/290187_4831.toml"."""
    return _ten_digits(text) and bool(_CPR.search(normalise_for_cpr(text)))


def clean_text(text: str) -> str:
    """Remove terminal escapes, control and invisible characters (bidi overrides, zero-width);
    keep line breaks; trim ends."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPES.sub("", text)
    return _INVISIBLE.sub("", _CONTROL.sub("", text)).strip()


def printable(text: str) -> str:
    """Text safe to put in any document or terminal: line breaks and tabs kept, nothing hidden."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE.sub("", _CONTROL.sub("", _ESCAPES.sub("", text)))


def for_terminal(text: str) -> str:
    """A message that may echo user input (a case code, a file name): printable, and a CPR-like
    number replaced, so it never lands in a scrollback or a CI log."""
    text = printable(text)
    if not _ten_digits(text):
        return text
    normalised, origins = _normalised_with_origins(text)
    # Replace from the end, so the indexes of the earlier matches stay right. The span runs from
    # the first digit to the last as written, with whatever separators and invisibles lie between.
    for match in reversed(list(_CPR.finditer(normalised))):
        start, end = origins[match.start()], origins[match.end() - 1] + 1
        text = text[:start] + CPR_REMOVED + text[end:]
    return text


def printable_tree(value):
    """printable() applied to every string in a plan or history (dicts and lists), so text saved
    before cleaning existed, or written into the file by another program, reaches no terminal raw."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {key: printable_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [printable_tree(item) for item in value]
    return value


def check_text(text: str, *, required: bool, max_length: int, label: str = "Feltet") -> str:
    """Clean and validate one free-text answer; raise ValueError with a Danish message."""
    if _SURROGATE.search(text or ""):
        raise ValueError(f"{label} indeholder tegn, der ikke kan læses. Skriv teksten igen "
                         "(terminalen skal bruge tegnsættet UTF-8).")
    cleaned = clean_text(text)
    if required and not cleaned:
        raise ValueError(f"{label} skal udfyldes.")
    if len(cleaned) > max_length:
        raise ValueError(f"{label} er for langt ({len(cleaned)} tegn; højst {max_length}).")
    # The text as saved, and as typed: clean_text() removes a control character that separated
    # two digit groups ("01 02\f03 1234" would be saved as "01 0203 1234").
    if contains_cpr(cleaned) or contains_cpr(text):
        raise ValueError(CPR_MESSAGE)
    return cleaned
