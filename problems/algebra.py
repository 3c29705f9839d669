"""Safe reading of typed school algebra, and equivalence and form checks on it.

Never ``eval``, ``sympify`` or ``parse_expr``: the student's text is tokenised against a
whitelist (digits in Latin or Bengali script, single-letter variables, ``+ - * / ^ **``,
brackets, ``²``/``³``, the Unicode minus ``−``, ``×``, ``÷``) and parsed here into a small
tree (:class:`Node`), with implicit multiplication (``2ab``, ``2(x+3)``, ``(x-3)(x-4)``).
Sizes are bounded before any arithmetic: at most :data:`MAX_CHARS` characters,
:data:`MAX_TOKENS` tokens, bracket depth :data:`MAX_DEPTH`, integer exponents up to
:data:`MAX_EXPONENT` and total degree up to :data:`MAX_DEGREE`, so ``2^99999999`` and
``9^9^9`` are refused at once.

Equivalence (:func:`equivalent`) first evaluates both trees at a few fixed pseudo-random
rational points (exact fractions, no floating point), which settles almost every
non-equivalent pair, then confirms with an exact normal form: both sides are expanded into
polynomial quotients with rational coefficients and cross-multiplied.  The form checks
(:func:`is_expanded`, :func:`is_factored`, :func:`is_simplified`) look at the tree as the
student wrote it; irreducibility of a non-linear factor is decided by SymPy's
``factor_list`` on a SymPy expression built from the tree (never from text), cached.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

__all__ = [
    "MAX_CHARS",
    "Node",
    "ParseError",
    "constant_value",
    "equivalent",
    "form_classes",
    "has_operator",
    "is_expanded",
    "is_factored",
    "is_simplified",
    "parse",
    "parse_or_reason",
    "preload",
    "render",
    "same_form",
    "shape",
    "to_sympy",
    "try_parse",
    "variables",
]

MAX_CHARS = 120
MAX_TOKENS = 80
MAX_DEPTH = 10
MAX_EXPONENT = 30
MAX_DEGREE = 60
MAX_NUMBER_DIGITS = 9
MAX_POLY_TERMS = 2000
#: Largest factor whose irreducibility is decided by SymPy (bigger ones count as reducible).
MAX_FACTOR_TERMS = 30
MAX_FACTOR_DEGREE = 8
#: A run of letters longer than this is a word, not a product of variables.
MAX_LETTER_RUN = 3

_BENGALI_TO_LATIN = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789", strict=True))
_FOLD = str.maketrans(
    {
        "\u2212": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\ufe63": "-",
        "\uff0d": "-",
        "\uff0b": "+",
        "\u00d7": "*",
        "\u00b7": "*",
        "\u22c5": "*",
        "\u2219": "*",
        "\u2715": "*",
        "\u00f7": "/",
        "\u2044": "/",
        "\u2215": "/",
        "½": "(1/2)",
        "⅓": "(1/3)",
        "¼": "(1/4)",
        "¾": "(3/4)",
        "[": "(",
        "{": "(",
        "]": ")",
        "}": ")",
    }
)


class ParseError(ValueError):
    """The text is not an expression we read safely; ``reason`` is for operators."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """One node of an expression tree.

    ``op`` is ``num`` (``value``, written as ``text``), ``var`` (``name``), ``neg``,
    ``add`` and ``mul`` (any number of ``args``), ``div`` (two ``args``) or ``pow``
    (one ``arg`` and the integer ``exp``).  Nodes compare and hash by identity: the parse
    cache hands out one tree per text, which keeps the caches below cheap.
    """

    op: str
    args: tuple[Node, ...] = ()
    value: Fraction = Fraction(0)
    name: str = ""
    exp: int = 0
    text: str = ""


# --- tokens -----------------------------------------------------------------------------

Token = tuple[str, str]  # (kind, text): num, var, op, (, )


def _normalise(text: str) -> str:
    s = unicodedata.normalize("NFC", text).translate(_BENGALI_TO_LATIN).translate(_FOLD)
    s = s.replace("**", "^")
    out: list[str] = []
    prev_sup = False
    for ch in s:
        if ch in _SUPERSCRIPTS:
            out.append(_SUPERSCRIPTS[ch] if prev_sup else "^" + _SUPERSCRIPTS[ch])
            prev_sup = True
            continue
        prev_sup = False
        out.append(ch)
    return "".join(out)


def _tokens(text: str) -> list[Token]:
    if len(text) > MAX_CHARS:
        raise ParseError("too long to be an answer")
    s = _normalise(text)
    toks: list[Token] = []
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch.isspace():
            i += 1
            continue
        if "0" <= ch <= "9" or (ch == "." and i + 1 < n and "0" <= s[i + 1] <= "9"):
            j = i
            while j < n and "0" <= s[j] <= "9":
                j += 1
            if j < n and s[j] == ".":
                j += 1
                if j >= n or not "0" <= s[j] <= "9":
                    raise ParseError("a number ends with a point")
                while j < n and "0" <= s[j] <= "9":
                    j += 1
            num = s[i:j]
            whole, _, frac = num.partition(".")
            if len(whole) > MAX_NUMBER_DIGITS or len(frac) > 6:
                raise ParseError("a number is too long")
            if toks and toks[-1][0] == "var" and i > 0 and not s[i - 1].isspace():
                raise ParseError("a digit right after a letter (write powers as a^2)")
            toks.append(("num", num))
            i = j
            continue
        if "a" <= ch.lower() <= "z" and ch.isascii():
            j = i
            while j < n and s[j].isascii() and s[j].isalpha():
                j += 1
            if j - i > MAX_LETTER_RUN:
                raise ParseError("a word, not an expression")
            toks.extend(("var", c.lower()) for c in s[i:j])
            i = j
            continue
        if ch in "+-*/^":
            toks.append(("op", ch))
        elif ch in "()":
            toks.append((ch, ch))
        elif not ch.isascii() and unicodedata.numeric(ch, None) is not None:
            raise ParseError("digits of another script")
        else:
            raise ParseError(f"the character {ch!r} is not used in expressions")
        i += 1
        if len(toks) > MAX_TOKENS:
            raise ParseError("too long to be an answer")
    if len(toks) > MAX_TOKENS:
        raise ParseError("too long to be an answer")
    if not toks:
        raise ParseError("empty")
    return toks


# --- parser -----------------------------------------------------------------------------


class _Parser:
    def __init__(self, toks: list[Token]) -> None:
        self.toks = toks
        self.i = 0
        self.depth = 0

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.expr()
        if self.peek() is not None:
            raise ParseError("unexpected " + repr(self.peek()[1]))  # type: ignore[index]
        return node

    def expr(self) -> Node:
        terms = [self.term()]
        while (tok := self.peek()) is not None and tok[0] == "op" and tok[1] in "+-":
            self.take()
            t = self.term()
            terms.append(t if tok[1] == "+" else Node("neg", (t,)))
        return terms[0] if len(terms) == 1 else _flat("add", terms)

    def term(self) -> Node:
        left = self.unary()
        while True:
            tok = self.peek()
            if tok is None:
                return left
            if tok[0] == "op" and tok[1] in "*/":
                self.take()
                right = self.unary()
                left = _flat("mul", [left, right]) if tok[1] == "*" else Node("div", (left, right))
                continue
            if tok[0] in ("var", "("):  # implicit multiplication: 2x, x(x+1), (a)(b)
                left = _flat("mul", [left, self.power()])
                continue
            if tok[0] == "num":
                raise ParseError("two numbers side by side")
            return left

    def unary(self) -> Node:
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in "+-":
            self.take()
            inner = self.unary()
            return Node("neg", (inner,)) if tok[1] == "-" else inner
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] == "^":
            self.take()
            exp = self.exponent()
            nxt = self.peek()
            if nxt is not None and nxt[0] == "op" and nxt[1] == "^":
                raise ParseError("a power of a power: use brackets")
            return Node("pow", (base,), exp=exp)
        return base

    def exponent(self) -> int:
        sign = 1
        bracket = False
        tok = self.peek()
        if tok is not None and tok[0] == "(":
            self.take()
            bracket = True
            tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in "+-":
            self.take()
            sign = -1 if tok[1] == "-" else 1
            tok = self.peek()
        if tok is None or tok[0] != "num" or "." in tok[1]:
            raise ParseError("a power must be a whole number")
        self.take()
        if bracket:
            close = self.peek()
            if close is None or close[0] != ")":
                raise ParseError("unbalanced brackets")
            self.take()
        value = sign * int(tok[1])
        if abs(value) > MAX_EXPONENT:
            raise ParseError("a power is too large")
        return value

    def atom(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise ParseError("the expression stops too early")
        self.take()
        if tok[0] == "num":
            return Node("num", value=Fraction(tok[1]), text=tok[1])
        if tok[0] == "var":
            return Node("var", name=tok[1])
        if tok[0] == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ParseError("too many brackets")
            inner = self.expr()
            close = self.peek()
            if close is None or close[0] != ")":
                raise ParseError("unbalanced brackets")
            self.take()
            self.depth -= 1
            after = self.peek()
            if after is not None and after[0] == "num":
                raise ParseError("a number right after a bracket")
            return Node("paren", (inner,))
        raise ParseError("unexpected " + repr(tok[1]))


def _flat(op: str, items: list[Node]) -> Node:
    out: list[Node] = []
    for it in items:
        if it.op == op:
            out.extend(it.args)
        else:
            out.append(it)
    return Node(op, tuple(out))


def _strip_parens(node: Node) -> Node:
    """Brackets matter only for how the tree is built; drop the marker nodes."""
    if node.op == "paren":
        return _strip_parens(node.args[0])
    if not node.args:
        return node
    args = tuple(_strip_parens(a) for a in node.args)
    if node.op in ("add", "mul"):
        return _flat(node.op, list(args))
    return Node(node.op, args, node.value, node.name, node.exp, node.text)


def _degree(node: Node) -> int:
    if node.op == "num":
        return 0
    if node.op == "var":
        return 1
    if node.op in ("neg",):
        return _degree(node.args[0])
    if node.op == "add":
        return max(_degree(a) for a in node.args)
    if node.op in ("mul", "div"):
        return sum(_degree(a) for a in node.args)
    if node.op == "pow":
        return _degree(node.args[0]) * abs(node.exp)
    raise ParseError("unknown node")  # pragma: no cover


@lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    """Parse a typed expression; raises :class:`ParseError` with a reason."""
    node = _strip_parens(_Parser(_tokens(text)).parse())
    if _degree(node) > MAX_DEGREE:
        raise ParseError("the powers are too large")
    return node


@lru_cache(maxsize=4096)
def parse_or_reason(text: str) -> Node | str:
    """The tree, or the reason the text is not an expression (cached either way)."""
    try:
        return parse(text)
    except ParseError as exc:
        return exc.reason
    except (ValueError, ArithmeticError, RecursionError):
        return "not an expression"


def try_parse(text: str) -> Node | None:
    """Like :func:`parse` but ``None`` instead of an error."""
    got = parse_or_reason(text)
    return got if isinstance(got, Node) else None


def preload() -> None:
    """Import SymPy now (about a second) rather than inside a student's first answer."""
    _sympy()


