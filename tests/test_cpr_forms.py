"""CPR numbers in every written form are found, by one function (privacy.normalise_for_cpr) that
every input path goes through.

* Properties: hypothesis writes DDMMYY-SSSS with a random digit system per digit (every Unicode
  decimal digit set), a random separator (none, any dash, any space, ".", "/", "_", a line break,
  with spaces around), the birth date grouped or not, invisible code points between any two
  characters, and text around it. contains_cpr finds it, check_text refuses it with the CPR
  message, for_terminal leaves no digit of it. Phone numbers, dates, times, weeks, years and
  amounts in Danish text are not taken for CPR numbers.
* The table: every written form of FORMS x every input field of FIELDS (a flag of a command, a
  field of a `new --answers` file, a field of a `møde hold --answers` file), each driven through the
  real CLI: refused (non-zero exit, the Danish CPR message), nothing saved (the case's records as
  before, the number not in `plan --json` nor in the bytes of the data folder).
  TABLE_SIZE = len(FORMS) x len(FIELDS) is the number of test cases.

All of it runs against a plain data file only: the check is made before anything is written, so an
encrypted data file plays no part."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, ROOT, query, write_answers
from helpers import example_answers, working_day
from rettidig_cli.domain import fields
from rettidig_cli.domain.privacy import CPR_MESSAGE, CPR_REMOVED, check_text, contains_cpr, for_terminal, normalise_for_cpr

pytestmark = [pytest.mark.plain_only, pytest.mark.usefixtures("no_fsync")]

# Examples per property; the properties are pure functions and fast.
EXAMPLES_FOUND = 1500
EXAMPLES_NOT_FOUND = 1000
FOUND = settings(max_examples=EXAMPLES_FOUND, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOT_FOUND = settings(max_examples=EXAMPLES_NOT_FOUND, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ================================================================ the characters


_BY_CATEGORY: dict[str, list[str]] = {}
for _cp in range(sys.maxunicode + 1):
    _BY_CATEGORY.setdefault(unicodedata.category(chr(_cp)), []).append(chr(_cp))


# Every decimal digit set in Unicode, as ten characters 0-9: ASCII, fullwidth, Arabic-Indic, Persian,
# Devanagari, Thai, mathematical bold, double-struck, sans-serif, monospace, ...
DIGIT_SETS = ["".join(chr(ord(zero) + i) for i in range(10)) for zero in _BY_CATEGORY["Nd"]
              if unicodedata.decimal(zero) == 0]
assert all(unicodedata.decimal(d) == i for digits in DIGIT_SETS for i, d in enumerate(digits))
assert len(DIGIT_SETS) >= 60, len(DIGIT_SETS)

# Every dash (Unicode category Pd) and the minus signs and hyphens the issue names.
DASHES = sorted(set(_BY_CATEGORY["Pd"]) | set("\u2212\u2011\ufe63\uff0d\u2043"))
# Every space (Zs), the tab and the line breaks a user can type.
SPACES = _BY_CATEGORY["Zs"] + ["\t", "\n", "\r\n", "\u2028", "\u2029"]
PUNCTUATION = [".", "/", "_", "-\n", "-\r\n"]
# Invisible (default-ignorable) code points: every format character (Cf: zero-width space and
# joiners, word joiner, invisible times, soft hyphen, BOM, bidi marks, Mongolian vowel separator,
# tags), the variation selectors (and their supplement), the combining grapheme joiner, the
# Mongolian free variation selectors, the Hangul fillers.
INVISIBLES = sorted(
    set(_BY_CATEGORY["Cf"])
    | {chr(c) for c in range(0xFE00, 0xFE10)} | {chr(c) for c in range(0xE0100, 0xE01F0)}
    | set("\u034f\u180b\u180c\u180d\u180e\u180f\u115f\u1160\u3164\uffa0\u17b4\u17b5")
)
assert {"\u2060", "\u2062", "\u180e", "\u034f", "\ufe0f", "\U000e0020", "\u200b", "\u00ad", "\ufeff"} <= set(INVISIBLES)


# ================================================================ strategies

ONE_SEPARATOR = st.sampled_from(DASHES + SPACES + PUNCTUATION)
AROUND = st.sampled_from(["", "", " ", "  ", "\u00a0"])
# A separator between two groups, maybe with spaces around it ("010203 – 1234").
SEPARATOR = st.tuples(AROUND, ONE_SEPARATOR, AROUND).map("".join)
SERIAL_SEPARATOR = st.one_of(st.just(""), SEPARATOR)


@st.composite
def written_cpr(draw) -> tuple[str, str]:
    """(the ten ASCII digits, the number as written)."""
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
    serial = draw(st.integers(0, 9999))
    digits = f"{born:%d%m%y}{serial:04d}"
    # Each digit from its own digit system (mostly ASCII, so mixtures stay common too).
    systems = st.one_of(st.just(DIGIT_SETS[0]), st.sampled_from(DIGIT_SETS))
    shown = [draw(systems)[int(d)] for d in digits]
    # The birth date as one group (010203) or three (01-02-03, 01.02.03, 01 02 03).
    first, second = (draw(SEPARATOR), draw(SEPARATOR)) if draw(st.booleans()) else ("", "")
    text = "".join(shown[0:2] + [first] + shown[2:4] + [second] + shown[4:6] + [draw(SERIAL_SEPARATOR)] + shown[6:])
    # Invisible code points anywhere in it (between digits, inside a separator, at its ends).
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(INVISIBLES)) + text[at:]
    return digits, text


def _touches_no_digit(prefix: str, suffix: str) -> bool:
    """No digit right next to the number, as the check reads it: '5' + '010203-1234' is an 11-digit
    number, and so is '5' + soft hyphen + '010203-1234'."""
    before, after = normalise_for_cpr(prefix), normalise_for_cpr(suffix)
    return not (before and before[-1].isdecimal()) and not (after and after[0].isdecimal())


PHRASES = ["Barnets CPR er ", "cpr: ", "(", ")", ". ", "Født ", " står i journalen", "\n", " og ", "æøå ", "x",
           "Mor siger ", " – ", "[", "]", "«", "»", "#", "tlf. 30 67 04 07, ", " kl. 14.30"]
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
SURROUNDING = st.lists(st.one_of(st.sampled_from(PHRASES), ANY_TEXT), max_size=4).map("".join)
# For for_terminal: no digit of any kind (so a digit left in the output can only be the number's),
# and no control characters (an escape sequence would swallow the number's first digit).
NO_DIGITS = st.text(st.characters(exclude_categories=("Nd", "Cs", "Cc")), max_size=20)


# ================================================================ found in every written form


@FOUND
@given(prefix=SURROUNDING, number=written_cpr(), suffix=SURROUNDING)
@example(prefix="Barnets CPR er ", number=("0102031234", "０１０２０３\u2060 – \u00ad１２３４"), suffix=".")
@example(prefix="", number=("2901874831", "٢٩٠١٨٧\u2011\n٤٨٣١"), suffix="")
@example(prefix="fil: /home/x/", number=("2901874831", "290187_4831"), suffix=".toml")
def test_every_written_form_is_found_and_refused(prefix, number, suffix):
    _, written = number
    assume(_touches_no_digit(prefix, suffix))  # else it is another, longer number
    text = prefix + written + suffix
    assert contains_cpr(text)
    with pytest.raises(ValueError) as refused:
        check_text(text, required=False, max_length=100_000)
    assert str(refused.value) == CPR_MESSAGE


@FOUND
@given(prefix=NO_DIGITS, number=written_cpr(), suffix=NO_DIGITS)
@example(prefix="Fejl: ", number=("0102031234", "01.02.03\u3000-\u30001234"), suffix="")
def test_for_terminal_leaves_no_digit_of_it(prefix, number, suffix):
    digits, written = number
    shown = for_terminal(prefix + written + suffix)
    assert CPR_REMOVED in shown
    assert not any(ch.isdecimal() for ch in shown), shown  # not the ASCII run, nor any digit of it
    assert digits not in normalise_for_cpr(shown).replace("-", "")


@FOUND
@given(st.lists(st.one_of(ANY_TEXT, written_cpr().map(lambda number: number[1])), max_size=5).map("".join))
def test_for_terminal_reads_the_text_as_the_check_does(text):
    """for_terminal keeps, for each normalised character, where it came from; the normalised text
    itself is normalise_for_cpr's, character for character."""
    from rettidig_cli.domain import privacy

    assert privacy._normalised_with_origins(text)[0] == normalise_for_cpr(text)


