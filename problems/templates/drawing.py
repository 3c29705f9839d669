"""Drawing a variant: parameters from the seed's random stream, then the texts filled in."""

from __future__ import annotations

import hashlib
import struct
from collections import OrderedDict
from typing import Any

from pydantic import ValidationError

from problems.numbers import to_bengali_digits
from problems.schema import (
    CHECKED_AT_LOAD,
    FIELD_ERROR_TYPE,
    RULES_ERROR_TYPE,
    ProblemSpec,
)
from problems.templates.compiler import (
    _CACHE_LOCK,
    _MISSING,
    _Compiled,
    _compiled,
    _Expr,
    _Text,
)
from problems.templates.values import (
    MAX_RANGE_VALUES,
    MAX_TRIES,
    Issue,
    Loc,
    TemplateError,
    _brief,
    _Evaluator,
    _evaluator,
    _Fail,
    _norm,
    _Pair,
    _show,
)

# --------------------------------------------------------------------------- drawing


def _evaluate(expr: _Expr, names: dict[str, Any], ev: _Evaluator) -> Any:
    if expr.name is not None:
        return names[expr.name]
    if expr.constant is not _MISSING:
        return expr.constant
    ev.names = names
    try:
        return ev.eval(expr.source, previously_parsed=expr.tree)
    except _Fail as exc:
        raise TemplateError(f"{expr.source!r}: {exc}{_values(names, expr)}", expr.loc) from None
    except ZeroDivisionError:
        raise TemplateError(
            f"{expr.source!r}: division by zero{_values(names, expr)}", expr.loc
        ) from None
    except Exception as exc:  # TypeError, ValueError, OverflowError, simpleeval's errors
        reason = str(exc) or type(exc).__name__
        raise TemplateError(f"{expr.source!r}: {reason}{_values(names, expr)}", expr.loc) from None


def _values(names: dict[str, Any], expr: _Expr) -> str:
    shown = [f"{name}={_brief(names[name])}" for name in sorted(expr.names) if name in names]
    return f" (with {', '.join(shown)})" if shown else ""


def _bound(value: int | _Expr, names: dict[str, Any], ev: _Evaluator) -> int:
    if isinstance(value, int):
        return value
    result = _norm(_evaluate(value, names, ev))
    if not isinstance(result, int) or isinstance(result, bool):
        raise TemplateError(
            f"range bound {value.source!r} must give a whole number (got {_brief(result)})",
            value.loc,
        )
    return result


class _Stream:
    """The random numbers of one seed: BLAKE2b of ``"{id}:{seed}#{block}"``, 64 bits at a time.

    Defined here rather than taken from :mod:`random` so that a stored seed gives the same
    variant on every Python version (and it is faster to start than a Mersenne Twister).
    """

    __slots__ = ("_block", "_index", "_key", "_words")

    def __init__(self, spec_id: str, seed: int) -> None:
        self._key = f"{spec_id}:{seed}#".encode()
        self._block = 0
        self._words: tuple[int, ...] = ()
        self._index = 0

    def _next64(self) -> int:
        if self._index >= len(self._words):
            digest = hashlib.blake2b(self._key + str(self._block).encode()).digest()
            self._words = struct.unpack("<8Q", digest)
            self._block += 1
            self._index = 0
        word = self._words[self._index]
        self._index += 1
        return word

    def below(self, n: int) -> int:
        """A uniform integer 0 <= x < n (1 <= n <= 2**64), by rejection."""
        limit = _TWO64 - _TWO64 % n
        while True:
            word = self._next64()
            if word < limit:
                return word % n


_TWO64 = 1 << 64


def _draw(compiled: _Compiled, seed: int, ev: _Evaluator) -> dict[str, Any]:
    """Draw the parameters of one seed (the algorithm is part of the format: keep it)."""
    return _draw_counted(compiled, seed, ev)[0]


