"""Validation errors worded for an operator, at the line and column of the mistake."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from problems.bankfile.records import (
    BankError,
    Loc,
)
from problems.bankfile.strict_yaml import (
    _position,
)
from problems.schema import (
    FIELD_ERROR_TYPE,
    RULES_ERROR_TYPE,
)

# --------------------------------------------------------------------------- messages


def _value_node(node: Node, key: str) -> Node | None:
    pair = _pair(node, key)
    return pair[1] if pair else None


def _pair(node: Node, key: str) -> tuple[Node, Node] | None:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return key_node, value_node
    return None


def _locate(root: Node, loc: Loc, *, key: bool = False) -> Node:
    """The deepest node along ``loc``; with ``key`` the key node of the last step."""
    current = root
    for step, part in enumerate(loc):
        if isinstance(part, str):
            pair = _pair(current, part)
            if pair is None:
                return current
            if key and step == len(loc) - 1:
                return pair[0]
            current = pair[1]
        elif isinstance(current, SequenceNode) and 0 <= part < len(current.value):
            current = current.value[part]
        else:
            return current
    return current


def _describe(loc: Loc) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f" item {part + 1}"
        else:
            text += f".{part}" if text else part
    return text


def _prefixed(loc: Loc, message: str) -> str:
    where = _describe(loc)
    return f"{where}: {message}" if where else message


def _got(value: object) -> str:
    if isinstance(value, str):
        text = repr(value)
        return f" (got {text if len(text) <= 40 else text[:37] + '...'})"
    if isinstance(value, list):
        return " (got a list)"
    if isinstance(value, dict):
        return " (got a mapping)"
    return ""


_SIMPLE_MESSAGES = {
    "string_too_short": "must not be empty",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_type": "must be a whole number",
    "decimal_parsing": "must be a number",
    "decimal_type": "must be a number",
    "finite_number": "must be a finite number",
    "string_type": "must be text",
    "list_type": "must be a list",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "dict_type": "must be a mapping",
}


def _explain(
    path: str,
    root: Node,
    error: Any,
    models: dict[Loc, type[BaseModel]],
    *,
    prefix: str = "",
) -> Iterator[BankError]:
    """Turn one pydantic error into located bank errors."""
    for found in _explain_plain(path, root, error, models):
        if prefix:
            found = BankError(found.path, found.line, found.column, f"{prefix} {found.message}")
        yield found


def _explain_plain(
    path: str, root: Node, error: Any, models: dict[Loc, type[BaseModel]]
) -> Iterator[BankError]:
    loc: Loc = tuple(error["loc"])
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    if kind == RULES_ERROR_TYPE:
        for relative, message in ctx.get("issues", ()):
            full = loc + tuple(relative)
            yield _error_at(path, _locate(root, full), _prefixed(full, message))
    elif kind == "missing":
        parent, name = loc[:-1], loc[-1]
        message = _prefixed(parent, f"missing required field {name!r}")
        yield _error_at(path, _locate(root, parent), message)
    elif kind == "extra_forbidden":
        parent, name = loc[:-1], str(loc[-1])
        message = f"unknown field {name!r}"
        model = models.get(parent)
        if model is not None:
            close = difflib.get_close_matches(name, list(model.model_fields), n=1)
            if close:
                message += f" (did you mean {close[0]!r}?)"
        yield _error_at(path, _locate(root, loc, key=True), _prefixed(parent, message))
    elif kind == FIELD_ERROR_TYPE:
        yield _error_at(path, _locate(root, loc), _prefixed(loc, str(ctx.get("message"))))
    elif kind == "enum" and ctx.get("expected"):
        allowed = str(ctx["expected"]).replace("'", "").replace(" or ", ", ")
        message = f"must be one of {allowed}" + _got(error.get("input"))
        yield _error_at(path, _locate(root, loc), _prefixed(loc, message))
    elif kind in _SIMPLE_MESSAGES:
        message = _SIMPLE_MESSAGES[kind]
        if kind != "string_too_short":
            message += _got(error.get("input"))
        yield _error_at(path, _locate(root, loc), _prefixed(loc, message))
    else:
        yield _error_at(path, _locate(root, loc), _prefixed(loc, str(error.get("msg"))))


def _error_at(path: str, node: Node, message: str) -> BankError:
    line, column = _position(node.start_mark)
    return BankError(path, line, column, message)
