"""Small value types shared by the bank loader, the answer checker and the database layer."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal


class AnswerType(enum.StrEnum):
    NUMERIC = "numeric"
    MULTIPLE_CHOICE = "multiple_choice"
    TEXT = "text"
    EXPRESSION = "expression"  # algebra, compared by equivalence (SymPy)
    RATIO = "ratio"  # "2:3"; equivalent ratios unless form is lowest_terms
    TIME = "time"  # a clock time or duration "1:30"


class AnswerForm(enum.StrEnum):
    """The shape a problem asks for; the right value in another shape is 'needs_form'."""

    # numeric
    LOWEST_TERMS = "lowest_terms"
    FRACTION = "fraction"
    MIXED = "mixed"
    DECIMAL = "decimal"  # with AnswerKey.places decimal places when given
    INTEGER = "integer"
    PERCENT = "percent"
    # expression
    EXPANDED = "expanded"
    FACTORED = "factored"
    SIMPLIFIED = "simplified"


@dataclass(frozen=True, slots=True)
class AnswerKey:
    """Everything the rule checker needs to grade one problem, and nothing more.

    * ``answer`` is always the string the bank wrote (``"3/4"``, ``"50%"``, ``"-12"``,
      ``"x^2 + 5x + 6"``, ``"2:3"``, ``"1:30"``).
      For multiple choice it equals one of ``options_en`` exactly.
    * ``options_en`` / ``options_bn`` are the choices in bank order (empty unless
      multiple choice); option *i* is shown with letter ``"ABCD"[i]`` / ``"কখগঘ"[i]``.
    * ``tolerance`` is an absolute tolerance for numeric answers (``None`` = exact).
    * ``accept`` lists other answers that count as correct; ``reject`` lists near-misses
      that must never be accepted (e.g. ``equilateral`` for ``isosceles``).
    * ``form`` is the shape asked for (``None`` = any equivalent form is right);
      ``places`` goes with ``form=decimal``.
    """

    answer_type: AnswerType
    answer: str
    options_en: tuple[str, ...] = ()
    options_bn: tuple[str, ...] = ()
    tolerance: Decimal | None = None
    accept: tuple[str, ...] = field(default_factory=tuple)
    reject: tuple[str, ...] = field(default_factory=tuple)
    form: AnswerForm | None = None
    places: int | None = None
