"""How much practice a bank holds, and a preview of a template's variants.

``python -m problems.stats stats PATH... [--json]`` counts, per class and topic, the items,
the templates and the distinct problems (variants counted by distinct English question,
at most 10,000 seeds per template). ``python -m problems.stats preview PATH... --id ID``
prints a few variants of one problem with answers, options, hints and explanation.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from problems.bank import BankProblem, ParsedBanks, find_problem, parse_banks
from problems.schema import ProblemSpec
from problems.templates import TemplateError, VariantCount, count_variants, instantiate

__all__ = ["bank_stats", "format_stats", "main", "preview"]

#: Most variants counted per template.
MAX_DISTINCT = 10_000


def bank_stats(parsed: ParsedBanks, *, workers: int = 1) -> dict[str, Any]:
    """Per class and topic: items, templates and distinct problems (by English question).

    ``{"classes": {"6": {"distinct": N, "topics": {"fractions": {"items": N,
    "templates": N, "distinct": N}, ...}}, ...}}``; classes in order, topics in syllabus
    order (declared topics first, then others in the order first met). A topic's
    ``distinct`` is its items with different English questions plus, for each template,
    its number of different English questions (:func:`problems.templates.count_variants`,
    at most 10,000 per template); a class's is the sum over its topics. ``workers`` > 1
    counts templates in that many processes.
    """
    return _stats(parsed, _count_all(parsed, workers))[0]


def _count_all(parsed: ParsedBanks, workers: int) -> dict[str, VariantCount]:
    templates = [p.spec for p in parsed.problems if p.spec.is_template]
    if workers > 1 and len(templates) > 8:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            counts = list(pool.map(_count_one, templates, chunksize=4))
    else:
        counts = [_count_one(spec) for spec in templates]
    return {spec.id: count for spec, count in zip(templates, counts, strict=True)}


def _count_one(spec: ProblemSpec) -> VariantCount:
    return count_variants(spec, cap=MAX_DISTINCT)


def _stats(
    parsed: ParsedBanks, counts: dict[str, VariantCount]
) -> tuple[dict[str, Any], list[str]]:
    order = {(t.grade, t.id): t.order for t in parsed.topics}
    table: dict[int, dict[str, dict[str, int]]] = {}
    item_questions: dict[tuple[int, str], set[str]] = {}
    warnings: list[str] = []
    for topic in parsed.topics:
        table.setdefault(topic.grade, {})[topic.id] = {"items": 0, "templates": 0, "distinct": 0}
    for problem in parsed.problems:
        spec = problem.spec
        entry = table.setdefault(spec.grade, {}).setdefault(
            spec.topic, {"items": 0, "templates": 0, "distinct": 0}
        )
        if spec.is_template:
            entry["templates"] += 1
            count = counts[spec.id]
            entry["distinct"] += count.distinct
            if count.error:
                warnings.append(f"{problem.path}:{problem.line}: {spec.id}: {count.error}")
        else:
            entry["items"] += 1
            seen = item_questions.setdefault((spec.grade, spec.topic), set())
            if spec.question.en not in seen:
                seen.add(spec.question.en)
                entry["distinct"] += 1
    classes: dict[str, Any] = {}
    for grade in sorted(table):
        topics = table[grade]
        ranked = sorted(topics, key=lambda t: order.get((grade, t), len(order)))
        classes[str(grade)] = {
            "distinct": sum(topics[t]["distinct"] for t in ranked),
            "topics": {t: topics[t] for t in ranked},
        }
    return {"classes": classes}, warnings


def format_stats(data: dict[str, Any], names: dict[tuple[int, str], str] | None = None) -> str:
    """A readable table of :func:`bank_stats`, with topic names when given."""
    names = names or {}
    lines: list[str] = []
    for grade, info in data["classes"].items():
        topics = info["topics"]
        rows = [
            (
                topic,
                names.get((int(grade), topic), ""),
                str(t["items"]),
                str(t["templates"]),
                str(t["distinct"]),
            )
            for topic, t in topics.items()
        ]
        levels = ""
        lines.append(
            f"Class {grade}: {len(topics)} topics, {info['distinct']:,} distinct problems{levels}"
        )
        header = ("topic", "name", "items", "templates", "distinct")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
        fmt = "  {:<{w0}}  {:<{w1}}  {:>{w2}}  {:>{w3}}  {:>{w4}}"
        kw = {f"w{i}": w for i, w in enumerate(widths)}
        lines.append(fmt.format(*header, **kw))
        for row in rows:
            lines.append(fmt.format(*row, **kw))
        items = sum(t["items"] for t in topics.values())
        templates = sum(t["templates"] for t in topics.values())
        lines.append(
            fmt.format("total", "", str(items), str(templates), str(info["distinct"]), **kw)
        )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n" if lines else "no problems\n"


def _topic_names(parsed: ParsedBanks) -> dict[tuple[int, str], str]:
    return {(t.grade, t.id): t.name_en for t in parsed.topics}


def _variant_text(variant: ProblemSpec, lang: str) -> list[str]:
    lines = [f"  question: {getattr(variant.question, lang)}"]
    if variant.options is not None:
        letters = "ABCD" if lang == "en" else "কখগঘ"
        shown = getattr(variant.options, lang)
        right = (
            variant.options.en.index(variant.answer)
            if variant.answer in variant.options.en
            else -1
        )
        for index, option in enumerate(shown):
            mark = "  <- answer" if index == right else ""
            lines.append(f"    {letters[index]}) {option}{mark}")
    lines.append(f"  answer: {variant.answer}")
    extra = [f"form={variant.form}"] if variant.form else []
    if variant.places is not None:
        extra.append(f"places={variant.places}")
    if variant.accept:
        extra.append("accept=" + " | ".join(variant.accept))
    if variant.reject:
        extra.append("reject=" + " | ".join(variant.reject))
    if extra:
        lines.append("    (" + "; ".join(extra) + ")")
    if variant.hints is not None:
        hints = getattr(variant.hints, lang)
        for index, hint in enumerate(hints or ()):
            lines.append(f"  hint {index + 1}: {hint}")
    if variant.explanation is not None:
        lines.append(f"  explanation: {getattr(variant.explanation, lang)}")
    return lines


def preview(
    parsed: ParsedBanks | BankProblem,
    problem_id: str,
    *,
    count: int = 5,
    seed: int = 0,
    lang: str = "en",
) -> str:
    """Variants ``seed`` … ``seed + count - 1`` of a problem, in ``lang`` (en or bn).

    ``parsed`` is a parsed bank (the problem is looked up by id) or the problem itself.
    Raises KeyError if there is no such problem.
    """
    if lang not in ("en", "bn"):
        raise ValueError("lang must be 'en' or 'bn'")
    if isinstance(parsed, BankProblem):
        found: BankProblem | None = parsed if parsed.spec.id == problem_id else None
    else:
        found = next((p for p in parsed.problems if p.spec.id == problem_id), None)
    if found is None:
        raise KeyError(problem_id)
    spec = found.spec
    lines = [
        f"{spec.id} (class {spec.grade}, {spec.topic}, difficulty {spec.difficulty}, "
        f"{spec.answer_type}) from {found.path}:{found.line}"
    ]
    if not spec.is_template:
        lines.append("an item (not a template): the same problem every time")
        lines.extend(_variant_text(spec, lang))
        return "\n".join(lines) + "\n"
    if found.variant_seeds is not None:
        lines.append(f"{len(found.variant_seeds)} variant seeds with different questions")
    for current in range(seed, seed + count):
        lines.append("")
        lines.append(f"seed {current}:")
        try:
            variant = instantiate(spec, current)
        except TemplateError as exc:
            lines.append(f"  error: {exc}")
            continue
        lines.extend(_variant_text(variant, lang))
    return "\n".join(lines) + "\n"


def _print_errors(parsed: ParsedBanks) -> None:
    for error in parsed.errors:
        print(error, file=sys.stderr)
    print(f"{len(parsed.errors)} error(s)", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``stats PATH... [--json]`` or ``preview PATH... --id ID``."""
    parser = argparse.ArgumentParser(prog="python -m problems.stats", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    stats_cmd = commands.add_parser("stats", help="items, templates and distinct problems")
    stats_cmd.add_argument("paths", nargs="+", metavar="PATH")
    stats_cmd.add_argument("--json", action="store_true", help="print JSON")
    preview_cmd = commands.add_parser("preview", help="print variants of one problem")
    preview_cmd.add_argument("paths", nargs="+", metavar="PATH")
    preview_cmd.add_argument("--id", required=True, dest="problem_id")
    preview_cmd.add_argument("--count", type=int, default=5)
    preview_cmd.add_argument("--seed", type=int, default=0)
    preview_cmd.add_argument("--lang", choices=("en", "bn"), default="en")
    args = parser.parse_args(argv)
    parsed = parse_banks(args.paths)
    if args.command == "stats":
        if parsed.errors:
            _print_errors(parsed)
            print("(counting the valid problems only)", file=sys.stderr)
        data, warnings = _stats(parsed, _count_all(parsed, os.cpu_count() or 1))
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if args.json:
            print(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            print(format_stats(data, _topic_names(parsed)), end="")
        return 1 if parsed.errors else 0
    found = next((p for p in parsed.problems if p.spec.id == args.problem_id), None)
    own_errors = [e for e in parsed.errors if found is None or e.path == found.path]
    if found is None:
        # Not loadable: preview it anyway if its fields are valid, to see what goes wrong.
        found = find_problem(args.paths, args.problem_id)
    if found is None:
        if parsed.errors:
            _print_errors(parsed)
        print(
            f"no problem with id {args.problem_id!r} (or its fields are invalid)", file=sys.stderr
        )
        return 1
    if own_errors:
        for error in own_errors:
            print(error, file=sys.stderr)
        print("", file=sys.stderr)
    print(
        preview(found, args.problem_id, count=args.count, seed=args.seed, lang=args.lang),
        end="",
    )
    return 1 if parsed.errors else 0


if __name__ == "__main__":
    sys.exit(main())
