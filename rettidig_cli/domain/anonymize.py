"""Removes what identifies a child and family from text that leaves the tool: the child's name
and initials, the names of parents and staff, exact dates and words the user has marked.

Free text can hold anything, so this is a best effort, never a promise: an anonymous export is
always shown to the user before it is written (cli.py)."""

from __future__ import annotations

import datetime as dt
import re

from rettidig_cli.domain import dates
from rettidig_cli.guide.reference import AnonymousWords

_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
_MONTH = "|".join(m if len(m) <= 4 else f"{m[:3]}(?:{m[3:]}|\\.)?" for m in dates.MONTHS)
# Exact dates as practitioners write them: 2026-03-03, 3-3-2026, 3.3.26, 3/3-2026, 3/3, d. 3.3, 3. marts
# (2026), d. 14-12. Day and month must be possible ones, so '14.00-15.00' and '3-4 år' stay.
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MON = r"(?:0?[1-9]|1[0-2])"
_DATES = re.compile(
    r"(?<![\w.])(?:\d{4}-\d{1,2}-\d{1,2}"
    rf"|{_DAY}\s*[./-]\s*{_MON}\s*[./-]\s*\d{{2,4}}"
    rf"|{_DAY}/{_MON}"
    rf"|(?:d\.|den)\s*{_DAY}\s*[./-]\s*{_MON}\.?"
    rf"|{_DAY}\.?\s*(?:{_MONTH})(?:\s+\d{{4}})?)(?![\w])",
    re.IGNORECASE,
)


def name_words(text: str, role_words: frozenset[str]) -> list[str]:
    """The words of a name field that name a person: 'Pædagog Mette' → ['Mette']."""
    found = []
    for match in _WORD.finditer(text or ""):
        word = match.group(0)
        parts = [word, *word.split("-")] if "-" in word else [word]
        found += [p for p in parts if len(p) >= 2 and p.casefold() not in role_words]
    return found


def initials(name: str) -> list[str]:
    """'Ida Marie Hansen' → IMH, I.M.H., I. M. H., IH …; 'A.B.' → AB, A.B., A. B."""
    letters = [w[0].upper() for w in _WORD.findall(name or "")]
    if len(letters) < 2:
        return []
    variants = set()
    for group in {tuple(letters), (letters[0], letters[-1])}:
        variants |= {"".join(group), ".".join(group) + ".", ". ".join(group) + ".", ".".join(group)}
    return sorted(variants, key=len, reverse=True)


class Redactor:
    """Replaces identifying words in text and turns exact dates into month and year."""

    anonymous = True

    def __init__(self, words: AnonymousWords, child_name: str | None, person_fields: list[str],
                 marked: list[str] = (), exact_dates: bool = False):
        child_name = child_name or ""  # a case stopped before the child was named has no name yet
        self.words = words
        self.exact_dates = exact_dates
        child_parts = name_words(child_name, frozenset())
        rules: list[tuple[re.Pattern, str, str]] = []
        for term in sorted({child_name.strip(), *child_parts} - {""}, key=len, reverse=True):
            rules.append((self._term(term, ignore_case=True), words.child, words.child_possessive))
        for term in initials(child_name):
            rules.append((self._term(term, ignore_case=False, after_dot=False), words.child, words.child_possessive))
        people = {w for field in person_fields for w in name_words(field, words.role_words)} - set(child_parts)
        for term in sorted(people, key=len, reverse=True):
            rules.append((self._term(term, ignore_case=True), words.person, words.person))
        self._marked = [re.compile(rf"(?<!\w){re.escape(m.strip())}\w*", re.IGNORECASE)
                        for m in sorted(marked, key=len, reverse=True) if m.strip()]
        self._rules = rules

    @staticmethod
    def _term(term: str, ignore_case: bool, after_dot: bool = True) -> re.Pattern:
        """A whole word, with a possessive s. A name may follow a dot (mette.olsen@…); initials
        may not, or 'A.B.' would match inside 'C.A.B.'."""
        flags = re.IGNORECASE if ignore_case else 0
        before = r"(?<!\w)" if after_dot else r"(?<![\w.])"
        return re.compile(rf"{before}{re.escape(term)}(?P<s>'?s)?(?![\w])", flags)

    def text(self, value: str | None) -> str:
        value = value or ""
        for pattern in self._marked:
            value = pattern.sub(self.words.marked, value)
        for pattern, plain, possessive in self._rules:
            value = pattern.sub(lambda m, p=plain, s=possessive: s if m.group("s") else p, value)
        if not self.exact_dates:
            value = _DATES.sub(self.words.date, value)
        return value

    def day(self, iso: str | None) -> str:
        """An anonymous document says 'marts 2026', never the day."""
        if not iso:
            return ""
        try:
            day = dt.date.fromisoformat(iso[:10])
        except (TypeError, ValueError):
            # A stored value that is not a date (written by hand or by an older version) may hold
            # anything, a name or an exact date too: never shown, only the word for a date.
            return self.words.date
        if self.exact_dates:
            return dates.format_date(day)
        return f"{dates.MONTHS[day.month - 1]} {day.year}"

    short = day  # in a table cell too: month and year at most


class Plain:
    """The named documents: text as written, dates in full."""

    anonymous = False

    def text(self, value: str | None) -> str:
        return value or ""

    def day(self, iso: str | None) -> str:
        return dates.format_iso(iso)

    def short(self, iso: str | None) -> str:
        """For table cells: '3. dec. 2026'."""
        return dates.format_iso(iso, short=True)
