"""Safe parser and validator for problem-bank YAML files (pure: no database).

The YAML is composed into a node tree by PyYAML's pure-Python composer with *no* implicit
type resolution, and Python values are built from that tree here, so every scalar stays
exactly the string that was written (``no``, ``12:30``, ``010``, ``1e3`` ...). Anchors,
aliases, merge keys, duplicate keys and non-standard tags are rejected. Each problem is
then validated with :class:`problems.schema.ProblemSpec`, and every error is reported as
``file:line:column: message``, collected over all files in one pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import BaseModel, ValidationError
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

from problems.schema import (
    FIELD_ERROR_TYPE,
    RULES_ERROR_TYPE,
    Localized,
    LocalizedHints,
    LocalizedList,
    ProblemSpec,
)

__all__ = ["BankError", "BankProblem", "ParsedBanks", "parse_banks", "sample_bank_dir"]

#: Bank files larger than this are refused rather than parsed.
MAX_FILE_BYTES = 5 * 1024 * 1024
#: Deepest node nesting accepted (a bank needs 5: list > problem > hints > en > hint).
MAX_DEPTH = 32
BANK_SUFFIXES = (".yaml", ".yml")

_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"

Loc = tuple[str | int, ...]

# The model that validates the mapping found at a given location inside one problem.
_MODEL_AT: dict[Loc, type[BaseModel]] = {
    (): ProblemSpec,
    ("question",): Localized,
    ("explanation",): Localized,
    ("options",): LocalizedList,
    ("hints",): LocalizedHints,
}


@dataclass(frozen=True)
class BankError:
    """One problem found in a bank file, with a 1-based position (0:0 = whole file)."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class BankProblem:
    """A valid problem and where it was defined (``path`` is one of ``ParsedBanks.files``)."""

    spec: ProblemSpec
    path: str
    line: int


@dataclass(frozen=True)
class ParsedBanks:
    """Valid problems, all errors (sorted by file and position) and the files read."""

    problems: list[BankProblem]
    errors: list[BankError]
    files: list[str]


def sample_bank_dir() -> Path:
    """Return the directory of the problem bank shipped inside the package."""
    return Path(__file__).resolve().parent / "bank"


def parse_banks(paths: Sequence[str | Path]) -> ParsedBanks:
    """Parse and validate bank files and directories (their *.yaml/*.yml), never raising."""
    errors: list[BankError] = []
    files = _collect_files(paths, errors)
    problems: list[BankProblem] = []
    first_id_at: dict[str, tuple[str, int]] = {}
    for path in files:
        try:
            _parse_file(path, problems, errors, first_id_at)
        except Exception as exc:  # last resort: a bad file must never crash the caller
            errors.append(BankError(path, 0, 0, f"internal error: {type(exc).__name__}: {exc}"))
    errors.sort(key=lambda e: (e.path, e.line, e.column, e.message))
    return ParsedBanks(problems=problems, errors=errors, files=files)


# --------------------------------------------------------------------------- files


def _normalise(path: str | Path) -> Path:
    return Path(path).expanduser().resolve()


def _collect_files(paths: Sequence[str | Path], errors: list[BankError]) -> list[str]:
    found: set[str] = set()
    for raw in paths:
        try:
            path = _normalise(raw)
            if path.is_dir():
                children = sorted(
                    child
                    for child in path.iterdir()
                    if child.suffix.lower() in BANK_SUFFIXES
                    and not child.name.startswith(".")
                    and child.is_file()
                )
                if not children:
                    errors.append(
                        BankError(str(path), 0, 0, "directory has no .yaml or .yml files")
                    )
                found.update(str(_normalise(child)) for child in children)
            elif path.is_file():
                found.add(str(path))
            elif path.exists():
                errors.append(BankError(str(path), 0, 0, "not a regular file or directory"))
            else:
                errors.append(BankError(str(path), 0, 0, "no such file or directory"))
        except (OSError, ValueError, RuntimeError) as exc:
            errors.append(BankError(str(raw), 0, 0, f"cannot read: {_os_reason(exc)}"))
    return sorted(found)


