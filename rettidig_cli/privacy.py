"""Keeping a child's data safe in what users type: CPR detection and text cleaning."""

from __future__ import annotations

import re

# DDMMYY-SSSS with or without a dash (any dash a keyboard or word processor makes, or a space),
# also with the birth date grouped as 01.02.03 or 01 02 03;
# invisible characters are removed before the check, so a soft hyphen or a zero-width space
# between the groups does not hide a number. No modulus-11 check: numbers issued since
# 2007 may fail it, so a check would let real CPR numbers through.
_CPR = re.compile(
    r"(?<![\d])(0[1-9]|[12]\d|3[01])[.\s]?(0[1-9]|1[0-2])[.\s]?(\d{2})[-\s\u2010-\u2015\u2212]?(\d{4})(?![\d])"
)
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

CPR_MESSAGE = (
    "Teksten ser ud til at indeholde et CPR-nummer. rettidig gemmer aldrig CPR-numre – "
    "brug barnets navn eller initialer, og fjern nummeret."
)


def contains_cpr(text: str) -> bool:
    return bool(_CPR.search(_INVISIBLE.sub("", text or "")))


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
    return _CPR.sub("[CPR-nummer fjernet]", printable(text))  # printable() has removed the invisibles


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
    if contains_cpr(cleaned):
        raise ValueError(CPR_MESSAGE)
    return cleaned
