"""Property tests of the checker: every equivalent form of an answer is accepted, a
perturbed answer is not, a different known term is never accepted, and the shipped bank's
answers and accepted variants are accepted as written."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from problems import algebra
from problems.bank import parse_banks, sample_bank_dir
from problems.checking import Verdict, check_answer, example_answer, grading, key_issues
from problems.numbers import to_bengali_digits
from problems.textmatch import TERM_GROUPS
from problems.types import AnswerForm, AnswerKey, AnswerType

PROPS = settings(max_examples=300, deadline=None)
OK, WRONG = Verdict.CORRECT, Verdict.INCORRECT


def _decimal(value: Fraction) -> str | None:
    for places in range(7):
        scaled = value * 10**places
        if scaled.denominator == 1:
            digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
            body = digits if not places else f"{digits[:-places]}.{digits[-places:]}"
            return ("-" if value < 0 else "") + body
    return None


# --- numbers ----------------------------------------------------------------------------


@PROPS
@given(st.integers(1, 500), st.integers(2, 60), st.integers(2, 9))
def test_numeric_equivalent_forms_accepted_perturbed_not(p: int, q: int, k: int) -> None:
    value = Fraction(p, q)
    key = AnswerKey(AnswerType.NUMERIC, f"{value.numerator}/{value.denominator}")
    forms = [f"{p}/{q}", f"{k * p}/{k * q}", f"{p} / {q}", to_bengali_digits(f"{k * p}/{k * q}")]
    if value > 1 and value.denominator > 1:
        whole, rest = divmod(value.numerator, value.denominator)
        forms.append(f"{whole} {rest}/{value.denominator}")
    if (dec := _decimal(value)) is not None:
        forms += [dec, to_bengali_digits(dec), f"x = {dec}"]
    for reply in forms:
        assert check_answer(key, reply).verdict is OK, reply
    assert check_answer(key, f"{p + 1}/{q}").verdict is WRONG
    assert check_answer(key, f"{p}/{q + 1}").verdict is WRONG


@PROPS
@given(st.integers(1, 500), st.integers(2, 60), st.integers(2, 9))
def test_lowest_terms_form(p: int, q: int, k: int) -> None:
    value = Fraction(p, q)
    assume(value.denominator > 1)
    n, d = value.numerator, value.denominator
    key = AnswerKey(AnswerType.NUMERIC, f"{n}/{d}", form=AnswerForm.LOWEST_TERMS)
    assert check_answer(key, f"{n}/{d}").verdict is OK
    assert check_answer(key, to_bengali_digits(f"{n}/{d}")).verdict is OK
    unreduced = check_answer(key, f"{k * n}/{k * d}")
    assert (unreduced.verdict, unreduced.needs) == (Verdict.NEEDS_FORM, AnswerForm.LOWEST_TERMS)
    if (dec := _decimal(value)) is not None:
        assert check_answer(key, dec).verdict is Verdict.NEEDS_FORM
    assert check_answer(key, f"{n + 1}/{d}").verdict is WRONG


_EN_SMALL = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _english(n: int) -> str:
    if n < 20:
        return _EN_SMALL[n]
    if n < 100:
        tens, units = divmod(n, 10)
        return _EN_TENS[tens] + (f"-{_EN_SMALL[units]}" if units else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_EN_SMALL[hundreds]} hundred" + (f" and {_english(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    return f"{_english(thousands)} thousand" + (f" {_english(rest)}" if rest else "")


@PROPS
@given(st.integers(0, 99_999))
def test_english_number_words_read_exactly(n: int) -> None:
    key = AnswerKey(AnswerType.NUMERIC, str(n))
    assert check_answer(key, _english(n)).verdict is OK, _english(n)
    assert check_answer(key, _english(n + 1)).verdict is WRONG
    assert check_answer(key, f"{n:,}").verdict is OK


@PROPS
@given(st.integers(0, 99), st.integers(0, 9), st.integers(0, 99))
def test_bengali_number_words_read_exactly(n: int, hundreds: int, thousands: int) -> None:
    from problems.words import _BN_0_100

    key = AnswerKey(AnswerType.NUMERIC, str(n))
    assert check_answer(key, _BN_0_100[n]).verdict is OK
    assert check_answer(key, _BN_0_100[(n + 1) % 100]).verdict is WRONG
    value = thousands * 1000 + hundreds * 100 + n
    words = []
    if thousands:
        words += [_BN_0_100[thousands], "হাজার"]
    if hundreds:
        words += [_BN_0_100[hundreds] + "শো"]
    if n or not words:
        words += [_BN_0_100[n]]
    big = AnswerKey(AnswerType.NUMERIC, str(value))
    assert check_answer(big, " ".join(words)).verdict is OK, words


# --- expressions ------------------------------------------------------------------------

_VARS = st.sampled_from(["x", "y", "a", "p"])
_COEFF = st.integers(-9, 9).filter(lambda c: c != 0)


def _lin(v: str, c: int) -> str:
    return f"({v} {'+' if c > 0 else '−'} {abs(c)})"


@PROPS
@given(_VARS, _COEFF, _COEFF, _COEFF, st.randoms(use_true_random=False))
def test_expression_equivalent_forms_accepted_perturbed_not(
    v: str, a: int, b: int, delta: int, rnd: random.Random
) -> None:
    s, prod = a + b, a * b
    terms = [f"{v}^2"]
    if s:
        terms.append(f"{s}{v}")
    terms.append(str(prod))
    expanded = " + ".join(terms).replace("+ -", "- ")
    key = AnswerKey(AnswerType.EXPRESSION, expanded)
    shuffled = terms[:]
    rnd.shuffle(shuffled)
    forms = [
        expanded,
        " + ".join(shuffled).replace("+ -", "- "),
        f"{_lin(v, a)}{_lin(v, b)}",
        f"{_lin(v, b)} × {_lin(v, a)}",
        to_bengali_digits(f"{_lin(v, a)}{_lin(v, b)}"),
        expanded.replace("^2", "²").replace("-", "−"),
        expanded.upper(),
        f"{v}*{v} + {s}*{v} + {prod}".replace("+ -", "- "),
    ]
    for reply in forms:
        assert check_answer(key, reply).verdict is OK, reply
    wrong = " + ".join([*terms[:-1], str(prod + delta)]).replace("+ -", "- ")
    assert check_answer(key, wrong).verdict is WRONG, wrong
    assert check_answer(key, f"{_lin(v, a)}{_lin(v, -b)}").verdict is (OK if b == -b else WRONG)
    factored = AnswerKey(
        AnswerType.EXPRESSION, f"{_lin(v, a)}{_lin(v, b)}", form=AnswerForm.FACTORED
    )
    got = check_answer(factored, expanded)
    assert (got.verdict, got.needs) == (Verdict.NEEDS_FORM, AnswerForm.FACTORED)
    assert check_answer(factored, f"{_lin(v, b)}{_lin(v, a)}").verdict is OK
    expand = AnswerKey(AnswerType.EXPRESSION, expanded, form=AnswerForm.EXPANDED)
    got = check_answer(expand, f"{_lin(v, a)}{_lin(v, b)}")
    assert (got.verdict, got.needs) == (Verdict.NEEDS_FORM, AnswerForm.EXPANDED)


@PROPS
@given(st.text(alphabet="xyab0123456789+-*/^() ²³−×÷.", max_size=60))
def test_expression_parser_is_total_and_bounded(text: str) -> None:
    got = algebra.parse_or_reason(text)
    assert isinstance(got, algebra.Node | str)
    key = AnswerKey(AnswerType.EXPRESSION, "x^2 + 1")
    result = grading._grade(key, text)
    assert (result.normalized == "") == (result.verdict is Verdict.UNREADABLE)


@pytest.mark.parametrize(
    "text",
    ["2^99999999", "9^9^9", "(x+1)^999", "x^31", "((((((((((((x))))))))))))", "1" * 50, "x" * 200],
)
def test_expression_size_limits(text: str) -> None:
    assert isinstance(algebra.parse_or_reason(text), str)


def test_adversarial_expressions_stay_fast() -> None:
    import time

    key = AnswerKey(AnswerType.EXPRESSION, "(a+b+c+d)^30", form=AnswerForm.EXPANDED)
    started = time.process_time()
    for reply in ["(d+c+b+a)^30", "(a+b+c+d)^29(a+b+c+d)", "(a+b+c+d+x+y)^30"]:
        check_answer(key, reply)
    assert time.process_time() - started < 5


# --- ratios and times -------------------------------------------------------------------


@PROPS
@given(st.integers(1, 30), st.integers(1, 30), st.integers(2, 12))
def test_ratio_equivalents(a: int, b: int, k: int) -> None:
    assume(a != b)
    key = AnswerKey(AnswerType.RATIO, f"{a}:{b}")
    for reply in (
        f"{a}:{b}",
        f"{a} : {b}",
        f"{a * k}:{b * k}",
        to_bengali_digits(f"{a}:{b}"),
        f"{a} to {b}",
        f"{a}ঃ{b}",
    ):
        assert check_answer(key, reply).verdict is OK, reply
    assert check_answer(key, f"{b}:{a}").verdict is WRONG
    assert check_answer(key, f"{a}.{b}").verdict is Verdict.UNREADABLE
    assert check_answer(key, f"{a}/{b}").verdict is Verdict.UNREADABLE


@PROPS
@given(st.integers(1, 11), st.integers(0, 59), st.integers(1, 30))
def test_time_forms(h: int, m: int, delta: int) -> None:
    key = AnswerKey(AnswerType.TIME, f"{h}:{m:02d}")
    for reply in (
        f"{h}:{m:02d}",
        f"{h:02d}:{m:02d}",
        f"{h}.{m:02d}",
        to_bengali_digits(f"{h}:{m:02d}"),
        f"{h * 60 + m} minutes",
        f"{h} hours {m} minutes",
    ):
        assert check_answer(key, reply).verdict is OK, reply
    other = (m + delta) % 60
    assume(other != m)
    assert check_answer(key, f"{h}:{other:02d}").verdict is WRONG
    assert check_answer(key, f"{h}/{m or 30}").verdict is Verdict.UNREADABLE


# --- text: the same answer is judged the same everywhere --------------------------------


@pytest.mark.parametrize("group", TERM_GROUPS, ids=[g[0] for g in TERM_GROUPS])
def test_synonyms_accepted_and_other_terms_never(group: tuple[str, ...]) -> None:
    key = AnswerKey(AnswerType.TEXT, group[0])
    for synonym in group:
        assert check_answer(key, synonym).verdict is OK, synonym
    for other in TERM_GROUPS:
        if other is group:
            continue
        for term in other:
            if len(term) > 1:
                assert check_answer(key, term).verdict is not OK, (group[0], term)


@PROPS
@given(
    st.sampled_from([g for g in TERM_GROUPS if len(g[0]) >= 8 and g[0].isalpha()]),
    st.integers(1, 40),
    st.sampled_from("aeiou"),
)
def test_one_slip_in_a_long_word_is_forgiven(group: tuple[str, ...], at: int, ch: str) -> None:
    word = group[0]
    i = 1 + at % (len(word) - 1)
    slip = word[:i] + ch + word[i + 1 :]
    key = AnswerKey(AnswerType.TEXT, word)
    got = check_answer(key, slip).verdict
    # forgiven unless the slip happens to spell (or come closer to) another known term
    assert got is OK or "different term" in check_answer(key, slip).reason


# --- the shipped bank --------------------------------------------------------------------


def _bank_keys() -> list[tuple[str, AnswerKey]]:
    parsed = parse_banks([sample_bank_dir()])
    out = []
    for problem in parsed.problems:
        spec = problem.spec
        if spec.is_template:
            from problems.templates import instantiate

            for seed in (0, 1, 7):
                try:
                    out.append((f"{spec.id}#{seed}", instantiate(spec, seed).answer_key()))
                except Exception:
                    continue
        else:
            out.append((spec.id, spec.answer_key()))
    return out


def test_bank_answers_and_their_variants_are_accepted() -> None:
    keys = _bank_keys()
    assert len(keys) >= 100
    for name, key in keys:
        assert key_issues(key) == [], name
        for written in dict.fromkeys((key.answer, to_bengali_digits(key.answer), *key.accept)):
            probe = written
            if key.answer_type is AnswerType.MULTIPLE_CHOICE and written not in key.options_en:
                continue
            assert check_answer(key, probe).verdict is OK, (name, probe)
        for rejected in key.reject:
            assert check_answer(key, rejected).verdict is not OK, (name, rejected)
        if key.answer_type is AnswerType.MULTIPLE_CHOICE:
            for option in key.options_en:
                if option != key.answer:
                    assert check_answer(key, option).verdict is not OK, (name, option)
        for lang in ("en", "bn"):
            assert example_answer(key, lang)


# --- totality -----------------------------------------------------------------------------

_ALL_KEYS = [
    AnswerKey(AnswerType.NUMERIC, "3/4", form=AnswerForm.LOWEST_TERMS),
    AnswerKey(AnswerType.NUMERIC, "0.50", form=AnswerForm.DECIMAL, places=2),
    AnswerKey(AnswerType.NUMERIC, "25%", form=AnswerForm.PERCENT, reject=("52%",)),
    AnswerKey(AnswerType.EXPRESSION, "(x − 3)(x − 4)", form=AnswerForm.FACTORED),
    AnswerKey(AnswerType.EXPRESSION, "a² + 2ab + b²", form=AnswerForm.EXPANDED),
    AnswerKey(AnswerType.RATIO, "2:3", form=AnswerForm.LOWEST_TERMS),
    AnswerKey(AnswerType.TIME, "1:30"),
    AnswerKey(AnswerType.TEXT, "isosceles", accept=("সমদ্বিবাহু",), reject=("equilateral",)),
    AnswerKey(AnswerType.MULTIPLE_CHOICE, "x + 7", ("7x", "x + 7", "x − 7", "7 − x")),
]
_REPLIES = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="0123456789০১২৩৪৫৬৭৮৯.,/:%-+^*()xab ²³−×÷ঃ", max_size=60),
    st.lists(
        st.sampled_from(
            [
                "one",
                "two",
                "twenty",
                "hundred",
                "thousand",
                "lakh",
                "half",
                "and",
                "a",
                "point",
                "by",
                "minus",
                "percent",
                "এক",
                "দুই",
                "সাড়ে",
                "দেড়",
                "হাজার",
                "লাখ",
                "শো",
                "টা",
                "মিনিট",
                "ঘণ্টা",
                "to",
                "is",
                "not",
                "or",
                "the",
                "answer",
                "5",
                "৫",
                "1:30",
                "x",
                "+",
                "(",
                ")",
                "isoceles",
                "সমবাহু",
            ]
        ),
        max_size=8,
    ).map(" ".join),
)


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(_ALL_KEYS), _REPLIES)
def test_grading_is_total_without_the_safety_net(key: AnswerKey, reply: str) -> None:
    result = grading._grade(key, reply)  # unguarded: a hidden exception would fail here
    assert (result.normalized == "") == (result.verdict is Verdict.UNREADABLE)
    assert (result.needs is not None) == (result.verdict is Verdict.NEEDS_FORM)
    assert result.reason
    assert isinstance(grading._reveals(key, reply), bool)