def _os_reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _read_text(path: str, errors: list[BankError]) -> str | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        errors.append(BankError(path, 0, 0, f"cannot read file: {_os_reason(exc)}"))
        return None
    if len(data) > MAX_FILE_BYTES:
        errors.append(
            BankError(path, 0, 0, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        )
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start
        line_start = data.rfind(b"\n", 0, start) + 1
        column = len(data[line_start:start].decode("utf-8", errors="replace")) + 1
        line = data.count(b"\n", 0, start) + 1
        errors.append(
            BankError(path, line, column, f"file is not valid UTF-8 (byte 0x{data[start]:02x})")
        )
        return None


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


# --------------------------------------------------------------------------- problems


def _parse_file(
    path: str,
    problems: list[BankProblem],
    errors: list[BankError],
    first_id_at: dict[str, tuple[str, int]],
) -> None:
    text = _read_text(path, errors)
    if text is None:
        return
    ok, root = _compose(path, text, errors)
    if not ok:
        return
    if root is None:
        errors.append(
            BankError(path, 1, 1, "file is empty; expected a list of problems (use [] for none)")
        )
        return
    if not isinstance(root, SequenceNode):
        line, column = _position(root.start_mark)
        errors.append(
            BankError(
                path, line, column, "a bank file must be a list of problems, each starting '- id:'"
            )
        )
        return
    for item in root.value:
        spec = _parse_problem(path, item, errors, first_id_at)
        if spec is not None:
            problems.append(BankProblem(spec=spec, path=path, line=item.start_mark.line + 1))


def _error_at(path: str, node: Node, message: str) -> BankError:
    line, column = _position(node.start_mark)
    return BankError(path, line, column, message)


def _parse_problem(
    path: str,
    node: Node,
    errors: list[BankError],
    first_id_at: dict[str, tuple[str, int]],
) -> ProblemSpec | None:
    if not isinstance(node, MappingNode):
        errors.append(_error_at(path, node, "each problem must be a mapping of fields (id: ...)"))
        return None
    issues: list[tuple[Node, str]] = []
    data = _construct(node, issues)
    problem_errors = [_error_at(path, at, message) for at, message in issues]

    id_node = _value_node(node, "id")
    if isinstance(id_node, ScalarNode) and (problem_id := id_node.value.strip()):
        line = id_node.start_mark.line + 1
        if problem_id in first_id_at:
            first_path, first_line = first_id_at[problem_id]
            where = f"line {first_line}" if first_path == path else f"{first_path}:{first_line}"
            problem_errors.append(
                _error_at(path, id_node, f"duplicate id {problem_id!r} (first used at {where})")
            )
        else:
            first_id_at[problem_id] = (path, line)

    spec: ProblemSpec | None = None
    try:
        spec = ProblemSpec.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            problem_errors.extend(_explain(path, node, error))
    errors.extend(problem_errors)
    return spec if not problem_errors else None


# --------------------------------------------------------------------------- messages


def _value_node(node: Node, key: str) -> Node | None:
    pair = _pair(node, key)
    return pair[1] if pair else None


def _pair(node: Node, key: str) -> tuple[Node, Node] | None:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return key_node, value_node
    return None


def _locate(root: Node, loc: Loc, *, key: bool = False) -> Node:
    """The deepest node along ``loc``; with ``key`` the key node of the last step."""
    current = root
    for step, part in enumerate(loc):
        if isinstance(part, str):
            pair = _pair(current, part)
            if pair is None:
                return current
            if key and step == len(loc) - 1:
                return pair[0]
            current = pair[1]
        elif isinstance(current, SequenceNode) and 0 <= part < len(current.value):
            current = current.value[part]
        else:
            return current
    return current


def _describe(loc: Loc) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f" item {part + 1}"
        else:
            text += f".{part}" if text else part
    return text


def _prefixed(loc: Loc, message: str) -> str:
    where = _describe(loc)
    return f"{where}: {message}" if where else message


def _got(value: object) -> str:
    if isinstance(value, str):
        text = repr(value)
        return f" (got {text if len(text) <= 40 else text[:37] + '...'})"
    if isinstance(value, list):
        return " (got a list)"
    if isinstance(value, dict):
        return " (got a mapping)"
    return ""


_SIMPLE_MESSAGES = {
    "string_too_short": "must not be empty",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_type": "must be a whole number",
    "decimal_parsing": "must be a number",
    "decimal_type": "must be a number",
    "finite_number": "must be a finite number",
    "string_type": "must be text",
    "list_type": "must be a list",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "dict_type": "must be a mapping",
    "enum": "must be one of numeric, multiple_choice, text",
}


def _explain(path: str, root: Node, error: Any) -> Iterator[BankError]:
    """Turn one pydantic error into located bank errors."""
    loc: Loc = tuple(error["loc"])
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    if kind == RULES_ERROR_TYPE:
        for relative, message in ctx.get("issues", ()):
            full = loc + tuple(relative)
            yield _error_at(path, _locate(root, full), _prefixed(full, message))
    elif kind == "missing":
        parent, name = loc[:-1], loc[-1]
        message = _prefixed(parent, f"missing required field {name!r}")
        yield _error_at(path, _locate(root, parent), message)
    elif kind == "extra_forbidden":
        parent, name = loc[:-1], str(loc[-1])
        message = f"unknown field {name!r}"
        model = _MODEL_AT.get(parent)
        if model is not None:
            close = difflib.get_close_matches(name, list(model.model_fields), n=1)
            if close:
                message += f" (did you mean {close[0]!r}?)"
        yield _error_at(path, _locate(root, loc, key=True), _prefixed(parent, message))
    elif kind == FIELD_ERROR_TYPE:
        yield _error_at(path, _locate(root, loc), _prefixed(loc, str(ctx.get("message"))))
    elif kind in _SIMPLE_MESSAGES:
        message = _SIMPLE_MESSAGES[kind]
        if kind != "string_too_short":
            message += _got(error.get("input"))
        yield _error_at(path, _locate(root, loc), _prefixed(loc, message))
    else:
        yield _error_at(path, _locate(root, loc), _prefixed(loc, str(error.get("msg"))))
