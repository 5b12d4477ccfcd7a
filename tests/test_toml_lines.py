import datetime
import json
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rettidig_cli.guide.toml_lines import locate, nearest

# Nothing here touches the data file, so the encrypted run would only repeat the plain one.
pytestmark = pytest.mark.plain_only

GUIDE_DIR = Path(__file__).resolve().parent.parent / "data" / "guides"
GUIDES = sorted(GUIDE_DIR.glob("*.toml"))


def walk(value, path=()):
    """Every key path in a tomllib result: each key of each table, each element of each list."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path + (key,), item
            yield from walk(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield path + (index,), item
            yield from walk(item, path + (index,))


def at(text, place):
    """The text of the line from the located column on."""
    line, col = place
    return text.split("\n")[line - 1][col - 1:]


def line_of(text, needle):
    """The 1-based line of the one occurrence of `needle` in `text`."""
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


# ---------------------------------------------------------------- the shipped guides


def test_the_guides_are_found():
    assert {p.name for p in GUIDES} >= {"resen.toml", "ikast-brande-dagtilbud.toml"}


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_every_key_path_of_a_shipped_guide_is_located_where_it_is_written(guide):
    text = guide.read_text(encoding="utf-8")
    paths = list(walk(tomllib.loads(text)))
    assert len(paths) > 200
    for path, value in paths:
        place = locate(text, path)
        assert place is not None, path
        rest = at(text, place)
        last = path[-1]
        if isinstance(last, str):
            assert rest.startswith((last, f'"{last}"', f"'{last}'")), (path, rest)
        elif rest.startswith(path[-2]):  # an element opened by a [[header]]
            assert text.split("\n")[place[0] - 1].lstrip().startswith("[["), (path, rest)
        elif isinstance(value, dict):
            assert rest.startswith("{"), (path, rest)
        elif isinstance(value, str):
            assert rest.startswith(json.dumps(value, ensure_ascii=False)), (path, rest)
        else:
            assert rest.startswith(json.dumps(value)), (path, rest)


@pytest.mark.parametrize(
    "path, typo",
    [
        (("meetings",), "parents_allways"),
        (("phases", 0, "steps", 2), "requird"),
        (("phases", 1, "steps", 1, "options", 0), "labl"),
        (("phases", 0, "guidance", 2), "parent_contactt"),
        (("law", 1), "reff"),
        ((), "schemaa"),
    ],
)
def test_a_typo_in_a_shipped_guide_is_located_on_its_own_line(path, typo):
    # The way the guide reader uses it: the file parses, an unknown key is found, name its line.
    text = (GUIDE_DIR / "resen.toml").read_text(encoding="utf-8")
    good = {"parents_allways": "parents_always", "requird": "required", "labl": "label",
            "parent_contactt": "parent_contact", "reff": "ref", "schemaa": "schema"}[typo]
    # Put the typo in place of the right key at that path, found by locate itself.
    line, col = locate(text, path + (good,))
    lines = text.split("\n")
    assert lines[line - 1][col - 1:].startswith(good)
    lines[line - 1] = lines[line - 1][: col - 1] + typo + lines[line - 1][col - 1 + len(good):]
    bad = "\n".join(lines)
    tomllib.loads(bad)
    assert locate(bad, path + (typo,)) == (line, col)
    assert locate(bad, path + (good,)) is None
    assert nearest(typo, [good, "id", "text", "message", "kind"]) == good


def test_the_examples_from_the_resen_guide():
    text = (GUIDE_DIR / "resen.toml").read_text(encoding="utf-8")
    assert locate(text, ("schema",)) == (line_of(text, "\nschema = 1") + 1, 1)
    assert locate(text, ("safety",)) == (line_of(text, "\n[safety]") + 1, 2)
    assert locate(text, ("meetings", "parents_always")) == (line_of(text, "parents_always = true"), 1)
    third_law = text.index("[[law]]", text.index("[[law]]") + 1)
    assert locate(text, ("law", 1)) == (text[:third_law].count("\n") + 1, 3)
    guidance = locate(text, ("phases", 0, "guidance", 2, "parent_contact"))
    assert guidance[0] == line_of(text, "{ text = \"Stuen kontakter forældrene")
    assert locate(text, ("phases", 9)) is None


# ---------------------------------------------------------------- hand-written constructs


def test_multi_line_basic_string_with_fake_keys_and_headers():
    text = '''a = """
