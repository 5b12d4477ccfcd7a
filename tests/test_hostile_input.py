"""Hostile input through every non-interactive path that takes text.

A corpus of hostile strings (CPR numbers in many shapes, terminal escape sequences, control
characters, bidi overrides, rich markup, Markdown/HTML, CSV formula starts, SQL, path traversal,
very long and empty text, emoji, lone surrogates, format strings, many newlines) goes through:

* `new --answers` (TOML and JSON): every free-text field of both guides (test_new_answers_file);
* every follow-up command's free-text flag and a status-meeting file (`møde hold --answers`),
  `export --skjul`, `luk`/`genåbn` (test_followup_text_flags);
* values that are not free text but are typed by the user and may be echoed in an error: the case
  code of plan/historik/export, date and time flags, choices, NR, the filters of `list` and a step
  id in an answers file (test_values_echoed_in_errors).

For every run: the exit code is 0 or a documented one (never 70, never a traceback); a CPR-bearing
free text is refused with the Danish CPR message; CPR digits are nowhere in the data file (values,
JSON values, and for the plain file the raw bytes of the data folder), in an exported file or in
anything printed; nothing saved holds ESC or other C0/C1 controls or bidi controls; nothing printed
or exported holds them; `plan`, `historik` and `list` still print, with rich markup shown literally.
Control tests show that the same paths save harmless text, so a refusal is the input's doing.

Problems are collected per input and reported together. The corpus first found three bugs, now
fixed: a lone surrogate (non-UTF-8 argv) crashed with exit 70, bidi controls were saved, and a CPR
number written with an en dash, a soft hyphen or a zero-width space got through. `pytest -s`
prints how many inputs x paths ran.

Two fixtures only make the ~4500 in-process runs per data file fast (no fsync, click commands built
once); the commands themselves run unchanged through cli.main()."""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import EXAMPLES, db_file, for_abuse_path, raw_connect, write_answers
from helpers import example_answers, flat, working_day
from rettidig_cli.domain.privacy import printable

RESEN_EXAMPLE = EXAMPLES / "resen-svar.toml"
IKAST_EXAMPLE = EXAMPLES / "ikast-svar.toml"

# Documented exit codes (rettidig_cli/domain/errors.py); 70 is "unexpected error" and never allowed.
DOCUMENTED_CODES = {0, 1, 2, 3, 4, 5, 6, 75, 130}

C0_UNSAFE = frozenset(chr(i) for i in range(0x20) if chr(i) not in "\n\t") | {"\x7f"}
C1 = frozenset(chr(i) for i in range(0x80, 0xA0))
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


# ================================================================ the corpus


@dataclass(frozen=True)
class Hostile:
    id: str
    text: str
    cpr: str | None = None       # the CPR number as written in the text, if it holds one
    markup: bool = False         # rich markup that must be printed literally
    # Tests in which this CPR number, written with a separator the detector does not know, gets through.
    evasion: tuple[str, ...] = ()


def _cpr(id_: str, text: str, number: str, evasion: tuple[str, ...] = ()) -> Hostile:
    return Hostile(id_, text, cpr=number, evasion=evasion)


EVERYWHERE = ("new", "followup", "echo")


