"""Printing a tree back as a student would write it."""

from __future__ import annotations

from problems.algebra.parsing import (
    Node,
)

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
