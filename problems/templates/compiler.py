"""Compiling a template: every expression checked against the whitelist once, cached."""

from __future__ import annotations

import ast
import difflib
import keyword
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from problems.schema import (
    ProblemSpec,
)
from problems.templates.values import (
    _ALLOWED_NODES,
    _NODE_NAMES,
    FUNCTIONS,
    MAX_EXPRESSION_CHARS,
    MAX_EXPRESSION_NODES,
    MAX_LITERAL_CHARS,
    MAX_RANGE_VALUES,
    Issue,
    Loc,
    _Fail,
    _is_number,
    _norm,
    _Pair,
)

# --------------------------------------------------------------------------- compiling

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}", re.ASCII)
_INT_RE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DEC_RE = re.compile(r"[+-]?[0-9]+\.[0-9]+", re.ASCII)
_FRAC_RE = re.compile(r"([+-]?[0-9]+)/([0-9]+)", re.ASCII)
_MISSING = object()


@dataclass(frozen=True, slots=True)
class _Expr:
    source: str
    tree: ast.expr
    names: frozenset[str]
    loc: Loc
    name: str | None = None  # a bare parameter name: looked up directly
    constant: Any = _MISSING  # a literal: its value


@dataclass(frozen=True, slots=True)
class _Text:
    loc: Loc
    bn: bool
    parts: tuple[str | _Expr, ...]


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    loc: Loc
    kind: str  # "range" | "choice" | "value"
    bounds: tuple[int | _Expr, ...] = ()
    values: tuple[Any, ...] = ()
    expr: _Expr | None = None
    fixed: tuple[int, int, int] | None = None  # (lo, number of values, step) of a fixed range


@dataclass(frozen=True)
class _Compiled:
    spec_id: str
    params: tuple[_Param, ...]
    constraints: tuple[_Expr, ...]
    # constraint indices to test right after parameter i has been drawn (index -1: first)
    checks: tuple[tuple[int, ...], ...]
    first_checks: tuple[int, ...]
    texts: tuple[_Text, ...]
    question_en: _Text | None
    issues: tuple[Issue, ...]
    # the texts the answer key is made of (answer, accept, reject, options)
    answer_locs: tuple[Loc, ...] = ()
    # (id, content hash) of the template
    key: tuple[str, str] = ("", "")
    # every distinct placeholder with the first text it is in, and the texts the cheap
    # checks need (question.en, the answer fields, texts that could come out empty)
    placeholders: tuple[tuple[_Expr, _Text], ...] = ()
    needed: tuple[_Text, ...] = ()


def _scalar(raw: Any) -> Any:
    """A choice value as written: an integer, an exact decimal/fraction, or text."""
    if isinstance(raw, bool):
        raise _Fail("must be a number or text")
    if _is_number(raw):
        return raw
    if not isinstance(raw, str):
        raise _Fail("must be a number or text")
    text = raw.strip()
    if _INT_RE.fullmatch(text):
        return int(text)
    if _DEC_RE.fullmatch(text):
        return _norm(Fraction(text))
    if m := _FRAC_RE.fullmatch(text):
        if int(m[2]) == 0:
            raise _Fail("division by zero")
        return _norm(Fraction(int(m[1]), int(m[2])))
    if not text:
        raise _Fail("must not be empty")
    if len(text) > MAX_LITERAL_CHARS:
        raise _Fail(f"is longer than {MAX_LITERAL_CHARS} characters")
    return text