HOSTILE: list[Hostile] = [
    # ---- CPR numbers in many shapes
    _cpr("cpr-dash", "010203-1234", "010203-1234"),
    _cpr("cpr-plain", "0102031234", "0102031234"),
    _cpr("cpr-space", "010203 1234", "010203 1234"),
    _cpr("cpr-tab", "010203\t1234", "010203\t1234"),
    _cpr("cpr-in-sentence", "Barnet har CPR 311299-9999 i journalen", "311299-9999"),
    _cpr("cpr-in-word", "abc150505-4321xyz", "150505-4321"),
    _cpr("cpr-punctuation", "(cpr:290280-1113.)", "290280-1113"),
    _cpr("cpr-line-end", "første linje 150505-4321\nanden linje", "150505-4321"),
    _cpr("cpr-line-start", "første linje\n010101 0001", "010101 0001"),
    _cpr("cpr-inside-escapes", "\x1b[31m010203-1234\x1b[0m", "010203-1234"),
    _cpr("cpr-nbsp", "CPR 010203\u00a01234", "010203\u00a01234"),
    _cpr("cpr-mod11-invalid", "Født 311299-9998", "311299-9998"),
    _cpr("cpr-en-dash", "CPR 010203\u20131234", "010203\u20131234", evasion=EVERYWHERE),
    _cpr("cpr-zero-width", "CPR 010203\u200b-1234", "010203\u200b-1234",
         evasion=("new", "followup")),  # messages go through printable(), which removes the U+200B
    _cpr("cpr-soft-hyphen", "CPR 010203\u00ad1234", "010203\u00ad1234", evasion=EVERYWHERE),
    # ---- terminal escape sequences
    Hostile("esc-sgr-red", "\x1b[31mrød tekst\x1b[0m"),
    Hostile("esc-osc8-link", "\x1b]8;;https://evil.example\x1b\\klik her\x1b]8;;\x1b\\"),
    Hostile("esc-title-bel", "\x1b]0;pwned\x07titel"),
    Hostile("esc-clear-home", "\x1b[2J\x1b[Hskærmen er ryddet"),
    Hostile("esc-cursor-up-erase", "linje\x1b[10A\x1b[2Kskjult"),
    Hostile("esc-reset", "\x1bcnulstil"),
    Hostile("esc-alt-screen", "\x1b[?1049halternativ skærm"),
    Hostile("esc-dcs", "\x1bP+q544e\x1b\\dcs"),
    Hostile("esc-lone-at-end", "slutter med ESC\x1b"),
    Hostile("c1-csi", "\x9b31mC1 CSI\x9b0m"),
    # ---- control characters
    Hostile("c0-all", "".join(chr(i) for i in range(0x20)) + "C0"),
    Hostile("c1-all", "".join(chr(i) for i in range(0x80, 0xA0)) + "C1"),
    Hostile("nul", "før\x00efter"),
    Hostile("bel-bs-del", "lyd\x07tilbage\x08slet\x7f"),
    Hostile("carriage-return", "synlig\rskjult\r\nlinje"),
    # ---- invisible characters
    Hostile("bidi-rlo", "abc\u202edcba fil.exe"),
    Hostile("bidi-isolates", "\u2066isoleret\u2069 \u2067rtl\u2069 \u2068fsi\u2069"),
    Hostile("bidi-embedding", "\u202aLRE\u202c \u202bRLE\u202c \u202dLRO\u202c"),
    Hostile("bidi-marks", "navn\u200fRLM\u200eLRM"),
    Hostile("zero-width", "a\u200bb\u200cc\u200dd\ufeffe\u2060f"),
    # ---- rich markup
    Hostile("rich-bold-red", "[bold red]FARE[/bold red]", markup=True),
    Hostile("rich-link", "[link=https://evil.example]klik[/link]", markup=True),
    Hostile("rich-close-all", "tekst [/] mere", markup=True),
    Hostile("rich-open-bracket", "[", markup=True),
    Hostile("rich-escaped", "\\[x] og \\\\[bold]", markup=True),
    Hostile("rich-mismatched", "[red]rød[/blue] [bold]uafsluttet", markup=True),
    Hostile("rich-emoji-code", ":warning: :red_circle: [blink]blink[/blink]", markup=True),
    # ---- Markdown and HTML
    Hostile("html-script", "<script>alert(1)</script>"),
    Hostile("html-img", '<img src=x onerror="alert(1)">'),
    Hostile("md-table-pipes", "| a | b |\n|---|---|\n| c | d |"),
    Hostile("md-heading", "# Overskrift\n## under"),
    Hostile("md-rule", "---"),
    Hostile("md-link-js", "[klik](javascript:alert(1)) **fed** _kursiv_ `kode`"),
    # ---- CSV formula starts
    Hostile("csv-hyperlink", '=HYPERLINK("http://evil.example","klik")'),
    Hostile("csv-plus", "+1+1"),
    Hostile("csv-minus", "-2+3"),
    Hostile("csv-at", "@SUM(A1:A2)"),
    Hostile("csv-fullwidth", "\uff1d1+1"),
    # ---- SQL-ish
    Hostile("sql-drop", "'); DROP TABLE cases;--"),
    Hostile("sql-or", '" OR 1=1 -- \' OR \'1\'=\'1'),
    # ---- path traversal
    Hostile("path-etc-passwd", "../../etc/passwd"),
    Hostile("path-windows", "..\\..\\windows\\system32\\cmd.exe"),
    Hostile("path-absolute-home", "/etc/shadow ~/.ssh/id_rsa"),
    # ---- length and emptiness
    Hostile("long-10000", "a" * 10_000),
    Hostile("long-danish-10000", "æøå " * 2_500),
    Hostile("long-3999", "ø" * 3_999),
    Hostile("empty", ""),
    Hostile("spaces", "   "),
    Hostile("whitespace-mix", "\n\n\t  \u00a0\u2003"),
    # ---- emoji and combining characters
    Hostile("emoji-zwj", "👨\u200d👩\u200d👧\u200d👦 familie 🇩🇰 😀"),
    Hostile("combining-zalgo", "Z\u0337\u0322\u031ba\u0338l\u0335g\u0336o\u0334 e\u0301\u0301\u0301"),
    Hostile("danish-ligature", "ÆØÅ æøå ﬁ ß"),
    # ---- lone surrogates (argv bytes that are not UTF-8 arrive as \udcXX)
    Hostile("surrogate-high", "\ud800"),
    Hostile("surrogate-escape", "Bj\udce6rn"),
    Hostile("surrogate-pair-reversed", "\udfff\ud800x"),
    # ---- format strings
    Hostile("format-braces", "{0} {name} {{}} {!r}"),
    Hostile("format-percent", "%s %d %(x)s %n ${HOME} $(whoami) `id`"),
    # ---- many newlines
    Hostile("newlines-500", "\n" * 500 + "x"),
    Hostile("lines-200", "linje\n" * 200),
    # ---- odd but harmless
    Hostile("looks-like-option", "--help"),
    Hostile("json-literals", "null"),
]

