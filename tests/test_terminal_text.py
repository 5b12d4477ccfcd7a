"""Issue 12 (begun): text from a guide file, the environment or the audit log reaches a terminal
or a JSON reader only cleaned: no escape sequence (OSC 52 writes the clipboard), no 8-bit CSI, no
bidi mark, the Arabic letter mark U+061C included."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLES

from rettidig_cli.domain import privacy

HOSTILE = "\x1b]52;c;aGVq\x07\x1b[2J\x9b31m\u202e\u061c\u2062\U000e0020"


@pytest.mark.parametrize("mark", ["\u061c", "\u2060", "\u2062", "\u180e", "\u034f", "\ufe0f", "\U000e0020"])
def test_invisible_marks_are_removed_everywhere(mark):
    assert privacy.printable(f"A{mark}B") == "AB"
    assert privacy.clean_text(f"A{mark}B") == "AB"


def test_a_cpr_number_split_by_an_invisible_mark_is_found():
    assert privacy.contains_cpr("010203\u20621234")
    assert privacy.contains_cpr("0102\u061c03-1234")


def assert_clean(text: str) -> None:
    for bad in ("\x1b", "\x9b", "\x07", "\u202e", "\u061c", "\u2062", "\U000e0020"):
        assert bad not in text, repr(bad)


def test_indsigt_cleans_the_user_name_from_the_environment(cli, monkeypatch):
    monkeypatch.setenv("LOGNAME", "anna" + HOSTILE)
    monkeypatch.setenv("USER", "anna" + HOSTILE)
    made = cli(["new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml")])
    assert made.code == 0, made.err
    code = next(w for w in made.out.split() if w.startswith("RT-"))
    for args in (["indsigt", code], ["indsigt", code, "--json"]):
        result = cli(args)
        assert result.code == 0, result.err
        assert_clean(result.out)
    log = json.loads(cli(["indsigt", code, "--json"]).out)["log"]
    assert log[0]["bruger"].startswith("anna")


def test_guide_list_and_show_clean_a_hostile_guide_file(cli, data_home):
    guides = data_home / "guides"
    guides.mkdir()
    text = (EXAMPLES.parent / "data" / "guides" / "resen.toml").read_text(encoding="utf-8")
    text = text.replace('name = "', 'name = "\\u001b]52;c;aGVq\\u0007\\u061cFjendtlig ', 1)
    text = text.replace('id = "resen"', 'id = "fjendtlig"', 1)  # its own id: a copy keeping "resen" is refused
    (guides / "fjendtlig.toml").write_text(text, encoding="utf-8")
    listed = cli(["guide", "list"])
    assert listed.code == 0, listed.err
    assert "Fjendtlig" in listed.out
    assert_clean(listed.out)
    shown = cli(["guide", "show", str(guides / "fjendtlig.toml")])
    assert shown.code == 0, shown.err
    assert "Fjendtlig" in shown.out
    assert_clean(shown.out)