# ================================================================ and other numbers are not

MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
          "november", "december")
DAYS = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 12, 31))
EIGHT_DIGITS = st.text(st.sampled_from("0123456789"), min_size=8, max_size=8)


def _money(amount: int, ore: int | None) -> str:
    whole = f"{amount:,}".replace(",", ".")
    return f"{whole},{ore:02d} kr" if ore is not None else f"kr. {whole}"


NUMBERS_IN_TEXT = st.one_of(
    # phone numbers
    EIGHT_DIGITS.map(lambda d: f"{d[0:2]} {d[2:4]} {d[4:6]} {d[6:8]}"),
    EIGHT_DIGITS.map(lambda d: f"+45 {d[0:2]} {d[2:4]} {d[4:6]} {d[6:8]}"),
    EIGHT_DIGITS.map(lambda d: f"{d[0:4]} {d[4:8]}"),
    EIGHT_DIGITS.map(lambda d: f"tlf. {d}"),
    # dates with a four-digit year
    DAYS.map(lambda d: f"{d:%d.%m.%Y}"), DAYS.map(lambda d: f"{d.day}.{d.month}.{d.year}"),
    DAYS.map(lambda d: d.isoformat()), DAYS.map(lambda d: f"{d:%d-%m-%Y}"), DAYS.map(lambda d: f"{d:%d/%m/%Y}"),
    DAYS.map(lambda d: f"{d.day}. {MONTHS[d.month - 1]} {d.year}"),
    # times, weeks, years, days
    st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"kl. {t[0]:02d}.{t[1]:02d}"),
    st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"kl. {t[0]}:{t[1]:02d}"),
    st.integers(1, 53).map(lambda w: f"uge {w}"), st.integers(1900, 2100).map(str),
    st.integers(1, 400).map(lambda n: f"{n} hverdage"),
    # amounts
    st.tuples(st.integers(0, 99_999_999), st.one_of(st.none(), st.integers(0, 99))).map(lambda m: _money(*m)),
)
# Between two numbers there is a word or a comma, as in a sentence.
CONNECTORS = st.sampled_from([" og ", ", ", " eller ", " – men ", "; derefter ", ": ", " (", ") ", "\nDerefter "])


