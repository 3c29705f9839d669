"""Load-time checks of a template and the choice of its variant seeds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from problems.checking import Verdict, check_answer, hint_reveals_answer
from problems.numbers import to_bengali_digits
from problems.schema import (
    ProblemSpec,
    parse_numeric_answer,
)
from problems.templates.compiler import (
    _Compiled,
    _compiled,
)
from problems.templates.drawing import (
    _draw,
    _draw_counted,
    _pydantic_issues,
    _render,
    _render_all,
    _render_needed,
    _spec_data,
)
from problems.templates.values import (
    DEFAULT_CHECK_SEEDS,
    FULL_CHECK_SEEDS,
    MAX_EXTRA_CHECKS,
    MAX_MEAN_TRIES,
    MIN_VARIANTS,
    PATIENCE,
    SCAN_FACTOR,
    Issue,
    Loc,
    TemplateError,
    _Evaluator,
    _evaluator,
)
from problems.types import AnswerType


def variant_seeds(spec: ProblemSpec, count: int = 200) -> tuple[int, ...]:
    """Seeds 0, 1, 2, … whose English questions are all different (up to ``count``).

    At most ``5 * count`` seeds are scanned (and scanning stops after a long run of seeds
    without a new question); a template with fewer distinct variants gives
    fewer seeds. Seeds that fail are skipped.
    """
    if not spec.is_template:
        return ()
    compiled = _compiled(spec)
    if compiled.issues or compiled.question_en is None:
        return ()
    return _scan_seeds(spec, compiled, count, _evaluator())


def _scan_seeds(
    spec: ProblemSpec,
    compiled: _Compiled,
    count: int,
    ev: _Evaluator,
    known: dict[int, str] | None = None,
) -> tuple[int, ...]:
    """Seeds with new questions; a seed not in ``known`` (already checked) must fill in
    every placeholder and pass the cheap checks, or it is skipped."""
    seen: set[str] = set()
    seeds: list[int] = []
    last_new = -1
    for seed in range(SCAN_FACTOR * count):
        if len(seeds) >= count or seed - last_new > max(PATIENCE, 2 * len(seeds)):
            break
        question = known.get(seed) if known else None
        if question is None:
            try:
                names = _draw(compiled, seed, ev)
                assert compiled.question_en is not None
                question = _render(compiled.question_en, names, ev)
                if question in seen:
                    continue
                rendered = _render_needed(compiled, names, ev)
            except TemplateError as exc:
                if exc.fatal:
                    break
                continue
            if next(_quick_issues(spec, compiled, rendered), None) is not None:
                continue
        if question not in seen:
            seen.add(question)
            seeds.append(seed)
            last_new = seed
    return tuple(seeds)


@dataclass(frozen=True)
class TemplateReport:
    """What the loader needs: every issue found, and the template's variant seeds."""

    issues: list[Issue] = field(default_factory=list)
    variant_seeds: tuple[int, ...] = ()


def validate_template(spec: ProblemSpec, seeds: int = DEFAULT_CHECK_SEEDS) -> list[Issue]:
    """Every load-time problem of a template, as ``(loc within the problem, message)``."""
    return check_template(spec, seeds=seeds, count=0).issues


