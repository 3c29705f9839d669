"""Counting a template's distinct variants (by rendered English question)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from problems.schema import (
    ProblemSpec,
)
from problems.templates.compiler import (
    _Compiled,
    _compiled,
    _Param,
)
from problems.templates.drawing import (
    _bound,
    _draw,
    _evaluate,
    _render,
)
from problems.templates.values import (
    TemplateError,
    _brief,
    _Evaluator,
    _evaluator,
)


def _question(compiled: _Compiled, seed: int, ev: _Evaluator) -> str:
    names = _draw(compiled, seed, ev)
    assert compiled.question_en is not None
    return _render(compiled.question_en, names, ev)


@dataclass(frozen=True)
class VariantCount:
    """How many different problems a template gives (by English question).

    ``method`` is ``"all"`` when every combination of parameter values was tried (exact),
    ``"cap"`` when counting stopped at the cap, ``"estimated"`` when seeds drawn showed
    beyond reasonable doubt that there are more than the cap, ``"sampled"`` when seeds
    were drawn and the count is a lower bound. ``error`` is the first failure met (a
    combination of values on which the template breaks), if any.
    """

    distinct: int
    method: str
    error: str | None = None


class _Stop(Exception):
    pass


def count_variants(
    spec: ProblemSpec,
    *,
    cap: int = 10_000,
    max_steps: int = 200_000,
    seeds: int = 10_000,
    patience: int = 300,
) -> VariantCount:
    """Count the distinct English questions of a template, up to ``cap``.

    1. Seeds 0, 1, … are drawn (at most 1,000): when the questions repeat far less often
       than they must if there were at most ``cap`` of them (the birthday bound: a chance
       below 1e-9), the count is ``cap`` ("estimated"); when they clearly repeat more,
       step 2 follows at once.
    2. Every combination of the drawn parameters' values is tried in turn (constraints
       prune as soon as their parameters are known): exact ("all"), or ``cap`` if reached.
    3. If that takes more than ``max_steps`` steps, drawing seeds goes on (at most
       ``seeds``, stopping after ``patience`` seeds in a row without a new question) and
       the count is a lower bound ("sampled").

    Deterministic. An item counts as 1; a template that does not compile as 0.
    """
    if not spec.is_template:
        return VariantCount(1, "all")
    compiled = _compiled(spec)
    if compiled.issues or compiled.question_en is None:
        return VariantCount(0, "all", compiled.issues[0][1] if compiled.issues else None)
    sampler = _Sampler(compiled, cap)
    if sampler.run(range(min(seeds, 1000)), patience=patience, stop_if_small=True):
        return VariantCount(cap, sampler.method, sampler.error)
    walker = _Walker(compiled, cap)
    try:
        complete = walker.enumerate(max_steps)
    except _Stop:
        return VariantCount(cap, "cap", sampler.error or walker.error)
    except TemplateError as exc:  # e.g. a constraint that is not true/false
        return VariantCount(len(walker.seen), "all", str(exc))
    if complete is not None:
        return VariantCount(len(walker.seen), "all", sampler.error or walker.error)
    if sampler.run(range(sampler.drawn, seeds), patience=patience, stop_if_small=False):
        return VariantCount(cap, sampler.method, sampler.error)
    distinct = min(cap, len(walker.seen | sampler.found.keys()))
    return VariantCount(distinct, "sampled", sampler.error or walker.error)


class _Sampler:
    """Draws seeds and counts their distinct questions and repeated pairs."""

    def __init__(self, compiled: _Compiled, cap: int) -> None:
        self.compiled = compiled
        self.cap = cap
        self.ev = _evaluator()
        self.found: dict[str, int] = {}
        self.pairs = 0
        self.drawn = 0
        self.error: str | None = None
        self.method = ""

    def run(self, seeds: range, *, patience: int, stop_if_small: bool) -> bool:
        """Draw these seeds; True once the count is known to be the cap."""
        since_new = 0
        for seed in seeds:
            self.drawn = seed + 1
            try:
                question = _question(self.compiled, seed, self.ev)
            except TemplateError as exc:
                self.error = self.error or f"seed {seed}: {exc}"
                if exc.fatal:
                    return False
                continue
            times = self.found.get(question, 0)
            self.found[question] = times + 1
            self.pairs += times
            since_new = since_new + 1 if times else 0
            if len(self.found) >= self.cap:
                self.method = "cap"
                return True
            if self.drawn % 100 == 0:
                mean = self.drawn * (self.drawn - 1) / (2 * self.cap)
                if self.drawn >= 500 and _surely_more(self.drawn, self.pairs, self.cap):
                    self.method = "estimated"
                    return True
                if stop_if_small and self.pairs >= 2 * mean + 10:
                    return False
            if since_new >= patience:
                return False
        return False


def _surely_more(drawn: int, pairs: int, cap: int) -> bool:
    """Whether so few repeated pairs among ``drawn`` draws rule out ``cap`` or fewer values.

    With at most ``cap`` equally likely questions the number of repeated pairs is about
    Poisson with mean ``drawn * (drawn - 1) / (2 * cap)`` (more if some are likelier);
    the Chernoff bound gives the chance of seeing as few as ``pairs``.
    """
    mean = drawn * (drawn - 1) / (2 * cap)
    if pairs >= mean:
        return False
    log_chance = -mean if pairs == 0 else -mean + pairs + pairs * math.log(mean / pairs)
    return log_chance < math.log(1e-9)


class _TooMany(Exception):
    pass


class _Walker:
    """Walks the tree of parameter values of a template (for counting its variants)."""

    def __init__(self, compiled: _Compiled, cap: int) -> None:
        self.compiled = compiled
        self.cap = cap
        self.ev = _evaluator()
        self.names: dict[str, Any] = {}
        self.seen: set[str] = set()
        self.error: str | None = None
        self.steps = 0
        self.limit = 0

    def enumerate(self, max_steps: int) -> bool | None:
        """True if every combination was tried, None if there were too many."""
        self.steps, self.limit = 0, max_steps
        self.names.clear()
        try:
            if self._holds(self.compiled.first_checks):
                self._visit(0)
        except _TooMany:
            return None
        return True

    def _holds(self, indices: tuple[int, ...]) -> bool:
        constraints = self.compiled.constraints
        for index in indices:
            result = _evaluate(constraints[index], self.names, self.ev)
            if result is not True:
                if result is not False:
                    raise TemplateError(
                        f"constraint {constraints[index].source!r} must be true or false",
                        constraints[index].loc,
                    )
                return False
        return True

    def _note(self, exc: TemplateError) -> None:
        if self.error is None:
            values = ", ".join(f"{k}={_brief(v)}" for k, v in self.names.items())
            self.error = (
                f"{exc} (with {values})" if values and "(with" not in str(exc) else str(exc)
            )

    def _values(self, param: _Param) -> Sequence[Any]:
        names, ev = self.names, self.ev
        if param.fixed is not None:
            lo, count, step = param.fixed
            return range(lo, lo + count * step, step)
        if param.kind == "range":
            lo, hi, step = (_bound(b, names, ev) for b in param.bounds)
            return range(lo, hi + 1, step) if step > 0 else ()
        if param.kind == "choice":
            return param.values
        assert param.expr is not None
        return (_evaluate(param.expr, names, ev),)

    def _visit(self, depth: int) -> None:
        compiled = self.compiled
        if depth == len(compiled.params):
            assert compiled.question_en is not None
            try:
                self.seen.add(_render(compiled.question_en, self.names, self.ev))
            except TemplateError as exc:
                self._note(exc)
                return
            if len(self.seen) >= self.cap:
                raise _Stop
            return
        param = compiled.params[depth]
        try:
            values = self._values(param)
        except TemplateError as exc:
            self._note(exc)
            return
        checks = compiled.checks[depth]
        for value in values:
            self.steps += 1
            if self.steps > self.limit:
                raise _TooMany
            self.names[param.name] = value
            try:
                ok = self._holds(checks)
            except TemplateError as exc:
                if "true or false" in exc.message:
                    raise
                self._note(exc)
                continue
            if ok:
                self._visit(depth + 1)
        self.names.pop(param.name, None)


def distinct_questions(spec: ProblemSpec, *, cap: int = 10_000) -> int:
    """The number of distinct English questions of a problem (see :func:`count_variants`)."""
    return count_variants(spec, cap=cap).distinct