assert len(HOSTILE) >= 50, len(HOSTILE)
assert len({h.id for h in HOSTILE}) == len(HOSTILE)

pytestmark = pytest.mark.usefixtures("no_fsync")  # thousands of commits; durability is not the subject

TRIED: collections.Counter = collections.Counter()  # (test, input id, path) -> runs, for the summary


# ================================================================ character classes


def has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def unsafe_chars(text: str) -> set[str]:
    return set(text) & (C0_UNSAFE | C1 | BIDI)


def cpr_pattern(h: Hostile) -> re.Pattern | None:
    """The CPR digits with up to two non-digits between the date and the serial."""
    if h.cpr is None:
        return None
    digits = re.sub(r"\D", "", h.cpr)
    return re.compile(re.escape(digits[:6]) + r"\D{0,2}" + re.escape(digits[6:]))


def hostile_params() -> list:
    return [pytest.param(h, id=h.id) for h in HOSTILE]


# ================================================================ running and checking


@dataclass
class Problem:
    kind: str
    path: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.path}: {self.detail}"


class Probe:
    """Runs commands with one hostile input and collects every problem instead of stopping at the first."""

    def __init__(self, test: str, cli, h: Hostile, home: Path, storage: str):
        self.test, self.cli, self.h, self.home, self.storage = test, cli, h, home, storage
        self.problems: list[Problem] = []
        self.codes: list[tuple[str, int]] = []  # (path, exit code) of every run
        self.cpr = cpr_pattern(h)

    def problem(self, kind: str, path: str, detail: str) -> None:
        if self.test in self.h.evasion and kind in ("cpr-accepted", "cpr-no-message", "cpr-stored", "cpr-printed"):
            detail = f"{kind}: {detail}"
            kind = "cpr-evasion"
        self.problems.append(Problem(kind, path, detail))

    def run(self, path: str, args: list[str], *, free_text: bool = True):
        """One command. free_text: the hostile value is a free text the command saves (so a CPR must be
        refused with the CPR message); otherwise it is a lookup, a choice, a date or a filter."""
        TRIED[(self.test, self.h.id, path)] += 1
        r = self.cli(args)
        self.codes.append((path, r.code))
        both = r.out + r.err
        short = flat(r.err)[-300:]
        if "Traceback" in both:
            self.problem("traceback", path, short)
        if r.code == 70:
            kind = "surrogate-crash" if has_surrogate(self.h.text) and "UnicodeEncodeError" in r.err else "crash"
            self.problem(kind, path, short)
        elif r.code not in DOCUMENTED_CODES:
            self.problem("bad-exit", path, f"exit {r.code}: {short}")
        if self.h.cpr is not None and free_text and r.code != 70:
            if r.code == 0:
                self.problem("cpr-accepted", path, "exit 0")
            elif "CPR-nummer" not in flat(r.err):
                self.problem("cpr-no-message", path, f"exit {r.code}: {short}")
        shown = unsafe_chars(both)
        if shown:
            where = f"exit {r.code}, printed {sorted(shown)!r}"
            self.problem("unsafe-output", path, where)
        if self.cpr is not None and self.cpr.search(unicodedata.normalize("NFKC", both)):
            self.problem("cpr-printed", path, f"exit {r.code}: the CPR digits are printed")
        return r

    def check_saved(self) -> None:
        """Every value in every table (and in JSON values), and for the plain file its raw bytes."""
        path = db_file(self.home)
        if not path.exists():
            return
        conn = raw_connect(path, dicts=False)
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            values = [(t, v) for t in tables for row in conn.execute(f'SELECT * FROM "{t}"') for v in row
                      if isinstance(v, str)]
        finally:
            conn.close()
        for table, value in values:
            for text in strings_in(value):
                bad = set(text) & (C0_UNSAFE | C1)
                if bad:
                    self.problem("unsafe-saved", f"table {table}", f"{sorted(bad)!r} in {text[:80]!r}")
                if set(text) & BIDI:
                    self.problem("bidi-saved", f"table {table}", f"saved {sorted(set(text) & BIDI)!r}")
                if self.cpr is not None and self.cpr.search(unicodedata.normalize("NFKC", text)):
                    self.problem("cpr-stored", f"table {table}", f"{text[:80]!r}")
        if self.storage == "klar" and self.h.cpr is not None:
            raw = b"".join(p.read_bytes() for p in sorted(self.home.rglob("*")) if p.is_file())
            for form in {self.h.cpr, re.sub(r"\D", "", self.h.cpr)}:
                if form.encode("utf-8") in raw:
                    self.problem("cpr-stored", "raw bytes of the data folder", repr(form))

    def finish(self) -> None:
        self.check_saved()
        listing = "\n".join(str(p) for p in self.problems[:40])
        assert not self.problems, f"{len(self.problems)} problem(s) with input {self.h.id}:\n{listing}"


