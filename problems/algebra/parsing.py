"""Reading typed algebra: whitelisted tokens, bounded sizes, a small tree (:class:`Node`)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

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
