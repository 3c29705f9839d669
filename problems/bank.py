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

from collections.abc import Sequence
from pathlib import Path

from problems.bankfile.entries import (
    _parse_file_cached,
    _ParsedFile,
    clear_cache,
)
from problems.bankfile.files import (
    _collect_files,
)
from problems.bankfile.lint import bank_warnings
from problems.bankfile.records import (
    BankError,
    BankProblem,
    ParsedBanks,
    TopicSpec,
)

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
    warnings = bank_warnings(problems)
    return ParsedBanks(
        problems=problems, errors=errors, files=files, topics=topics, warnings=warnings
    )


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
