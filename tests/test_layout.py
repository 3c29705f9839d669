"""The shape of the tree a newcomer opens: small modules, few loose ones in bot/, no cycles.

These guard the simplification (issue 18) from creeping back: a module that grows past the
limit is split by concern, as problems/checking/ and problems/templates/ were.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("bot", "db", "problems")
MAX_LINES = 650
LONG_ALLOWED: set[str] = set()
MAX_LOOSE_IN_BOT = 8


def _modules(*roots: str) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in roots:
        for path in sorted((ROOT / root).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def test_no_product_module_is_longer_than_the_limit() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in _modules(*PRODUCT).values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert {k: v for k, v in long.items() if k not in LONG_ALLOWED} == {}


def test_bot_has_few_loose_modules() -> None:
    loose = [
        p.name for p in (ROOT / "bot").glob("*.py") if p.name not in {"__init__.py", "__main__.py"}
    ]
    assert len(loose) <= MAX_LOOSE_IN_BOT, sorted(loose)


def _imports_at_module_level(path: Path, modules: dict[str, Path]) -> set[str]:
    deps: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                deps.add(name if name in modules else node.module)
        elif isinstance(node, ast.Import):
            deps.update(alias.name for alias in node.names)
    return {d for d in deps if d in modules}


def test_no_import_cycles() -> None:
    modules = _modules(*PRODUCT, "botapi_emulator")
    graph = {
        name: _imports_at_module_level(path, modules) - {name} for name, path in modules.items()
    }
    done: set[str] = set()

    def visit(name: str, stack: list[str]) -> None:
        if name in stack:
            raise AssertionError(
                "import cycle: " + " -> ".join([*stack[stack.index(name) :], name])
            )
        if name in done:
            return
        for dep in sorted(graph[name]):
            visit(dep, [*stack, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