@NOT_FOUND
@given(first=NUMBERS_IN_TEXT, rest=st.lists(st.tuples(CONNECTORS, NUMBERS_IN_TEXT), max_size=4))
@example(first="30 67 04 07", rest=[])
@example(first="01.02.2003", rest=[(" og ", "2024-01-05"), (", ", "kl. 14.30"), (" i ", "uge 12")])
@example(first="1.234,50 kr", rest=[(" om ", "6 hverdage")])
def test_phone_numbers_dates_times_and_amounts_are_not_cpr(first, rest):
    text = "Mødet " + first + "".join(connector + number for connector, number in rest) + "."
    assert not contains_cpr(text)
    assert check_text(text, required=True, max_length=10_000) == text
    assert for_terminal(text) == text


@pytest.mark.parametrize("text", [
    "30 67 04 07", "+45 30 67 04 07", "3067 0407", "01.02.2003", "1.2.2003", "2024-01-05", "05-01-2024",
    "kl. 14.30", "kl. 8.05", "uge 12", "2026", "6 hverdage", "1.234,50 kr", "kr. 12.345.678", "sag 2026-001",
    "RT-2026-0001", "handleplan-RT-2026-0102-2026-01-05.md", "backup-20260105-010203-123456.db",
    "m²010203123", "0102-031234", "01-02031234", "01.02.03", "320187-4831", "291387-4831",
])
def test_numbers_that_are_not_cpr(text):
    assert not contains_cpr(text)


def test_a_superscript_or_circled_digit_is_not_a_digit_of_a_cpr_number():
    """Unicode counts "²" and "①" as digits but not decimal digits (unicodedata.decimal): they are
    footnotes and list marks. Read as digits, "m²" before nine digits would make a CPR number."""
    assert not contains_cpr("²⁹⁰¹⁸⁷-⁴⁸³¹")
    assert contains_cpr("①290187-4831")  # the circled one is beside it, not part of it


@pytest.mark.parametrize("path", [
    "290187-4831.md", "/home/x/290187_4831.toml", "C:\\Sager\\290187 4831.docx", "290187.4831.json",
    "handleplan-290187-4831-2026-01-05.md", "./29-01-87_4831.csv", "２９０１８７－４８３１.md",
])
def test_a_file_name_or_path_with_a_cpr_number(path):
    """The export and guide commands check file names with contains_cpr: an underscore, a dot, a
    folder separator and a space count as separators too."""
    assert contains_cpr(path)
    assert contains_cpr(Path(path).name)


def test_the_date_and_time_fields_refuse_a_cpr_without_echoing_it():
    for parse in (lambda v: fields.date(v, "Dato"), lambda v: fields.time(v, "Klokkeslæt")):
        with pytest.raises(ValueError) as refused:
            parse("290187 – 4831")
        assert str(refused.value) == CPR_MESSAGE


def test_for_terminal_replaces_only_the_number_and_keeps_the_rest_as_written():
    assert for_terminal("Sag «２９０１８７ – ⁠４８３１» findes ikke.\nkl. 14.30") == \
        "Sag «[CPR-nummer fjernet]» findes ikke.\nkl. 14.30"
    assert for_terminal("a 290187-4831 b 010203\n1234 c") == "a [CPR-nummer fjernet] b [CPR-nummer fjernet] c"


@pytest.mark.parametrize("text", ["Mødet 01.02.24 1430", "ring 30 67 04 07 – 01.02.2003", "dato 01.02.03 2024"])
def test_the_grey_zone_is_refused(text):
    """The known trade-off: a date written DD.MM.YY (or eight digits in pairs) with a four-digit
    number right after it reads exactly like a CPR number with a grouped birth date, and is refused.
    The user writes "kl. 14.30" or puts a word between them."""
    assert contains_cpr(text)


def test_a_control_character_between_the_groups_does_not_hide_the_number():
    """clean_text() removes a form feed, which would join "01 02" and "03" into "01 0203"; the text
    is also checked as typed."""
    with pytest.raises(ValueError, match="CPR-nummer"):
        check_text("29 01\f87 4831", required=False, max_length=100)


# ================================================================ the table: forms x fields


def _cpr(form_id: str, text: str) -> tuple[str, str, str]:
    return form_id, text, "2901874831"