def _draw_counted(compiled: _Compiled, seed: int, ev: _Evaluator) -> tuple[dict[str, Any], int]:
    """Draw the parameters of one seed; also return how many draws it took."""
    rng = _Stream(compiled.spec_id, seed)
    constraints = compiled.constraints
    for index in compiled.first_checks:
        if _evaluate(constraints[index], {}, ev) is not True:
            raise TemplateError(
                f"constraint {constraints[index].source!r} never holds",
                constraints[index].loc,
                fatal=True,
            )
    failures: dict[Loc, int] = {}
    for tries in range(1, MAX_TRIES + 1):
        names: dict[str, Any] = {}
        ok = True
        for param, checks in zip(compiled.params, compiled.checks, strict=True):
            if param.fixed is not None:
                lo, count, step = param.fixed
                names[param.name] = lo + step * rng.below(count)
            elif param.kind == "range":
                lo, hi, step = (_bound(b, names, ev) for b in param.bounds)
                if step <= 0:
                    raise TemplateError(f"range step must be positive (got {step})", param.loc)
                count = (hi - lo) // step + 1
                if count > MAX_RANGE_VALUES:
                    raise TemplateError(
                        f"range has more than {MAX_RANGE_VALUES:,} values", param.loc
                    )
                if count <= 0:  # an empty range (bounds from earlier parameters): redraw
                    failures[param.loc] = failures.get(param.loc, 0) + 1
                    ok = False
                    break
                names[param.name] = lo + step * rng.below(count)
            elif param.kind == "choice":
                names[param.name] = param.values[rng.below(len(param.values))]
            else:
                assert param.expr is not None
                names[param.name] = _evaluate(param.expr, names, ev)
            for index in checks:
                constraint = constraints[index]
                result = _evaluate(constraint, names, ev)
                if result is not True:
                    if result is not False:
                        raise TemplateError(
                            f"constraint {constraint.source!r} must be true or false "
                            f"(got {_brief(result)}); compare with ==, !=, <, >",
                            constraint.loc,
                            fatal=True,
                        )
                    failures[constraint.loc] = failures.get(constraint.loc, 0) + 1
                    ok = False
                    break
            if not ok:
                break
        if ok:
            return names, tries
    worst = max(failures, key=lambda loc: failures[loc])
    what = (
        f"constraint {constraints[worst[1]].source!r}"  # type: ignore[index]
        if worst[0] == "constraints"
        else "this range (empty for the values drawn before it)"
    )
    raise TemplateError(
        f"no variant found in {MAX_TRIES:,} draws: {what} failed {failures[worst]} times",
        worst,
        fatal=True,
    )


def _render(
    text: _Text, names: dict[str, Any], ev: _Evaluator, memo: dict[str, Any] | None = None
) -> str:
    """Fill in a text; ``memo`` keeps the values of placeholders already evaluated."""
    out: list[str] = []
    for part in text.parts:
        if type(part) is str:
            out.append(part)
            continue
        assert isinstance(part, _Expr)
        if part.name is not None:
            value = names[part.name]
        elif memo is None:
            value = _evaluate(part, names, ev)
        else:
            value = memo.get(part.source, _MISSING)
            if value is _MISSING:
                value = memo[part.source] = _evaluate(part, names, ev)
        if text.bn and isinstance(value, _Pair):
            value = value.bn
        try:
            shown = _show(value)
        except _Fail as exc:
            raise TemplateError(f"placeholder {{{part.source}}} {exc}", text.loc) from None
        out.append(to_bengali_digits(shown) if text.bn else shown)
    return "".join(out)


