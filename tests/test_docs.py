"""The documents that users rely on say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def settings_read_by_the_code() -> set[str]:
    source = (ROOT / "bot" / "config.py").read_text()
    return set(re.findall(r'"((?:NEWSBOT|TELEGRAM)_[A-Z_]+)"', source))


def test_env_example_lists_every_setting() -> None:
    listed = set(
        re.findall(r"^((?:NEWSBOT|TELEGRAM)_[A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert listed == settings_read_by_the_code()


def test_readme_documents_every_setting_and_the_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in settings_read_by_the_code():
        assert f"`{name}`" in readme, name
    assert ".venv/bin/pytest" in readme
    assert "pytest" in (ROOT / ".ci" / "run").read_text()
