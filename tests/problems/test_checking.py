"""Tests for the pure answer checker (problems.checking)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from problems.checking import (
    CheckResult,
    Verdict,
    check_answer,
    grading,
    hint_reveals_answer,
    parse_number,
    to_bengali_digits,
)
from problems.types import AnswerKey, AnswerType

OK, WRONG, UNREAD = Verdict.CORRECT, Verdict.INCORRECT, Verdict.UNREADABLE
PROPS = settings(max_examples=1000, deadline=None)


def num(answer: str, tolerance: str | None = None, accept: tuple[str, ...] = ()) -> AnswerKey:
    tol = None if tolerance is None else Decimal(tolerance)
    return AnswerKey(AnswerType.NUMERIC, answer, tolerance=tol, accept=accept)


def text(answer: str, accept: tuple[str, ...] = ()) -> AnswerKey:
    return AnswerKey(AnswerType.TEXT, answer, accept=accept)


SIDES = AnswerKey(
    AnswerType.MULTIPLE_CHOICE,
    "12 cm",
    options_en=("10 cm", "12 cm", "14 cm", "16 cm"),
    options_bn=("১০ সেমি", "১২ সেমি", "১৪ সেমি", "১৬ সেমি"),
)
SHAPES = AnswerKey(
    AnswerType.MULTIPLE_CHOICE,
    "Triangle",
    options_en=("Square", "Triangle", "Circle"),
    options_bn=("বর্গ", "ত্রিভুজ", "বৃত্ত"),
)
SIGNED = AnswerKey(AnswerType.MULTIPLE_CHOICE, "-5", options_en=("5", "-5", "0.5", "50%"))


# --- numeric ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "raw", "normalized"),
    [
        ("12", "12", "12"),
        ("12", "১২", "12"),
        ("12", "12 cm", "12"),
        ("12", "১২ সেমি", "12"),
        ("12", "answer is 12", "12"),
        ("12", "x = 12", "12"),
        ("12", "x=১২", "12"),
        ("12", "৳ 12", "12"),
        ("12", "Tk 12", "12"),
        ("12", "Tk.12", "12"),
        ("12", "12 টাকা", "12"),
        ("12", "  12.  ", "12"),
        ("12", "12.0", "12"),
        ("12", "১২।", "12"),
        # issue 19: number words are read ("twelve" and "বারো" used to be unreadable)
        ("12", "twelve", "12"),
        ("12", "বারো", "12"),
        ("3/4", "3/4", "0.75"),
        ("3/4", "৩/৪", "0.75"),
        ("3/4", "3 / 4", "0.75"),
        ("3/4", "0.75", "0.75"),
        ("3/4", "৩ ÷ ৪", "0.75"),
        ("1.5", "1 1/2", "1.5"),
        ("1.5", "১ ১/২", "1.5"),
        ("1.5", "1½", "1.5"),
        ("3/2", "1 1/2", "1.5"),
        ("-1.5", "-1 1/2", "-1.5"),
        ("-5", "-5", "-5"),
        ("-5", "-৫", "-5"),
        ("-5", "−5", "-5"),
        ("-5", "– 5", "-5"),
        ("-5", "x = -5", "-5"),
        ("0.5", ".5", "0.5"),
        ("0.5", "০.৫", "0.5"),
        ("1000", "1,000", "1000"),
        ("12345.5", "12,345.5", "12345.5"),
        ("12345.5", "১২,৩৪৫.৫", "12345.5"),
        ("100000", "1,00,000", "100000"),
        ("1234567", "12,34,567", "1234567"),
        ("1/3", "1/3", "1/3"),
        ("1/3", "2/6", "1/3"),
        ("1/2", "2/4", "0.5"),
        ("1/2", "0.5", "0.5"),
        ("0.5", "1/2", "0.5"),
    ],
)
def test_numeric_correct(answer: str, raw: str, normalized: str) -> None:
    assert check_answer(num(answer), raw) == CheckResult(OK, normalized)


@pytest.mark.parametrize(
    ("answer", "raw", "verdict", "normalized"),
    [
        ("50%", "50%", OK, "50%"),
        ("50%", "৫০%", OK, "50%"),
        ("50%", "50 %", OK, "50%"),
        ("50%", "50 percent", OK, "50%"),
        ("50%", "৫০ শতাংশ", OK, "50%"),
        ("50%", "শতকরা ৫০", OK, "50%"),
        ("50%", "50", OK, "50"),
        ("50%", "0.5", OK, "0.5"),
        ("50%", "1/2", OK, "0.5"),
        ("50%", "40%", WRONG, "40%"),
        ("50%", "0.4", WRONG, "0.4"),
        ("1/2", "50%", OK, "50%"),
        ("0.5", "৫০%", OK, "50%"),
        ("1/2", "50", WRONG, "50"),
        ("25", "25%", WRONG, "25%"),
    ],
)
def test_numeric_percentages(answer: str, raw: str, verdict: Verdict, normalized: str) -> None:
    assert check_answer(num(answer), raw) == CheckResult(verdict, normalized)


@pytest.mark.parametrize(
    ("answer", "raw", "normalized"),
    [
        ("12", "13", "13"),
        ("12", "-12", "-12"),
        ("12", "12,000", "12000"),
        ("3/4", "4/3", "4/3"),
        ("1.5", "1 1/3", "4/3"),
        ("-5", "5", "5"),
    ],
)
def test_numeric_incorrect(answer: str, raw: str, normalized: str) -> None:
    assert check_answer(num(answer), raw) == CheckResult(WRONG, normalized)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "१२",  # Devanagari
        "١٢",  # Arabic-Indic
        "۱۲",  # Extended Arabic-Indic (Persian)
        "１２",  # fullwidth
        "๑๒",  # Thai
        "12²",
        "1/0",
        "১/০",
        "5 1/0",
        "3 or 4",
        "2 and 5",
        "৩ অথবা ৪",
        "1,5",
        "1,2,3",
        "2x = 10",
        "5 - 3",
        "1.2.3",
        "1" * 201,
        "12 " + "a" * 300,
    ],
)
def test_numeric_unreadable(raw: str) -> None:
    assert check_answer(num("12"), raw) == CheckResult(UNREAD, "")


def test_same_number_twice_is_not_ambiguous() -> None:
    assert check_answer(num("5"), "x = 5, so 5").verdict == OK
    assert check_answer(num("2"), "12 ÷ 6 = 2").verdict == OK


def test_tolerance_edges() -> None:
    key = num("3.14", tolerance="0.01")
    assert check_answer(key, "3.14").verdict == OK
    assert check_answer(key, "3.15").verdict == OK
    assert check_answer(key, "3.13").verdict == OK
    assert check_answer(key, "৩.১৫").verdict == OK
    assert check_answer(key, "3.1501").verdict == WRONG
    assert check_answer(key, "3.1299").verdict == WRONG
    assert check_answer(num("3.14"), "3.15").verdict == WRONG


def test_tolerance_on_percentage_is_in_percentage_points() -> None:
    key = num("50%", tolerance="1")
    assert check_answer(key, "51%").verdict == OK
    assert check_answer(key, "0.51").verdict == OK
    assert check_answer(key, "52%").verdict == WRONG


def test_broken_tolerance_grades_exactly() -> None:
    for bad in ("NaN", "Infinity", "-Infinity"):
        key = AnswerKey(AnswerType.NUMERIC, "7", tolerance=Decimal(bad))
        assert check_answer(key, "7").verdict == OK
        assert check_answer(key, "8").verdict == WRONG


def test_numeric_accept_alternatives() -> None:
    key = num("3/4", accept=("0.8",))
    assert check_answer(key, "0.8").verdict == OK
    assert check_answer(key, "0.7").verdict == WRONG


def test_unparseable_bank_answer_falls_back_to_text() -> None:
    key = num("n/a")
    assert check_answer(key, "5").verdict == WRONG
    assert check_answer(key, "n/a").verdict == UNREAD


def test_parse_number() -> None:
    assert parse_number("১ ১/২") == Fraction(3, 2)
    assert parse_number("৫০%") == Fraction(1, 2)
    assert parse_number("-3/4") == Fraction(-3, 4)
    assert parse_number("3 or 4") is None
    assert parse_number("1/0") is None
    assert parse_number("१२") is None
    assert parse_number("") is None


def test_to_bengali_digits() -> None:
    assert to_bengali_digits("12.5") == "১২.৫"
    assert to_bengali_digits("-3/4 cm") == "-৩/৪ cm"
    assert to_bengali_digits("১২") == "১২"
    assert to_bengali_digits("") == ""


# --- multiple choice --------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "B",
        "b",
        "(b)",
        "B)",
        "b.",
        "option B",
        "Option (b)",
        "the answer is B",
        "খ",
        "(খ)",
        "উত্তর: খ",
        "12 cm",
        "12cm",
        "12",
        "১২",
        "১২ সেমি",
        "B) 12 cm",
    ],
)
def test_choice_correct(raw: str) -> None:
    assert check_answer(SIDES, raw) == CheckResult(OK, "B")


@pytest.mark.parametrize(
    ("raw", "letter"),
    [("A", "A"), ("ক", "A"), ("d", "D"), ("ঘ", "D"), ("14", "C"), ("১৪ সেমি", "C")],
)
def test_choice_incorrect(raw: str, letter: str) -> None:
    assert check_answer(SIDES, raw) == CheckResult(WRONG, letter)


@pytest.mark.parametrize(
    "raw",
    ["", "  ", "E", "13", "2", "maybe", "B) 14 cm", "?"],
)
def test_choice_unreadable(raw: str) -> None:
    # "2" is not "the second option" here because the options are themselves numbers.
    assert check_answer(SIDES, raw) == CheckResult(UNREAD, "")


@pytest.mark.parametrize(
    ("raw", "verdict", "letter"),
    [
        ("Triangle", OK, "B"),
        ("  TRIANGLE. ", OK, "B"),
        ("ত্রিভুজ", OK, "B"),
        ("ত্রিভুজ।", OK, "B"),
        ("2", OK, "B"),
        ("২", OK, "B"),
        ("option 2", OK, "B"),
        ("square", WRONG, "A"),
        ("বৃত্ত", WRONG, "C"),
        ("3", WRONG, "C"),
        ("গ", WRONG, "C"),
        ("D", UNREAD, ""),
        ("ঘ", UNREAD, ""),
        ("4", UNREAD, ""),
        ("hexagon", UNREAD, ""),
    ],
)
def test_choice_text_options(raw: str, verdict: Verdict, letter: str) -> None:
    assert check_answer(SHAPES, raw) == CheckResult(verdict, letter)


@pytest.mark.parametrize(
    ("raw", "verdict", "letter"),
    [
        ("-5", OK, "B"),
        ("−৫", OK, "B"),
        ("5", WRONG, "A"),
        ("50%", WRONG, "D"),
        ("1/2", UNREAD, ""),  # equals both 0.5 and 50%
    ],
)
def test_choice_numeric_options(raw: str, verdict: Verdict, letter: str) -> None:
    assert check_answer(SIGNED, raw) == CheckResult(verdict, letter)


def test_choice_with_answer_missing_from_options_never_correct() -> None:
    key = AnswerKey(AnswerType.MULTIPLE_CHOICE, "7", options_en=("1", "2"))
    assert check_answer(key, "A") == CheckResult(WRONG, "A")
    empty = AnswerKey(AnswerType.MULTIPLE_CHOICE, "7")
    assert check_answer(empty, "A") == CheckResult(UNREAD, "")


# --- text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "verdict", "normalized"),
    [
        ("prime", OK, "prime"),
        ("  PRIME!! ", OK, "prime"),
        ("“Prime”", OK, "prime"),
        ("a prime number", OK, "a prime number"),
        ("A   prime-number.", OK, "a prime number"),
        ("মৌলিক", OK, "মৌলিক"),
        ("মৌলিক।", OK, "মৌলিক"),
        ("composite", WRONG, "composite"),
        ("", UNREAD, ""),
        ("?!।", UNREAD, ""),
    ],
)
def test_text(raw: str, verdict: Verdict, normalized: str) -> None:
    key = text("Prime", accept=("a prime number", "মৌলিক"))
    assert check_answer(key, raw) == CheckResult(verdict, normalized)


def test_text_nfc_and_zero_width() -> None:
    key = text("কোণ")
    decomposed = "ক" + "\u09c7\u09be" + "ণ"  # ে + া instead of the precomposed ো
    assert check_answer(key, decomposed).verdict == OK
    assert check_answer(key, "কো\u200cণ").verdict == OK
    assert check_answer(text("don't know"), "dont know").verdict == OK


# --- hints ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "hint", "reveals"),
    [
        (num("12"), "Multiply 3 by 4 to get 12.", True),
        (num("12"), "৩ কে ৪ দিয়ে গুণ করলে ১২ হয়।", True),
        (num("12"), "Multiply 3 by 4.", False),
        (num("12"), "Think about 120 apples.", False),
        (num("3/4"), "It is ৩/৪ of the cake", True),
        (num("3/4"), "It is 0.75", True),
        (num("3/4"), "75% of it", True),
        (num("0.75"), "Divide 3 by 4.", False),
        (num("1.5"), "Take 1 1/2 cups", True),
        (num("50%"), "Half, that is 1/2, of the class", True),
        (num("50%"), "Think of 0.5", True),
        (num("50%"), "৫০ জন", True),
        (num("50%"), "One quarter is 25%", False),
        (num("-3"), "x = −3", True),
        (num("3"), "5 - 3", True),
        (num("3.14", "0.01"), "about 3.15", True),
        (num("3.14", "0.01"), "about 3.16", False),
        (SIDES, "The side is 12 cm long", True),
        (SIDES, "বাহুটি ১২ সেমি", True),
        (SIDES, "Add 10 and 2", False),
        (SHAPES, "It is a triangle.", True),
        (SHAPES, "এটি একটি ত্রিভুজ।", True),
        (SHAPES, "The answer is B", True),
        (SHAPES, "Count the corners: 3 of them", False),
        (SHAPES, "Triangles have three sides", False),
        (text("prime", ("a prime number",)), "Seven is PRIME!", True),
        (text("prime"), "Think about primes", False),
        (text("মৌলিক"), "সংখ্যাটি মৌলিক।", True),
        (text(""), "anything", False),
    ],
)
def test_hint_reveals_answer(key: AnswerKey, hint: str, reveals: bool) -> None:
    assert hint_reveals_answer(key, hint) is reveals


# --- properties -------------------------------------------------------------------------

_units = st.sampled_from(["", " cm", " সেমি", " টাকা", "x = ", "answer is "])


@st.composite
def number_texts(draw: st.DrawFn) -> str:
    """A number as a student might type it, in Latin digits."""
    sign = draw(st.sampled_from(["", "-", "−"]))
    whole = draw(st.integers(0, 10**6))
    kind = draw(st.sampled_from(["int", "decimal", "fraction", "mixed", "grouped", "percent"]))
    if kind == "decimal":
        body = f"{whole}.{draw(st.integers(0, 10**4))}"
    elif kind == "fraction":
        body = f"{whole}/{draw(st.integers(0, 999))}"
    elif kind == "mixed":
        den = draw(st.integers(2, 99))
        body = f"{whole} {draw(st.integers(1, den - 1))}/{den}"
    elif kind == "grouped":
        body = f"{whole:,}"
    elif kind == "percent":
        body = f"{whole}%"
    else:
        body = str(whole)
    unit = draw(_units)
    return f"{unit}{sign}{body}" if unit.endswith(" ") else f"{sign}{body}{unit}"


@PROPS
@given(number_texts(), number_texts(), st.booleans(), st.sampled_from([None, "0", "0.5"]))
def test_bengali_digits_grade_like_latin(
    raw: str, other: str, same: bool, tolerance: str | None
) -> None:
    answer = raw if same else other
    key = num(answer, tolerance)
    assert check_answer(key, to_bengali_digits(raw)) == check_answer(key, raw)
    if same and check_answer(key, raw).verdict != UNREAD:
        assert check_answer(key, raw).verdict == OK


def _finite_decimal(p: int, q: int) -> str | None:
    value = Fraction(p, q)
    for places in range(12):
        scaled = value * 10**places
        if scaled.denominator == 1:
            digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
            body = digits if places == 0 else f"{digits[:-places]}.{digits[-places:]}"
            return ("-" if value < 0 else "") + body
    return None


@PROPS
@given(st.integers(-1000, 1000), st.integers(1, 1000), st.integers(1, 50))
def test_equivalent_fractions_and_decimals_agree(p: int, q: int, k: int) -> None:
    key = num(f"{p}/{q}")
    for raw in (f"{p}/{q}", f"{k * p}/{k * q}", to_bengali_digits(f"{k * p}/{k * q}")):
        assert check_answer(key, raw).verdict == OK, raw
    decimal = _finite_decimal(p, q)
    if decimal is not None:
        assert check_answer(key, decimal).verdict == OK, decimal
        padded = decimal + "0" if "." in decimal else decimal + ".00"
        assert check_answer(key, padded).verdict == OK, padded
    assert check_answer(key, f"{p + 1}/{q}").verdict == WRONG


_KEYS = [
    num("12"),
    num("3/4", "0.01"),
    num("50%"),
    num("-1 1/2", accept=("-1.5",)),
    SIDES,
    SHAPES,
    SIGNED,
    text("prime", ("a prime number", "মৌলিক")),
    AnswerKey(AnswerType.MULTIPLE_CHOICE, "?"),
    AnswerKey(AnswerType.NUMERIC, "", tolerance=Decimal("NaN")),
]
_any_text = st.one_of(
    st.text(),
    st.text(max_size=2000),
    st.text(alphabet="0123456789০১২৩৪৫৬৭৮৯.,/%- ", max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=150, max_size=400),
)


@PROPS
@given(st.sampled_from(_KEYS), _any_text)
def test_check_answer_never_raises(key: AnswerKey, raw: str) -> None:
    # The unguarded grader is exercised too, so the safety net cannot hide a real bug.
    result = grading._grade(key, raw)
    assert isinstance(result, CheckResult)
    assert result.verdict in set(Verdict)
    assert (result.normalized == "") == (result.verdict == UNREAD)
    assert check_answer(key, raw) == result


@PROPS
@given(st.sampled_from(_KEYS), _any_text)
def test_hint_reveals_answer_never_raises(key: AnswerKey, hint: str) -> None:
    assert isinstance(grading._reveals(key, hint), bool)
    assert isinstance(hint_reveals_answer(key, hint), bool)


def test_very_long_inputs() -> None:
    long_digits = "9" * 100_000
    assert check_answer(num("12"), long_digits) == CheckResult(UNREAD, "")
    assert check_answer(text("prime"), "prime " * 20_000).verdict == WRONG
    assert hint_reveals_answer(num("12"), long_digits + " 12") is True
    assert hint_reveals_answer(num("12"), "x " * 50_000) is False
