"""Problem templates: parameters, constraints and ``{expression}`` placeholders.

A bank problem with ``params`` is a *template* (format: ``docs/templates.md``). A variant
is ``(template, seed)``: :func:`instantiate` draws the parameters from a stream of random
numbers determined by ``f"{id}:{seed}"`` alone (BLAKE2b, so stable across processes and
Python versions), redraws until every constraint holds, fills in every text field and
returns a plain :class:`~problems.schema.ProblemSpec`.

Expressions are evaluated by the ``simpleeval`` library with a restricted set of nodes,
operators and functions; before that, every expression's syntax tree (built by Python's
own ``ast`` parser, never executed) is checked against a whitelist so that an unsafe or
misspelt expression is reported when the bank is loaded, with the field it is in.
Numbers are exact: ``/`` on integers gives a :class:`fractions.Fraction`.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import keyword
import math
import operator
import re
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from pydantic import ValidationError
from simpleeval import SimpleEval  # type: ignore[import-untyped]

from problems.checking import Verdict, check_answer, hint_reveals_answer
from problems.numbers import canonical, to_bengali_digits
from problems.schema import (
    FIELD_ERROR_TYPE,
    RULES_ERROR_TYPE,
    ProblemSpec,
    parse_numeric_answer,
)
from problems.types import AnswerType

__all__ = [
    "FUNCTIONS",
    "MAX_TRIES",
    "MIN_VARIANTS",
    "TemplateError",
    "TemplateReport",
    "VariantCount",
    "check_template",
    "count_variants",
    "distinct_questions",
    "instantiate",
    "validate_template",
    "variant_seeds",
]

Loc = tuple[str | int, ...]
Issue = tuple[Loc, str]

#: Draws per seed before giving up on the constraints.
MAX_TRIES = 1000
#: Fewest distinct variants (distinct English questions) a template must have.
MIN_VARIANTS = 20
#: Seeds the loader instantiates per template.
DEFAULT_CHECK_SEEDS = 200
#: Most draws per variant (on average over the checked seeds) the constraints may cost.
MAX_MEAN_TRIES = 50
#: Seeds (0, 1, …) on which every variant gets the full checks (schema rules, the checker
#: accepts the answer, no hint or wrong option leaks it); later seeds get them only when
#: their answer has a new shape, at most MAX_EXTRA_CHECKS times. Every seed gets the
#: cheap checks (evaluation errors, empty texts, options distinct, answer among them).
FULL_CHECK_SEEDS = 20
MAX_EXTRA_CHECKS = 30
#: Seeds in a row without a new question after which scanning for variants stops.
PATIENCE = 100
#: variant_seeds looks at most this many times ``count`` seeds.
SCAN_FACTOR = 5

MAX_EXPRESSION_CHARS = 1000
MAX_EXPRESSION_NODES = 200
MAX_STRING_CHARS = 1000
MAX_LITERAL_CHARS = 200
MAX_POWER_EXPONENT = 100
MAX_NUMBER_BITS = 2048
MAX_ISPRIME = 10**9
MAX_PLACES = 10
MAX_RANGE_VALUES = 10**12

Number = int | Fraction


class TemplateError(Exception):
    """A template cannot be instantiated; ``loc`` is the field (relative to the problem)."""

    def __init__(
        self, message: str, loc: Loc = (), *, issues: Sequence[Issue] = (), fatal: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc
        self.issues: tuple[Issue, ...] = tuple(issues) or ((loc, message),)
        # ``fatal``: every seed will fail the same way (e.g. the constraints never hold).
        self.fatal = fatal

    def __str__(self) -> str:
        where = ".".join(str(part) for part in self.loc)
        return f"{where}: {self.message}" if where else self.message


class _Fail(Exception):
    """An error inside one evaluation; turned into a TemplateError with a location."""


class _Pair(str):
    """A value of a paired choice: the English word, carrying its Bengali word."""

    bn: str

    def __new__(cls, en: str, bn: str) -> _Pair:
        obj = super().__new__(cls, en)
        obj.bn = bn
        return obj


# --------------------------------------------------------------------------- numbers


def _norm(value: Any) -> Any:
    """A Fraction that is a whole number becomes an int; other values are unchanged."""
    if type(value) is Fraction and value.denominator == 1:
        return int(value.numerator)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Fraction) and not isinstance(value, bool)


def _number(value: Any, what: str) -> Number:
    if not _is_number(value):
        raise _Fail(f"{what} must be a number (got {_brief(value)})")
    return value


def _integer(value: Any, what: str) -> int:
    value = _norm(_number(value, what))
    if not isinstance(value, int):
        raise _Fail(f"{what} must be a whole number (got {_show(value)})")
    return value


def _check_size(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_NUMBER_BITS:
            raise _Fail("number too large")
    elif (
        isinstance(value, Fraction)
        and max(value.numerator.bit_length(), value.denominator.bit_length()) > MAX_NUMBER_BITS
    ):
        raise _Fail("number too large")
    return value


def _brief(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if _is_number(value):
        return _show(value)
    text = repr(str(value)) if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _show(value: Any) -> str:
    """Write a value as the template shows it: 12, -3/4, or the text itself."""
    if isinstance(value, bool) or value is None:
        raise _Fail(f"is {value}, not a value to show (a constraint belongs in 'constraints')")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, str):
        return value
    raise _Fail(f"cannot show a {type(value).__name__}")


def _round_half_up(value: Number, places: int) -> Fraction:
    scale = 10**places
    scaled = abs(Fraction(value)) * scale
    whole = math.floor(scaled + Fraction(1, 2))
    return Fraction(whole if value >= 0 else -whole, scale)


def _places(value: Any) -> int:
    places = _integer(value, "the number of places")
    if not 0 <= places <= MAX_PLACES:
        raise _Fail(f"the number of places must be 0 to {MAX_PLACES} (got {places})")
    return places


# --------------------------------------------------------------------------- functions


def _f_gcd(*args: Any) -> int:
    return math.gcd(*(_integer(a, "gcd's arguments") for a in args))


def _f_lcm(*args: Any) -> int:
    return _check_size(math.lcm(*(_integer(a, "lcm's arguments") for a in args)))


def _f_abs(x: Any) -> Number:
    value = _number(x, "abs's argument")
    return -value if value < 0 else value


def _f_min(*args: Any) -> Number:
    return min(_number(a, "min's arguments") for a in args)


def _f_max(*args: Any) -> Number:
    return max(_number(a, "max's arguments") for a in args)


def _f_round(x: Any, places: Any = 0) -> Number:
    return _norm(_round_half_up(_number(x, "round's argument"), _places(places)))


def _f_floor(x: Any) -> int:
    return math.floor(_number(x, "floor's argument"))


def _f_ceil(x: Any) -> int:
    return math.ceil(_number(x, "ceil's argument"))


def _f_sqrt(x: Any) -> Number:
    value = Fraction(_number(x, "sqrt's argument"))
    if value < 0:
        raise _Fail(f"sqrt of a negative number ({_show(_norm(value))})")
    num, den = math.isqrt(value.numerator), math.isqrt(value.denominator)
    if num * num != value.numerator or den * den != value.denominator:
        raise _Fail(f"sqrt({_show(_norm(value))}) is not exact")
    return _norm(Fraction(num, den))


def _f_frac(a: Any, b: Any = 1) -> Number:
    den = _number(b, "frac's denominator")
    if den == 0:
        raise _Fail("division by zero")
    return _norm(Fraction(_number(a, "frac's numerator")) / den)


_PRIME_CACHE: dict[int, bool] = {}


def _f_isprime(n: Any) -> bool:
    value = _integer(n, "isprime's argument")
    if value > MAX_ISPRIME:
        raise _Fail(f"isprime works up to {MAX_ISPRIME}")
    cached = _PRIME_CACHE.get(value)
    if cached is not None:
        return cached
    result = value >= 2 and all(value % d for d in range(2, math.isqrt(value) + 1))
    if len(_PRIME_CACHE) < 100_000:
        _PRIME_CACHE[value] = result
    return result


def _f_dec(x: Any, places: Any) -> str:
    digits = _places(places)
    value = _round_half_up(_number(x, "dec's argument"), digits)
    scaled = value.numerator * (10**digits // value.denominator)
    whole, frac = divmod(abs(scaled), 10**digits)
    text = f"{whole}.{frac:0{digits}d}" if digits else str(whole)
    return "-" + text if scaled < 0 else text


def _f_num(x: Any) -> str:
    value = Fraction(_number(x, "num's argument"))
    text = canonical(value)
    if "/" in text:
        raise _Fail(f"{text} has no exact decimal form (use dec(x, places) to round)")
    return text


def _f_pct(x: Any) -> str:
    return _f_num(Fraction(_number(x, "pct's argument")) * 100) + "%"


def _f_mixed(x: Any) -> str:
    value = Fraction(_number(x, "mixed's argument"))
    if value.denominator == 1:
        return str(value.numerator)
    whole, rest = divmod(abs(value.numerator), value.denominator)
    sign = "-" if value < 0 else ""
    if whole == 0:
        return f"{sign}{rest}/{value.denominator}"
    return f"{sign}{whole} {rest}/{value.denominator}"


def _f_lakh(n: Any) -> str:
    value = _integer(n, "lakh's argument")
    digits = str(abs(value))
    if len(digits) > 3:
        head, tail = digits[:-3], digits[-3:]
        groups: list[str] = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        groups.insert(0, head)
        digits = ",".join([*groups, tail])
    return "-" + digits if value < 0 else digits


def _f_sign(x: Any) -> str:
    value = _number(x, "sign's argument")
    return f"+{_show(value)}" if value >= 0 else f"\u2212{_show(-value)}"


def _variable(var: Any) -> str:
    if not isinstance(var, str) or len(var) > 20:
        raise _Fail('the variable must be a short text such as "x"')
    return var


def _f_term(c: Any, var: Any) -> str:
    coef, name = _number(c, "the coefficient"), _variable(var)
    if not name:
        return _f_sign(coef).lstrip("+")
    if coef == 0:
        return "0"
    size = abs(coef)
    if size == 1:
        body = name
    elif isinstance(_norm(size), int):
        body = f"{_show(size)}{name}"
    else:
        body = f"({_show(size)}){name}"
    return f"\u2212{body}" if coef < 0 else body


def _f_signed_term(c: Any, var: Any) -> str:
    coef = _number(c, "the coefficient")
    if coef < 0:
        return "\u2212 " + _f_term(-coef, var)
    return "+ " + _f_term(coef, var)


#: name -> (function, fewest arguments, most arguments or None for any number)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "gcd": (_f_gcd, 2, None),
    "lcm": (_f_lcm, 2, None),
    "abs": (_f_abs, 1, 1),
    "min": (_f_min, 2, None),
    "max": (_f_max, 2, None),
    "round": (_f_round, 1, 2),
    "floor": (_f_floor, 1, 1),
    "ceil": (_f_ceil, 1, 1),
    "sqrt": (_f_sqrt, 1, 1),
    "frac": (_f_frac, 1, 2),
    "isprime": (_f_isprime, 1, 1),
    "dec": (_f_dec, 2, 2),
    "mixed": (_f_mixed, 1, 1),
    "pct": (_f_pct, 1, 1),
    "num": (_f_num, 1, 1),
    "lakh": (_f_lakh, 1, 1),
    "sign": (_f_sign, 1, 1),
    "term": (_f_term, 2, 2),
    "signed_term": (_f_signed_term, 2, 2),
}


# --------------------------------------------------------------------------- operators


def _op_add(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return a + b
    if isinstance(a, str) and isinstance(b, str):
        if len(a) + len(b) > MAX_STRING_CHARS:
            raise _Fail("text too long")
        return str(a) + str(b)
    if _is_number(a) and _is_number(b):
        return _check_size(a + b)
    raise _Fail(f"cannot add {_brief(a)} and {_brief(b)}")


def _op_sub(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return a - b
    return _check_size(_number(a, "'-' operand") - _number(b, "'-' operand"))


def _op_mul(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return _check_size(a * b)
    if _is_number(a) and _is_number(b):
        return _check_size(_norm(a * b))
    raise _Fail(f"cannot multiply {_brief(a)} by {_brief(b)}")


def _nonzero(b: Any) -> Number:
    value = _number(b, "a divisor")
    if value == 0:
        raise _Fail("division by zero")
    return value


def _op_div(a: Any, b: Any) -> Any:
    den = _nonzero(b)
    return _check_size(_norm(Fraction(_number(a, "'/' operand")) / den))


def _op_floordiv(a: Any, b: Any) -> Any:
    den = _nonzero(b)
    return _norm(_number(a, "'//' operand") // den)


def _op_mod(a: Any, b: Any) -> Any:
    den = _nonzero(b)
    return _norm(_number(a, "'%' operand") % den)


def _op_pow(a: Any, b: Any) -> Any:
    base = _number(a, "the base of '**'")
    exponent = _norm(_number(b, "the exponent of '**'"))
    if not isinstance(exponent, int):
        raise _Fail("the exponent of '**' must be a whole number")
    if abs(exponent) > MAX_POWER_EXPONENT:
        raise _Fail(f"the exponent of '**' must be at most {MAX_POWER_EXPONENT}")
    bits = max(Fraction(base).numerator.bit_length(), Fraction(base).denominator.bit_length())
    if bits * abs(exponent) > MAX_NUMBER_BITS:
        raise _Fail("number too large")
    if exponent < 0:
        if base == 0:
            raise _Fail("division by zero")
        return _norm(Fraction(base) ** exponent)
    return _norm(base**exponent)


def _op_neg(a: Any) -> Any:
    return -_number(a, "'-' operand")


def _op_pos(a: Any) -> Any:
    return +_number(a, "'+' operand")


_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: _op_add,
    ast.Sub: _op_sub,
    ast.Mult: _op_mul,
    ast.Div: _op_div,
    ast.FloorDiv: _op_floordiv,
    ast.Mod: _op_mod,
    ast.Pow: _op_pow,
    ast.USub: _op_neg,
    ast.UAdd: _op_pos,
    ast.Not: operator.not_,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}

_ALLOWED_NODES: tuple[type, ...] = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.And,
    ast.Or,
    *_OPERATORS,
)

_NODE_NAMES: dict[type, str] = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Subscript: "indexing ('[...]') is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.List: "lists are not allowed",
    ast.Tuple: "tuples are not allowed (did you write a comma?)",
    ast.Dict: "dictionaries are not allowed",
    ast.Set: "sets are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.NamedExpr: "assignment (':=') is not allowed",
    ast.Starred: "'*' arguments are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.BitAnd: "the operator '&' is not allowed",
    ast.BitOr: "the operator '|' is not allowed",
    ast.BitXor: "the operator '^' is not allowed (write '**' for a power)",
    ast.LShift: "the operator '<<' is not allowed",
    ast.RShift: "the operator '>>' is not allowed",
    ast.Invert: "the operator '~' is not allowed",
    ast.MatMult: "the operator '@' is not allowed",
    ast.In: "'in' is not allowed",
    ast.NotIn: "'not in' is not allowed",
    ast.Is: "'is' is not allowed (write '==')",
    ast.IsNot: "'is not' is not allowed (write '!=')",
}


class _Evaluator(SimpleEval):
    """simpleeval with only the nodes, operators and functions templates need."""

    nodes: dict[type, Callable[..., Any]]
    names: dict[str, Any]
    functions: dict[str, Callable[..., Any]]

    def __init__(self) -> None:
        super().__init__(
            operators=dict(_OPERATORS),
            functions={name: entry[0] for name, entry in FUNCTIONS.items()},
            names={},
        )
        self.nodes = {
            node_type: handler
            for node_type, handler in dict(self.nodes).items()
            if node_type
            in (
                ast.Name,
                ast.UnaryOp,
                ast.BinOp,
                ast.BoolOp,
                ast.Compare,
                ast.IfExp,
                ast.Call,
                ast.Constant,
            )
        }

    def _eval(self, node: ast.AST) -> Any:
        # simpleeval's own dispatch, with a fast path for the value types templates make.
        try:
            handler = self.nodes[type(node)]
        except KeyError:
            raise _Fail(f"{type(node).__name__} is not allowed") from None
        result = handler(node)
        if type(result) not in _SAFE_TYPES:
            self._check_disallowed_items(result)
            raise _Fail(f"a {type(result).__name__} is not a value templates use")
        return result

    def _eval_name(self, node: ast.Name) -> Any:
        try:
            return self.names[node.id]
        except KeyError:
            raise _Fail(f"unknown parameter {node.id!r}") from None

    def _eval_call(self, node: ast.Call) -> Any:
        func = self.functions.get(node.func.id) if isinstance(node.func, ast.Name) else None
        if func is None or node.keywords:
            raise _Fail("only calls of the listed functions, such as gcd(a, b), are allowed")
        return func(*[self._eval(arg) for arg in node.args])

    @staticmethod
    def _eval_constant(node: ast.Constant) -> Any:
        # Checked when the template was compiled (floats already made exact Fractions).
        return node.value


_SAFE_TYPES = frozenset({int, bool, str, Fraction, _Pair})
_LOCAL = threading.local()


def _evaluator() -> _Evaluator:
    ev: _Evaluator | None = getattr(_LOCAL, "evaluator", None)
    if ev is None:
        ev = _LOCAL.evaluator = _Evaluator()
    return ev


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


def _build(spec: ProblemSpec, compiled: _Compiled, seed: int, ev: _Evaluator) -> ProblemSpec:
    if compiled.issues:
        loc, message = compiled.issues[0]
        raise TemplateError(message, loc, issues=compiled.issues, fatal=True)
    return _variant(spec, compiled, _draw(compiled, seed, ev), ev)


def _variant(
    spec: ProblemSpec, compiled: _Compiled, names: dict[str, Any], ev: _Evaluator
) -> ProblemSpec:
    rendered = _render_all(compiled, names, ev)
    try:
        return ProblemSpec.model_validate(_spec_data(spec, rendered))
    except ValidationError as exc:
        issues = _pydantic_issues(exc)
        loc, message = issues[0] if issues else ((), str(exc))
        raise TemplateError(message, loc, issues=issues) from None


# --------------------------------------------------------------------------- public API


def instantiate(spec: ProblemSpec, seed: int) -> ProblemSpec:
    """Return variant ``seed`` of a template as a plain problem (an item is returned as is).

    Deterministic: the same template and seed always give the same problem, in any
    process. Raises :class:`TemplateError` if the template is broken or this seed fails.
    The last few thousand variants made are remembered, so asking again for the variant a
    student is working on (for the verdict, a hint, ...) costs microseconds.
    """
    if not spec.is_template:
        return spec
    compiled = _compiled(spec)
    key = (compiled.key, seed)
    variant = _VARIANTS.get(key)
    if variant is not None:
        return variant
    variant = _build(spec, compiled, seed, _evaluator())
    with _CACHE_LOCK:
        _VARIANTS[key] = variant
        while len(_VARIANTS) > _VARIANT_CACHE_SIZE:
            _VARIANTS.popitem(last=False)
    return variant


_VARIANT_CACHE_SIZE = 4096
_VARIANTS: OrderedDict[tuple[tuple[str, str], int], ProblemSpec] = OrderedDict()


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
