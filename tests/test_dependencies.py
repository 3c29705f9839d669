"""Every third-party package the shipped code imports is declared in pyproject.toml.

An undeclared import works only while some other package happens to pull it in (the review
found ``httpx2``, present only because openai 3.x depends on it): a fresh install with other
versions would fail at import time.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = ("bot", "db", "problems", "migrations", "botapi_emulator")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = set()
    for requirement in project["dependencies"]:
        match = re.match(r"\s*([A-Za-z0-9_.-]+)", requirement)
        assert match, requirement
        names.add(_normalise(match[1]))
    return names


def imported_modules(paths: list[Path]) -> dict[str, set[str]]:
    """Top-level modules imported anywhere in ``paths`` (also inside functions), with where."""
    found: dict[str, set[str]] = {}
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_of_the_shipped_code_is_declared() -> None:
    paths = [p for package in FIRST_PARTY for p in sorted((ROOT / package).rglob("*.py"))]
    assert len(paths) > 50
    declared = _declared()
    distributions = packages_distributions()
    undeclared = {}
    for module, where in imported_modules(paths).items():
        if module in sys.stdlib_module_names or module in FIRST_PARTY:
            continue
        owners = {_normalise(d) for d in distributions.get(module, [])}
        if not owners & declared:
            undeclared[module] = sorted(where)
    assert undeclared == {}, f"imported but not declared in pyproject.toml: {undeclared}"