class _Compiler:
    def __init__(self, spec: ProblemSpec) -> None:
        self.spec = spec
        self.issues: list[Issue] = []
        self.known: list[str] = []  # parameters defined so far
        self.all_params = [str(k) for k in (spec.params or {})]

    def issue(self, loc: Loc, message: str) -> None:
        self.issues.append((loc, message))

    def expression(self, source: Any, loc: Loc, *, what: str = "expression") -> _Expr | None:
        if not isinstance(source, str) or not source.strip():
            self.issue(loc, f"{what} must be a non-empty text")
            return None
        text = source.strip()
        if len(text) > MAX_EXPRESSION_CHARS:
            self.issue(loc, f"{what} is longer than {MAX_EXPRESSION_CHARS} characters")
            return None
        if "\n" in text or "\r" in text:
            text = " ".join(text.split())
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            self.issue(loc, f"{what} {text!r}: {_syntax_reason(text, exc)}")
            return None
        except (ValueError, RecursionError, MemoryError):
            self.issue(loc, f"{what} {text!r} cannot be read")
            return None
        names: set[str] = set()
        problems: list[str] = []
        count = 0
        for node in ast.walk(tree):
            count += 1
            if not isinstance(node, _ALLOWED_NODES):
                problems.append(
                    _NODE_NAMES.get(type(node), f"{type(node).__name__} is not allowed")
                )
                continue
            if isinstance(node, ast.Call):
                problems.extend(self._call_problems(node))
            elif isinstance(node, ast.Name):
                if not (isinstance(node.ctx, ast.Load)):
                    problems.append("assignment is not allowed")
                names.add(node.id)
            elif isinstance(node, ast.Constant):
                value = node.value
                if isinstance(value, str) and len(value) > MAX_LITERAL_CHARS:
                    problems.append(f"text longer than {MAX_LITERAL_CHARS} characters")
                elif value is None or not isinstance(value, str | int | float):
                    problems.append(f"the constant {value!r} is not allowed")
                elif isinstance(value, int | float) and abs(value) > 10**15:
                    problems.append("numbers written in an expression must be below 10**15")
                elif isinstance(value, float):
                    node.value = _norm(Fraction(repr(value)))  # 0.1 is exactly one tenth
        if count > MAX_EXPRESSION_NODES:
            problems.append(f"too long ({count} parts; at most {MAX_EXPRESSION_NODES})")
        called = {
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        for name in sorted(names - called):
            problem = self._name_problem(name)
            if problem:
                problems.append(problem)
        if problems:
            unique = list(dict.fromkeys(problems))
            self.issue(loc, f"{what} {text!r}: " + "; ".join(unique))
            return None
        body = tree.body
        param_names = frozenset(names - called)
        bare = body.id if isinstance(body, ast.Name) else None
        constant = body.value if isinstance(body, ast.Constant) else _MISSING
        return _Expr(text, body, param_names, loc, bare, constant)

    def _call_problems(self, node: ast.Call) -> Iterator[str]:
        if not isinstance(node.func, ast.Name):
            yield "only calls of the listed functions, such as gcd(a, b), are allowed"
            return
        name = node.func.id
        entry = FUNCTIONS.get(name)
        if entry is None:
            if name in self.all_params:
                yield f"{name!r} is a parameter, not a function"
            else:
                close = difflib.get_close_matches(name, list(FUNCTIONS), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                yield f"unknown function {name!r}{hint}"
            return
        if node.keywords:
            yield f"{name}() takes no keyword arguments"
        _, low, high = entry
        count = len(node.args)
        if count < low or (high is not None and count > high):
            expected = (
                str(low)
                if low == high
                else f"{low} or {high}"
                if high == low + 1
                else f"at least {low}"
                if high is None
                else f"{low} to {high}"
            )
            plural = "s" if expected != "1" else ""
            yield f"{name}() takes {expected} argument{plural} (got {count})"

    def _name_problem(self, name: str) -> str | None:
        if name in self.known:
            return None
        if name in FUNCTIONS:
            return f"{name!r} is a function: call it, e.g. {name}(...)"
        if name in self.all_params:
            return (
                f"parameter {name!r} is used before it is drawn (parameters are drawn in the "
                "order written)"
            )
        close = difflib.get_close_matches(name, self.all_params, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown parameter {name!r}{hint}"

    def params(self) -> list[_Param]:
        raw = self.spec.params or {}
        out: list[_Param] = []
        if not raw:
            self.issue(("params",), "give at least one parameter")
        for name, definition in raw.items():
            loc: Loc = ("params", name)
            param = self._param(str(name), definition, loc)
            if param is not None:
                out.append(param)
            self.known.append(str(name))
        return out

    def _param(self, name: str, definition: Any, loc: Loc) -> _Param | None:
        if not _NAME_RE.fullmatch(name) or keyword.iskeyword(name):
            self.issue(
                loc,
                f"parameter name {name!r} must be a letter followed by letters, digits or '_'",
            )
            return None
        if name in FUNCTIONS or name in ("True", "False", "None"):
            self.issue(loc, f"parameter name {name!r} is taken by a function or constant")
            return None
        if not isinstance(definition, dict) or len(definition) != 1:
            self.issue(loc, 'must be one of {range: [lo, hi]}, {choice: [...]}, {value: "..."}')
            return None
        ((kind, body),) = definition.items()
        here: Loc = (*loc, kind)
        if kind == "range":
            return self._range(name, body, loc, here)
        if kind == "choice":
            return self._choice(name, body, loc, here)
        if kind == "value":
            expr = self.expression(body, here, what="value")
            return None if expr is None else _Param(name, loc, "value", expr=expr)
        self.issue((*loc, kind), f"unknown parameter form {kind!r}: use range, choice or value")
        return None

    def _range(self, name: str, body: Any, loc: Loc, here: Loc) -> _Param | None:
        if not isinstance(body, list) or len(body) not in (2, 3):
            self.issue(here, "range must be [lo, hi] or [lo, hi, step]")
            return None
        bounds: list[int | _Expr] = []
        for index, raw in enumerate(body):
            if isinstance(raw, int) and not isinstance(raw, bool):
                bounds.append(raw)
            elif isinstance(raw, str) and _INT_RE.fullmatch(raw.strip()):
                bounds.append(int(raw.strip()))
            else:
                expr = self.expression(raw, (*here, index), what="range bound")
                if expr is None:
                    return None
                bounds.append(expr)
        if len(bounds) == 2:
            bounds.append(1)
        lo, hi, step = bounds
        if isinstance(step, int) and step <= 0:
            self.issue((*here, 2), f"step must be positive (got {step})")
            return None
        if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
            self.issue(here, f"range is empty: {lo} > {hi}")
            return None
        fixed = None
        if isinstance(lo, int) and isinstance(hi, int) and isinstance(step, int):
            fixed = (lo, (hi - lo) // step + 1, step)
            if fixed[1] > MAX_RANGE_VALUES:
                self.issue(here, f"range has more than {MAX_RANGE_VALUES:,} values")
                return None
        return _Param(name, loc, "range", bounds=tuple(bounds), fixed=fixed)

    def _choice(self, name: str, body: Any, loc: Loc, here: Loc) -> _Param | None:
        if isinstance(body, dict):
            en, bn = body.get("en"), body.get("bn")
            extra = set(body) - {"en", "bn"}
            if extra or not isinstance(en, list) or not isinstance(bn, list):
                self.issue(here, "a paired choice is {en: [...], bn: [...]}, two lists")
                return None
            if len(en) != len(bn):
                self.issue((*here, "bn"), f"has {len(bn)} values but en has {len(en)}")
                return None
            if not en:
                self.issue(here, "choice needs at least one value")
                return None
            values = []
            for index, (word_en, word_bn) in enumerate(zip(en, bn, strict=True)):
                if not isinstance(word_en, str) or not word_en.strip():
                    self.issue((*here, "en", index), "must be a non-empty text")
                    return None
                if not isinstance(word_bn, str) or not word_bn.strip():
                    self.issue((*here, "bn", index), "must be a non-empty text")
                    return None
                values.append(_Pair(word_en.strip(), word_bn.strip()))
            return _Param(name, loc, "choice", values=tuple(values))
        if not isinstance(body, list) or not body:
            self.issue(here, "choice must be a non-empty list (or {en: [...], bn: [...]})")
            return None
        parsed = []
        for index, raw in enumerate(body):
            try:
                parsed.append(_scalar(raw))
            except _Fail as exc:
                self.issue((*here, index), str(exc))
                return None
        return _Param(name, loc, "choice", values=tuple(parsed))

    def texts(self) -> list[_Text]:
        spec = self.spec
        out: list[_Text] = []

        def add(loc: Loc, text: str) -> None:
            parts = self.text(text, loc)
            if parts is not None:
                out.append(_Text(loc, "bn" in loc, parts))

        add(("question", "en"), spec.question.en)
        add(("question", "bn"), spec.question.bn)
        add(("answer",), spec.answer)
        for index, text in enumerate(spec.accept):
            add(("accept", index), text)
        for index, text in enumerate(spec.reject):
            add(("reject", index), text)
        if spec.options is not None:
            for lang in ("en", "bn"):
                for index, text in enumerate(getattr(spec.options, lang)):
                    add(("options", lang, index), text)
        if spec.hints is not None:
            for lang in ("en", "bn"):
                for index, text in enumerate(getattr(spec.hints, lang) or ()):
                    add(("hints", lang, index), text)
        if spec.explanation is not None:
            add(("explanation", "en"), spec.explanation.en)
            add(("explanation", "bn"), spec.explanation.bn)
        return out

    def text(self, text: str, loc: Loc) -> tuple[str | _Expr, ...] | None:
        parts: list[str | _Expr] = []
        literal: list[str] = []
        i, n = 0, len(text)
        ok = True
        while i < n:
            ch = text[i]
            if ch == "{":
                if text.startswith("{{", i):
                    literal.append("{")
                    i += 2
                    continue
                end = _closing_brace(text, i + 1)
                if end < 0:
                    self.issue(loc, "'{' without a closing '}' (write '{{' for a brace)")
                    return None
                if literal:
                    parts.append("".join(literal))
                    literal = []
                expr = self.expression(text[i + 1 : end], loc, what="placeholder")
                if expr is None:
                    ok = False
                else:
                    parts.append(expr)
                i = end + 1
            elif ch == "}":
                if text.startswith("}}", i):
                    literal.append("}")
                    i += 2
                    continue
                self.issue(loc, "'}' without an opening '{' (write '}}' for a brace)")
                return None
            else:
                literal.append(ch)
                i += 1
        if literal:
            parts.append("".join(literal))
        return tuple(parts) if ok else None

    def constraints(self) -> list[_Expr]:
        """The constraints, each ``a and b`` split into parts tested as soon as possible."""
        out: list[_Expr] = []
        for index, source in enumerate(self.spec.constraints):
            expr = self.expression(source, ("constraints", index), what="constraint")
            if expr is not None:
                out.extend(_conjuncts(expr))
        return out


def _conjuncts(expr: _Expr) -> list[_Expr]:
    """Split ``a and b and c`` into three constraints (same location)."""
    tree = expr.tree
    if not (isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And)):
        return [expr]
    out: list[_Expr] = []
    for part in tree.values:
        names = frozenset(
            node.id
            for node in ast.walk(part)
            if isinstance(node, ast.Name) and node.id not in FUNCTIONS
        )
        source = ast.get_source_segment(expr.source, part) or expr.source
        out.extend(_conjuncts(_Expr(source, part, names, expr.loc)))
    return out


def _closing_brace(text: str, start: int) -> int:
    """Index of the '}' closing a placeholder, skipping quoted text; -1 if none."""
    quote = ""
    i = start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "}":
            return i
        i += 1
    return -1


def _syntax_reason(text: str, exc: SyntaxError) -> str:
    try:
        statement = ast.parse(text, mode="exec").body
    except SyntaxError:
        statement = []
    if statement and isinstance(statement[0], ast.Import | ast.ImportFrom):
        return "import is not allowed"
    if statement and len(statement) == 1 and isinstance(statement[0], ast.Assign):
        return "assignment is not allowed (write '==' to compare)"
    if len(statement) > 1 or (statement and not isinstance(statement[0], ast.Expr)):
        return "must be a single expression"
    return f"not a valid expression ({exc.msg})"


def _compile(spec: ProblemSpec, key: tuple[str, str] = ("", "")) -> _Compiled:
    compiler = _Compiler(spec)
    params = compiler.params()
    constraints = compiler.constraints()
    texts = compiler.texts()
    position = {param.name: index for index, param in enumerate(params)}
    schedule: dict[int, list[int]] = {}
    for index, constraint in enumerate(constraints):
        last = max((position.get(name, -1) for name in constraint.names), default=-1)
        schedule.setdefault(last, []).append(index)
    question = next((t for t in texts if t.loc == ("question", "en")), None)
    return _Compiled(
        spec_id=spec.id,
        params=tuple(params),
        constraints=tuple(constraints),
        checks=tuple(tuple(schedule.get(i, ())) for i in range(len(params))),
        first_checks=tuple(schedule.get(-1, ())),
        texts=tuple(texts),
        question_en=question,
        issues=tuple(compiler.issues),
        answer_locs=tuple(
            t.loc for t in texts if t.loc[0] in ("answer", "accept", "reject", "options")
        ),
        key=key,
        placeholders=tuple(_unique_placeholders(texts)),
        needed=tuple(
            t
            for t in texts
            if t.loc == ("question", "en")
            or t.loc[0] in ("answer", "accept", "reject", "options")
            or not any(type(part) is str and part.strip() for part in t.parts)
        ),
    )


def _unique_placeholders(texts: list[_Text]) -> Iterator[tuple[_Expr, _Text]]:
    seen: set[str] = set()
    for text in texts:
        for part in text.parts:
            if isinstance(part, _Expr) and part.source not in seen:
                seen.add(part.source)
                yield part, text


_CACHE_SIZE = 4096
_BY_OBJECT: OrderedDict[int, tuple[ProblemSpec, _Compiled]] = OrderedDict()
_BY_CONTENT: OrderedDict[tuple[str, str], _Compiled] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _compiled(spec: ProblemSpec) -> _Compiled:
    """The compiled template, cached by object identity and by (id, content hash)."""
    hit = _BY_OBJECT.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    key = (spec.id, spec.content_hash())
    with _CACHE_LOCK:
        compiled = _BY_CONTENT.get(key)
    if compiled is None:
        compiled = _compile(spec, key)
    with _CACHE_LOCK:
        _BY_CONTENT[key] = compiled
        _BY_CONTENT.move_to_end(key)
        _BY_OBJECT[id(spec)] = (spec, compiled)
        _BY_OBJECT.move_to_end(id(spec))
        while len(_BY_CONTENT) > _CACHE_SIZE:
            _BY_CONTENT.popitem(last=False)
        while len(_BY_OBJECT) > _CACHE_SIZE:
            _BY_OBJECT.popitem(last=False)
    return compiled