def strings_in(value: str):
    yield value
    if value[:1] in "[{\"":
        try:
            decoded = json.loads(value)
        except ValueError:
            return
        stack = [decoded]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                yield item
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())


# ================================================================ answers files


def today() -> dt.date:
    return dt.date.today()


def underretning(text: str) -> dict:
    return {"dato": today().isoformat(), "modtager": text, "hvordan": text, "leder_informeret": True, "note": text}


def answers(guide: str, group: str, text: str) -> dict:
    """Every free-text field of a guide, split in two groups so that both branches of each guide's
    decisions are walked: 'tekst' (text steps, descriptions; stor sag / K-møde) and 'navne' (names,
    methods, participants; the abuse path / U-møde with their underretning)."""
    if guide == "resen":
        data = example_answers(RESEN_EXAMPLE)
        if group == "tekst":
            for key in ("stikord", "koordinator", "foraeldres-syn", "barnets-perspektiv", "analyse"):
                data[key] = text
            data["iagttagelser"][0]["hvad"] = text
            data["placering"]["begrundelse"] = text
            data["aftaler"][0]["hvad"] = text
            data["foraeldre-orienteret"]["navn"] = text
            data["underskrift"]["navn"] = text
            data["sagstype"] = "stor"
            data["sagsbehandler"] = text
            data["teammoede"] = {"dato": working_day(10), "deltagere": text}
            data["teammoede-underskrift"] = {"svar": "ja", "navn": text}
        else:
            data["sikkerhed"] = {"mistanke": True, "underretning": underretning(text)}
            for_abuse_path(data)
            for key in ("foraeldre-orienteret", "foraeldres-syn", "underskrift"):  # parent contact: not asked
                del data[key]
            data["barn"]["navn"] = text
            data["iagttagelser"][0].update(metode=text, hvem=text)
            data["aftaler"][0]["hvem"] = text
            data["tovholder"] = {"navn": text, "rolle": text}
            data["statusmoeder"]["deltagere"] = text
        return data
    data = example_answers(IKAST_EXAMPLE)
    if group == "tekst":
        for key in ("bekymring", "kolleger", "foraeldre-oplevelse", "barnets-perspektiv", "laeringsmiljoe",
                    "foraeldredialog", "analyse", "foraeldre-stoette", "k-moede-spoergsmaal", "k-moede-oensket"):
            data[key] = text
        data["observationer"][0]["hvad"] = text
        data["faktorer"][0]["tekst"] = text
        data["aftaler"][0]["hvad"] = text
        data["underskrift"]["navn"] = text
        data["tvaerfaglig-vej"] = "k-moede"
        data["k-moede-samtykke"] = {"svar": "ja", "navn": text}
        data["k-moede"] = {"dato": working_day(10), "deltagere": text}
    else:
        data["barn"]["navn"] = text
        data["observationer"][0].update(metode=text, hvem=text)
        data["aftaler"][0]["hvem"] = text
        data["tovholder"] = {"navn": text, "rolle": text}
        data["statusmoeder"]["deltagere"] = text
        data["tvaerfaglig-vej"] = "u-moede"
        data["underretning"] = underretning(text)
    return data