def _spec_data(spec: ProblemSpec, rendered: dict[Loc, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": spec.id,
        "grade": spec.grade,
        "topic": spec.topic,
        "difficulty": spec.difficulty,
        "question": {"en": rendered[("question", "en")], "bn": rendered[("question", "bn")]},
        "answer_type": spec.answer_type,
        "answer": rendered[("answer",)],
    }
    if spec.tolerance is not None:
        data["tolerance"] = spec.tolerance
    if spec.accept:
        data["accept"] = [rendered[("accept", i)] for i in range(len(spec.accept))]
    if spec.reject:
        data["reject"] = [rendered[("reject", i)] for i in range(len(spec.reject))]
    if spec.form is not None:
        data["form"] = spec.form
    if spec.places is not None:
        data["places"] = spec.places
    if spec.options is not None:
        data["options"] = {
            lang: [rendered[("options", lang, i)] for i in range(len(getattr(spec.options, lang)))]
            for lang in ("en", "bn")
        }
    if spec.hints is not None:
        hints: dict[str, list[str]] = {}
        for lang in ("en", "bn"):
            given = getattr(spec.hints, lang)
            if given is not None:
                hints[lang] = [rendered[("hints", lang, i)] for i in range(len(given))]
        data["hints"] = hints
    if spec.explanation is not None:
        data["explanation"] = {
            "en": rendered[("explanation", "en")],
            "bn": rendered[("explanation", "bn")],
        }
    return data


def _render_all(compiled: _Compiled, names: dict[str, Any], ev: _Evaluator) -> dict[Loc, str]:
    memo: dict[str, Any] = {}
    return {text.loc: _render(text, names, ev, memo) for text in compiled.texts}


def _render_needed(compiled: _Compiled, names: dict[str, Any], ev: _Evaluator) -> dict[Loc, str]:
    """Evaluate every placeholder (so any error shows) but fill in only the needed texts."""
    memo: dict[str, Any] = {}
    for expr, text in compiled.placeholders:
        value = memo[expr.source] = _evaluate(expr, names, ev)
        try:
            _show(value)
        except _Fail as exc:
            raise TemplateError(f"placeholder {{{expr.source}}} {exc}", text.loc) from None
    return {text.loc: _render(text, names, ev, memo) for text in compiled.needed}


def _pydantic_issues(exc: ValidationError) -> list[Issue]:
    issues: list[Issue] = []
    for error in exc.errors():
        loc: Loc = tuple(error["loc"])
        ctx = error.get("ctx") or {}
        if error["type"] == RULES_ERROR_TYPE:
            issues.extend((loc + tuple(rel), str(msg)) for rel, msg in ctx.get("issues", ()))
        elif error["type"] == FIELD_ERROR_TYPE:
            issues.append((loc, str(ctx.get("message"))))
        elif error["type"] == "string_too_short":
            issues.append((loc, "is empty in this variant"))
        else:
            issues.append((loc, str(error.get("msg"))))
    return issues


def _build(
    spec: ProblemSpec, compiled: _Compiled, seed: int, ev: _Evaluator, checked: bool
) -> ProblemSpec:
    if compiled.issues:
        loc, message = compiled.issues[0]
        raise TemplateError(message, loc, issues=compiled.issues, fatal=True)
    return _variant(spec, compiled, _draw(compiled, seed, ev), ev, checked)


def _variant(
    spec: ProblemSpec,
    compiled: _Compiled,
    names: dict[str, Any],
    ev: _Evaluator,
    checked: bool = False,
) -> ProblemSpec:
    rendered = _render_all(compiled, names, ev)
    try:
        return ProblemSpec.model_validate(
            _spec_data(spec, rendered), context={CHECKED_AT_LOAD: True} if checked else None
        )
    except ValidationError as exc:
        issues = _pydantic_issues(exc)
        loc, message = issues[0] if issues else ((), str(exc))
        raise TemplateError(message, loc, issues=issues) from None


# --------------------------------------------------------------------------- public API


def prepare(spec: ProblemSpec) -> None:
    """Compile a template now (at start-up), so that its first variant costs no compiling."""
    if spec.is_template:
        _compiled(spec)


def instantiate(spec: ProblemSpec, seed: int, *, checked_at_load: bool = False) -> ProblemSpec:
    """Return variant ``seed`` of a template as a plain problem (an item is returned as is).

    Deterministic: the same template and seed always give the same problem, in any
    process. Raises :class:`TemplateError` if the template is broken or this seed fails.
    ``checked_at_load``: the template comes from a loaded bank, whose loader ran the answer
    rules on it (see ``CHECKED_AT_LOAD``), so only the structural rules run here; the tutor
    draws its variants this way. The last few thousand variants made are remembered, so
    asking again for the variant a student is working on (for the verdict, a hint, ...)
    costs microseconds.
    """
    if not spec.is_template:
        return spec
    compiled = _compiled(spec)
    key = (compiled.key, seed, checked_at_load)
    variant = _VARIANTS.get(key)
    if variant is not None:
        return variant
    variant = _build(spec, compiled, seed, _evaluator(), checked_at_load)
    with _CACHE_LOCK:
        _VARIANTS[key] = variant
        while len(_VARIANTS) > _VARIANT_CACHE_SIZE:
            _VARIANTS.popitem(last=False)
    return variant


_VARIANT_CACHE_SIZE = 4096
_VARIANTS: OrderedDict[tuple[tuple[str, str], int, bool], ProblemSpec] = OrderedDict()