# --- facts about a tree -----------------------------------------------------------------


@lru_cache(maxsize=4096)
def variables(node: Node) -> frozenset[str]:
    if node.op == "var":
        return frozenset(node.name)
    out: frozenset[str] = frozenset()
    for a in node.args:
        out |= variables(a)
    return out


def has_operator(node: Node) -> bool:
    return node.op not in ("num", "var")


def evaluate(node: Node, env: dict[str, Fraction]) -> Fraction:
    """The exact value at a point; ZeroDivisionError where undefined."""
    op = node.op
    if op == "num":
        return node.value
    if op == "var":
        return env[node.name]
    if op == "neg":
        return -evaluate(node.args[0], env)
    if op == "add":
        return sum((evaluate(a, env) for a in node.args), Fraction(0))
    if op == "mul":
        out = Fraction(1)
        for a in node.args:
            out *= evaluate(a, env)
        return out
    if op == "div":
        return evaluate(node.args[0], env) / evaluate(node.args[1], env)
    if op == "pow":
        base = evaluate(node.args[0], env)
        if node.exp < 0:
            return 1 / base ** (-node.exp)
        return base**node.exp
    raise ValueError(op)  # pragma: no cover


def constant_value(node: Node) -> Fraction | None:
    """The value of an expression without variables ("2^3" is 8); None if undefined."""
    if variables(node):
        return None
    try:
        return evaluate(node, {})
    except ZeroDivisionError:
        return None