def create_case(cli, folder: Path) -> str:
    """A finished Resen case (no hostile text): two agreements, three planned status meetings."""
    path = write_answers(folder, "grundsag", example_answers(RESEN_EXAMPLE), "json")
    result = cli(["new", "--guide", "resen", "--answers", str(path)])
    assert result.code == 0, result.err
    return result.out.split("Ny sag: ", 1)[1].split()[0]


# ================================================================ the control tests: the harness is right


def test_corpus_size_and_example_answers_are_accepted(cli, tmp_path):
    """At least 50 hostile inputs, and the harmless answers files of this module create cases."""
    assert len(HOSTILE) >= 50
    for guide in ("resen", "ikast-brande-dagtilbud"):
        for group in ("tekst", "navne"):
            for fmt in ("toml", "json"):
                path = write_answers(tmp_path, f"{guide}-{group}", answers(guide, group, "Helt almindelig tekst"), fmt)
                result = cli(["new", "--guide", guide, "--answers", str(path)])
                assert result.code == 0, result.err
                assert "Bemærk" not in result.out, result.out  # every answer in the file is used


# ================================================================ new --answers


@pytest.mark.parametrize("h", hostile_params())
def test_new_answers_file(cli, tmp_path, data_home, storage, h):
    """Every free-text field of both guides, in TOML and JSON answers files."""
    probe = Probe("new", cli, h, data_home, storage)
    for guide in ("resen", "ikast-brande-dagtilbud"):
        for group in ("tekst", "navne"):
            for fmt in ("toml", "json"):
                path = write_answers(tmp_path, f"{guide}-{group}", answers(guide, group, h.text), fmt)
                probe.run(f"new --guide {guide} --answers ({group}, {fmt})",
                          ["new", "--guide", guide, "--answers", str(path)])
    probe.finish()


