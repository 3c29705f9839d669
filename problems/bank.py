"""Safe parser and validator for problem-bank YAML files (pure: no database).

The YAML is composed into a node tree by PyYAML's pure-Python composer with *no* implicit
type resolution, and Python values are built from that tree here, so every scalar stays
exactly the string that was written (``no``, ``12:30``, ``010``, ``1e3`` ...). Anchors,
aliases, merge keys, duplicate keys and non-standard tags are rejected. Each problem is
then validated with :class:`problems.schema.ProblemSpec` (a template, one with ``params``,
also with :func:`problems.templates.check_template` on 200 seeds), and every error is
reported as ``file:line:column: message``, collected over all files in one pass.

A file is a list of problems, or a mapping ``{topics: [...], problems: [...]}`` whose
topics (grade, id, English and Bengali name) are returned in syllabus order: file name
order, then order in the file (``docs/templates.md``).

Parsing one file is cached within the process, keyed on the file's path, size,
modification time and content hash, because the test-suite loads the same bank many times.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Protocol

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError
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
    Text,
    _check_grade,
    _check_topic,
)
from problems.templates import TemplateReport, check_template

__all__ = [
    "BankError",
    "BankProblem",
    "ParsedBanks",
    "TopicSpec",
    "clear_cache",
    "find_problem",
    "parse_banks",
    "sample_bank_dir",
]

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


class _TopicModel(BaseModel):
    """One entry of a file's ``topics:`` list."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: Annotated[Text, AfterValidator(_check_topic)]
    grade: Annotated[int, AfterValidator(_check_grade)]
    name: Localized


_TOPIC_MODEL_AT: dict[Loc, type[BaseModel]] = {(): _TopicModel, ("name",): Localized}


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
    """A valid problem and where it was defined (``path`` is one of ``ParsedBanks.files``).

    For a template, ``variant_seeds`` are seeds 0, 1, 2, … with different English
    questions (up to 200), for picking a variant a student has not seen.
    """

    spec: ProblemSpec
    path: str
    line: int
    variant_seeds: tuple[int, ...] | None = None


@dataclass(frozen=True)
class TopicSpec:
    """A topic declared in a bank file; ``order`` is its place in the syllabus (0-based)."""

    grade: int
    id: str
    name_en: str
    name_bn: str
    order: int


@dataclass(frozen=True)
class ParsedBanks:
    """Valid problems, all errors (sorted by file and position) and the files read.

    ``topics`` are the declared topics in syllabus order (file name order, then order in
    the file), numbered by ``order`` within each grade.
    """

    problems: list[BankProblem]
    errors: list[BankError]
    files: list[str]
    topics: list[TopicSpec] = field(default_factory=list)


def sample_bank_dir() -> Path:
    """Return the directory of the problem bank shipped inside the package."""
    return Path(__file__).resolve().parent / "bank"


def parse_banks(paths: Sequence[str | Path]) -> ParsedBanks:
    """Parse and validate bank files and directories (their *.yaml/*.yml), never raising."""
    errors: list[BankError] = []
    files = _collect_files(paths, errors)
    parsed: list[_ParsedFile] = []
    for path in files:
        try:
            parsed.append(_parse_file_cached(path))
        except Exception as exc:  # last resort: a bad file must never crash the caller
            errors.append(BankError(path, 0, 0, f"internal error: {type(exc).__name__}: {exc}"))
    problems, topics = _combine(parsed, errors)
    errors.sort(key=lambda e: (e.path, e.line, e.column, e.message))
    return ParsedBanks(problems=problems, errors=errors, files=files, topics=topics)


def find_problem(paths: Sequence[str | Path], problem_id: str) -> BankProblem | None:
    """The first problem with this id whose fields are valid, even if it has other errors.

    For previewing a template that does not load yet; never raises for file content.
    """
    errors: list[BankError] = []
    for path in _collect_files(paths, errors):
        try:
            parsed = _parse_file_cached(path)
        except Exception:  # pragma: no cover - parse_banks reports it
            continue
        for entry in parsed.problems:
            if entry.spec is not None and entry.spec.id == problem_id:
                if entry.problem is not None:
                    return entry.problem
                return BankProblem(spec=entry.spec, path=path, line=entry.line)
    return None