# --- exact normal form: quotients of sparse integer polynomials -----------------------

Mono = tuple[int, ...]
Poly = dict[Mono, int]  # integer coefficients: a literal p/q becomes p over q


class _TooBig(Exception):
    pass


def _p_add(a: Poly, b: Poly, sign: int = 1) -> Poly:
    out = dict(a)
    for m, c in b.items():
        v = out.get(m, 0) + sign * c
        if v:
            out[m] = v
        else:
            out.pop(m, None)
    return out


def _is_one(a: Poly) -> bool:
    if len(a) != 1:
        return False
    ((m, c),) = a.items()
    return c == 1 and not any(m)


def _p_mul(a: Poly, b: Poly) -> Poly:
    if _is_one(a):
        return b
    if _is_one(b):
        return a
    if len(a) == 1 and len(b) == 1:
        ((ma, ca),) = a.items()
        ((mb, cb),) = b.items()
        return {tuple(x + y for x, y in zip(ma, mb, strict=True)): ca * cb}
    out: Poly = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            m = tuple(x + y for x, y in zip(ma, mb, strict=True))
            v = out.get(m, 0) + ca * cb
            if v:
                out[m] = v
            else:
                out.pop(m, None)
    if len(out) > MAX_POLY_TERMS:
        raise _TooBig
    return out