# ================================================================ the follow-up commands


def meeting_file(fields: dict) -> dict:
    return {"dato": today().isoformat(), "foraeldre_deltog": True, **fields}


def hold_files(text: str) -> list[tuple[str, dict]]:
    """One status-meeting file per free-text field."""
    return [
        ("referat", meeting_file({"referat": text})),
        ("deltagere", meeting_file({"deltagere": text})),
        ("fravaer_grund", meeting_file({"foraeldre_deltog": False, "fravaer_grund": text, "deltagere": "Ali Demir"})),
        ("nye_aftaler.hvad", meeting_file({"nye_aftaler": [{"hvad": text, "hvem": "Ali Demir"}]})),
        ("nye_aftaler.hvem", meeting_file({"nye_aftaler": [{"hvad": "Læse højt", "hvem": text}]})),
        ("aftaler.note", meeting_file({"aftaler": [{"nr": 1, "note": text}]})),
        ("placering.begrundelse", meeting_file({"placering": {"placering": "trivsel", "begrundelse": text}})),
        ("naeste_moede.deltagere", meeting_file({"naeste_moede": {"dato": working_day(35), "deltagere": text}})),
        ("fit.hvem+note", meeting_file({"fit": [{"hvem": text, "skema": "ORS", "point": [5, 5, 5, 5], "note": text}]})),
    ]