# The written forms of the issue, each a concrete string of the CPR number 290187-4831 (its digits
# are checked to be saved nowhere).
FORMS = [
    # ---- realistic
    _cpr("spaces-around-dash", "290187 - 4831"),
    _cpr("en-dash-spaced", "290187 – 4831"),
    _cpr("en-dash", "290187–4831"),
    _cpr("em-dash", "290187—4831"),
    _cpr("minus-sign", "290187\u22124831"),
    _cpr("non-breaking-hyphen", "290187\u20114831"),
    _cpr("small-hyphen-minus", "290187\ufe634831"),
    _cpr("fullwidth-hyphen-minus", "290187\uff0d4831"),
    _cpr("hyphen-bullet", "290187\u20434831"),
    _cpr("figure-dash", "290187\u20124831"),
    _cpr("date-dashes", "29-01-87-4831"),
    _cpr("date-dots", "29.01.87-4831"),
    _cpr("date-spaces", "29 01 87 4831"),
    _cpr("dot", "290187.4831"),
    _cpr("slash", "290187/4831"),
    _cpr("underscore", "290187_4831"),
    _cpr("line-break", "290187\n4831"),
    _cpr("dash-line-break", "290187-\n4831"),
    _cpr("crlf", "290187\r\n4831"),
    _cpr("no-break-space", "290187\u00a04831"),
    _cpr("narrow-no-break-space", "290187\u202f4831"),
    _cpr("thin-space", "290187\u20094831"),
    _cpr("ideographic-space", "290187\u30004831"),
    _cpr("em-space", "290187\u20034831"),
    _cpr("in-sentence", "Barnets cpr er 29.01.87 – 4831, står i journalen"),
    # ---- unusual
    _cpr("fullwidth-digits", "２９０１８７-４８３１"),
    _cpr("arabic-indic-digits", "٢٩٠١٨٧-٤٨٣١"),
    _cpr("persian-digits", "۲۹۰۱۸۷-۴۸۳۱"),
    _cpr("devanagari-digits", "२९०१८७-४८३१"),
    _cpr("math-bold-digits", "𝟐𝟗𝟎𝟏𝟖𝟕-𝟒𝟖𝟑𝟏"),
    _cpr("double-struck-digits", "𝟚𝟡𝟘𝟙𝟠𝟟-𝟜𝟠𝟛𝟙"),
    _cpr("mixed-digit-systems", "2٩0１8७-4๘3𝟏"),
    _cpr("word-joiner", "2901\u206087-4831"),
    _cpr("invisible-times", "290187\u20624831"),
    _cpr("mongolian-vowel-separator", "29\u180e0187-4831"),
    _cpr("combining-grapheme-joiner", "290\u034f187-4831"),
    _cpr("variation-selector-16", "2\ufe0f90187-4831"),
    _cpr("tag-space", "290187\U000e0020-4831"),
    _cpr("zero-width-space", "290187\u200b4831"),
    _cpr("soft-hyphen", "2901\u00ad874831"),
    _cpr("byte-order-mark", "\ufeff290187\ufeff-4831"),
    _cpr("hangul-filler", "290187\u31644831"),
    _cpr("everything-at-once", "Cpr: ２\u2060９.０\u00ad１.８\u200b７ – \u034f４８３１."),
]
FORM_IDS = [form_id for form_id, _, _ in FORMS]


# ---------------------------------------------------------------- the fields

RESEN_EXAMPLE = EXAMPLES / "resen-svar.toml"
IKAST_EXAMPLE = EXAMPLES / "ikast-svar.toml"
# The guides by path: `--guide resen` would read every installed guide to find it (speed only).
GUIDES = ROOT / "data" / "guides"


def _set(data: dict, where: str, value) -> None:
    """where: 'a.b' or 'a.0.b' (a list index)."""
    keys = [int(key) if key.isdigit() else key for key in where.split(".")]
    for key in keys[:-1]:
        data = data[key]
    data[keys[-1]] = value


def _abuse_path(data: dict, text: str | None = None, field: str | None = None) -> None:
    """The safety question answered yes: the underretning is asked, the parent contact is not."""
    report = {"dato": dt.date.today().isoformat(), "modtager": "Socialrådgiver", "hvordan": "Telefon",
              "leder_informeret": True, "note": "Ringet"}
    if field:
        report[field] = text
    data["sikkerhed"] = {"mistanke": True, "underretning": report}
    for key in ("foraeldre-orienteret", "foraeldres-syn", "underskrift"):
        data.pop(key, None)
    _big_case(data)  # the small case works with the parents, which the abuse path does not offer
    del data["teammoede-underskrift"]  # parent contact: not asked on the abuse path
    data["aftaler"] = [a for a in data["aftaler"] if "forældre" not in a["hvem"].lower()]  # nor given a task


def _answers(guide_file: str, example: Path, where: str, setup=None):
    def build(text: str) -> dict:
        data = example_answers(example)
        if setup:
            setup(data)
        _set(data, where, text)
        return data
    return GUIDES / guide_file, build


def _resen(where: str, setup=None):
    return _answers("resen.toml", RESEN_EXAMPLE, where, setup)


def _ikast(where: str, setup=None):
    return _answers("ikast-brande-dagtilbud.toml", IKAST_EXAMPLE, where, setup)


def _big_case(data: dict) -> None:
    data["sagstype"] = "stor"
    data["sagsbehandler"] = "Sagsbehandleren"
    data["teammoede"] = {"dato": working_day(10), "deltagere": "Team"}
    data["teammoede-underskrift"] = {"svar": "ja", "navn": "Mor"}


def _k_meeting(data: dict) -> None:
    data["tvaerfaglig-vej"] = "k-moede"
    data["k-moede-spoergsmaal"] = "Hvad kan vi gøre?"
    data["k-moede-oensket"] = "Råd om sprog"
    data["k-moede-samtykke"] = {"svar": "ja", "navn": "Mor"}
    data["k-moede"] = {"dato": working_day(10), "deltagere": "Team"}