def _p_pow(a: Poly, k: int, nvars: int) -> Poly:
    if _is_one(a) or k == 1:
        return a
    out: Poly = {(0,) * nvars: 1}
    for _ in range(k):
        out = _p_mul(out, a)
    return out


RatFn = tuple[Poly, Poly]


def _rational(node: Node, order: tuple[str, ...]) -> RatFn:
    """The tree as numerator and denominator polynomials with integer coefficients."""
    n = len(order)
    zero = (0,) * n
    op = node.op
    if op == "num":
        v = node.value
        return ({zero: v.numerator} if v else {}), {zero: v.denominator}
    if op == "var":
        mono = tuple(1 if v == node.name else 0 for v in order)
        return {mono: 1}, {zero: 1}
    if op == "neg":
        num, den = _rational(node.args[0], order)
        return {m: -c for m, c in num.items()}, den
    if op == "add":
        num, den = _rational(node.args[0], order)
        for a in node.args[1:]:
            an, ad = _rational(a, order)
            if ad == den:
                num = _p_add(num, an)
            else:
                num = _p_add(_p_mul(num, ad), _p_mul(an, den))
                den = _p_mul(den, ad)
        return num, den
    if op == "mul":
        num, den = _rational(node.args[0], order)
        for a in node.args[1:]:
            an, ad = _rational(a, order)
            num, den = _p_mul(num, an), _p_mul(den, ad)
        return num, den
    if op == "div":
        an, ad = _rational(node.args[0], order)
        bn, bd = _rational(node.args[1], order)
        if not bn:
            raise ZeroDivisionError
        return _p_mul(an, bd), _p_mul(ad, bn)
    if op == "pow":
        bn, bd = _rational(node.args[0], order)
        k = node.exp
        if k < 0:
            if not bn:
                raise ZeroDivisionError
            bn, bd, k = bd, bn, -k
        return _p_pow(bn, k, n), _p_pow(bd, k, n)
    raise ValueError(op)  # pragma: no cover