fake = 1
[fake]
[[fake]]
b = { c = 2 }
\\""" still inside
"""
real = 2
'''
    assert tomllib.loads(text)["real"] == 2
    assert locate(text, ("a",)) == (1, 1)
    assert locate(text, ("real",)) == (8, 1)
    assert locate(text, ("fake",)) is None
    assert locate(text, ("b",)) is None


def test_multi_line_literal_string_with_fake_keys_and_extra_closing_quotes():
    text = """[t]
a = '''
fake = 'x'
[other]
"not" = "a key"\\'''''
real = 2
"""
    data = tomllib.loads(text)
    assert data["t"]["a"].endswith("\\''") and data["t"]["real"] == 2
    assert locate(text, ("t", "real")) == (6, 1)
    assert locate(text, ("other",)) is None
    assert locate(text, ("t", "fake")) is None
    assert locate(text, ("t", "not")) is None


def test_multi_line_basic_string_closing_with_quotes_in_its_content():
    text = 'a = """x""""\nb = """""y"""""\nc = 1\n'
    assert tomllib.loads(text) == {"a": 'x"', "b": '""y""', "c": 1}
    assert locate(text, ("c",)) == (3, 1)


def test_strings_and_comments_holding_toml_punctuation():
    text = """# [fake] x = { y = 1 } # "quoted"
text = "a [b] = {c} # d" # real comment [not] = 1
lit = 'e \\ [f] = {g} # h "i'
esc = "quote \\" [j] = k"
# next = 1
next = 2 # = [z]
"""
    data = tomllib.loads(text)
    assert data["text"] == "a [b] = {c} # d"
    assert locate(text, ("text",)) == (2, 1)
    assert locate(text, ("lit",)) == (3, 1)
    assert locate(text, ("esc",)) == (4, 1)
    assert locate(text, ("next",)) == (6, 1)
    for fake in ("fake", "x", "y", "b", "f", "j", "not", "z"):
        assert locate(text, (fake,)) is None


def test_dotted_keys_at_the_top_and_in_a_table():
    text = """name.first = "A"
name.last = "B"
[t]
a.b = 1
a . c = 2
"x.y" . 'z' = 3
[t.a.d]
e = 4
"""
    data = tomllib.loads(text)
    assert data["t"] == {"a": {"b": 1, "c": 2, "d": {"e": 4}}, "x.y": {"z": 3}}
    assert locate(text, ("name",)) == (1, 1)
    assert locate(text, ("name", "last")) == (2, 6)
    assert locate(text, ("t", "a")) == (4, 1)
    assert locate(text, ("t", "a", "b")) == (4, 3)
    assert locate(text, ("t", "a", "c")) == (5, 5)
    assert locate(text, ("t", "x.y")) == (6, 1)
    assert locate(text, ("t", "x.y", "z")) == (6, 9)
    assert locate(text, ("t", "a", "d")) == (7, 6)
    assert locate(text, ("t", "a", "d", "e")) == (8, 1)
    assert locate(text, ("t", "x")) is None


def test_quoted_and_literal_keys():
    text = """"my key" = 1
'lit.key' = 2
"esc\\u0041" = 3
"" = 4
[ "quoted table" . 'lit' ]
"#" = 5
"=" = 6
"""
    data = tomllib.loads(text)
    assert data["escA"] == 3 and data["quoted table"]["lit"]["#"] == 5
    assert locate(text, ("my key",)) == (1, 1)
    assert locate(text, ("lit.key",)) == (2, 1)
    assert locate(text, ("escA",)) == (3, 1)
    assert locate(text, ("",)) == (4, 1)
    assert locate(text, ("quoted table",)) == (5, 3)
    assert locate(text, ("quoted table", "lit")) == (5, 20)
    assert locate(text, ("quoted table", "lit", "#")) == (6, 1)
    assert locate(text, ("quoted table", "lit", "=")) == (7, 1)
    assert locate(text, ("lit",)) is None


def test_inline_tables_as_values_and_in_arrays_over_several_lines():
    text = """x = { a = 1, b = { c = "}" }, d.e = [1, 2] }
guidance = [
  "plain, with a comma",  # a comment, with { a brace
  { text = "T", parent_contact = true },
  # { text = "fake" }
  [ { deep = 1 } ,
    { deeper = 2 } ],
]
options = [ { id = "x", label = "Y" }, { id = "z", label = "W" } ]
"""
    tomllib.loads(text)
    assert locate(text, ("x", "b", "c")) == (1, 20)
    assert locate(text, ("x", "d", "e")) == (1, 33)
    assert locate(text, ("guidance", 0)) == (3, 3)
    assert locate(text, ("guidance", 1)) == (4, 3)
    assert locate(text, ("guidance", 1, "parent_contact")) == (4, 17)
    assert locate(text, ("guidance", 2)) == (6, 3)
    assert locate(text, ("guidance", 2, 0, "deep")) == (6, 7)
    assert locate(text, ("guidance", 2, 1, "deeper")) == (7, 7)
    assert locate(text, ("guidance", 3)) is None
    assert locate(text, ("guidance", 1, "fake")) is None
    assert locate(text, ("options", 1, "label")) == (9, 52)


def test_arrays_of_tables_count_from_zero_in_every_parent():
    text = """[[phases]]
id = "p0"
[[phases.steps]]
id = "s00"
[[phases.steps]]
id = "s01"
[[phases.steps.options]]
id = "o010"

[[phases]]
id = "p1"
[[phases.steps]]
id = "s10"
[[phases.steps.options]]
id = "o100"
[[phases.steps.options]]
labl = "typo"
[phases.steps.extra]
k = 1
[[ phases ]]
"""
    data = tomllib.loads(text)
    assert data["phases"][1]["steps"][0]["options"][1] == {"labl": "typo"}
    assert locate(text, ("phases",)) == (1, 3)
    assert locate(text, ("phases", 0)) == (1, 3)
    assert locate(text, ("phases", 1)) == (10, 3)
    assert locate(text, ("phases", 2)) == (20, 4)
    assert locate(text, ("phases", 0, "steps", 1, "id")) == (6, 1)
    assert locate(text, ("phases", 1, "steps")) == (12, 10)
    assert locate(text, ("phases", 1, "steps", 0)) == (12, 10)
    assert locate(text, ("phases", 1, "steps", 0, "id")) == (13, 1)
    assert locate(text, ("phases", 0, "steps", 1, "options", 0, "id")) == (8, 1)
    assert locate(text, ("phases", 1, "steps", 0, "options", 1)) == (16, 16)
    assert locate(text, ("phases", 1, "steps", 0, "options", 1, "labl")) == (17, 1)
    assert locate(text, ("phases", 1, "steps", 0, "extra", "k")) == (19, 1)
    assert locate(text, ("phases", 1, "steps", 1)) is None
    assert locate(text, ("phases", 0, "steps", 0, "options")) is None


def test_a_table_header_after_its_sub_table_names_the_header():
    text = "[a.b]\nc = 1\n[a]\nd = 2\n"
    assert tomllib.loads(text) == {"a": {"b": {"c": 1}, "d": 2}}
    assert locate(text, ("a",)) == (3, 2)
    assert locate(text, ("a", "b")) == (1, 4)


def test_values_with_spaces_and_crlf_line_ends():
    text = "when = 1979-05-27 07:32:00 # a date with a space\r\nnum = +1_000\r\n[t]\r\nflag = true\r\n"
    assert tomllib.loads(text)["when"] == datetime.datetime(1979, 5, 27, 7, 32)
    assert locate(text, ("num",)) == (2, 1)
    assert locate(text, ("t", "flag")) == (4, 1)


def test_paths_that_are_not_there():
    text = 'a = 1\nb = [1, 2]\n[t]\nc = "x"\n'
    assert locate(text, ("zzz",)) is None
    assert locate(text, ("a", "b")) is None  # into a number
    assert locate(text, ("b", 2)) is None
    assert locate(text, ("t", "c", 0)) is None
    assert locate(text, ()) is None
    assert locate(text, ["t", "c"]) == (4, 1)  # a list is taken as the path too


@pytest.mark.parametrize("text", ['a = "unterminated', "a = [1, 2", "= 1", "[a", "a = '''x", "a.=1"])
def test_text_it_cannot_follow_gives_none_not_an_error(text):
    assert locate(text, ("a",)) is None