def _u_meeting(data: dict, text: str | None = None, field: str | None = None) -> None:
    data["tvaerfaglig-vej"] = "u-moede"
    report = {"dato": dt.date.today().isoformat(), "modtager": "Socialrådgiver", "hvordan": "Telefon",
              "leder_informeret": True, "note": "Ringet"}
    if field:
        report[field] = text
    data["underretning"] = report


def _resen_report(field: str):
    def build(text: str) -> dict:
        data = example_answers(RESEN_EXAMPLE)
        _abuse_path(data, text, field)
        return data
    return GUIDES / "resen.toml", build


def _ikast_report(field: str):
    def build(text: str) -> dict:
        data = example_answers(IKAST_EXAMPLE)
        _u_meeting(data, text, field)
        return data
    return GUIDES / "ikast-brande-dagtilbud.toml", build


# `new --answers FILE`: every field of both guides' answers files that takes text, a name, a date or a time.
NEW_FIELDS = {
    # Resen
    "resen:barn.navn": _resen("barn.navn"),
    "resen:stikord": _resen("stikord"),
    "resen:koordinator": _resen("koordinator"),
    "resen:foraeldres-syn": _resen("foraeldres-syn"),
    "resen:barnets-perspektiv": _resen("barnets-perspektiv"),
    "resen:analyse": _resen("analyse"),
    "resen:foraeldre-orienteret.navn": _resen("foraeldre-orienteret.navn"),
    "resen:foraeldre-orienteret.dato": _resen("foraeldre-orienteret.dato"),
    "resen:iagttagelser.hvad": _resen("iagttagelser.0.hvad"),
    "resen:iagttagelser.metode": _resen("iagttagelser.0.metode"),
    "resen:iagttagelser.hvem": _resen("iagttagelser.0.hvem"),
    "resen:iagttagelser.dato": _resen("iagttagelser.0.dato"),
    "resen:placering.begrundelse": _resen("placering.begrundelse"),
    "resen:aftaler.hvad": _resen("aftaler.0.hvad"),
    "resen:aftaler.hvem": _resen("aftaler.0.hvem"),
    "resen:aftaler.senest": _resen("aftaler.0.senest"),
    "resen:tovholder.navn": _resen("tovholder.navn"),
    "resen:tovholder.rolle": _resen("tovholder.rolle"),
    "resen:statusmoeder.deltagere": _resen("statusmoeder.deltagere"),
    "resen:statusmoeder.tidspunkt": _resen("statusmoeder.tidspunkt"),
    "resen:statusmoeder.datoer": _resen("statusmoeder.datoer.0"),
    "resen:underskrift.navn": _resen("underskrift.navn"),
    "resen:sagsbehandler": _resen("sagsbehandler", _big_case),
    "resen:teammoede.deltagere": _resen("teammoede.deltagere", _big_case),
    "resen:teammoede.dato": _resen("teammoede.dato", _big_case),
    "resen:teammoede-underskrift.navn": _resen("teammoede-underskrift.navn", _big_case),
    "resen:sikkerhed.underretning.modtager": _resen_report("modtager"),
    "resen:sikkerhed.underretning.hvordan": _resen_report("hvordan"),
    "resen:sikkerhed.underretning.note": _resen_report("note"),
    "resen:sikkerhed.underretning.dato": _resen_report("dato"),
    # Ikast-Brande
    "ikast:barn.navn": _ikast("barn.navn"),
    "ikast:bekymring": _ikast("bekymring"),
    "ikast:kolleger": _ikast("kolleger"),
    "ikast:foraeldre-oplevelse": _ikast("foraeldre-oplevelse"),
    "ikast:barnets-perspektiv": _ikast("barnets-perspektiv"),
    "ikast:laeringsmiljoe": _ikast("laeringsmiljoe"),
    "ikast:foraeldredialog": _ikast("foraeldredialog"),
    "ikast:analyse": _ikast("analyse"),
    "ikast:foraeldre-stoette": _ikast("foraeldre-stoette"),
    "ikast:observationer.hvad": _ikast("observationer.0.hvad"),
    "ikast:observationer.metode": _ikast("observationer.0.metode"),
    "ikast:observationer.hvem": _ikast("observationer.0.hvem"),
    "ikast:observationer.dato": _ikast("observationer.0.dato"),
    "ikast:faktorer.tekst": _ikast("faktorer.0.tekst"),
    "ikast:aftaler.hvad": _ikast("aftaler.0.hvad"),
    "ikast:aftaler.hvem": _ikast("aftaler.0.hvem"),
    "ikast:tovholder.navn": _ikast("tovholder.navn"),
    "ikast:tovholder.rolle": _ikast("tovholder.rolle"),
    "ikast:statusmoeder.deltagere": _ikast("statusmoeder.deltagere"),
    "ikast:statusmoeder.tidspunkt": _ikast("statusmoeder.tidspunkt"),
    "ikast:underskrift.navn": _ikast("underskrift.navn"),
    "ikast:k-moede-spoergsmaal": _ikast("k-moede-spoergsmaal", _k_meeting),
    "ikast:k-moede-oensket": _ikast("k-moede-oensket", _k_meeting),
    "ikast:k-moede-samtykke.navn": _ikast("k-moede-samtykke.navn", _k_meeting),
    "ikast:k-moede.deltagere": _ikast("k-moede.deltagere", _k_meeting),
    "ikast:underretning.modtager": _ikast_report("modtager"),
    "ikast:underretning.hvordan": _ikast_report("hvordan"),
    "ikast:underretning.note": _ikast_report("note"),
}