def _combine(
    parsed: list[_ParsedFile], errors: list[BankError]
) -> tuple[list[BankProblem], list[TopicSpec]]:
    """Checks across files: duplicate ids and topics, problems of undeclared topics."""
    topics: list[TopicSpec] = []
    topic_at: dict[tuple[int, str], tuple[str, int]] = {}
    next_order: dict[int, int] = {}
    for result in parsed:
        errors.extend(result.errors)
        for topic, line, column in result.topics:
            key = (topic.grade, topic.id)
            if key in topic_at:
                first_path, first_line = topic_at[key]
                where = (
                    f"line {first_line}"
                    if first_path == result.path
                    else (f"{first_path}:{first_line}")
                )
                errors.append(
                    BankError(
                        result.path,
                        line,
                        column,
                        f"topic {topic.id!r} of class {topic.grade} is declared twice "
                        f"(first at {where})",
                    )
                )
                continue
            topic_at[key] = (result.path, line)
            order = next_order.get(topic.grade, 0)
            next_order[topic.grade] = order + 1
            topics.append(TopicSpec(topic.grade, topic.id, topic.name_en, topic.name_bn, order))
    declared = {(t.grade, t.id) for t in topics}
    check_topics = any(result.declares_topics for result in parsed)
    problems: list[BankProblem] = []
    first_id_at: dict[str, tuple[str, int]] = {}
    for result in parsed:
        for entry in result.problems:
            ok = entry.problem is not None
            if entry.problem_id is not None:
                line, column = entry.id_at
                if entry.problem_id in first_id_at:
                    first_path, first_line = first_id_at[entry.problem_id]
                    where = (
                        f"line {first_line}"
                        if first_path == result.path
                        else f"{first_path}:{first_line}"
                    )
                    errors.append(
                        BankError(
                            result.path,
                            line,
                            column,
                            f"duplicate id {entry.problem_id!r} (first used at {where})",
                        )
                    )
                    ok = False
                else:
                    first_id_at[entry.problem_id] = (result.path, line)
            if entry.problem is None or not ok:
                continue
            spec = entry.problem.spec
            if check_topics and (spec.grade, spec.topic) not in declared:
                line, column = entry.topic_at
                errors.append(
                    BankError(
                        result.path,
                        line,
                        column,
                        f"topic: {spec.topic!r} is not a declared topic of class {spec.grade} "
                        "(declare it under 'topics:' in one of the files loaded)",
                    )
                )
                continue
            problems.append(entry.problem)
    return problems, topics


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


def _read_bytes(path: str, errors: list[BankError]) -> bytes | None:
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
    return data


def _decode(path: str, data: bytes, errors: list[BankError]) -> str | None:
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


@dataclass(frozen=True)
class _Entry:
    """One problem of a file: valid (``problem``) or not, and where its id and topic are."""

    problem: BankProblem | None
    problem_id: str | None
    id_at: tuple[int, int]
    topic_at: tuple[int, int]
    # The problem as written when its fields are valid, even if its template checks failed
    # (for previewing a broken template).
    spec: ProblemSpec | None = None
    line: int = 0


@dataclass(frozen=True)
class _DeclaredTopic:
    grade: int
    id: str
    name_en: str
    name_bn: str


@dataclass(frozen=True)
class _ParsedFile:
    """What one file gives on its own (cacheable): checks across files come later."""

    path: str
    errors: tuple[BankError, ...]
    problems: tuple[_Entry, ...]
    topics: tuple[tuple[_DeclaredTopic, int, int], ...] = ()
    declares_topics: bool = False


_SECTIONS = ("topics", "problems")
_SECTION_LOCS = (("params",), ("constraints",), ("hints",))
_CACHE_ENTRIES = 512
_CACHE: OrderedDict[tuple[str, int, int, str], _ParsedFile] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget the parsed files cached in this process."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _TEMPLATE_REPORTS.clear()


_TEMPLATE_REPORTS: OrderedDict[tuple[str, str], TemplateReport] = OrderedDict()


