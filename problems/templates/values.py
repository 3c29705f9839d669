"""Values, the functions and operators templates may use, and the safe evaluator."""

from __future__ import annotations

import ast
import math
import operator
import threading
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from simpleeval import SimpleEval  # type: ignore[import-untyped]

from problems.numbers import canonical

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
