"""docs/eksport.md is the promise to other systems: every key the JSON export writes is described there."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import EXAMPLES
from test_plan import new_case

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "eksport.md").read_text(encoding="utf-8")
DOCUMENTED = set(re.findall(r"`([a-z_]+)`", DOC)) | {
    word for group in re.findall(r"`\{([^`]*)\}`", DOC) for word in re.findall(r"[a-z_]+", group)}


def _export_json(cli, tmp_path, code, purpose):
    out = tmp_path / f"{code}-{purpose}.json"
    result = cli(["export", code, "--til", purpose, "--format", "json", "--out", str(out), "--ja"])
    assert result.code == 0, result.err
    return json.loads(out.read_text(encoding="utf-8"))


def test_every_key_of_the_case_export_is_documented(cli, data_home, tmp_path):
    for answers in ("ikast-svar.toml", "resen-svar.toml"):
        code = new_case(cli, "ikast" if answers.startswith("ikast") else "resen", EXAMPLES / answers)
        data = _export_json(cli, tmp_path, code, "handleplan")
        assert (data["format"], data["version"]) == ("rettidig-sag", 1)
        missing = set(data) - DOCUMENTED
        missing |= {k for k in data["sag"] if k not in DOCUMENTED}
        missing |= {k for entry in data["historik"] for k in entry if k not in DOCUMENTED}
        for key in ("aftaler", "observationer", "statusmoeder", "tovholdere"):
            missing |= {k for entry in data["sag"][key] for k in entry if k not in DOCUMENTED}
        assert not missing, f"not described in docs/eksport.md: {sorted(missing)}"


def test_every_key_and_block_type_of_a_document_export_is_documented(cli, data_home, tmp_path):
    code = new_case(cli, "ikast", EXAMPLES / "ikast-svar.toml")
    for purpose in ("k-moede", "statusmoede", "anonym"):
        data = _export_json(cli, tmp_path, code, purpose)
        assert data["format"] == "rettidig-dokument"
        doc = data["dokument"]
        assert not set(doc) - DOCUMENTED
        for section in doc["afsnit"]:
            assert not set(section) - DOCUMENTED
            for block in section["blokke"]:
                assert block["type"] in DOCUMENTED and not set(block) - DOCUMENTED, block