# A flag of a command on an open Resen case (CODE is its code): (setup commands, the command).
FLAG_FIELDS = {
    "observation --hvad": ([], ["observation", "CODE", "--hvad=TEXT"]),
    "observation --metode": ([], ["observation", "CODE", "--hvad=Leger alene", "--metode=TEXT"]),
    "observation --hvem": ([], ["observation", "CODE", "--hvad=Leger alene", "--hvem=TEXT"]),
    "observation --dato": ([], ["observation", "CODE", "--hvad=Leger alene", "--dato=TEXT"]),
    "faktor --tekst": ([], ["faktor", "CODE", "--type=risiko", "--tekst=TEXT"]),
    "aftale ny --hvad": ([], ["aftale", "ny", "CODE", "--hvad=TEXT", "--hvem=Ali Demir"]),
    "aftale ny --hvem": ([], ["aftale", "ny", "CODE", "--hvad=Læse højt", "--hvem=TEXT"]),
    "aftale ny --senest": ([], ["aftale", "ny", "CODE", "--hvad=Læse højt", "--hvem=Ali", "--senest=TEXT"]),
    "aftale status --note": ([], ["aftale", "status", "CODE", "1", "--status=i gang", "--note=TEXT"]),
    "tovholder --navn": ([], ["tovholder", "CODE", "--navn=TEXT", "--rolle=pædagog"]),
    "tovholder --rolle": ([], ["tovholder", "CODE", "--navn=Sara Jensen", "--rolle=TEXT"]),
    "placering --begrundelse": ([], ["placering", "CODE", "--placering=udsat", "--begrundelse=TEXT"]),
    "møde ny --dato": ([], ["møde", "ny", "CODE", "--dato=TEXT"]),
    "møde ny --tid": ([], ["møde", "ny", "CODE", "--dato=DAY21", "--tid=TEXT"]),
    "møde ny --deltagere": ([], ["møde", "ny", "CODE", "--dato=DAY21", "--deltagere=TEXT"]),
    "møde flyt --dato": ([], ["møde", "flyt", "CODE", "1", "--dato=TEXT", "--ja"]),
    "møde flyt --grund": ([], ["møde", "flyt", "CODE", "1", "--dato=DAY28", "--grund=TEXT", "--ja"]),
    "møde aflys --grund": ([], ["møde", "aflys", "CODE", "2", "--grund=TEXT", "--ja"]),
    "eskaler --begrundelse": ([], ["eskaler", "CODE", "--til=stor", "--begrundelse=TEXT"]),
    "luk --grund": ([], ["luk", "CODE", "--grund=TEXT"]),
    "genåbn --grund": ([["luk", "CODE", "--grund=Andet"]], ["genåbn", "CODE", "--grund=TEXT"]),
    "export --til anonym --skjul": ([], ["export", "CODE", "--til=anonym", "--ja", "--format=markdown",
                                         "--out=FOLDER/", "--skjul=TEXT"]),
    "mistanke --dato": ([], ["mistanke", "CODE", "--dato=TEXT"]),
    "mistanke --modtager": ([], ["mistanke", "CODE", "--dato=TODAY", "--modtager=TEXT"]),
    "mistanke --hvordan": ([], ["mistanke", "CODE", "--dato=TODAY", "--hvordan=TEXT"]),
    "mistanke --fjern --grund": ([["mistanke", "CODE", "--dato=TODAY"]], ["mistanke", "CODE", "--fjern", "--grund=TEXT"]),
}


def _held(**fields_) -> dict:
    return {"dato": dt.date.today().isoformat(), "foraeldre_deltog": True, **fields_}


def _fit(**changes) -> dict:
    return {"fit": [{"hvem": "Mor", "skema": "ORS", "point": [5, 5, 5, 5], **changes}]}


# `møde hold CODE 1 --answers FILE`: every field of a status-meeting file that takes text, a name or a date.
MEETING_FIELDS = {
    "møde hold: dato": lambda t: _held(dato=t),
    "møde hold: deltagere": lambda t: _held(deltagere=t),
    "møde hold: fravaer_grund": lambda t: _held(foraeldre_deltog=False, fravaer_grund=t, deltagere="Ali Demir"),
    "møde hold: referat": lambda t: _held(referat=t),
    "møde hold: aftaler.note": lambda t: _held(aftaler=[{"nr": 1, "note": t}]),
    "møde hold: nye_aftaler.hvad": lambda t: _held(nye_aftaler=[{"hvad": t, "hvem": "Ali Demir"}]),
    "møde hold: nye_aftaler.hvem": lambda t: _held(nye_aftaler=[{"hvad": "Læse højt", "hvem": t}]),
    "møde hold: nye_aftaler.senest": lambda t: _held(nye_aftaler=[{"hvad": "Læse", "hvem": "Ali", "senest": t}]),
    "møde hold: placering.begrundelse": lambda t: _held(placering={"placering": "trivsel", "begrundelse": t}),
    "møde hold: naeste_moede.dato": lambda t: _held(naeste_moede={"dato": t}),
    "møde hold: naeste_moede.deltagere": lambda t: _held(naeste_moede={"dato": working_day(35), "deltagere": t}),
    "møde hold: fit.hvem": lambda t: _held(**_fit(hvem=t)),
    "møde hold: fit.note": lambda t: _held(**_fit(note=t)),
    "møde hold: fit.point": lambda t: _held(**_fit(point=t)),
}

