"""A new guide file for a municipality: the commented skeleton (data/guide-skabelon.toml) or a copy
of an installed guide, with the municipality's own id, name and settings written in, and a
`#:schema` line that points an editor at the JSON Schema shipped with rettidig."""

from __future__ import annotations

import json
import re
import unicodedata

from rettidig_cli.guide.reader import builtin_guide_dir, schema_path

_IDENT = re.compile(r"[a-z0-9][a-z0-9_-]*")


def skeleton_text() -> str:
    return (builtin_guide_dir().parent / "guide-skabelon.toml").read_text(encoding="utf-8")


def proposed_id(municipality: str) -> str:
    """'Hedensted Kommune' -> 'hedensted-kommune'; æ, ø and å written as ae, oe and aa."""
    text = municipality.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "min-kommune"


def check_id(value: str) -> str:
    value = value.strip()
    if not _IDENT.fullmatch(value):
        raise ValueError("Et id må kun have små bogstaver a-z, tal, - og _, fx «min-kommune».")
    return value


def settings_list(value: str) -> list[str]:
    """'Vuggestue, Børnehave' -> ['Vuggestue', 'Børnehave']."""
    found = [part.strip() for part in value.split(",") if part.strip()]
    if not found:
        raise ValueError("Skriv mindst ét tilbud, fx «Vuggestue, Børnehave».")
    return found


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def from_skeleton(ident: str, name: str, municipality: str, settings: list[str], file_name: str) -> str:
    values = {"id": toml_string(ident), "navn": toml_string(name), "kort": toml_string(municipality),
              "kommune": toml_string(municipality), "tilbud": _array(settings)}
    text = skeleton_text()
    # The first line and the check command are comments: the values there without quotes.
    text = text.replace("# Guide: {{navn}}.", f"# Guide: {_comment(name)}.")
    text = text.replace("{{fil}}", _comment(file_name))
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return with_schema_line(text)


def from_copy(source: str, source_name: str, ident: str, name: str, municipality: str, settings: list[str],
              file_name: str) -> str:
    """An installed guide's text with the new identity at the top; everything else as it was (the
    comment that says how to check the file names the new one)."""
    text = source.replace(f"rettidig guide tjek {source_name}", f"rettidig guide tjek {_comment(file_name)}")
    for key, value in (("id", toml_string(ident)), ("name", toml_string(name)), ("short", toml_string(municipality)),
                       ("municipality", toml_string(municipality)), ("settings", _array(settings))):
        text = _set_top_key(text, key, value)
    text = re.sub(r"(?m)^default\s*=\s*true\s*$", "default = false", text, count=1)  # one standard guide
    return with_schema_line(_age_groups_for(text, settings))


def _age_groups_for(text: str, settings: list[str]) -> str:
    """A copy whose age groups are a table per setting ([age_groups]) gets one line per new setting:
    the original's groups for a setting of the same name, else every group of the original."""
    import tomllib

    groups = tomllib.loads(text).get("age_groups")
    block = re.search(r"(?ms)^\[age_groups\][^\n]*\n(.*?)(?=^\s*\[|\Z)", text)
    if not isinstance(groups, dict) or block is None:
        return text
    every = list(dict.fromkeys(g for listed in groups.values() for g in listed))
    lines = [f"{_key(setting)} = {_array(groups.get(setting, every))}" for setting in settings]
    return text[:block.start(1)] + "\n".join(lines) + "\n\n" + text[block.end(1):].lstrip("\n")


def _key(name: str) -> str:
    """A TOML key: bare where TOML allows it, else quoted (æ, ø, å and spaces)."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else toml_string(name)


def with_schema_line(text: str) -> str:
    """The text with one `#:schema` line at the top, naming this installation's schema file."""
    lines = [line for line in text.split("\n") if not line.startswith("#:schema")]
    return "\n".join([f"#:schema {schema_path().as_uri()}", *lines])


def _array(values: list[str]) -> str:
    return "[" + ", ".join(toml_string(v) for v in values) + "]"


def _comment(text: str) -> str:
    return " ".join(text.split())  # one line: a comment ends at the line break


def _set_top_key(text: str, key: str, value: str) -> str:
    """Set a key of the top table (before the first [table]); added after `id` if it is not there."""
    header = re.search(r"(?m)^\s*\[", text)
    top_end = header.start() if header else len(text)
    found = re.search(rf"(?m)^{re.escape(key)}\s*=\s*", text[:top_end])
    if found is None:
        anchor = re.search(r"(?m)^id\s*=.*$", text[:top_end])
        at = anchor.end() if anchor else 0
        return f"{text[:at]}\n{key} = {value}{text[at:]}" if anchor else f"{key} = {value}\n{text}"
    start = found.end()
    return text[:found.start()] + f"{key} = {value}" + text[start + _value_length(text, start):]


def _value_length(text: str, start: int) -> int:
    """How far a TOML value runs from `start`: a string, an array or inline table (which may span
    lines), or a bare value to the end of its line (a comment after it stays)."""
    opening = text[start:start + 1]
    if opening in ('"', "'"):
        quote = text[start:start + 3] if text[start:start + 3] in ('"""', "'''") else opening
        i = start + len(quote)
        while i < len(text):
            if quote[0] == '"' and text[i] == "\\":
                i += 2
                continue
            if text.startswith(quote, i):
                return i + len(quote) - start
            i += 1
        return len(text) - start
    if opening in ("[", "{"):
        depth, i, quote = 0, start, None
        while i < len(text):
            c = text[i]
            if quote:
                if c == "\\" and quote == '"':
                    i += 1
                elif c == quote:
                    quote = None
            elif c in ('"', "'"):
                quote = c
            elif c == "#":
                i = text.find("\n", i)
                if i < 0:
                    return len(text) - start
                continue
            elif c in "[{":
                depth += 1
            elif c in "]}":
                depth -= 1
                if depth == 0:
                    return i + 1 - start
            i += 1
        return len(text) - start
    end = text.find("\n", start)
    line = text[start:] if end < 0 else text[start:end]
    comment = line.find("#")
    return len(line if comment < 0 else line[:comment].rstrip())