def _pair(node: Node, env: dict[str, int]) -> tuple[int, int]:
    """The value at an integer point as an unreduced fraction (numerator, denominator)."""
    op = node.op
    if op == "num":
        return node.value.numerator, node.value.denominator
    if op == "var":
        return env[node.name], 1
    if op == "neg":
        n, d = _pair(node.args[0], env)
        return -n, d
    if op == "add":
        n, d = _pair(node.args[0], env)
        for a in node.args[1:]:
            an, ad = _pair(a, env)
            n, d = n * ad + an * d, d * ad
        return n, d
    if op == "mul":
        n, d = 1, 1
        for a in node.args:
            an, ad = _pair(a, env)
            n, d = n * an, d * ad
        return n, d
    if op == "div":
        an, ad = _pair(node.args[0], env)
        bn, bd = _pair(node.args[1], env)
        if bn == 0:
            raise ZeroDivisionError
        return an * bd, ad * bn
    if op == "pow":
        n, d = _pair(node.args[0], env)
        k = node.exp
        if k < 0:
            if n == 0:
                raise ZeroDivisionError
            n, d, k = d, n, -k
        return n**k, d**k
    raise ValueError(op)  # pragma: no cover


# Fixed pseudo-random integers (a seeded draw written out), so grading is reproducible.
_POOL = (7919, -3571, 1613, -4567, 2741, 6007, -1009, 5279, -7331, 3203, 887, -2393)


@lru_cache(maxsize=256)
def _points(order: tuple[str, ...], count: int) -> list[dict[str, int]]:
    return [
        {v: _POOL[(k * 5 + i * 7) % len(_POOL)] + 31 * k * (i + 1) for i, v in enumerate(order)}
        for k in range(count)
    ]


@lru_cache(maxsize=8192)
def equivalent(a: Node, b: Node) -> bool:
    """Whether two expressions are equal as rational functions (where both are defined)."""
    order = tuple(sorted(variables(a) | variables(b)))
    agreed = 0
    for env in _points(order, 6 if order else 1):
        try:
            an, ad = _pair(a, env)
            bn, bd = _pair(b, env)
        except ZeroDivisionError:
            continue  # undefined here (or a removable point): try the next point
        if an * bd != bn * ad:
            return False
        agreed += 1
        if agreed >= 3:
            break
    try:
        an_, ad_ = _rational(a, order)
        bn_, bd_ = _rational(b, order)
        if not ad_ or not bd_:
            return False
        return _p_add(_p_mul(an_, bd_), _p_mul(bn_, ad_), -1) == {}
    except _TooBig:
        # Too many terms to expand within our limits: three exact agreeing points at
        # large integers are then the verdict (a false "equal" is vanishingly unlikely).
        return agreed >= 3
    except ZeroDivisionError:
        return False


# --- forms ------------------------------------------------------------------------------


def _is_number(node: Node) -> bool:
    """A plain number, possibly negative or a fraction of two numbers (3, -2, 3/4)."""
    if node.op == "num":
        return True
    if node.op == "neg":
        return _is_number(node.args[0])
    if node.op == "div":
        return node.args[0].op == "num" and node.args[1].op == "num"
    return False


def _has_sum(node: Node) -> bool:
    if node.op == "add":
        return True
    return any(_has_sum(a) for a in node.args)


