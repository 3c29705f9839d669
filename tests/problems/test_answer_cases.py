"""The answer-checking table (tests/problems/answer_cases.yaml), run through the checker.

Every case is one reply to one answer key with the verdict a good maths teacher would
give; a NEEDS_FORM case also names the form the student is asked to change to.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from problems.checking import CheckResult, Verdict, check_answer, example_answer
from problems.numbers import to_bengali_digits
from problems.types import AnswerForm, AnswerKey, AnswerType

TABLE = Path(__file__).with_name("answer_cases.yaml")


def _key(spec: dict[str, Any]) -> AnswerKey:
    return AnswerKey(
        answer_type=AnswerType(spec["type"]),
        answer=spec["answer"],
        options_en=tuple(spec.get("options_en", ())),
        options_bn=tuple(spec.get("options_bn", ())),
        tolerance=Decimal(spec["tolerance"]) if "tolerance" in spec else None,
        accept=tuple(spec.get("accept", ())),
        reject=tuple(spec.get("reject", ())),
        form=AnswerForm(spec["form"]) if "form" in spec else None,
        places=int(spec["places"]) if "places" in spec else None,
    )


def _load() -> list[tuple[AnswerKey, str, Verdict, AnswerForm | None]]:
    # BaseLoader: every scalar stays the string written ("1:30" is not 90, "no" not False).
    groups = yaml.load(TABLE.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    cases = []
    for group in groups:
        key = _key(group["key"])
        for case in group["cases"]:
            reply, verdict = case[0], Verdict(case[1])
            needs = AnswerForm(case[2]) if len(case) > 2 else None
            cases.append((key, reply, verdict, needs))
    return cases


CASES = _load()


def _id(case: tuple[AnswerKey, str, Verdict, AnswerForm | None]) -> str:
    key, reply, verdict, _ = case
    return f"{key.answer_type.value}:{key.answer}|{reply}->{verdict.value}"


def test_table_is_big_and_covers_every_kind() -> None:
    assert len(CASES) >= 400
    kinds = Counter(key.answer_type for key, *_ in CASES)
    assert set(kinds) == set(AnswerType)
    verdicts = Counter(v for *_, v, _ in CASES)
    assert all(verdicts[v] >= 20 for v in Verdict), verdicts
    bengali = sum(1 for _, reply, *_ in CASES if any("\u0980" <= ch <= "\u09ff" for ch in reply))
    assert bengali >= 100


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_case(case: tuple[AnswerKey, str, Verdict, AnswerForm | None]) -> None:
    key, reply, verdict, needs = case
    result = check_answer(key, reply)
    assert (result.verdict, result.needs) == (verdict, needs), result.reason
    _invariants(key, reply, result)


def _invariants(key: AnswerKey, reply: str, result: CheckResult) -> None:
    assert (result.normalized == "") == (result.verdict is Verdict.UNREADABLE)
    assert (result.needs is not None) == (result.verdict is Verdict.NEEDS_FORM)
    assert result.reason, "every result explains itself"
    assert check_answer(key, reply) == result  # deterministic (and caches change nothing)


def test_bengali_digits_grade_like_latin_digits() -> None:
    """Writing the same reply with Bengali digits never changes the verdict."""
    checked = 0
    for key, reply, _verdict, _needs in CASES:
        if not any("0" <= ch <= "9" for ch in reply):
            continue
        if key.answer_type is AnswerType.MULTIPLE_CHOICE:
            continue  # options are shown in one script per language
        latin = check_answer(key, reply)
        bengali = check_answer(key, to_bengali_digits(reply))
        assert (bengali.verdict, bengali.needs) == (latin.verdict, latin.needs), reply
        checked += 1
    assert checked >= 150


def test_examples_are_never_the_answer() -> None:
    for key, *_ in CASES:
        for lang in ("en", "bn"):
            example = example_answer(key, lang)
            assert example.startswith("e.g. " if lang == "en" else "যেমন: ")
            text = example.split(" ", 1)[1] if lang == "en" else example.split(": ", 1)[1]
            if key.answer_type is not AnswerType.MULTIPLE_CHOICE:
                assert check_answer(key, text).verdict is not Verdict.CORRECT, (key, example)
            if lang == "bn":
                assert not any("0" <= ch <= "9" for ch in example), example