def check_template(
    spec: ProblemSpec, *, seeds: int = DEFAULT_CHECK_SEEDS, count: int = 200
) -> TemplateReport:
    """Check a template on ``seeds`` seeds and find up to ``count`` variant seeds."""
    if not spec.is_template:
        return TemplateReport()
    issues: list[Issue] = []
    reported: set[Loc] = set()

    def report(loc: Loc, message: str) -> None:
        if loc not in reported:
            reported.add(loc)
            issues.append((loc, message))

    hints = spec.hints
    if hints is None:
        report(("hints",), "a template needs three hints in en and in bn")
    else:
        for lang in ("en", "bn"):
            if getattr(hints, lang) is None:
                report(("hints",), f"a template needs three hints in {lang} too")
    compiled = _compiled(spec)
    for loc, message in compiled.issues:
        issues.append((loc, message))
    if compiled.issues:
        return TemplateReport(issues)
    ev = _evaluator()
    questions: dict[int, str] = {}
    memo: dict[tuple[Any, ...], bool] = {}
    shapes: set[tuple[str, ...]] = set()
    extra_checks = 0
    total_tries = 0
    for seed in range(seeds):
        try:
            names, tries = _draw_counted(compiled, seed, ev)
            total_tries += tries
            full = seed < FULL_CHECK_SEEDS
            rendered = (_render_all if full else _render_needed)(compiled, names, ev)
        except TemplateError as exc:
            for loc, message in exc.issues:
                report(loc, f"{message} (seed {seed})" if not exc.fatal else message)
            if exc.fatal:
                return TemplateReport(issues)
            continue
        questions[seed] = rendered[("question", "en")]
        for loc, message in _quick_issues(spec, compiled, rendered):
            report(loc, f"{message} (seed {seed})")
        # The full rules of a plain problem and the checker's verdicts (answer accepted, no
        # leak) run on the first seeds, and on any later seed whose answer has a new shape
        # (digits masked: "-9/9", "9 9/9", "9.9%", which option is right, ...).
        shape = _answer_shape(compiled, rendered)
        if seed >= FULL_CHECK_SEEDS:
            if shape in shapes or extra_checks >= MAX_EXTRA_CHECKS:
                continue
            extra_checks += 1
            try:
                rendered = _render_all(compiled, names, ev)
            except TemplateError as exc:  # pragma: no cover - the placeholders all worked
                report(exc.loc, f"{exc.message} (seed {seed})")
                continue
        shapes.add(shape)
        try:
            variant = ProblemSpec.model_validate(_spec_data(spec, rendered))
        except ValidationError as exc:
            for loc, message in _pydantic_issues(exc):
                report(loc, f"{message} (seed {seed})")
            continue
        for loc, message in _variant_issues(variant, memo):
            report(loc, f"{message} (seed {seed})")
    if seeds and total_tries / seeds > MAX_MEAN_TRIES:
        report(
            ("constraints",),
            f"the constraints reject too many draws: {total_tries / seeds:.0f} draws per "
            f"variant on average (at most {MAX_MEAN_TRIES}); narrow the ranges, or compute "
            "values with 'value' instead of drawing and rejecting them",
        )
    distinct = len(set(questions.values()))
    if distinct < MIN_VARIANTS:
        report(
            ("params",),
            f"only {distinct} distinct variant{'s' if distinct != 1 else ''} (different English "
            f"questions) in {seeds} seeds; a template needs at least {MIN_VARIANTS}",
        )
    found = _scan_seeds(spec, compiled, count, ev, questions) if count and not issues else ()
    return TemplateReport(issues, found)


_DIGITS_RE = re.compile(r"[0-9\u09e6-\u09ef]+")


def _answer_shape(compiled: _Compiled, rendered: dict[Loc, str]) -> tuple[str, ...]:
    answer = rendered[("answer",)]
    fields = [rendered[loc] for loc in compiled.answer_locs]
    right = [
        str(loc[2])
        for loc in compiled.answer_locs
        if loc[:2] == ("options", "en") and rendered[loc] == answer
    ]
    return (*(_DIGITS_RE.sub("9", text) for text in fields), *right)


def _quick_issues(
    spec: ProblemSpec, compiled: _Compiled, rendered: dict[Loc, str]
) -> Iterator[Issue]:
    """The cheap rules of a plain problem, run on every seed (the schema runs them all)."""
    for loc, text in rendered.items():
        if not text.strip():
            yield loc, "is empty in this variant"
    answer = rendered[("answer",)].strip()
    if spec.options is not None:
        for lang in ("en", "bn"):
            seen: set[str] = set()
            for index in range(len(getattr(spec.options, lang))):
                option = rendered[("options", lang, index)].strip()
                if option in seen:
                    yield ("options", lang, index), f"duplicate option {option!r}"
                seen.add(option)
        if spec.answer_type is AnswerType.MULTIPLE_CHOICE and answer not in {
            rendered[("options", "en", i)].strip() for i in range(len(spec.options.en))
        }:
            yield ("answer",), f"{answer!r} is not one of options.en"
    if spec.answer_type is AnswerType.NUMERIC and parse_numeric_answer(answer) is None:
        yield ("answer",), f"{answer!r} is not a number"


def _variant_issues(
    variant: ProblemSpec, memo: dict[tuple[Any, ...], bool], *, leaks: bool = True
) -> Iterator[Issue]:
    """The checker's objections to one variant (``memo`` remembers repeated checks)."""
    key = variant.answer_key()
    answer = variant.answer

    def accepted(written: str) -> bool:
        found = memo.get((key, "accept", written))
        if found is None:
            found = memo[(key, "accept", written)] = (
                check_answer(key, written).verdict is Verdict.CORRECT
            )
        return found

    def reveals(text: str) -> bool:
        found = memo.get((key, "reveal", text))
        if found is None:
            found = memo[(key, "reveal", text)] = hint_reveals_answer(key, text)
        return found

    for written in dict.fromkeys((answer, to_bengali_digits(answer))):
        if not accepted(written):
            yield ("answer",), f"the checker does not accept the answer {written!r}"
            break
    if not leaks:
        return
    hints = variant.hints
    if hints is not None:
        for lang in ("en", "bn"):
            for index, hint in enumerate(getattr(hints, lang) or ()):
                if reveals(hint):
                    yield ("hints", lang, index), f"reveals the answer {answer!r}: {hint!r}"
    options = variant.options
    if options is not None and answer in options.en:
        right = options.en.index(answer)
        for lang in ("en", "bn"):
            for index, option in enumerate(getattr(options, lang)):
                if index != right and reveals(option):
                    yield (
                        ("options", lang, index),
                        f"wrong option {option!r} has the answer's value {answer!r}",
                    )
