import io, json
import pytest
from conftest import ENTER, DOWN, CTRL_C, SPACE


@pytest.fixture
def screen(monkeypatch):
    import prompt_toolkit.output
    from prompt_toolkit.output.plain_text import PlainTextOutput
    buf = io.StringIO()
    monkeypatch.setattr(prompt_toolkit.output, "DummyOutput", lambda: PlainTextOutput(buf))
    return buf


def test_explore(cli, screen):
    BS = "\x7f"
    keys = "".join([
        "\x1b[B" + ENTER,  # guide
        ENTER,  # safety nej
        "AB" + ENTER, ENTER, ENTER,  # child
        "Trækker sig" + ENTER,
        ENTER, ENTER, ENTER,  # optional texts
        ENTER,  # continue phase 2
        ENTER, BS * 10 + "31-2-2026" + ENTER + BS * 9 + "i overmorgen" + ENTER + BS * 12 + "2-2-2026" + ENTER, "Sad alene" + ENTER, ENTER, ENTER,  # one observation
        CTRL_C,
    ])
    r = cli(["new"], keys)
    print(r.code)
    print(r.out)
    print(r.err)
    print(screen.getvalue())
    assert 0