def _monomial_key(node: Node) -> tuple[tuple[str, int], ...] | None:
    """The variable part of a product term (x^2 y), or None if the term is not a monomial."""
    powers: dict[str, int] = {}

    def walk(n: Node, sign: int) -> bool:
        if n.op == "num":
            return True
        if n.op == "var":
            powers[n.name] = powers.get(n.name, 0) + sign
            return True
        if n.op == "neg":
            return walk(n.args[0], sign)
        if n.op == "mul":
            return all(walk(a, sign) for a in n.args)
        if n.op == "div":
            return walk(n.args[0], sign) and walk(n.args[1], -sign)
        if n.op == "pow" and n.args[0].op == "var":
            powers[n.args[0].name] = powers.get(n.args[0].name, 0) + sign * n.exp
            return True
        return n.op == "pow" and n.args[0].op == "num"

    if not walk(node, 1):
        return None
    return tuple(sorted((v, p) for v, p in powers.items() if p))


def _terms(node: Node) -> tuple[Node, ...]:
    return node.args if node.op == "add" else (node,)


def _collected(node: Node) -> bool:
    """No two terms of any sum have the same variable part (x + x, 3 + 2, 2x + 3x), no + 0."""
    if node.op == "add":
        seen: set[tuple[tuple[str, int], ...]] = set()
        for t in node.args:
            if _is_number(t) and (t.args[0] if t.op == "neg" else t).value == 0:
                return False
            key = _monomial_key(t)
            if key is None:
                continue
            if key in seen:
                return False
            seen.add(key)
    return all(_collected(a) for a in node.args)


def _tidy_products(node: Node) -> bool:
    """No product with two numbers (2*3x), a repeated variable (x*x), 1x, or x^1 / x^0."""
    if node.op == "mul":
        numbers = sum(1 for a in node.args if _is_number(a))
        if numbers > 1:
            return False
        if any(a.op == "num" and a.value in (0, 1) for a in node.args):
            return False
        names = [
            a.name if a.op == "var" else a.args[0].name
            for a in node.args
            if a.op == "var" or (a.op == "pow" and a.args[0].op == "var")
        ]
        if len(names) != len(set(names)):
            return False
    if node.op == "pow" and (node.exp in (0, 1) or node.args[0].op == "num"):
        return False
    if node.op == "neg" and node.args[0].op == "neg":
        return False
    return all(_tidy_products(a) for a in node.args)


def _numeric_arith(node: Node) -> bool:
    """Some operation between plain numbers is left undone (2 + 3, 6/2 as a term)."""
    if node.op in ("add", "mul", "pow") and not variables(node):
        return True
    if node.op == "div" and not variables(node):
        a, b = node.args
        if a.op != "num" or b.op != "num":
            return True
        p, q = Fraction(a.text), Fraction(b.text)
        return q.denominator != 1 or p.denominator != 1 or math.gcd(int(p), int(q)) != 1 or q == 1
    return any(_numeric_arith(a) for a in node.args)


def is_simplified(node: Node) -> bool:
    """Like terms collected and no arithmetic left undone (brackets are allowed); with a
    letter in a denominator, one fraction in lowest terms."""
    return (
        _collected(node)
        and _tidy_products(node)
        and not _numeric_arith(node)
        and _one_fraction_in_lowest_terms(node)
    )


def _letter_denominator(node: Node) -> bool:
    if node.op == "div" and variables(node.args[1]):
        return True
    return any(_letter_denominator(a) for a in node.args if isinstance(a, Node))


@lru_cache(maxsize=2048)
def _one_fraction_in_lowest_terms(node: Node) -> bool:
    """``(x + 2)/(x - 3)`` is simplified; ``(x^2 + 5x + 6)/(x^2 - 9)`` (a common factor) and
    ``1/(x - 2) - 1/(x + 3)`` (not one fraction) are not. No letter below a line: True."""
    if not _letter_denominator(node):
        return True
    top = node
    while top.op in ("neg", "paren"):
        top = top.args[0]
    if top.op != "div":
        return False
    numerator, denominator = top.args
    if _letter_denominator(numerator) or _letter_denominator(denominator):
        return False
    sympy = _sympy()
    common = sympy.gcd(sympy.expand(to_sympy(numerator)), sympy.expand(to_sympy(denominator)))
    return bool(common.is_number)