def test_very_deep_nesting_gives_an_answer_or_none_not_an_error():
    text = "a = " + "[" * 5000 + "]" * 5000 + "\nb = 1\n"
    assert locate(text, ("b",)) in (None, (2, 1))


# ---------------------------------------------------------------- nearest


@pytest.mark.parametrize(
    "typo, meant",
    [
        ("parents_allways", "parents_always"),
        ("requird", "required"),
        ("parent_contactt", "parent_contact"),
        ("mesage", "message"),
        ("Message", "message"),
        ("LABEL", "label"),
        ("titel", "title"),
        ("xyz", None),
        ("", None),
    ],
)
def test_nearest(typo, meant):
    known = ["id", "kind", "title", "message", "help", "required", "parent_contact",
             "parents_always", "label", "role", "options"]
    assert nearest(typo, known) == meant


def test_nearest_with_nothing_known():
    assert nearest("id", []) is None
    assert nearest("id", iter(())) is None


# ---------------------------------------------------------------- generated documents
#
# A small emitter writes random data as TOML in random styles (headers or inline tables, arrays
# of tables or inline arrays, dotted keys, four kinds of strings full of TOML punctuation,
# comments, spaces, CRLF) and records the offset where it writes each key path. locate must
# find exactly those places.

FRAGMENTS = ["a", "x = 1", "[t]", "[[t]]", "{ y = 2 }", "#", '"', "'", "\\", "\n", "=", "é",
             " ", '"""', "'''", "\t", ",", "]", "}"]
