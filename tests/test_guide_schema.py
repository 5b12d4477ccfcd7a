"""The guide format has one definition, the reader, and two descriptions checked against it: the
JSON Schema shipped for editors (data/guide.schema.json) and docs/guide-format.md. A key the
reader asks for that either does not describe fails here, and so does one they describe that the
reader does not know."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest

from rettidig_cli.domain.errors import GuideError
from rettidig_cli.guide import reader

ROOT = Path(__file__).resolve().parent.parent
GUIDES = sorted((ROOT / "data" / "guides").glob("*.toml"))
SCHEMA = json.loads((ROOT / "data" / "guide.schema.json").read_text(encoding="utf-8"))
DOC = (ROOT / "docs" / "guide-format.md").read_text(encoding="utf-8")

pytestmark = pytest.mark.plain_only


def validator():
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    return jsonschema.Draft7Validator(SCHEMA)


def vocabulary() -> dict[str, set[str]]:
    """What the reader asks for in each kind of table, over every shipped guide."""
    found: dict[str, set[str]] = {}
    for path in GUIDES:
        for table, keys in reader.vocabulary(path.read_text(encoding="utf-8"), str(path)).items():
            found.setdefault(table, set()).update(keys)
    return found


def schema_node(table: str) -> dict:
    """The schema of a kind of table: "" the top, "phases[].steps[]" a step …; a text written as a
    table ("tools[]", "phases[].next_hint") is the object form of definitions.item."""
    node = SCHEMA
    for part in [p for p in table.split(".") if p]:
        name, listed = part.removesuffix("[]"), part.endswith("[]")
        node = _resolve(node["properties"][name])
        if listed:
            if "oneOf" in node:  # a text, a table or a list of them: the list
                node = next(n for n in node["oneOf"] if n.get("type") == "array")
            node = _resolve(node["items"])
        if "oneOf" in node:  # an item: a text or a table
            node = next(_resolve(n) for n in node["oneOf"] if _resolve(n).get("type") == "object")
    return node


def doc_section(table: str) -> str:
    """The section of docs/guide-format.md for a kind of table: a text written as a table is
    described once, under »En tekst som tabel«."""
    if table in _DOC_SECTION:
        return _DOC_SECTION[table]
    assert set(schema_node(table)["properties"]) <= {"text", "parent_contact", "abuse_path", "confirm", "when"}, table
    return "En tekst som tabel"


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = SCHEMA["definitions"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_every_shipped_guide_validates_against_the_schema():
    check = validator()
    for path in GUIDES:
        errors = [e.message for e in check.iter_errors(tomllib.loads(path.read_text(encoding="utf-8")))]
        assert not errors, (path.name, errors)


def test_the_schema_describes_exactly_the_keys_the_reader_reads():
    for table, keys in vocabulary().items():
        described = set(schema_node(table)["properties"])
        assert keys - described == set(), f"the schema lacks keys the reader reads in «{table}»"
        assert described - keys == set(), f"the schema describes keys the reader does not read in «{table}»"


def test_the_document_describes_every_key_the_reader_reads():
    """Each key is written as `key` in docs/guide-format.md, in the section of its table."""
    sections = re.split(r"\n(?=#+ )", DOC)
    for table, keys in vocabulary().items():
        heading = doc_section(table)
        section = next((s for s in sections if s.splitlines()[0].strip("# ").startswith(heading)), None)
        assert section is not None, f"docs/guide-format.md has no section «{heading}» for «{table or 'toppen'}»"
        missing = sorted(k for k in keys if f"`{k}`" not in section)
        assert not missing, f"docs/guide-format.md, «{heading}», does not describe: {missing}"


# Which section of docs/guide-format.md describes each kind of table.
_DOC_SECTION = {
    "": "Øverst i filen", "safety": "[safety]", "meetings": "[meetings]", "deadlines": "[deadlines]",
    "parents": "[parents]", "fit": "[fit]", "law[]": "[[law]]", "ruler[]": "[[ruler]]", "escalations[]": "[[escalations]]",
    "phases[]": "[[phases]]", "phases[].steps[]": "[[phases.steps]]", "meetings.form[]": "[[meetings.form]]",
    "documents": "[documents]", "documents.purposes[]": "[[documents.purposes]]",
    "documents.purposes[].sections[]": "Afsnit i et dokument",
    "phases[].steps[].options[]": "[[phases.steps.options]]",
}


def mutate(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1).replace('id = "resen"', 'id = "testby"', 1)


# Broken guides that both the schema (in an editor) and the reader (guide tjek) refuse.
BROKEN = {
    "a misspelt key": ("message = ", "mesage = "),
    "a step kind that does not exist": ('kind = "text"', 'kind = "tekst"'),
    "a when without =": ('when = "sagstype=stor"', 'when = "sagstype"'),
    "an id in capitals": ('id = "stikord"', 'id = "Stikord"'),
    "a required key missing": ('rule = "Ved mistanke', 'regel = "Ved mistanke'),
    "a number written as text": ("observations_months = 1", 'observations_days = "30"'),
    "true/false written as text": ("parents_always = true", 'parents_always = "ja"'),
    "a key in the wrong table": ("[deadlines]\n", '[deadlines]\nlabel = "Frist"\n'),
    "an unknown role": ('role = "concern"', 'role = "bekymring"'),
    "an empty list of settings": ('settings = ["Vuggestue", "Børnehave", "Dagpleje"]', "settings = []"),
}


@pytest.mark.parametrize("what", sorted(BROKEN))
def test_a_broken_guide_is_refused_by_the_schema_and_by_the_reader(tmp_path, what):
    old, new = BROKEN[what]
    text = mutate((ROOT / "data" / "guides" / "resen.toml").read_text(encoding="utf-8"), old, new)
    assert list(validator().iter_errors(tomllib.loads(text))), f"the schema accepts {what}"
    path = tmp_path / "testby.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GuideError):
        reader.load_file(path)


def test_the_schema_is_shipped_with_the_package():
    """An installed rettidig points an editor at its own copy (see `guide ny`)."""
    assert reader.schema_path().read_text(encoding="utf-8") == (ROOT / "data" / "guide.schema.json").read_text(
        encoding="utf-8")


def test_the_schema_knows_the_same_section_sources_and_fields_as_the_reader():
    from rettidig_cli.guide import reference

    section = SCHEMA["definitions"]["section"]["properties"]["source"]["enum"]
    meta = SCHEMA["definitions"]["purpose"]["properties"]["meta"]["items"]["enum"]
    kinds = SCHEMA["definitions"]["step"]["properties"]["kind"]["enum"]
    assert (section, meta, kinds) == (list(reference.SECTION_SOURCES), list(reference.META_FIELDS), list(reader.STEP_KINDS))


def test_the_schema_knows_the_meeting_parts_the_reader_knows():
    parts = SCHEMA["definitions"]["meeting_part"]["properties"]["part"]["enum"]
    assert parts == [*reader.MEETING_PARTS, reader.NOTE_PART]
