"""The shape of an answer as written: expanded, factored, simplified."""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from typing import Any

from problems.algebra.exact import (
    Poly,
    _rational,
    _TooBig,
    variables,
)
from problems.algebra.parsing import (
    MAX_FACTOR_DEGREE,
    MAX_FACTOR_TERMS,
    Node,
)

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


def preload() -> None:
    """Import SymPy now (about a second) rather than inside a student's first answer."""
    _sympy()