COMMENT = ["", " # x = [y] {z} \"q'", "#[fake]", "  # \"\"\" '''"]
BARE = re.compile(r"[A-Za-z0-9_-]+")
DATES = {datetime.date(2020, 1, 2): "2020-01-02",
         datetime.datetime(1979, 5, 27, 7, 32): "1979-05-27 07:32:00"}


class Doc:
    def __init__(self, rnd):
        self.rnd, self.chunks, self.size, self.where = rnd, [], 0, {}
        self.nl = rnd.choice(["\n", "\r\n"])

    def write(self, s):
        self.chunks.append(s)
        self.size += len(s)

    def mark(self, path):
        self.where.setdefault(path, self.size)

    def pick(self, *options):
        return self.rnd.choice(options)

    def key(self, name):
        if BARE.fullmatch(name) and self.rnd.random() < 0.7:
            self.write(name)
        elif "'" not in name and self.rnd.random() < 0.5:
            self.write(f"'{name}'")
        else:
            self.write(json.dumps(name, ensure_ascii=self.rnd.random() < 0.5))

    def string(self, s):
        styles = ["basic", "multi"]
        if "'" not in s and "\n" not in s:
            styles.append("literal")
        if "'''" not in s:
            styles.append("multi-literal")
        style = self.rnd.choice(styles)
        if style == "basic":
            self.write(json.dumps(s, ensure_ascii=self.rnd.random() < 0.5))
        elif style == "literal":
            self.write(f"'{s}'")
        elif style == "multi":
            # The newline right after the opening quotes is dropped by TOML.
            self.write('"""\n' + s.replace("\\", "\\\\").replace('"', '\\"') + '"""')
        else:
            self.write("'''\n" + s + "'''")

    def value(self, path, v):
        if isinstance(v, bool):
            self.write("true" if v else "false")
        elif isinstance(v, (int, float)):
            self.write(str(v))
        elif isinstance(v, datetime.date):
            self.write(DATES[v])
        elif isinstance(v, str):
            self.string(v)
        elif isinstance(v, dict):
            self.write(self.pick("{", "{ "))
            self.assignments(path, v, inline=True)
            self.write(self.pick("}", " }"))
        else:
            self.write("[")
            for i, item in enumerate(v):
                self.write(self.pick("", " ", self.nl + "  ", "# c [x] = 1" + self.nl))
                self.mark(path + (i,))
                self.value(path + (i,), item)
                if i < len(v) - 1 or self.rnd.random() < 0.5:
                    self.write(self.pick(",", " ,", "," + self.nl, ", # { c" + self.nl))
            self.write(self.pick("]", " ]", self.nl + "]"))

    def flatten(self, table):
        """(relative key path, value) pairs; some tables become dotted keys."""
        for k, v in table.items():
            if isinstance(v, dict) and v and self.rnd.random() < 0.3:
                for rel, item in self.flatten(v):
                    yield (k,) + rel, item
            else:
                yield (k,), v

    def assignments(self, path, table, inline):
        for n, (rel, v) in enumerate(self.flatten(table)):
            if inline and n:
                self.write(", ")
            for j in range(len(rel)):
                if j:
                    self.write(self.pick(".", " . "))
                self.mark(path + rel[: j + 1])
                self.key(rel[j])
            self.write(self.pick(" = ", "=", "\t=  "))
            self.value(path + rel, v)
            if not inline:
                self.write(self.pick(*COMMENT) + self.nl)

    def table(self, path, table, kind=None):
        """kind: None for the top, "table" for [a.b], "aot" for [[a.b]]."""
        simple, subs = {}, []
        for k, v in table.items():
            if isinstance(v, dict) and self.rnd.random() < 0.5:
                subs.append((k, v, False))
            elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v) and self.rnd.random() < 0.6:
                subs.append((k, v, True))
            else:
                simple[k] = v
        # A table with only sub-tables may go without its own header: [a.b] creates `a`.
        if kind == "aot" or (kind == "table" and (simple or not subs or self.rnd.random() < 0.5)):
            self.header(path, kind == "aot")
        self.assignments(path, simple, inline=False)
        for k, v, aot in subs:
            if aot:
                for i, item in enumerate(v):
                    self.table(path + (k, i), item, "aot")
            else:
                self.table(path + (k,), v, "table")

    def header(self, path, aot):
        self.write(self.pick("", self.nl, "# [[fake]]" + self.nl))
        self.write("[[" if aot else "[")
        self.write(self.pick("", " "))
        concrete, first = (), True
        for part in path:
            concrete += (part,)
            if isinstance(part, int):
                continue
            if not first:
                self.write(self.pick(".", " . "))
            first = False
            self.mark(concrete)
            last = self.size
            self.key(part)
        if aot:
            self.where.setdefault(path, last)
        self.write(self.pick("", " ") + ("]]" if aot else "]") + self.pick(*COMMENT) + self.nl)