FIELDS = ([("new", name) for name in NEW_FIELDS] + [("flag", name) for name in FLAG_FIELDS]
          + [("meeting", name) for name in MEETING_FIELDS])
TABLE_SIZE = len(FORMS) * len(FIELDS)  # the number of (form, field) test cases below
assert len(FORMS) >= 34 and TABLE_SIZE >= 34 * 60, (len(FORMS), len(FIELDS))


# ---------------------------------------------------------------- writing answers files


# ---------------------------------------------------------------- a case to work on, made once


_TEMPLATE: dict[str, object] = {}


def _template(cli, monkeypatch, tmp_path_factory) -> tuple[Path, str]:
    """A data folder with a finished Resen case (two agreements, three planned status meetings),
    made once per test process and copied for each test: much faster than making it each time."""
    if "home" not in _TEMPLATE:
        home = tmp_path_factory.mktemp("cpr-template-home")
        (home / "indstillinger.toml").write_text('kryptering = "ingen"\n', encoding="utf-8")
        with monkeypatch.context() as env:
            env.setenv("RETTIDIG_HOME", str(home))
            path = write_answers(home.parent, "grundsag", example_answers(RESEN_EXAMPLE), "json")
            result = cli(["new", "--guide", "resen", "--answers", str(path)])
        assert result.code == 0, result.err
        _TEMPLATE["home"] = home
        _TEMPLATE["code"] = result.out.split("Ny sag: ", 1)[1].split()[0]
    return _TEMPLATE["home"], _TEMPLATE["code"]


@pytest.fixture
def case(cli, monkeypatch, tmp_path_factory, data_home) -> str:
    """An open Resen case in this test's data folder; its code."""
    home, code = _template(cli, monkeypatch, tmp_path_factory)
    for item in home.iterdir():
        if item.is_file():
            shutil.copy2(item, data_home / item.name)
    return code


# ---------------------------------------------------------------- checking a refusal


