"""What a parsed bank is made of: errors, problems, topics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from problems.schema import (
    Localized,
    LocalizedHints,
    LocalizedList,
    ProblemSpec,
    Text,
    _check_grade,
    _check_topic,
)

#: Bank files larger than this are refused rather than parsed.
MAX_FILE_BYTES = 5 * 1024 * 1024
#: Deepest node nesting accepted (a bank needs 5: list > problem > hints > en > hint).
MAX_DEPTH = 32
BANK_SUFFIXES = (".yaml", ".yml")

_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"

Loc = tuple[str | int, ...]

# The model that validates the mapping found at a given location inside one problem.
_MODEL_AT: dict[Loc, type[BaseModel]] = {
    (): ProblemSpec,
    ("question",): Localized,
    ("explanation",): Localized,
    ("options",): LocalizedList,
    ("hints",): LocalizedHints,
}


class _TopicModel(BaseModel):
    """One entry of a file's ``topics:`` list."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: Annotated[Text, AfterValidator(_check_topic)]
    grade: Annotated[int, AfterValidator(_check_grade)]
    name: Localized


_TOPIC_MODEL_AT: dict[Loc, type[BaseModel]] = {(): _TopicModel, ("name",): Localized}


@dataclass(frozen=True)
class BankError:
    """One problem found in a bank file, with a 1-based position (0:0 = whole file)."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class BankProblem:
    """A valid problem and where it was defined (``path`` is one of ``ParsedBanks.files``).

    For a template, ``variant_seeds`` are seeds 0, 1, 2, … with different English
    questions (up to 200), for picking a variant a student has not seen.
    """

    spec: ProblemSpec
    path: str
    line: int
    variant_seeds: tuple[int, ...] | None = None


@dataclass(frozen=True)
class TopicSpec:
    """A topic declared in a bank file; ``order`` is its place in the syllabus (0-based)."""

    grade: int
    id: str
    name_en: str
    name_bn: str
    order: int


@dataclass(frozen=True)
class ParsedBanks:
    """Valid problems, all errors (sorted by file and position) and the files read.

    ``topics`` are the declared topics in syllabus order (file name order, then order in
    the file), numbered by ``order`` within each grade. ``warnings`` do not stop a load
    (``problems/bankfile/lint.py``).
    """

    problems: list[BankProblem]
    errors: list[BankError]
    files: list[str]
    topics: list[TopicSpec] = field(default_factory=list)
    warnings: list[BankError] = field(default_factory=list)
