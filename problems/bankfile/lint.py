"""Warnings about problems that load but would read or grade worse than the writer meant.

Not errors: the bank loads. ``dars problems load`` and ``dars problems check`` print them as
``file:line:0: warning: …`` so that a writer sees them before a student does.

* Latin digits in Bengali text (outside ``{placeholders}``, which are written in Bengali
  digits when a template is drawn): a Bengali reader expects ০–৯.
* A question that asks for a form ("in its lowest terms", "as a percentage", "লঘিষ্ঠ
  আকারে") on a typed answer whose ``form`` does not ask for it, so any form is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from problems.bankfile.records import BankError, BankProblem
from problems.checking import FORMS_BY_TYPE
from problems.schema import ProblemSpec
from problems.types import AnswerForm, AnswerType

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_LATIN_DIGIT = re.compile(r"[0-9]")

# Words in a question that ask for a form, and the forms that would enforce them.
_FORM_WORDS: tuple[tuple[re.Pattern[str], str, frozenset[AnswerForm]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), words, frozenset(forms))
    for pattern, words, forms in (
        (
            r"lowest terms|simplest form|লঘিষ্ঠ আকার",
            "lowest terms",
            {AnswerForm.LOWEST_TERMS, AnswerForm.MIXED, AnswerForm.SIMPLIFIED},
        ),
        (r"as a percent(age)?\b|শতকরা(য়|তে) প্রকাশ", "a percentage", {AnswerForm.PERCENT}),
        (r"as a decimal|দশমিক ভগ্নাংশে প্রকাশ", "a decimal", {AnswerForm.DECIMAL}),
        (r"as a mixed (number|fraction)|মিশ্র ভগ্নাংশে", "a mixed number", {AnswerForm.MIXED}),
        (
            r"as a fraction\b",
            "a fraction",
            {AnswerForm.FRACTION, AnswerForm.LOWEST_TERMS, AnswerForm.MIXED},
        ),
        (
            r"\bin factors\b|\bfactorise\b|\bfactorize\b|উৎপাদকে বিশ্লেষণ",
            "factors",
            {AnswerForm.FACTORED},
        ),
        (r"\bexpand\b|বিস্তৃত রূপ", "the expanded form", {AnswerForm.EXPANDED}),
    )
)
# Typed answers: a multiple-choice question's form is settled by its options.
_TYPED = frozenset({AnswerType.NUMERIC, AnswerType.EXPRESSION, AnswerType.RATIO})


def bank_warnings(problems: Iterable[BankProblem]) -> list[BankError]:
    """Every warning of these problems, each at the problem's line."""
    return [
        BankError(problem.path, problem.line, 0, f"warning: {problem.spec.id}: {message}")
        for problem in problems
        for message in problem_warnings(problem.spec)
    ]


def problem_warnings(spec: ProblemSpec) -> list[str]:
    """The warnings of one problem (item or template), as short sentences."""
    found = [
        f"{where} has Latin digits in Bengali text; write ০–৯"
        for where, text in _bengali_texts(spec)
        if _LATIN_DIGIT.search(_PLACEHOLDER.sub("", text))
    ]
    if spec.answer_type in _TYPED:
        question = f"{spec.question.en}\n{spec.question.bn}"
        allowed = FORMS_BY_TYPE.get(spec.answer_type, frozenset())
        for pattern, words, forms in _FORM_WORDS:
            if forms & allowed and pattern.search(question) and spec.form not in forms:
                shown = spec.form.value if spec.form else "not set"
                found.append(
                    f"the question asks for {words} but form is {shown}, so another form "
                    "is accepted too"
                )
    return found


def _bengali_texts(spec: ProblemSpec) -> Iterator[tuple[str, str]]:
    yield "question.bn", spec.question.bn
    if spec.explanation is not None:
        yield "explanation.bn", spec.explanation.bn
    if spec.hints is not None and spec.hints.bn:
        for i, hint in enumerate(spec.hints.bn, 1):
            yield f"hints.bn[{i}]", hint
    if spec.options is not None:
        for i, option in enumerate(spec.options.bn, 1):
            yield f"options.bn[{i}]", option