def is_expanded(node: Node) -> bool:
    """A sum of monomials, with like terms collected (x^2 + 5x + 6)."""
    if node.op == "neg" and node.args[0].op == "add":
        return False  # -(x + 1) is not expanded
    for t in _terms(node):
        if _has_sum(t) or _monomial_key(t) is None:
            return False
    return is_simplified(node)


def _factors(node: Node) -> list[Node]:
    if node.op == "neg":
        return _factors(node.args[0])
    if node.op == "mul":
        out: list[Node] = []
        for a in node.args:
            out.extend(_factors(a))
        return out
    if node.op == "pow" and node.exp > 0:
        return _factors(node.args[0])
    return [node]


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    return all(n % d for d in range(3, math.isqrt(n) + 1, 2))


def is_factored(node: Node) -> bool:
    """A product of a number and irreducible factors with whole-number content 1.

    ``(x - 3)(x - 4)``, ``2(x + 3)``, ``x(x + 1)``, ``(a + b)^2``; a whole number is
    factored when written as a product of primes (``2^3``, ``2^2 × 3``).
    """
    if not variables(node):
        factors = _factors(node)
        if len(factors) == 1 and node.op == "num":
            return _is_prime(int(node.value)) if node.value.denominator == 1 else False
        return all(
            f.op == "num" and f.value.denominator == 1 and _is_prime(int(f.value)) for f in factors
        )
    factors = _factors(node)
    constants = [f for f in factors if not variables(f)]
    if len(constants) > 1 or any(not _is_number(c) for c in constants):
        return False
    for f in factors:
        if not variables(f):
            continue
        if f.op == "var":
            continue
        if f.op == "div":
            return False
        if f.op == "add" and not is_expanded(f):
            return False
        if not _irreducible(f):
            return False
    return True


def _irreducible(node: Node) -> bool:
    order = tuple(sorted(variables(node)))
    try:
        num, den = _rational(node, order)
    except (_TooBig, ZeroDivisionError):
        return False
    if len(den) != 1 or any(sum(m) for m in den) or abs(next(iter(den.values()))) != 1:
        return False  # a fraction inside a factor
    content = 0
    for c in num.values():
        content = math.gcd(content, c)
    if content != 1:
        return False  # 2x + 6: take the 2 out
    if max(sum(m) for m in num) == 1:
        return True  # linear with content 1
    if len(num) == 1:
        return False  # x^2 alone as a "factor" of a sum is x·x
    quadratic = _quadratic_irreducible(num)
    if quadratic is not None:
        return quadratic
    if len(num) > MAX_FACTOR_TERMS or max(sum(m) for m in num) > MAX_FACTOR_DEGREE:
        return False  # no school factor is this big; do not hand SymPy a hard problem
    return _sympy_irreducible(_poly_key(num, order))


def _quadratic_irreducible(num: Poly) -> bool | None:
    """a·x² + b·x + c, or a·x² + b·xy + c·y²: reducible iff b² − 4ac is a square."""
    degrees = {sum(m) for m in num}
    nvars = len(next(iter(num)))
    if max(degrees) != 2:
        return None
    if nvars == 1:
        a, b, c = num.get((2,), 0), num.get((1,), 0), num.get((0,), 0)
    elif nvars == 2 and degrees == {2}:
        a, b, c = num.get((2, 0), 0), num.get((1, 1), 0), num.get((0, 2), 0)
    else:
        return None
    if a == 0 or c == 0:
        return False  # x(ax + b): a common factor
    disc = b * b - 4 * a * c
    return disc < 0 or math.isqrt(disc) ** 2 != disc


