"""A strict YAML reader: plain strings, lists and mappings only, with positions."""

from __future__ import annotations

from typing import Any, Protocol

import yaml
from yaml.composer import Composer
from yaml.error import MarkedYAMLError
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from problems.bankfile.records import (
    _MAP_TAG,
    _SEQ_TAG,
    _STR_TAG,
    MAX_DEPTH,
    BankError,
)

# --------------------------------------------------------------------------- YAML


class _Mark(Protocol):
    """A PyYAML position (0-based); the pure-Python and libyaml marks both fit."""

    line: int
    column: int


class _Rejected(Exception):
    """A YAML feature that bank files must not use."""

    def __init__(self, message: str, mark: _Mark | None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def _short_tag(tag: str) -> str:
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag


class _StrictComposer(Reader, Scanner, Parser, Composer, BaseResolver):
    """PyYAML's safe composer with no implicit typing and no anchors, aliases or odd tags."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        BaseResolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise _Rejected(
                f"aliases (*{event.anchor}) are not allowed; write the value out in full",
                event.start_mark,
            )
        if isinstance(event, NodeEvent) and event.anchor is not None:
            raise _Rejected(
                f"anchors (&{event.anchor}) are not allowed; write each value out in full",
                event.start_mark,
            )
        expected = (
            _STR_TAG
            if isinstance(event, ScalarEvent)
            else _SEQ_TAG
            if isinstance(event, SequenceStartEvent)
            else _MAP_TAG
            if isinstance(event, MappingStartEvent)
            else None
        )
        if isinstance(event, ScalarEvent | CollectionStartEvent) and event.tag not in (
            None,
            "!",
            expected,
        ):
            raise _Rejected(
                f"YAML tag {_short_tag(str(event.tag))} is not allowed; values are read as "
                "the text written, so leave tags out",
                event.start_mark,
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Rejected(f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _position(mark: _Mark | None) -> tuple[int, int]:
    if mark is None:
        return 1, 1
    return mark.line + 1, mark.column + 1


def _compose(path: str, text: str, errors: list[BankError]) -> tuple[bool, Node | None]:
    """Compose the single YAML document of a file; (False, None) after an error."""
    try:
        composer = _StrictComposer(text)
        try:
            return True, composer.get_single_node()
        finally:
            composer.dispose()
    except _Rejected as exc:
        line, column = _position(exc.mark)
        errors.append(BankError(path, line, column, exc.message))
    except ReaderError as exc:
        position = min(max(exc.position, 0), len(text))
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        errors.append(
            BankError(path, line, column, f"character #x{exc.character:04x} is not allowed")
            if isinstance(exc.character, int)
            else BankError(path, line, column, f"unreadable text: {exc.reason}")
        )
    except MarkedYAMLError as exc:
        line, column = _position(exc.problem_mark or exc.context_mark)
        problem = exc.problem or "invalid YAML"
        if not exc.context:
            detail = problem
        elif exc.context.startswith("while "):
            detail = f"{problem} ({exc.context})"
        else:  # e.g. "expected a single document in the stream", "but found another document"
            detail = f"{exc.context}, {problem}"
        message = f"YAML syntax error: {detail}"
        errors.append(BankError(path, line, column, message))
    except yaml.YAMLError as exc:
        errors.append(BankError(path, 1, 1, f"YAML error: {exc}"))
    return False, None


def _construct(node: Node, issues: list[tuple[Node, str]]) -> Any:
    """Build str / list / dict from a node, noting duplicate, merge and non-text keys."""
    if isinstance(node, ScalarNode):
        return node.value
    if isinstance(node, SequenceNode):
        return [_construct(child, issues) for child in node.value]
    if isinstance(node, MappingNode):
        mapping: dict[str, Any] = {}
        key_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                issues.append((key_node, "mapping keys must be plain text"))
                continue
            key = key_node.value
            if key == "<<":
                issues.append((key_node, "merge keys (<<) are not allowed"))
                continue
            if key in mapping:
                first = key_lines[key]
                issues.append((key_node, f"duplicate key {key!r} (first given on line {first})"))
                continue
            key_lines[key] = key_node.start_mark.line + 1
            mapping[key] = _construct(value_node, issues)
        return mapping
    raise TypeError(f"unexpected YAML node {type(node).__name__}")  # pragma: no cover