keys = st.text(alphabet=st.sampled_from(list("abxyz_-09 .=#[]{}\"'é")), max_size=5)
strings = st.lists(st.sampled_from(FRAGMENTS), max_size=6).map("".join)
scalars = st.one_of(st.booleans(), st.integers(-1000, 1000), st.sampled_from(sorted(DATES, key=str)), strings)
values = st.recursive(
    st.one_of(scalars, st.lists(scalars, max_size=3)),
    lambda inner: st.one_of(
        st.dictionaries(keys, inner, max_size=4),
        st.lists(st.dictionaries(keys, inner, max_size=3), min_size=1, max_size=3),
        st.lists(inner, max_size=3),
    ),
    max_leaves=20,
)
documents = st.dictionaries(keys, values, max_size=6)


@settings(max_examples=300, deadline=None)
@given(documents, st.randoms(use_true_random=False))
def test_generated_documents_are_located_exactly(data, rnd):
    doc = Doc(rnd)
    doc.table((), data)
    text = "".join(doc.chunks)
    assert tomllib.loads(text) == data, text  # the emitter wrote what it meant
    assert {path for path, _ in walk(data)} == set(doc.where)
    line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    for path, offset in doc.where.items():
        line = max(n for n, start in enumerate(line_starts, 1) if start <= offset)
        assert locate(text, path) == (line, offset - line_starts[line - 1] + 1), (path, text)
    assert locate(text, ("not a key in the document", 0)) is None