def _poly_key(num: Poly, order: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    return order, tuple(sorted(num.items()))


@lru_cache(maxsize=1)
def _sympy() -> Any:
    import sympy  # type: ignore[import-untyped]

    return sympy


@lru_cache(maxsize=2048)
def _sympy_irreducible(key: tuple[tuple[str, ...], tuple[Any, ...]]) -> bool:
    sympy = _sympy()
    order, items = key
    syms = [sympy.Symbol(v) for v in order]
    terms = []
    for mono, c in items:
        term = sympy.Integer(c)
        for s, e in zip(syms, mono, strict=True):
            if e:
                term = term * s**e
        terms.append(term)
    _coeff, factors = sympy.factor_list(sympy.Add(*terms))
    return len(factors) == 1 and factors[0][1] == 1


def to_sympy(node: Node) -> Any:
    """The SymPy expression of a tree, built node by node (never from text)."""
    sympy = _sympy()
    op = node.op
    if op == "num":
        return sympy.Rational(node.value.numerator, node.value.denominator)
    if op == "var":
        return sympy.Symbol(node.name)
    if op == "neg":
        return -to_sympy(node.args[0])
    if op == "add":
        return sympy.Add(*(to_sympy(a) for a in node.args))
    if op == "mul":
        return sympy.Mul(*(to_sympy(a) for a in node.args))
    if op == "div":
        return to_sympy(node.args[0]) / to_sympy(node.args[1])
    if op == "pow":
        return sympy.Pow(to_sympy(node.args[0]), node.exp)
    raise ValueError(op)  # pragma: no cover


@lru_cache(maxsize=8192)
def form_classes(node: Node) -> frozenset[str]:
    """Which of the shapes ``expanded`` and ``factored`` the tree is written in."""
    out = set()
    if is_expanded(node):
        out.add("expanded")
    if variables(node) and is_factored(node):
        out.add("factored")
    return frozenset(out)


def same_form(a: Node, b: Node) -> bool:
    """Written in the same shape: both expanded, both factorised, or alike otherwise."""
    ca, cb = form_classes(a), form_classes(b)
    if ca or cb:
        return bool(ca & cb)
    return shape(a) == shape(b)


def shape(node: Node) -> str:
    """``product`` when the top is a product with a bracketed sum in it, else ``sum``."""
    body = node.args[0] if node.op == "neg" else node
    if body.op in ("mul", "pow", "div") and _has_sum(body):
        return "product"
    return "sum"


# --- printing ---------------------------------------------------------------------------


def render(node: Node) -> str:
    """A tidy one-line form of a tree, for logs and feedback: ``a^2 + 2ab + b^2``."""
    return _render(node, 0)


def _render(node: Node, parent: int) -> str:
    op = node.op
    if op == "num":
        text = node.text or str(node.value)
        return text
    if op == "var":
        return node.name
    if op == "neg":
        out = "-" + _render(node.args[0], 3)
        return f"({out})" if parent >= 2 else out
    if op == "add":
        parts = [_render(node.args[0], 1)]
        for a in node.args[1:]:
            if a.op == "neg":
                parts.append("- " + _render(a.args[0], 2))
            else:
                parts.append("+ " + _render(a, 1))
        out = " ".join(parts)
        return f"({out})" if parent >= 1 else out
    if op == "mul":
        out = ""
        for i, a in enumerate(node.args):
            piece = _render(a, 2)
            if i and (a.op == "num" or (out[-1:].isdigit() and piece[:1].isdigit())):
                out += "*" + piece
            else:
                out += piece
        return f"({out})" if parent >= 3 else out
    if op == "div":
        out = _render(node.args[0], 2) + "/" + _render(node.args[1], 3)
        return f"({out})" if parent >= 2 else out
    if op == "pow":
        exp = str(node.exp) if node.exp >= 0 else f"({node.exp})"
        return _render(node.args[0], 3) + "^" + exp
    raise ValueError(op)  # pragma: no cover
