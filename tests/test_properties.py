"""Property tests (hypothesis) of the pure functions that keep user text safe:

* privacy.contains_cpr: every DDMMYY-SSSS with a real day and month, written with '-', ' ' or
  nothing between, is found inside any text with non-digit neighbours; other lengths and
  impossible days or months are not; modulus 11 plays no part.
* privacy.clean_text / printable (and for_terminal): no control characters but newline and tab,
  no ESC, no bidi controls; idempotent; plain text passes unchanged.
* dates.parse_date: every real date in every form the parser accepts reads back as that date;
  anything else is a ValueError with a Danish message, never another exception.
* export.default_name / out_path / target: only letters, digits, dashes and one dot, never a path
  separator, never a leading dot, and the target stays in the chosen folder.

Pure functions: the data-file fixtures of conftest play no part, so the tests run once."""

from __future__ import annotations

import datetime as dt
import re
import string
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rettidig_cli.domain import dates, fields
from rettidig_cli import export as exporters
from rettidig_cli.domain.errors import UsageError
from rettidig_cli.domain.privacy import CPR_MESSAGE, check_text, clean_text, contains_cpr, normalise_for_cpr, printable

pytestmark = pytest.mark.plain_only  # no data file is touched: once is enough

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

C0_BUT_NEWLINE_TAB = frozenset(chr(i) for i in range(0x20) if chr(i) not in "\n\t")
C1 = frozenset(chr(i) for i in range(0x80, 0xA0))
DEL = "\x7f"
ESC = "\x1b"
# Trojan Source's reordering controls (LRE RLE PDF LRO RLO, LRI RLI FSI PDI) and the LRM/RLM marks.
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
# What privacy.printable removes besides control characters: soft hyphen, zero-width, bidi, BOM,
# non-characters.
# non-characters; and (issue 12) the Arabic letter mark, the other format characters U+2060-206F,
# Mongolian selectors, variation selectors, tag characters and the Hangul fillers.
INVISIBLE = frozenset("\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u3164\ufeff\uffa0\ufffe\uffff"
                      + "".join(chr(c) for first, last in ((0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
                                                           (0x2060, 0x206F), (0xFE00, 0xFE0F), (0xE0000, 0xE0FFF))
                                for c in range(first, last + 1)))


def is_digit(ch: str) -> bool:
    """What the CPR pattern's \\d and (?<!\\d) see as a digit (Unicode category Nd)."""
    return ch.isdecimal()


# ---------------------------------------------------------------- strategies

# Pieces of terminal escapes and other trouble, mixed into arbitrary text so that hypothesis meets them
# far more often than by drawing single code points.
FRAGMENTS = ["\x1b", "\x1b[", "\x1b]", "\x1b\\", "\x07", "\x9b", "\x9d", "\r", "\r\n", "\n", "\t", "[31m", "[0m",
             "]0;", "]8;;", "\u202e", "\u2066", "\u200b", "\ufeff", "\x00", "\x7f", "\x85", "\u2028", ";", "m"]
ANY_CHAR = st.characters(exclude_categories=())  # every code point, lone surrogates included
MIXED_TEXT = st.lists(st.one_of(st.text(ANY_CHAR, max_size=8), st.sampled_from(FRAGMENTS)),
                      max_size=25).map("".join)
# Text a user would type: no control characters (but newline and tab), no surrogates, nothing invisible.
PLAIN_CHAR = st.one_of(
    st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="".join(INVISIBLE)),
    st.sampled_from("\n\t"),
)
PLAIN_TEXT = st.text(PLAIN_CHAR, max_size=60)
SEPARATORS = st.sampled_from(["-", " ", ""])


# The neighbour is read as the CPR check reads it (privacy.normalise_for_cpr): a digit behind an
# invisible character or a combining mark touches the number too ("5\u00ad" + "010203-1234" is
# the 11-digit 5010203-1234, and was never a CPR number, not even before normalising).
def ends_without_digit(text: str) -> bool:
    text = normalise_for_cpr(text)
    return not text or not is_digit(text[-1])


