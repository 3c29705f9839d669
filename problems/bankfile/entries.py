"""Parsing one file's topics and problems, cached by file identity."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass

from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from problems.bankfile.files import (
    _decode,
    _os_reason,
    _read_bytes,
)
from problems.bankfile.messages import (
    _error_at,
    _explain,
    _locate,
    _prefixed,
    _value_node,
)
from problems.bankfile.records import (
    _MODEL_AT,
    _TOPIC_MODEL_AT,
    BankError,
    BankProblem,
    _TopicModel,
)
from problems.bankfile.strict_yaml import (
    _compose,
    _construct,
    _position,
)
from problems.schema import (
    ProblemSpec,
)
from problems.templates import TemplateReport, check_template

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