def _check_template_cached(spec: ProblemSpec) -> TemplateReport:
    """check_template, remembered by content (the same template in another file or copy)."""
    key = (spec.id, spec.content_hash())
    with _CACHE_LOCK:
        report = _TEMPLATE_REPORTS.get(key)
        if report is not None:
            _TEMPLATE_REPORTS.move_to_end(key)
            return report
    report = check_template(spec)
    with _CACHE_LOCK:
        _TEMPLATE_REPORTS[key] = report
        while len(_TEMPLATE_REPORTS) > 4 * _CACHE_ENTRIES:
            _TEMPLATE_REPORTS.popitem(last=False)
    return report


def _parse_file_cached(path: str) -> _ParsedFile:
    errors: list[BankError] = []
    try:
        stat = os.stat(path)
    except OSError as exc:
        return _ParsedFile(
            path, (BankError(path, 0, 0, f"cannot read file: {_os_reason(exc)}"),), ()
        )
    data = _read_bytes(path, errors)
    if data is None:
        return _ParsedFile(path, tuple(errors), ())
    key = (path, stat.st_size, stat.st_mtime_ns, hashlib.sha256(data).hexdigest())
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    result = _parse_file(path, data)
    with _CACHE_LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_ENTRIES:
            _CACHE.popitem(last=False)
    return result


def _parse_file(path: str, data: bytes) -> _ParsedFile:
    errors: list[BankError] = []
    text = _decode(path, data, errors)
    if text is None:
        return _ParsedFile(path, tuple(errors), ())
    ok, root = _compose(path, text, errors)
    if not ok:
        return _ParsedFile(path, tuple(errors), ())
    if root is None:
        errors.append(
            BankError(path, 1, 1, "file is empty; expected a list of problems (use [] for none)")
        )
        return _ParsedFile(path, tuple(errors), ())
    topics: list[tuple[_DeclaredTopic, int, int]] = []
    declares = False
    problems_node: Node | None = root
    if isinstance(root, MappingNode) and any(
        isinstance(key, ScalarNode) and key.value in ("topics", "problems")
        for key, _ in root.value
    ):
        declares, problems_node = _parse_sections(path, root, errors, topics)
    elif not isinstance(root, SequenceNode):
        line, column = _position(root.start_mark)
        errors.append(
            BankError(
                path,
                line,
                column,
                "a bank file must be a list of problems, each starting '- id:', or a mapping "
                "with 'topics:' and 'problems:'",
            )
        )
        return _ParsedFile(path, tuple(errors), ())
    entries: list[_Entry] = []
    if isinstance(problems_node, SequenceNode):
        for item in problems_node.value:
            entries.append(_parse_problem(path, item, errors))
    return _ParsedFile(path, tuple(errors), tuple(entries), tuple(topics), declares)


def _parse_sections(
    path: str,
    root: MappingNode,
    errors: list[BankError],
    topics: list[tuple[_DeclaredTopic, int, int]],
) -> tuple[bool, Node | None]:
    """Read a mapping-form file; return (declares topics, the problems list node)."""
    seen: set[str] = set()
    problems_node: Node | None = None
    declares = False
    for key_node, value_node in root.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if key not in ("topics", "problems"):
            message = (
                "mapping keys must be plain text"
                if key is None
                else (f"unknown section {key!r}: a bank file has 'topics:' and 'problems:'")
            )
            errors.append(_error_at(path, key_node, message))
            continue
        if key in seen:
            errors.append(_error_at(path, key_node, f"duplicate key {key!r}"))
            continue
        seen.add(key)
        if not isinstance(value_node, SequenceNode):
            errors.append(_error_at(path, value_node, f"{key}: must be a list"))
            continue
        if key == "problems":
            problems_node = value_node
        else:
            declares = True
            for item in value_node.value:
                topic = _parse_topic(path, item, errors)
                if topic is not None:
                    line, column = _position(item.start_mark)
                    topics.append((topic, line, column))
    if "problems" not in seen:
        line, column = _position(root.start_mark)
        errors.append(
            BankError(path, line, column, "missing section 'problems:' (use [] for none)")
        )
    return declares, problems_node