def _records(home: Path) -> str:
    """Every saved record but the audit log (a refused command may log that it read the case)."""
    tables = [r["name"] for r in query(home, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return json.dumps({t: query(home, f'SELECT * FROM "{t}" ORDER BY rowid') for t in tables if t != "audit_log"},
                      ensure_ascii=False, default=str)


def assert_refused(result, home: Path, text: str, digits: str) -> None:
    """Non-zero exit with the Danish CPR message; the number neither printed nor in the data folder
    (as written, as it would be saved after cleaning, or as plain digits)."""
    from rettidig_cli.domain.privacy import clean_text

    said = " ".join(result.err.split())
    assert result.code not in (0, 70), f"exit {result.code}: {said[-300:]}"
    assert "Traceback" not in result.err + result.out
    assert "CPR-nummer" in said and "gemmer aldrig CPR-numre" in said, said[-300:]
    assert not contains_cpr(result.out) and not contains_cpr(result.err)
    raw = b"".join(p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file())
    for form in {text, clean_text(text), digits, f"{digits[:6]}-{digits[6:]}"}:
        assert form.encode("utf-8") not in raw, f"{form!r} is in the data folder"


def assert_not_in_plan(cli, code: str, digits: str) -> None:
    shown = cli(["plan", code, "--json"])
    assert shown.code == 0, shown.err
    assert not contains_cpr(shown.out)
    assert digits not in normalise_for_cpr(shown.out).replace("-", "")


def _filled(args: list[str], values: dict[str, str]) -> list[str]:
    """CODE, TEXT, TODAY, DAY21, DAY28, FOLDER in a command's arguments replaced by their values."""
    return [re.sub("|".join(values), lambda m: values[m.group()], arg) for arg in args]


def _flag_values(case: str, text: str, folder: Path) -> dict[str, str]:
    return {"CODE": case, "TEXT": text, "TODAY": dt.date.today().isoformat(), "DAY21": working_day(21),
            "DAY28": working_day(28), "FOLDER": str(folder)}


def _format(form_index: int, field_index: int) -> str:
    """Each answers-file field meets both TOML and JSON across the forms."""
    return ("json", "toml")[(form_index + field_index) % 2]


# ---------------------------------------------------------------- the table

# The ordinary test run takes one pair in QUICK_EVERY along the diagonals of the table, so every
# form and every field is still tried there; the whole table is the `cpr_full` pass of .ci/run.
QUICK_EVERY = 7


def _table(kind: str, names) -> list:
    return [pytest.param(name, text, digits, id=f"{kind}:{name}-{form_id}",
                         marks=() if (field_index + form_index) % QUICK_EVERY == 0 else pytest.mark.cpr_full)
            for field_index, name in enumerate(names)
            for form_index, (form_id, text, digits) in enumerate(FORMS)]


NEW_PARAMS = [pytest.param(name, id=f"new:{name}") for name in NEW_FIELDS]
FLAG_PARAMS = [pytest.param(name, id=f"flag:{name}") for name in FLAG_FIELDS]
MEETING_PARAMS = [pytest.param(name, id=f"meeting:{name}") for name in MEETING_FIELDS]


@pytest.mark.parametrize("field,text,digits", _table("new", NEW_FIELDS))
def test_new_answers_file_refuses_every_form(cli, tmp_path, data_home, field, text, digits):
    """`new --answers FILE` with the number in one field: refused before a case exists."""
    guide, build = NEW_FIELDS[field]
    fmt = _format(FORM_IDS.index(_form_id(text)), list(NEW_FIELDS).index(field))
    path = write_answers(tmp_path, "svar", build(text), fmt)
    result = cli(["new", "--guide", str(guide), "--answers", str(path)])
    assert_refused(result, data_home, text, digits)
    assert not (data_home / "rettidig.db").exists()  # the file is checked before a data file is opened


@pytest.mark.parametrize("field,text,digits", _table("flag", FLAG_FIELDS))
def test_command_flag_refuses_every_form(cli, tmp_path, data_home, case, field, text, digits):
    """A command's flag with the number: refused, the case's records unchanged, nothing exported."""
    setup, command = FLAG_FIELDS[field]
    folder = tmp_path / "eksport"
    folder.mkdir()
    values = _flag_values(case, text, folder)
    for args in setup:
        assert cli(_filled(args, values)).code == 0
    before = _records(data_home)
    result = cli(_filled(command, values))
    assert_refused(result, data_home, text, digits)
    assert _records(data_home) == before
    assert list(folder.iterdir()) == []
    assert_not_in_plan(cli, case, digits)


@pytest.mark.parametrize("field,text,digits", _table("meeting", MEETING_FIELDS))
def test_meeting_file_refuses_every_form(cli, tmp_path, data_home, case, field, text, digits):
    """`møde hold CODE 1 --answers FILE` with the number in one field: the whole file is refused."""
    fmt = _format(FORM_IDS.index(_form_id(text)), list(MEETING_FIELDS).index(field))
    path = write_answers(tmp_path, "moede", MEETING_FIELDS[field](text), fmt)
    before = _records(data_home)
    result = cli(["møde", "hold", case, "1", "--answers", str(path)])
    assert_refused(result, data_home, text, digits)
    assert _records(data_home) == before
    assert_not_in_plan(cli, case, digits)


def _form_id(text: str) -> str:
    return next(form_id for form_id, written, _ in FORMS if written == text)


def test_the_table_size():
    """The count to report: forms x fields, each pair one test case above."""
    assert TABLE_SIZE == len(FORMS) * (len(NEW_PARAMS) + len(FLAG_PARAMS) + len(MEETING_PARAMS))


# ---------------------------------------------------------------- control: the harness is right


def _harmless(field: str) -> str:
    """Ordinary input for a field, of the kind it takes."""
    if field.endswith(("statusmoeder.datoer", "naeste_moede.dato")):
        return working_day(35)
    if field.endswith(("--dato", ".dato")):  # a meeting on a working day; an observation today
        return working_day(21) if "møde" in field or "moede" in field else dt.date.today().isoformat()
    if field.endswith(": dato"):
        return dt.date.today().isoformat()
    if field.endswith(("senest", "--senest")):
        return working_day(60)
    if field.endswith(("tidspunkt", "--tid")):
        return "14:00"
    if field.endswith("fit.point"):
        return "5 5 5 5"
    return "Helt almindelig tekst"


@pytest.mark.parametrize("field", NEW_PARAMS)
def test_control_new_answers_file_takes_ordinary_text(cli, tmp_path, data_home, field):
    """With ordinary input in the same field the file makes a case: a refusal above is the number's doing."""
    guide, build = NEW_FIELDS[field]
    path = write_answers(tmp_path, "svar", build(_harmless(field)), "toml")
    result = cli(["new", "--guide", str(guide), "--answers", str(path)])
    assert result.code == 0, result.err
    assert "Bemærk" not in result.out, result.out  # every answer in the file is used


@pytest.mark.parametrize("field", FLAG_PARAMS)
def test_control_command_flag_takes_ordinary_text(cli, tmp_path, data_home, case, field):
    setup, command = FLAG_FIELDS[field]
    folder = tmp_path / "eksport"
    folder.mkdir()
    values = _flag_values(case, _harmless(field), folder)
    for args in setup:
        assert cli(_filled(args, values)).code == 0
    result = cli(_filled(command, values))
    assert result.code == 0, result.err


@pytest.mark.parametrize("field", MEETING_PARAMS)
def test_control_meeting_file_takes_ordinary_text(cli, tmp_path, data_home, case, field):
    path = write_answers(tmp_path, "moede", MEETING_FIELDS[field](_harmless(field)), "toml")
    result = cli(["møde", "hold", case, "1", "--answers", str(path)])
    assert result.code == 0, result.err