def starts_without_digit(text: str) -> bool:
    text = normalise_for_cpr(text)
    return not text or not is_digit(text[0])


# Neighbours of a number that is to be found: anything, as long as the character next to it is no digit.
PREFIX = st.text(ANY_CHAR, max_size=30).filter(ends_without_digit)
SUFFIX = st.text(ANY_CHAR, max_size=30).filter(starts_without_digit)
PLAIN_PREFIX = PLAIN_TEXT.filter(ends_without_digit)
PLAIN_SUFFIX = PLAIN_TEXT.filter(starts_without_digit)
# Neighbours of a number that must not be found: no digits at all, so they cannot complete it
# ('x010203-' + '1234' is a CPR number).
NO_DIGITS = st.text(st.characters(exclude_categories=("Nd", "Cs")), max_size=30)
PLAIN_NO_DIGITS = st.text(st.characters(exclude_categories=("Nd", "Cc", "Cs")), max_size=30)


@st.composite
def cpr_numbers(draw, separator=SEPARATORS) -> str:
    day = draw(st.integers(1, 31))
    month = draw(st.integers(1, 12))
    year = draw(st.integers(0, 99))
    serial = draw(st.integers(0, 9999))
    return f"{day:02d}{month:02d}{year:02d}{draw(separator)}{serial:04d}"


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(string.digits), min_size=n, max_size=n)


def mod11_ok(ten_digits: str) -> bool:
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    return sum(int(d) * w for d, w in zip(ten_digits, weights)) % 11 == 0


# ================================================================ CPR detection


@PROPERTY
@given(prefix=PREFIX, number=cpr_numbers(), suffix=SUFFIX)
@example(prefix="", number="010203-1234", suffix="")
@example(prefix="abc", number="3112991234", suffix="xyz")
@example(prefix="linje\n", number="010101 0001", suffix="\n")
def test_cpr_in_any_text_is_detected(prefix, number, suffix):
    assert contains_cpr(prefix + number + suffix)


@PROPERTY
@given(prefix=PLAIN_PREFIX, number=cpr_numbers(), suffix=PLAIN_SUFFIX)
def test_check_text_refuses_a_cpr_with_the_danish_message(prefix, number, suffix):
    """Every free text goes through check_text: a CPR inside is refused (never saved)."""
    with pytest.raises(ValueError) as refused:
        check_text(prefix + number + suffix, required=False, max_length=10_000)
    assert str(refused.value) == CPR_MESSAGE
    assert "CPR-nummer" in str(refused.value)


@PROPERTY
@given(prefix=NO_DIGITS, run=st.integers(1, 24).filter(lambda n: n != 10).flatmap(digits), suffix=NO_DIGITS)
def test_a_digit_run_of_another_length_is_not_cpr(prefix, run, suffix):
    assert not contains_cpr(prefix + run + suffix)


@PROPERTY
@given(prefix=NO_DIGITS, sep=st.sampled_from(["-", " "]),
       lengths=st.tuples(st.integers(1, 12), st.integers(1, 12)).filter(
           lambda ab: ab != (6, 4) and 10 not in ab),
       data=st.data(), suffix=NO_DIGITS)
def test_two_digit_groups_other_than_six_and_four_are_not_cpr(prefix, sep, lengths, data, suffix):
    left, right = (data.draw(digits(n)) for n in lengths)
    assert not contains_cpr(prefix + left + sep + right + suffix)


@PROPERTY
@given(prefix=NO_DIGITS, day=st.one_of(st.just(0), st.integers(32, 99)), month=st.integers(0, 99),
       year=st.integers(0, 99), sep=SEPARATORS, serial=st.integers(0, 9999), suffix=NO_DIGITS)
def test_an_impossible_day_is_not_cpr(prefix, day, month, year, sep, serial, suffix):
    assert not contains_cpr(f"{prefix}{day:02d}{month:02d}{year:02d}{sep}{serial:04d}{suffix}")


