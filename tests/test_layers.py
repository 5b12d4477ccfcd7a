"""The layers of rettidig_cli import one way only (the `layers` contract in pyproject.toml,
checked by import-linter): commands → ui | export → views → workflow → storage → domain | guide."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.plain_only
def test_imports_follow_the_layers(monkeypatch):
    from importlinter import cli

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    assert cli.lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == cli.EXIT_STATUS_SUCCESS
