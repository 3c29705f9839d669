"""``dars problems check``: show how the checker grades given answers to one bank problem.

Operators use it to answer a parent's "why was this marked wrong?"::

    dars problems check problems/bank --id g7-lowest-terms 18/24 3/4 0.75
    18/24	needs_form	right value but not in lowest terms (needs lowest_terms)
    3/4	correct	equal to the answer
    0.75	needs_form	right value but written as a decimal (needs lowest_terms)

With ``--jsonl`` it reads lines ``{"id": ..., "answer": ..., "lang": ...}`` on stdin and
writes one JSON object per line (``id``, ``answer``, ``lang``, ``verdict``, ``reason``,
``normalized``, ``needs``, ``example``).  A template problem is instantiated with
``--seed`` first.  Exit status: 0, 1 when the bank files have errors, 2 for an unknown id
or an unreadable input line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from problems.checking import CheckResult, Verdict, check_answer, example_answer
from problems.schema import ProblemSpec
from problems.types import AnswerKey

__all__ = ["main", "result_record", "run_check"]


def _one_line(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _reason(result: CheckResult, key: AnswerKey, lang: str) -> str:
    reason = result.reason or result.verdict.value
    if result.verdict is Verdict.NEEDS_FORM and result.needs is not None:
        reason += f" (needs {result.needs.value})"
    if result.verdict is Verdict.UNREADABLE:
        reason += f"; asked again with {example_answer(key, lang)!r}"
    return reason


def result_record(
    problem_id: str, answer: str, lang: str, key: AnswerKey, result: CheckResult
) -> dict[str, Any]:
    """The JSON object written for one graded answer."""
    asks_again = result.verdict in (Verdict.UNREADABLE, Verdict.NEEDS_FORM)
    return {
        "id": problem_id,
        "answer": answer,
        "lang": lang,
        "verdict": result.verdict.value,
        "reason": result.reason,
        "normalized": result.normalized,
        "needs": result.needs.value if result.needs is not None else None,
        "example": example_answer(key, lang) if asks_again else None,
    }


class _Problems:
    """The loaded problems by id, instantiating templates on demand."""

    def __init__(self, specs: Sequence[ProblemSpec], seed: int) -> None:
        self.by_id = {s.id: s for s in specs}
        self.seed = seed
        self._keys: dict[str, AnswerKey] = {}

    def key(self, problem_id: str) -> AnswerKey | str:
        """The answer key, or an error message."""
        if problem_id in self._keys:
            return self._keys[problem_id]
        spec = self.by_id.get(problem_id)
        if spec is None:
            return f"unknown problem id {problem_id!r} ({len(self.by_id)} problems loaded)"
        if spec.is_template:
            from problems.templates import instantiate

            try:
                spec = instantiate(spec, self.seed)
            except Exception as exc:
                return f"template {problem_id!r} fails for seed {self.seed}: {exc}"
        key = spec.answer_key()
        self._keys[problem_id] = key
        return key


def run_check(
    paths: list[str],
    problem_id: str,
    answers: list[str],
    *,
    lang: str = "en",
    seed: int = 0,
    jsonl: bool = False,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Grade answers to a bank problem and print why; returns the exit status."""
    from problems.bank import parse_banks

    parsed = parse_banks(paths)
    if parsed.errors:
        for error in parsed.errors:
            print(error, file=stderr)
        print(f"{len(parsed.errors)} error(s) in the bank; nothing was checked", file=stderr)
        return 1
    problems = _Problems([p.spec for p in parsed.problems], seed)
    if jsonl:
        return _run_jsonl(problems, problem_id, lang, stdin, stdout, stderr)
    key = problems.key(problem_id)
    if isinstance(key, str):
        print(key, file=stderr)
        return 2
    for answer in answers:
        result = check_answer(key, answer)
        reason = _reason(result, key, lang)
        print(f"{_one_line(answer)}\t{result.verdict.value}\t{_one_line(reason)}", file=stdout)
    return 0


def _run_jsonl(
    problems: _Problems,
    default_id: str,
    default_lang: str,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    status = 0
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            item = None
        if not isinstance(item, dict) or not isinstance(item.get("answer", None), str):
            print(f"line {number}: expected a JSON object with a text 'answer'", file=stderr)
            out: dict[str, Any] = {"line": number, "error": "not a JSON object with an answer"}
            print(json.dumps(out, ensure_ascii=False), file=stdout)
            status = 2
            continue
        pid = item.get("id") or default_id
        lang = item.get("lang") or default_lang
        if not isinstance(pid, str) or lang not in ("en", "bn"):
            pid = str(pid)
            lang = "en" if lang not in ("en", "bn") else lang
        key = problems.key(pid)
        if isinstance(key, str):
            print(f"line {number}: {key}", file=stderr)
            out = {"id": pid, "answer": item["answer"], "lang": lang, "error": key}
            print(json.dumps(out, ensure_ascii=False), file=stdout)
            status = 2
            continue
        result = check_answer(key, item["answer"])
        record = result_record(pid, item["answer"], lang, key, result)
        print(json.dumps(record, ensure_ascii=False), file=stdout)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """``dars problems check PATH... --id ID [--lang en|bn] [--seed S] ANSWER...`` or
    ``... --jsonl`` (answers as JSON lines on standard input)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="dars problems check",
        description="Grade answers to one bank problem as the bot would, and say why.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="bank files or directories")
    parser.add_argument("--id", required=True, dest="problem_id")
    parser.add_argument("--lang", choices=("en", "bn"), default="en")
    parser.add_argument("--seed", type=int, default=0, help="a template's variant (default 0)")
    parser.add_argument("--jsonl", action="store_true", help="read answers as JSON lines")
    parser.add_argument(
        "--answer",
        action="append",
        default=[],
        dest="answers",
        help="an answer to grade (repeatable); or give them after the paths",
    )
    args = parser.parse_intermixed_args(argv)
    # Answers may follow the paths: anything that is not an existing file or directory.
    from pathlib import Path

    paths = [p for p in args.paths if Path(p).exists()]
    answers = [p for p in args.paths if not Path(p).exists()] + args.answers
    if not paths:
        parser.error("give at least one bank file or directory")
    if not answers and not args.jsonl:
        parser.error("give at least one answer (or --jsonl)")
    return run_check(
        paths,
        args.problem_id,
        answers,
        lang=args.lang,
        seed=args.seed,
        jsonl=args.jsonl,
        stdin=sys.stdin,
        stdout=sys.stdout,
        stderr=sys.stderr,
    )