@PROPERTY
@given(prefix=NO_DIGITS, day=st.integers(0, 99), month=st.one_of(st.just(0), st.integers(13, 99)),
       year=st.integers(0, 99), sep=SEPARATORS, serial=st.integers(0, 9999), suffix=NO_DIGITS)
def test_an_impossible_month_is_not_cpr(prefix, day, month, year, sep, serial, suffix):
    assert not contains_cpr(f"{prefix}{day:02d}{month:02d}{year:02d}{sep}{serial:04d}{suffix}")


@PROPERTY
@given(number=cpr_numbers(separator=st.just("")), sep=SEPARATORS)
def test_detection_does_not_depend_on_modulus_11(number, sep):
    """All ten last digits are found, whether or not the number passes the old modulus-11 check
    (numbers issued since 2007 may fail it)."""
    variants = [number[:9] + str(last) for last in range(10)]
    for variant in variants:
        assert contains_cpr(f"x {variant[:6]}{sep}{variant[6:]} x"), (variant, mod11_ok(variant))


def test_detection_does_not_depend_on_modulus_11_examples():
    passes, fails = "0707614285", "0707614286"  # the first passes modulus 11, the second does not
    assert mod11_ok(passes) and not mod11_ok(fails)
    assert contains_cpr(passes) and contains_cpr(fails)


# ================================================================ text cleaning


def assert_safe(text: str, *, invisible_too: bool) -> None:
    bad = set(text) & (C0_BUT_NEWLINE_TAB | C1 | {DEL, ESC})
    assert not bad, sorted(bad)
    if invisible_too:
        assert not set(text) & BIDI, sorted(set(text) & BIDI)
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


@PROPERTY
@given(MIXED_TEXT)
@example("\x1b]8;;https://evil.example\x1b\\klik\x1b]8;;\x1b\\")
@example("\x1b[31mrød\x1b[0m\x9b2J\u202eabc\x00")
@example("\x1b\x1b[31m\x1b")
def test_clean_text_leaves_no_control_characters(text):
    cleaned = clean_text(text)
    assert_safe(cleaned, invisible_too=False)
    assert cleaned == cleaned.strip()


@PROPERTY
@given(MIXED_TEXT)
@example("abc\u202edcba\u2066x\u2069\u200b\ufeff")
@example("\ud800\udfff")
def test_printable_leaves_no_control_or_bidi_characters(text):
    assert_safe(printable(text), invisible_too=True)


@PROPERTY
@given(MIXED_TEXT)
def test_clean_text_is_idempotent(text):
    once = clean_text(text)
    assert clean_text(once) == once


@PROPERTY
@given(MIXED_TEXT)
def test_printable_is_idempotent(text):
    once = printable(text)
    assert printable(once) == once


@PROPERTY
@given(PLAIN_TEXT)
@example("Forældrene siger [bold]nej[/bold] | <b>x</b> =1+1 {0} %s")
@example("  æøå\n\tlinje  ")
def test_plain_text_survives_cleaning(text):
    assert clean_text(text) == text.strip()
    assert printable(text) == text


@PROPERTY
@given(MIXED_TEXT)
def test_for_terminal_hides_controls_and_cpr_numbers(text):
    """Messages that echo user input: printable, and no CPR-like number left."""
    from rettidig_cli.domain.privacy import for_terminal

    shown = for_terminal(text)
    assert_safe(shown, invisible_too=True)
    assert not contains_cpr(shown)


@PROPERTY
@given(PLAIN_NO_DIGITS, cpr_numbers(), PLAIN_NO_DIGITS)
def test_for_terminal_replaces_a_cpr_number(prefix, number, suffix):
    from rettidig_cli.domain.privacy import for_terminal

    shown = for_terminal(prefix + number + suffix)
    assert number not in shown
    assert "[CPR-nummer fjernet]" in shown