def followup_paths(cli, tmp_path: Path, probe: "Probe", code: str, h: Hostile, index: int) -> None:
    """Every free-text flag of the follow-up commands on one case, in an order in which each would
    succeed with harmless text; then the case is printed and exported."""
    t = h.text
    observation = probe.run("observation --hvad", ["observation", code, f"--hvad={t}"])
    probe.run("observation --metode", ["observation", code, "--hvad=Leger alene", f"--metode={t}"])
    probe.run("observation --hvem", ["observation", code, "--hvad=Leger alene", f"--hvem={t}"])
    probe.run("faktor --tekst", ["faktor", code, "--type=risiko", f"--tekst={t}"])
    probe.run("aftale ny --hvad", ["aftale", "ny", code, f"--hvad={t}", "--hvem=Ali Demir"])
    probe.run("aftale ny --hvem", ["aftale", "ny", code, "--hvad=Læse højt", f"--hvem={t}"])
    probe.run("aftale status --note", ["aftale", "status", code, "1", "--status=i gang", f"--note={t}"])
    probe.run("tovholder --navn", ["tovholder", code, f"--navn={t}", "--rolle=pædagog"])
    probe.run("tovholder --rolle", ["tovholder", code, "--navn=Sara Jensen", f"--rolle={t}"])
    probe.run("placering --begrundelse", ["placering", code, "--placering=udsat", f"--begrundelse={t}"])
    probe.run("møde ny --deltagere", ["møde", "ny", code, f"--dato={working_day(21)}", f"--deltagere={t}"])
    probe.run("møde flyt --grund", ["møde", "flyt", code, "1", f"--dato={working_day(28)}", f"--grund={t}", "--ja"])
    probe.run("møde aflys --grund", ["møde", "aflys", code, "2", f"--grund={t}", "--ja"])
    for i, (field, data) in enumerate(hold_files(t)):
        fmt = ("toml", "json")[(i + index) % 2]  # each field meets both formats across the corpus
        path = write_answers(tmp_path, f"moede-{i}", data, fmt)
        probe.run(f"møde hold --answers ({field}, {fmt})", ["møde", "hold", code, "3", "--answers", str(path)])
    probe.run("eskaler --begrundelse", ["eskaler", code, "--til=stor", f"--begrundelse={t}"])
    folder = tmp_path / "eksport"
    folder.mkdir()
    probe.run("export --til anonym --skjul", ["export", code, "--til=anonym", "--ja", "--format=markdown",
                                              f"--out={folder}/", f"--skjul={t}"])
    closed = probe.run("luk --grund", ["luk", code, f"--grund={t}"])
    if closed.code != 0:
        probe.run("luk --grund (harmless)", ["luk", code, "--grund=Andet"], free_text=False)
    probe.run("genåbn --grund", ["genåbn", code, f"--grund={t}"])
    probe.run("export handleplan json", ["export", code, "--format=json", f"--out={folder}/"], free_text=False)
    for written in folder.iterdir():
        text = written.read_text(encoding="utf-8")
        bad = unsafe_chars(text)
        if bad:
            probe.problem("unsafe-export", written.name, repr(sorted(bad)))
        if probe.cpr is not None and probe.cpr.search(unicodedata.normalize("NFKC", text)):
            probe.problem("cpr-stored", written.name, "CPR digits in the exported file")

    # Printing the case afterwards: exit 0, nothing unsafe (checked in run), markup shown as typed.
    shown = {name: probe.run(name, args, free_text=False)
             for name, args in (("plan SAG", ["plan", code]), ("historik SAG", ["historik", code]),
                                ("list --alle", ["list", "--alle"]))}
    for name, result in shown.items():
        if result.code != 0:
            probe.problem("not-printed", name, f"exit {result.code}: {flat(result.err)[-200:]}")
    if h.markup and observation.code == 0:
        literal = printable(t).strip()
        for name in ("plan SAG", "historik SAG"):
            if literal not in shown[name].out:
                probe.problem("markup-interpreted", name, f"{literal!r} is not printed literally")


def test_followup_paths_all_succeed_with_harmless_text(cli, tmp_path, data_home, storage, monkeypatch):
    """The control: with ordinary text every step of followup_paths is saved (exit 0), so a refusal of
    a hostile input in test_followup_text_flags is the input's doing, not the harness's."""
    monkeypatch.setenv("COLUMNS", "1000")
    harmless = Hostile("harmless", "Helt [almindelig] tekst", markup=True)
    for index in (0, 1):  # both TOML and JSON for every meeting-file field
        probe = Probe("control", cli, harmless, data_home, storage)
        folder = tmp_path / str(index)
        folder.mkdir()
        followup_paths(cli, folder, probe, create_case(cli, folder), harmless, index)
        failed = [(path, code) for path, code in probe.codes if code != 0]
        assert not failed, failed
        assert "luk --grund (harmless)" not in [path for path, _ in probe.codes]
        probe.check_saved()
        assert probe.problems == []


@pytest.mark.parametrize("h", hostile_params())
def test_followup_text_flags(cli, tmp_path, data_home, storage, monkeypatch, h):
    """Every follow-up command's free-text flag, a status-meeting file per field, export --skjul, luk and
    genåbn; then plan, historik and list must print without escapes and with markup shown literally."""
    monkeypatch.setenv("COLUMNS", "1000")  # no wrapping inside a table cell: markup must be found whole
    probe = Probe("followup", cli, h, data_home, storage)
    followup_paths(cli, tmp_path, probe, create_case(cli, tmp_path), h, HOSTILE.index(h))
    probe.finish()


# ================================================================ values that errors may echo


