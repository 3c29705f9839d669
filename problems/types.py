"""Small value types shared by the bank loader, the answer checker and the database layer."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal


class AnswerType(enum.StrEnum):
    NUMERIC = "numeric"
    MULTIPLE_CHOICE = "multiple_choice"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class AnswerKey:
    """Everything the rule checker needs to grade one problem, and nothing more.

    * ``answer`` is always the string the bank wrote (``"3/4"``, ``"50%"``, ``"-12"``).
      For multiple choice it equals one of ``options_en`` exactly.
    * ``options_en`` / ``options_bn`` are the choices in bank order (empty unless
      multiple choice); option *i* is shown with letter ``"ABCD"[i]`` / ``"কখগঘ"[i]``.
    * ``tolerance`` is an absolute tolerance for numeric answers (``None`` = exact).
    * ``accept`` lists other answers that count as correct.
    """

    answer_type: AnswerType
    answer: str
    options_en: tuple[str, ...] = ()
    options_bn: tuple[str, ...] = ()
    tolerance: Decimal | None = None
    accept: tuple[str, ...] = field(default_factory=tuple)