# ================================================================ Danish dates

REAL_DATES = st.dates(min_value=dt.date(100, 1, 1), max_value=dt.date(9999, 12, 31))
DANISH_SEP = st.sampled_from(["-", ".", "/"])
SPACE = st.sampled_from(["", " ", "  ", "\t"])


@st.composite
def danish_forms(draw, day: dt.date) -> str:
    """d-m-yyyy, dd.mm.yyyy, d/m-yyyy ... with any of - . / and optional spaces around them."""
    d = f"{day.day:02d}" if draw(st.booleans()) else str(day.day)
    m = f"{day.month:02d}" if draw(st.booleans()) else str(day.month)
    s = [draw(SPACE) for _ in range(6)]
    return f"{s[0]}{d}{s[1]}{draw(DANISH_SEP)}{s[2]}{m}{s[3]}{draw(DANISH_SEP)}{s[4]}{day.year:04d}{s[5]}"


@pytest.mark.parametrize("text", ["3-3-2026", "03.03.2026", "3/3-2026", "3.3.26", " 3 - 3 - 2026 ", "2026-03-03",
                                  "2026-3-3"])
def test_the_forms_the_help_names(text):
    assert dates.parse_date(text) == dt.date(2026, 3, 3)


@PROPERTY
@given(day=REAL_DATES, data=st.data())
def test_every_real_date_in_danish_form_reads_back(day, data):
    text = data.draw(danish_forms(day))
    assert dates.parse_date(text) == day, text


@PROPERTY
@given(day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)), sep=DANISH_SEP,
       pad=st.booleans())
def test_two_digit_years_are_this_century(day, sep, pad):
    d, m = (f"{day.day:02d}", f"{day.month:02d}") if pad else (str(day.day), str(day.month))
    assert dates.parse_date(f"{d}{sep}{m}{sep}{day.year % 100:02d}") == day


@PROPERTY
@given(day=st.dates(min_value=dt.date(1, 1, 1)), pad=st.booleans(), space=SPACE)
def test_every_real_date_in_iso_form_reads_back(day, pad, space):
    text = day.isoformat() if pad else f"{day.year:04d}-{day.month}-{day.day}"
    assert dates.parse_date(f"{space}{text}{space}") == day


@pytest.mark.parametrize(("text", "days"), [("i dag", 0), ("I DAG", 0), ("idag", 0), ("i morgen", 1),
                                            ("imorgen", 1), ("i går", -1), ("igår", -1), ("  I Går  ", -1)])
def test_relative_words(text, days):
    assert dates.parse_date(text) == dates.today() + dt.timedelta(days=days)


DATE_ISH = st.from_regex(r"\A\s?\d{1,5}\s?[-./ ]?\s?\d{0,3}\s?[-./]?\s?\d{0,5}\s?\Z")
DANISH_WORDS = st.sampled_from(["3. december 2026", "tirsdag 3. marts 2026", "i overmorgen", "31-02-2026",
                                "29-2-2027", "0-0-0", "2026-13-01", "0000-01-01", "1-1-00", "٣-٣-٢٠٢٦", "",
                                "  ", "+28", "14:00", "010203-1234", "1e3-1-2026", "½-1-2026", "²-1-2026"])


@PROPERTY
@given(st.one_of(st.text(ANY_CHAR), MIXED_TEXT, DATE_ISH, DANISH_WORDS))
def test_any_text_is_a_date_or_a_danish_value_error(text):
    try:
        day = dates.parse_date(text)
    except ValueError as exc:
        message = str(exc)
        assert "Skriv fx" in message, message
        assert "er ikke en dato" in message or "findes ikke i kalenderen" in message, message
    else:
        assert isinstance(day, dt.date)


@PROPERTY
@given(st.one_of(st.text(ANY_CHAR), DATE_ISH, DANISH_WORDS, st.none(), st.integers(), st.floats(),
                 st.dates(), st.datetimes(), st.lists(st.text(max_size=3), max_size=2)))