@pytest.mark.parametrize("h", hostile_params())
def test_values_echoed_in_errors(cli, tmp_path, data_home, storage, h):
    """The case code of plan/historik/export, date/time/choice flags, NR, list filters and an answers
    file's step id. None of them is free text that is saved: a CPR in them must not be saved or
    printed, and an error message must not print the raw input back."""
    code = create_case(cli, tmp_path)
    probe = Probe("echo", cli, h, data_home, storage)
    t = h.text
    folder = tmp_path / "eksport"
    folder.mkdir()
    lookup = dict(free_text=False)
    probe.run("plan SAG", ["plan", "--", t], **lookup)
    probe.run("historik SAG", ["historik", "--", t], **lookup)
    probe.run("export SAG", ["export", "--format=markdown", f"--out={folder}/", "--", t], **lookup)
    probe.run("aftale status NR", ["aftale", "status", code, "--status=udført", "--", t], **lookup)
    probe.run("møde aflys NR", ["møde", "aflys", code, "--ja", "--", t], **lookup)
    probe.run("observation --dato", ["observation", code, "--hvad=Leger alene", f"--dato={t}"], **lookup)
    probe.run("aftale ny --senest", ["aftale", "ny", code, "--hvad=Læse", "--hvem=Ali", f"--senest={t}"], **lookup)
    probe.run("møde ny --dato", ["møde", "ny", code, f"--dato={t}"], **lookup)
    probe.run("møde ny --tid", ["møde", "ny", code, f"--dato={working_day(21)}", f"--tid={t}"], **lookup)
    probe.run("møde flyt --dato", ["møde", "flyt", code, "1", f"--dato={t}", "--ja"], **lookup)
    probe.run("faktor --type", ["faktor", code, f"--type={t}", "--tekst=Mange skift"], **lookup)
    probe.run("aftale status --status", ["aftale", "status", code, "1", f"--status={t}"], **lookup)
    probe.run("placering --placering", ["placering", code, f"--placering={t}", "--begrundelse=x"], **lookup)
    probe.run("eskaler --til", ["eskaler", code, f"--til={t}", "--begrundelse=Socialt betinget"], **lookup)
    probe.run("export --til", ["export", code, f"--til={t}", f"--out={folder}/"], **lookup)
    probe.run("export --format", ["export", code, f"--format={t}", f"--out={folder}/"], **lookup)
    probe.run("export --skilletegn", ["export", code, "--format=csv", f"--skilletegn={t}", f"--out={folder}/"],
              **lookup)
    for flag in ("--tovholder", "--tilbud", "--fase"):
        probe.run(f"list {flag}", ["list", f"{flag}={t}"], **lookup)
    path = tmp_path / "svar-trin.json"
    path.write_text(json.dumps({**example_answers(RESEN_EXAMPLE), t: "x"}, ensure_ascii=True), encoding="utf-8")
    probe.run("new --answers (unknown step id)", ["new", "--guide", "resen", "--answers", str(path)], **lookup)
    probe.finish()


# ================================================================ summary


@pytest.mark.plain_only  # printed once, after the tests above (with the data files this run uses)
def test_zz_summary(capsys):
    """The figure to read with -s: hostile inputs x paths tried, per test and in all."""
    lines = []
    for test in ("new", "followup", "echo"):
        pairs = {(h, path) for (t, h, path) in TRIED if t == test}
        paths = {path for _, path in pairs}
        runs = sum(n for (t, _, _), n in TRIED.items() if t == test)
        lines.append(f"  {test:8} {len({h for h, _ in pairs})} inputs x {len(paths)} paths: "
                     f"{len(pairs)} input x path combinations, {runs} command runs")
    tried = {key: n for key, n in TRIED.items() if key[0] != "control"}
    pairs = {(h, (t, path)) for (t, h, path) in tried}
    with capsys.disabled():
        print(f"\nHostile input: {len(HOSTILE)} inputs, {len({p for _, p in pairs})} paths, "
              f"{len(pairs)} input x path combinations tried, {sum(tried.values())} command runs")
        print("\n".join(lines))