def _parse_topic(path: str, node: Node, errors: list[BankError]) -> _DeclaredTopic | None:
    if not isinstance(node, MappingNode):
        errors.append(_error_at(path, node, "each topic must be a mapping (id, grade, name)"))
        return None
    issues: list[tuple[Node, str]] = []
    data = _construct(node, issues)
    found = [_error_at(path, at, message) for at, message in issues]
    model: _TopicModel | None = None
    try:
        model = _TopicModel.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            found.extend(_explain(path, node, error, _TOPIC_MODEL_AT, prefix="topic"))
    errors.extend(found)
    if model is None or found:
        return None
    return _DeclaredTopic(model.grade, model.id, model.name.en, model.name.bn)


def _error_at(path: str, node: Node, message: str) -> BankError:
    line, column = _position(node.start_mark)
    return BankError(path, line, column, message)


def _parse_problem(path: str, node: Node, errors: list[BankError]) -> _Entry:
    if not isinstance(node, MappingNode):
        errors.append(_error_at(path, node, "each problem must be a mapping of fields (id: ...)"))
        return _Entry(None, None, (0, 0), (0, 0))
    issues: list[tuple[Node, str]] = []
    data = _construct(node, issues)
    problem_errors = [_error_at(path, at, message) for at, message in issues]

    problem_id: str | None = None
    id_at = _position(node.start_mark)
    id_node = _value_node(node, "id")
    if isinstance(id_node, ScalarNode) and id_node.value.strip():
        problem_id = id_node.value.strip()
        id_at = _position(id_node.start_mark)
    topic_node = _value_node(node, "topic")
    topic_at = _position((topic_node or node).start_mark)

    spec: ProblemSpec | None = None
    seeds: tuple[int, ...] | None = None
    try:
        spec = ProblemSpec.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            problem_errors.extend(_explain(path, node, error, _MODEL_AT))
    if spec is not None and not problem_errors:
        if spec.is_template:
            report = _check_template_cached(spec)
            for loc, message in report.issues:
                # A whole section (params, constraints, hints) is pointed at by its key.
                at = _locate(node, loc, key=loc in _SECTION_LOCS)
                problem_errors.append(_error_at(path, at, _prefixed(loc, message)))
            seeds = report.variant_seeds
        elif spec.constraints:
            loc = ("constraints",)
            problem_errors.append(
                _error_at(
                    path,
                    _locate(node, loc, key=True),
                    "constraints: only templates (problems with 'params') have constraints",
                )
            )
    errors.extend(problem_errors)
    problem = None
    if spec is not None and not problem_errors:
        problem = BankProblem(
            spec=spec, path=path, line=node.start_mark.line + 1, variant_seeds=seeds
        )
    return _Entry(problem, problem_id, id_at, topic_at, spec, node.start_mark.line + 1)


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
}


def _explain(
    path: str,
    root: Node,
    error: Any,
    models: dict[Loc, type[BaseModel]],
    *,
    prefix: str = "",
) -> Iterator[BankError]:
    """Turn one pydantic error into located bank errors."""
    for found in _explain_plain(path, root, error, models):
        if prefix:
            found = BankError(found.path, found.line, found.column, f"{prefix} {found.message}")
        yield found


def _explain_plain(
    path: str, root: Node, error: Any, models: dict[Loc, type[BaseModel]]
) -> Iterator[BankError]:
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
        model = models.get(parent)
        if model is not None:
            close = difflib.get_close_matches(name, list(model.model_fields), n=1)
            if close:
                message += f" (did you mean {close[0]!r}?)"
        yield _error_at(path, _locate(root, loc, key=True), _prefixed(parent, message))
    elif kind == FIELD_ERROR_TYPE:
        yield _error_at(path, _locate(root, loc), _prefixed(loc, str(ctx.get("message"))))
    elif kind == "enum" and ctx.get("expected"):
        allowed = str(ctx["expected"]).replace("'", "").replace(" or ", ", ")
        message = f"must be one of {allowed}" + _got(error.get("input"))
        yield _error_at(path, _locate(root, loc), _prefixed(loc, message))
    elif kind in _SIMPLE_MESSAGES:
        message = _SIMPLE_MESSAGES[kind]
        if kind != "string_too_short":
            message += _got(error.get("input"))
        yield _error_at(path, _locate(root, loc), _prefixed(loc, message))
    else:
        yield _error_at(path, _locate(root, loc), _prefixed(loc, str(error.get("msg"))))
