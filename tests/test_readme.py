"""README.md's configuration table is how an operator learns the settings: it lists them all."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"
# The operations settings are documented in docs/operations.md (its own settings table).
OPERATIONS = README.parent / "docs" / "operations.md"


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", section, flags=re.MULTILINE))
    assert documented, "no configuration table found"
    operations = OPERATIONS.read_text(encoding="utf-8")
    operations = operations.split("## Settings added for operations")[1]
    documented |= set(re.findall(r"^\| `([A-Z0-9_]+)` \|", operations, flags=re.MULTILINE))
    assert {name.upper() for name in Settings.model_fields} <= documented
