"""Pydantic models for one problem of the bank, as an operator writes it in YAML.

Every model forbids unknown fields and strips surrounding whitespace from every string;
empty strings are rejected. Rules that involve more than one field (``answer`` must be
one of the options, ``tolerance`` only on numeric problems, ...) are checked by a model
validator that reports *all* broken rules at once as one error of type
:data:`RULES_ERROR_TYPE`, whose ``ctx["issues"]`` holds ``(relative_loc, message)``
pairs, so that the bank parser can point at the exact YAML node of each issue.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from problems.checking import key_issues
from problems.types import AnswerForm, AnswerKey, AnswerType

__all__ = [
    "RULES_ERROR_TYPE",
    "Localized",
    "LocalizedHints",
    "LocalizedList",
    "ProblemSpec",
    "parse_numeric_answer",
]

#: ``type`` of the pydantic error that carries several located issues in ``ctx["issues"]``.
RULES_ERROR_TYPE = "dars_rules"
#: ``type`` of the pydantic error raised by this module's single-field checks.
FIELD_ERROR_TYPE = "dars_field"

GRADES = (6, 7, 8)
DIFFICULTIES = (1, 2, 3)
HINTS_PER_LANGUAGE = 3
MIN_OPTIONS, MAX_OPTIONS = 2, 4

ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}", re.ASCII)
TOPIC_RE = re.compile(r"[a-z][a-z0-9_-]{0,39}", re.ASCII)

Loc = tuple[str | int, ...]
Issue = tuple[Loc, str]

# Latin digits only (re.ASCII keeps \d from matching Bengali digits; we spell [0-9] anyway).
_INT = r"[0-9]+"
_DECIMAL_RE = re.compile(rf"([+-]?)({_INT}(?:\.{_INT})?)(%?)", re.ASCII)
_FRACTION_RE = re.compile(rf"([+-]?)({_INT})/({_INT})", re.ASCII)
_MIXED_RE = re.compile(rf"([+-]?)({_INT}) +({_INT})/({_INT})", re.ASCII)


def parse_numeric_answer(text: str) -> Fraction | None:
    """Return the exact value of a bank numeric answer, or None if it is not a number."""
    text = text.strip()
    if m := _DECIMAL_RE.fullmatch(text):
        value = Fraction(m[2])
        if m[3]:
            value /= 100
        return -value if m[1] == "-" else value
    if m := _FRACTION_RE.fullmatch(text):
        if int(m[3]) == 0:
            return None
        value = Fraction(int(m[2]), int(m[3]))
        return -value if m[1] == "-" else value
    if m := _MIXED_RE.fullmatch(text):
        if int(m[4]) == 0:
            return None
        value = int(m[2]) + Fraction(int(m[3]), int(m[4]))
        return -value if m[1] == "-" else value
    return None


def _field_error(message: str) -> PydanticCustomError:
    return PydanticCustomError(FIELD_ERROR_TYPE, "{message}", {"message": message})


def _rules_error(issues: list[Issue]) -> PydanticCustomError:
    summary = "; ".join(
        f"{'.'.join(str(part) for part in loc) or 'problem'}: {message}" for loc, message in issues
    )
    return PydanticCustomError(
        RULES_ERROR_TYPE, "{summary}", {"summary": summary, "issues": tuple(issues)}
    )


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_id(value: str) -> str:
    if not ID_RE.fullmatch(value):
        raise _field_error(
            "must be 1-64 characters of lowercase a-z, 0-9, '.', '_' or '-', starting with "
            f"a letter or digit (got {_short(value)})"
        )
    return value


def _check_topic(value: str) -> str:
    if not TOPIC_RE.fullmatch(value):
        raise _field_error(
            "must be a lowercase slug: a-z, 0-9, '_' or '-', starting with a letter, at most "
            f"40 characters (got {_short(value)})"
        )
    return value


def _check_grade(value: int) -> int:
    if value not in GRADES:
        raise _field_error(f"must be 6, 7 or 8 (got {value})")
    return value


def _check_difficulty(value: int) -> int:
    if value not in DIFFICULTIES:
        raise _field_error(f"must be 1, 2 or 3 (got {value})")
    return value


def _check_tolerance(value: Decimal) -> Decimal:
    if value < 0:
        raise _field_error(f"must be zero or positive (got {value})")
    return value


def _check_hints(value: list[str]) -> list[str]:
    if len(value) != HINTS_PER_LANGUAGE:
        raise _field_error(f"must have exactly {HINTS_PER_LANGUAGE} hints (got {len(value)})")
    return value


def _check_options(value: list[str]) -> list[str]:
    if not MIN_OPTIONS <= len(value) <= MAX_OPTIONS:
        raise _field_error(f"must have {MIN_OPTIONS} to {MAX_OPTIONS} options (got {len(value)})")
    issues: list[Issue] = []
    seen: set[str] = set()
    for index, option in enumerate(value):
        if option in seen:
            issues.append(((index,), f"duplicate option {_short(option)}"))
        seen.add(option)
    if issues:
        raise _rules_error(issues)
    return value


#: A non-empty string with surrounding whitespace removed.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
OptionList = Annotated[list[Text], AfterValidator(_check_options)]
HintList = Annotated[list[Text], AfterValidator(_check_hints)]

_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Localized(BaseModel):
    """One text in English and Bengali; both are required."""

    model_config = _STRICT

    en: Text
    bn: Text


class LocalizedList(BaseModel):
    """Multiple-choice options: 2-4 distinct texts per language, same number in both."""

    model_config = _STRICT

    en: OptionList
    bn: OptionList

    @model_validator(mode="after")
    def _same_length(self) -> LocalizedList:
        if len(self.en) != len(self.bn):
            raise _rules_error(
                [(("bn",), f"has {len(self.bn)} options but en has {len(self.en)}")]
            )
        return self


class LocalizedHints(BaseModel):
    """Optional hints; a language that is given has exactly three, gentlest first."""

    model_config = _STRICT

    en: HintList | None = None
    bn: HintList | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> LocalizedHints:
        if self.en is None and self.bn is None:
            raise _field_error("give en and/or bn hints, or leave hints out")
        return self


#: Validation context key for a variant of a template the loader accepted: the answer rules
#: (readable answer, accept/reject/form consistent) ran at load on its first seeds and on each
#: new answer shape (problems/templates/checks.py), so the tutor does not run them again on
#: every variant it draws; the structural rules still run.
CHECKED_AT_LOAD = "checked_at_load"


class ProblemSpec(BaseModel):
    """One validated bank problem (immutable)."""

    model_config = _STRICT

    id: Annotated[Text, AfterValidator(_check_id)]
    grade: Annotated[int, AfterValidator(_check_grade)]
    topic: Annotated[Text, AfterValidator(_check_topic)]
    difficulty: Annotated[int, AfterValidator(_check_difficulty)]
    question: Localized
    answer_type: AnswerType
    answer: Text
    tolerance: Annotated[Decimal, AfterValidator(_check_tolerance)] | None = None
    accept: list[Text] = Field(default_factory=list)
    reject: list[Text] = Field(default_factory=list)
    form: AnswerForm | None = None
    places: int | None = Field(default=None, ge=0, le=6)
    options: LocalizedList | None = None
    hints: LocalizedHints | None = None
    explanation: Localized | None = None
    # A template (problems/templates/): its text fields hold {expression} placeholders
    # and are checked per variant, once instantiated into a plain ProblemSpec.
    params: dict[str, Any] | None = None
    constraints: list[Text] = Field(default_factory=list)

    @property
    def is_template(self) -> bool:
        return self.params is not None

    @model_validator(mode="after")
    def _cross_field_rules(self, info: ValidationInfo) -> ProblemSpec:
        if self.is_template:
            return self  # the rules below are applied to every instantiated variant
        issues: list[Issue] = []
        if self.answer_type is AnswerType.NUMERIC:
            if parse_numeric_answer(self.answer) is None:
                issues.append(
                    (
                        ("answer",),
                        f"{_short(self.answer)} is not a number; write an integer (12), decimal "
                        "(0.75), fraction (3/4), mixed number (1 1/2) or percentage (50%) "
                        "with Latin digits",
                    )
                )
        elif self.tolerance is not None:
            issues.append((("tolerance",), "is only allowed on numeric problems"))
        if self.answer_type is AnswerType.MULTIPLE_CHOICE:
            if self.options is None:
                issues.append(((), "multiple_choice problems need options (en and bn)"))
            elif self.answer not in self.options.en:
                issues.append((("answer",), f"{_short(self.answer)} is not one of options.en"))
        elif self.options is not None:
            issues.append((("options",), "are only allowed on multiple_choice problems"))
        if not issues and not (info.context or {}).get(CHECKED_AT_LOAD):
            # The answer rules of problems.checking: readable answer, accept/reject/form
            # consistent with it (docs/answers.md).
            issues.extend(((field,), message) for field, message in key_issues(self.answer_key()))
        if issues:
            raise _rules_error(issues)
        return self

    def answer_key(self) -> AnswerKey:
        """Return what the rule checker needs to grade this problem."""
        return AnswerKey(
            answer_type=self.answer_type,
            answer=self.answer,
            options_en=tuple(self.options.en) if self.options else (),
            options_bn=tuple(self.options.bn) if self.options else (),
            tolerance=self.tolerance,
            accept=tuple(self.accept),
            reject=tuple(self.reject),
            form=self.form,
            places=self.places,
        )

    def content_hash(self) -> str:
        """Return the sha256 hex digest of a canonical JSON form of every field."""
        data: dict[str, Any] = self.model_dump(mode="json")
        # Fields added later count only when used, so adding a field to the format never
        # makes every problem of every bank look changed.
        for name, unused in _LATER_FIELDS.items():
            if data.get(name) == unused:
                del data[name]
        if self.tolerance is not None:
            data["tolerance"] = _canonical_decimal(self.tolerance)
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


#: Fields added after the first format, with their "not used" value.
_LATER_FIELDS: dict[str, Any] = {
    "reject": [],
    "form": None,
    "places": None,
    "params": None,
    "constraints": [],
}


def _canonical_decimal(value: Decimal) -> str:
    """Write a decimal so that 0.01, 0.010 and 1e-2 all give the same text."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")