def test_date_field_raises_only_value_error(value):
    """fields.date, used by every date in flags and answers files, takes any TOML/JSON value."""
    try:
        result = fields.date(value, "Dato", required=False)
    except ValueError as exc:
        assert str(exc)
    else:
        assert result is None or (isinstance(result, dt.date) and not isinstance(result, dt.datetime))


@PROPERTY
@given(PLAIN_PREFIX, cpr_numbers(), PLAIN_SUFFIX)
def test_date_field_refuses_a_cpr_without_echoing_it(prefix, number, suffix):
    with pytest.raises(ValueError) as refused:
        fields.date(prefix + number + suffix, "Dato")
    assert str(refused.value) == CPR_MESSAGE


def test_a_four_digit_year_is_never_read_as_a_two_digit_year():
    assert dates.parse_date("0050-01-01") == dt.date(50, 1, 1)
    assert dates.parse_date("1-1-0050") == dt.date(50, 1, 1)


# ================================================================ export file names

HOSTILE_NAME_PARTS = ["/", "\\", "..", "../", "..\\", "\x00", ".", "~", "$HOME", "%2e%2e%2f", "\u2215", "\uff0f",
                      "C:", ":", "*", "?", "\n", " ", "\u202e", "æøå", "İ", "\u212a", "ﬃ", "-", "--", "RT-2026-001"]
NAME_PIECES = st.lists(st.one_of(st.text(ANY_CHAR, max_size=10), st.sampled_from(HOSTILE_NAME_PARTS)), max_size=20)
NAME_TEXT = st.one_of(NAME_PIECES.map("".join), st.text(ANY_CHAR, min_size=300, max_size=3000))
FORMAT = st.sampled_from(sorted(exporters.FORMATS))
DAY = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
SAFE_NAME = re.compile(r"\A[A-Za-z0-9.-]+\Z")


@PROPERTY
@given(prefix=NAME_TEXT, code=NAME_TEXT, fmt=FORMAT, day=DAY)
@example(prefix="../../etc", code="../../../passwd\x00", fmt="docx", day=dt.date(2026, 12, 1))
@example(prefix="", code="", fmt="csv", day=dt.date(2026, 12, 1))
@example(prefix=".", code="..", fmt="markdown", day=dt.date(2026, 12, 1))
def test_default_name_is_letters_digits_dashes_and_one_dot(prefix, code, fmt, day):
    name = exporters.default_name(prefix, code, fmt, day)
    assert SAFE_NAME.match(name), name
    assert name.endswith(exporters.FORMATS[fmt])
    assert name.count(".") == 1  # the extension's: no '..', no hidden file
    assert not name.startswith(".")
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert day.isoformat() in name


@pytest.fixture(scope="module")
def export_folder():
    with tempfile.TemporaryDirectory(prefix="rettidig-export-") as folder:
        yield Path(folder)


@PROPERTY
@given(prefix=NAME_TEXT, code=NAME_TEXT, fmt=FORMAT, day=DAY, slash=st.booleans())
def test_target_from_default_name_stays_in_the_folder(export_folder, prefix, code, fmt, day, slash):
    out = exporters.out_path(str(export_folder) + ("/" if slash else ""))
    path = exporters.target(out, exporters.default_name(prefix, code, fmt, day))
    assert path.parent == out
    assert path.resolve().parent == export_folder.resolve()


@PROPERTY
@given(name=NAME_PIECES.map("".join).filter(lambda n: "\x00" not in n))
@example(name="../../etc/passwd")
@example(name="..")
@example(name=".")
@example(name="")
@example(name="a/b.docx")
def test_target_never_points_out_of_the_folder(export_folder, name):
    """Whatever name is joined (not only default_name's), target refuses one that leaves the folder."""
    try:
        path = exporters.target(exporters.out_path(str(export_folder)), name)
    except UsageError:
        return
    assert path.resolve().parent == export_folder.resolve()
