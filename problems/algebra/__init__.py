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

from problems.algebra.exact import constant_value, equivalent, has_operator, variables
from problems.algebra.forms import (
    form_classes,
    is_expanded,
    is_factored,
    is_simplified,
    preload,
    same_form,
    shape,
    to_sympy,
)
from problems.algebra.parsing import MAX_CHARS, Node, ParseError, parse, parse_or_reason, try_parse
from problems.algebra.render import render

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
