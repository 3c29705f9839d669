"""The rule-based answer checker: grades a student's reply against a bank answer key.

Pure and total: no I/O, and no input string ever makes it raise.  The four verdicts:

* ``CORRECT`` - the reply is the answer (or equivalent to it, in an allowed form);
* ``INCORRECT`` - the reply is readable and is not the answer;
* ``NEEDS_FORM`` - the right value in the wrong shape (``18/24`` when lowest terms are
  asked, ``(x+2)(x+3)`` when the expanded form is asked): the student is told what to
  change and asked again; it is never counted wrong;
* ``UNREADABLE`` - the checker cannot read the reply confidently (``4 . 4``, ``maybe
  2djkajdajk``, ``2.3`` for a ratio): the bot asks again with an example of the expected
  form (:func:`example_answer`), because marking a child wrong for our own parsing failure
  is the worse mistake.  Unreadable is never incorrect.

Every result carries a short English ``reason`` for operators (``dars problems check``).
:func:`key_issues` lists what is wrong with an answer key itself, for the bank loader.
See docs/answers.md for every answer type and form.
"""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import lru_cache

from problems import algebra
from problems.numbers import (
    MAX_ANSWER_CHARS,
    Num,
    canonical,
    numbers_in,
    parse_num,
    parse_number,
    to_bengali_digits,
)
from problems.ratiotime import (
    Clock,
    Ratio,
    parse_ratio,
    parse_time,
    ratio_equivalent,
    ratio_identical,
    times_match,
)
from problems.textmatch import (
    NEGATIONS,
    bn_fold,
    close_enough,
    fold_phrase,
    lexicon_terms,
    norm_words,
    strip_fillers,
)
from problems.types import AnswerForm, AnswerKey, AnswerType
from problems.words import has_number_words, parse_number_words, split_words, tokens_of

__all__ = [
    "FORMS_BY_TYPE",
    "CheckResult",
    "Verdict",
    "check_answer",
    "example_answer",
    "hint_reveals_answer",
    "key_issues",
    "parse_number",
    "to_bengali_digits",
    "warm_key",
]


class Verdict(enum.StrEnum):
    """How the student's reply was graded; UNREADABLE and NEEDS_FORM mean "ask again"."""

    CORRECT = "correct"
    INCORRECT = "incorrect"
    UNREADABLE = "unreadable"
    NEEDS_FORM = "needs_form"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The grade for one reply, with the reply in canonical form for feedback and logs.

    ``reason`` is a short English explanation for operators; it takes no part in equality.
    ``needs`` is the form the student must change to when the verdict is NEEDS_FORM.
    """

    verdict: Verdict
    # The student's answer normalised ("0.5", "50%", "B", "photosynthesis"); "" if unreadable.
    normalized: str
    reason: str = field(default="", compare=False)
    needs: AnswerForm | None = None


#: The forms each answer type may ask for.
FORMS_BY_TYPE: dict[AnswerType, frozenset[AnswerForm]] = {
    AnswerType.NUMERIC: frozenset(
        {
            AnswerForm.LOWEST_TERMS,
            AnswerForm.FRACTION,
            AnswerForm.MIXED,
            AnswerForm.DECIMAL,
            AnswerForm.INTEGER,
            AnswerForm.PERCENT,
        }
    ),
    AnswerType.EXPRESSION: frozenset(
        {AnswerForm.EXPANDED, AnswerForm.FACTORED, AnswerForm.SIMPLIFIED}
    ),
    AnswerType.RATIO: frozenset({AnswerForm.LOWEST_TERMS}),
    AnswerType.TIME: frozenset(),
    AnswerType.TEXT: frozenset(),
    AnswerType.MULTIPLE_CHOICE: frozenset(),
}


def _unreadable(reason: str) -> CheckResult:
    return CheckResult(Verdict.UNREADABLE, "", reason)


_LETTERS_EN = "abcd"
_LETTERS_BN = "কখগঘ"
_BENGALI_TO_LATIN = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")
# Dropped outright rather than turned into a space, so "don't" and "dont" agree.
_APOSTROPHES = frozenset("'’ʼ`´")
# Stripped from the ends only: inner punctuation can matter in an option ("-5", "3/4").
_LEAD_STRIP = "\"'“”‘’«»([{ \t\r\n"
_TRAIL_STRIP = ".,;:!?।॥\"'“”‘’«»)]} \t\r\n"

_LETTER_PREFIX = (
    r"(?:(?:the\s+)?(?:correct\s+)?(?:option|choice|answer|ans|উত্তর|বিকল্প)"
    r"(?:\s+is)?\s*[:=\-]?\s*)?"
)
_LETTER_ONLY = re.compile(
    rf"{_LETTER_PREFIX}[(\[]?\s*(?P<l>[{_LETTERS_EN}{_LETTERS_BN}])\s*[)\]]?\s*[.:।]?"
)
_LETTER_THEN_TEXT = re.compile(
    rf"{_LETTER_PREFIX}[(\[]?(?P<l>[{_LETTERS_EN}{_LETTERS_BN}])(?:[)\]]|[.:]\s)\s*(?P<rest>.+)",
    re.DOTALL,
)
_HINT_LETTER = (
    r"(?:option|choice|answer\s+is|answer\s*:|উত্তর|বিকল্প)\s*[:\-]?\s*[(\[]?\s*{letter}(?!\w)"
)
# Words around an answer that keep the letters of an expression intact (no articles).
_PHRASE_PREFIX = re.compile(
    r"^(?:(?:i\s+think|i\s+guess|maybe|so|ok|okay)\s*,?\s*)?"
    r"(?:(?:the\s+)?(?:correct\s+)?(?:answer|ans)(?:\s+is|\s+will\s+be)?|my\s+answer\s+is|"
    r"it\s+is|it'?s|its|উত্তর(?:\s*(?:হলো|হল|হবে|হচ্ছে))?|আমার\s+উত্তর)\s*[:=\-]?\s+"
    r"|^(?:i\s+think|i\s+guess|maybe)\s*,?\s+"
)


def check_answer(key: AnswerKey, raw: str) -> CheckResult:
    """Grade the student's reply: correct, incorrect, needs another form, or unreadable."""
    try:
        return _grade(key, raw)
    except Exception:  # a grading bug must never crash the student's chat
        return _unreadable("internal error while reading the answer")


def hint_reveals_answer(key: AnswerKey, text: str) -> bool:
    """Say whether a hint or explanation would give the student the answer outright."""
    try:
        return _reveals(key, text)
    except Exception:  # when unsure, treat the hint as unsafe to show
        return True


def _grade(key: AnswerKey, raw: str) -> CheckResult:
    if len(raw) > 4 * MAX_ANSWER_CHARS and key.answer_type is not AnswerType.TEXT:
        return _unreadable("too long to be an answer")
    kind = key.answer_type
    if kind == AnswerType.NUMERIC:
        return _check_numeric(key, raw)
    if kind == AnswerType.MULTIPLE_CHOICE:
        return _check_choice(key, raw)
    if kind == AnswerType.EXPRESSION:
        return _check_expression(key, raw)
    if kind == AnswerType.RATIO:
        return _check_ratio(key, raw)
    if kind == AnswerType.TIME:
        return _check_time(key, raw)
    return _check_text(key, raw)


def _reveals(key: AnswerKey, text: str) -> bool:
    kind = key.answer_type
    if kind == AnswerType.NUMERIC:
        return _numeric_revealed(key, text)
    if kind == AnswerType.MULTIPLE_CHOICE:
        return _choice_revealed(key, text)
    if kind == AnswerType.EXPRESSION:
        return _expression_revealed(key, text)
    if kind == AnswerType.RATIO:
        return _ratio_revealed(key, text)
    if kind == AnswerType.TIME:
        return _time_revealed(key, text)
    return _phrase_revealed(_text_targets(key), text)


# --- shared normalisation ---------------------------------------------------------------


def _norm_text(s: str) -> str:
    """NFC, casefolded, Latin digits, punctuation gone, whitespace collapsed."""
    s = unicodedata.normalize("NFC", s).translate(_BENGALI_TO_LATIN)
    s = unicodedata.normalize("NFC", s.casefold())
    out: list[str] = []
    for ch in s:
        if ch in _APOSTROPHES:
            continue
        cat = unicodedata.category(ch)
        if cat == "Cf":
            # ZWJ/ZWNJ appear or not depending on the Bengali keyboard used.
            continue
        out.append(" " if cat.startswith("P") else ch)
    return " ".join("".join(out).split())


def _light(s: str) -> str:
    """Like _norm_text but keeps inner punctuation, for exact option-text matches."""
    s = unicodedata.normalize("NFC", s).translate(_BENGALI_TO_LATIN)
    s = unicodedata.normalize("NFC", s.casefold())
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Cf")
    s = " ".join(s.split())
    return s.lstrip(_LEAD_STRIP).rstrip(_TRAIL_STRIP)


def _strip_phrase(raw: str) -> str:
    """The reply without "the answer is" / "I think it's" / "উত্তর" around it."""
    s = " ".join(unicodedata.normalize("NFC", raw).split())
    for _ in range(3):
        s2 = _PHRASE_PREFIX.sub("", s.casefold()) if _PHRASE_PREFIX.match(s.casefold()) else s
        if s2 == s or not s2:
            break
        s = s2
    return s.strip().rstrip(".,;!?।").strip()


# Superscript powers and vulgar fractions are read (as ^n and n/d), not refused.
_NOT_FOREIGN = frozenset("⁰¹²³⁴⁵⁶⁷⁸⁹½¼¾⅓⅔⅛⅜⅝⅞⅕⅖⅗⅘⅙⅚")


def _foreign_digits(s: str) -> bool:
    s = unicodedata.normalize("NFC", s).translate(_BENGALI_TO_LATIN)
    return any(
        not ch.isascii() and unicodedata.numeric(ch, None) is not None and ch not in _NOT_FOREIGN
        for ch in s
    )


def _negated(words: Iterable[str]) -> bool:
    """A negation or a choice between answers ("not 5", "5 or 6", "৫ নয়")."""
    return any(bn_fold(w) in NEGATIONS for w in words if len(w) > 1 or not w.isascii())


def _tolerance(key: AnswerKey) -> Fraction:
    if key.tolerance is None:
        return Fraction(0)
    try:
        return abs(Fraction(key.tolerance))
    except (ValueError, OverflowError, TypeError):
        # NaN/Infinity in a bank file is a bank bug; grade exactly rather than accept all.
        return Fraction(0)


def _close(a: Fraction, b: Fraction, tol: Fraction) -> bool:
    return abs(a - b) <= tol


def _num_matches(answer: Num, student: Num, tol: Fraction) -> bool:
    """Whether the student's number is the answer, under the percentage conventions."""
    if answer.percent:
        # Against "50%" accept "50%", the bare "50", and the fraction of the whole 0.5.
        if student.percent:
            return _close(student.value, answer.value, tol)
        return _close(student.value, answer.value, tol) or _close(
            student.value * 100, answer.value, tol
        )
    return _close(student.of_whole, answer.value, tol)


# --- reading one number (digits or words) ------------------------------------------------

_WORD_STRIP = ".,;:!?।()[]\"'“”‘’«»"
_RUN_FILLERS = {"a", "and", "by", "per", "cent", "point", "bnpart"}


def _prepared_words(raw: str) -> list[str]:
    s = unicodedata.normalize("NFC", raw).translate(_BENGALI_TO_LATIN)
    s = unicodedata.normalize("NFC", s.casefold())
    for ch in _APOSTROPHES:
        s = s.replace(ch, "")
    words = []
    for w in split_words(s):
        w = w.strip(_WORD_STRIP)
        if w:
            words.append(bn_fold(w))
    return words


def _word_number(words: list[str]) -> tuple[Num | None, str] | None:
    """A number spelt in words, if the reply has number words; None if it has none."""
    toks = tokens_of(words)
    spoken = any(t and t[0][0] in ("minus", "by", "point") for t in toks)
    if not has_number_words(words) and not spoken:
        return None
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        if toks[i] is None:
            i += 1
            continue
        j = i
        while j < len(words) and toks[j] is not None:
            j += 1
        kinds = {k for t in toks[i:j] for k, _ in (t or [])}
        if kinds - _RUN_FILLERS:
            runs.append((i, j))
        i = j
    if len(runs) != 1:
        return None, "more than one number" if runs else "not a number"
    i, j = runs[0]
    run = words[i:j]
    rest = words[:i] + words[j:]
    if _negated(rest):
        return None, "a negation or a choice between answers"
    for lo, hi in ((0, len(run)), (1, len(run)), (0, len(run) - 1), (1, len(run) - 1)):
        piece = run[lo:hi]
        if not piece:
            continue
        if lo and toks[i][0][0] not in ("a", "and", "by"):  # type: ignore[index]
            continue
        if hi < len(run) and toks[i + len(run) - 1][0][0] not in ("a", "and", "by"):  # type: ignore[index]
            continue
        w = parse_number_words(piece)
        if w is not None:
            return Num(w.value, w.percent, w.kind, w.places, w.parts), "number in words"
    has_digits = any(ch.isdigit() for ch in "".join(run))
    return None, ("mixes number words and digits" if has_digits else "number words not read")


_SPACED_POINT = re.compile(r"[0-9]\s*\.\s+[0-9]|[0-9]\s+\.\s*[0-9]")


def _why_not_number(raw: str) -> str:
    s = unicodedata.normalize("NFC", raw).translate(_BENGALI_TO_LATIN).casefold()
    if len(raw.strip()) > MAX_ANSWER_CHARS:
        return "too long to be an answer"
    if _foreign_digits(raw):
        return "digits of another script"
    if _SPACED_POINT.search(s):
        return "a point with spaces around it"
    if re.search(r"[0-9][a-z]", s):
        return "letters glued to a number"
    if not re.search(r"[0-9]", s):
        return "not a number"
    if re.search(r"(?<![a-z])[a-z](?![a-z])", s) and re.search(r"[-+*/^×·−]", s):
        return "an expression, not a number"
    if "/0" in s.replace(" ", ""):
        return "divides by zero"
    return "more than one number"


@lru_cache(maxsize=4096)
def _read_number(raw: str) -> tuple[Num | None, str]:
    """The student's number (digits or words) and how it was read, or why it was not."""
    if len(raw.strip()) > MAX_ANSWER_CHARS:
        return None, "too long to be an answer"
    if _foreign_digits(raw):
        return None, "digits of another script"
    words = _prepared_words(raw)
    got = _word_number(words)
    if got is not None:
        return got
    if _negated(words):
        return None, "a negation or a choice between answers"
    n = parse_num(raw)
    if n is None:
        return None, _why_not_number(raw)
    return n, ""


def _show_num(n: Num) -> str:
    return canonical(n.value) + ("%" if n.percent else "")


# --- numeric ----------------------------------------------------------------------------


@lru_cache(maxsize=2048)
def _answer_nums(key: AnswerKey) -> list[Num]:
    nums = (parse_num(a) for a in (key.answer, *key.accept))
    return [n for n in nums if n is not None]


def _family(n: Num) -> str:
    if n.percent:
        return "percent"
    return "fraction" if n.kind in ("fraction", "mixed") else "decimal"


def _numeric_form(key: AnswerKey, student: Num, answer: Num) -> tuple[AnswerForm, str] | None:
    """None when the student's number is in the asked form, else (needs, reason)."""
    form = key.form
    if form is None or form not in FORMS_BY_TYPE[AnswerType.NUMERIC]:
        return None
    kind = student.kind
    whole_value = student.of_whole.denominator == 1
    if form is AnswerForm.PERCENT:
        if student.percent or (
            answer.percent and _close(student.value, answer.value, _tolerance(key))
        ):
            return None
        return form, "right value but not written as a percentage"
    if student.percent:
        return form, "right value but written as a percentage"
    if form is AnswerForm.INTEGER:
        if kind == "integer" or (kind == "decimal" and whole_value):
            return None
        return form, "right value but not written as a whole number"
    if form is AnswerForm.DECIMAL:
        if kind not in ("integer", "decimal"):
            return form, f"right value but written as {_a_kind(kind)}"
        if key.places is not None and student.places != key.places:
            return form, f"right value but not written with {key.places} decimal places"
        return None
    if form is AnswerForm.MIXED:
        if kind == "mixed":
            if len(student.parts) == 3 and math.gcd(student.parts[1], student.parts[2]) != 1:
                return form, "right value but the fraction is not in lowest terms"
            return None
        if kind == "integer" and whole_value:
            return None
        if kind == "fraction" and abs(student.value) < 1:
            return _lowest_terms(student, form)
        return form, f"right value but written as {_a_kind(kind)}, not a mixed number"
    # LOWEST_TERMS and FRACTION
    if kind == "decimal" and not whole_value:
        return form, "right value but written as a decimal"
    if kind == "decimal":
        return form, "right value but written as a decimal"
    if kind == "integer":
        return None
    if kind == "mixed":
        if answer.kind == "mixed":
            return _lowest_terms(student, form) if form is AnswerForm.LOWEST_TERMS else None
        return AnswerForm.FRACTION, "right value but written as a mixed number, not a fraction"
    if form is AnswerForm.FRACTION:
        return None
    return _lowest_terms(student, form)


def _a_kind(kind: str) -> str:
    return {
        "integer": "a whole number",
        "decimal": "a decimal",
        "fraction": "a fraction",
        "mixed": "a mixed number",
    }.get(kind, kind)


def _lowest_terms(student: Num, form: AnswerForm) -> tuple[AnswerForm, str] | None:
    parts = student.parts
    if len(parts) == 2:
        p, q = parts
    elif len(parts) == 3:
        p, q = parts[1], parts[2]
    else:
        return form, "right value but not written with whole numbers"
    if q == 1:
        return form, "right value but written over 1"
    if math.gcd(p, q) != 1:
        return AnswerForm.LOWEST_TERMS, "right value but not in lowest terms"
    return None


def _check_numeric(key: AnswerKey, raw: str) -> CheckResult:
    student, how = _read_number(raw)
    if student is None:
        return _numeric_calculation(key, raw, how)
    normalized = _show_num(student)
    answers = _answer_nums(key)
    if not answers:
        # The bank answer is not a number we can read; the best we can do is compare text.
        ok = _norm_text(raw) in _norm_set([key.answer, *key.accept])
        return CheckResult(
            Verdict.CORRECT if ok else Verdict.INCORRECT,
            normalized,
            "matches the answer text" if ok else "not the answer",
        )
    tol = _tolerance(key)
    for r in key.reject:
        rn = parse_num(r)
        if rn is not None and rn == student and not any(_num_matches(a, rn, tol) for a in answers):
            return CheckResult(Verdict.INCORRECT, normalized, f"listed as a wrong answer ({r})")
    matched = [a for a in answers if _num_matches(a, student, tol)]
    if not matched:
        return CheckResult(Verdict.INCORRECT, normalized, "not equal to the answer")
    best: tuple[AnswerForm, str] | None = None
    for a in matched:
        need = _numeric_form(key, student, a)
        if need is None:
            suffix = f" ({how})" if how else ""
            return CheckResult(Verdict.CORRECT, normalized, "equal to the answer" + suffix)
        best = best or need
    assert best is not None
    return CheckResult(Verdict.NEEDS_FORM, normalized, best[1], best[0])


def _numeric_calculation(key: AnswerKey, raw: str, why: str) -> CheckResult:
    """A sum left undone ("2 ^ 3", "12²"): right value -> finish it; otherwise unreadable."""
    text = _strip_phrase(raw)
    node = algebra.try_parse(text) if len(text) <= algebra.MAX_CHARS else None
    if node is None or not algebra.has_operator(node):
        return _unreadable(why)
    value = algebra.constant_value(node)
    if value is None:
        return _unreadable(why if algebra.variables(node) else "divides by zero")
    tol = _tolerance(key)
    if any(_num_matches(a, Num(value), tol) for a in _answer_nums(key)):
        needs = key.form or AnswerForm.SIMPLIFIED
        return CheckResult(
            Verdict.NEEDS_FORM,
            algebra.render(node),
            "right value but not worked out to one number",
            needs,
        )
    return _unreadable("a calculation, not one number")


def _numeric_revealed(key: AnswerKey, text: str) -> bool:
    answers = _answer_nums(key)
    if not answers:
        return _phrase_revealed([key.answer, *key.accept], text)
    tol = _tolerance(key)
    targets: list[tuple[Fraction, Fraction]] = []
    for a in answers:
        targets.append((a.value, tol))
        if a.percent:
            targets.append((a.value / 100, tol / 100))
    for n in numbers_in(text):
        # "5 - 3" shows the digits 3 even though the scanner reads "-3"; and "50%" shows
        # the digits 50.  Either way the student can see the answer, so count every reading.
        readings = {n.value, abs(n.value), n.of_whole}
        if any(_close(r, t, t_tol) for r in readings for t, t_tol in targets):
            return True
    return False


# --- expressions ------------------------------------------------------------------------


@lru_cache(maxsize=2048)
def _answer_nodes(key: AnswerKey) -> tuple[algebra.Node, ...]:
    nodes = (algebra.try_parse(a) for a in (key.answer, *key.accept))
    return tuple(n for n in nodes if n is not None)


@lru_cache(maxsize=2048)
def _reject_nodes(key: AnswerKey) -> tuple[tuple[str, algebra.Node], ...]:
    out = []
    for r in key.reject:
        n = algebra.try_parse(r)
        if n is not None:
            out.append((r, n))
    return tuple(out)


def _words_of(s: str) -> list[str]:
    return [w for w in re.split(r"[^a-z\u0980-\u09ff]+", s.casefold()) if len(w) > 1]


@lru_cache(maxsize=4096)
def _read_expression(raw: str) -> algebra.Node | str:
    """The student's expression, or the reason it cannot be read."""
    if _foreign_digits(raw):
        return "digits of another script"
    text = _strip_phrase(raw)
    if not text:
        return "empty"
    if _negated(_words_of(text)):
        return "a negation or a choice between answers"
    sides = [p.strip() for p in text.split("=")]
    if len(sides) > 1 and re.fullmatch(r"[a-z]|ans|answer|উত্তর", sides[0]):
        sides = sides[1:]
    nodes = []
    for side in sides:
        got = algebra.parse_or_reason(side)
        if isinstance(got, str):
            return got if len(sides) == 1 else f"{got} (in {side!r})"
        nodes.append(got)
    if len(nodes) > 1 and not all(algebra.equivalent(nodes[0], n) for n in nodes[1:]):
        return "an equation, not an expression"
    return nodes[-1]


_FORM_TESTS = {
    AnswerForm.EXPANDED: (algebra.is_expanded, "right value but not expanded"),
    AnswerForm.FACTORED: (algebra.is_factored, "right value but not fully factorised"),
    AnswerForm.SIMPLIFIED: (algebra.is_simplified, "right value but not simplified"),
}


def _check_expression(key: AnswerKey, raw: str) -> CheckResult:
    got = _read_expression(raw)
    if isinstance(got, str):
        return _unreadable(got)
    shown = algebra.render(got)
    answers = _answer_nodes(key)
    if not answers:
        return CheckResult(Verdict.INCORRECT, shown, "the bank answer is not readable")
    for text, node in _reject_nodes(key):
        if algebra.equivalent(node, got) and not any(algebra.equivalent(a, node) for a in answers):
            return CheckResult(Verdict.INCORRECT, shown, f"listed as a wrong answer ({text})")
    if not any(algebra.equivalent(a, got) for a in answers):
        return CheckResult(Verdict.INCORRECT, shown, "not equivalent to the answer")
    test = _FORM_TESTS.get(key.form) if key.form is not None else None
    if test is not None and not test[0](got):
        return CheckResult(Verdict.NEEDS_FORM, shown, test[1], key.form)
    return CheckResult(Verdict.CORRECT, shown, "equivalent to the answer")


# Math-looking stretches of a hint: digits, operators, brackets and 1-2 letter runs.
_MATH_CHUNK = re.compile(r"(?:[0-9০-৯+\-−–*/^()²³×÷.\s]|(?<![A-Za-z])[A-Za-z]{1,2}(?![A-Za-z]))+")
_COMMON_SHORT = frozenset(
    [
        "a",
        "i",
        "is",
        "of",
        "to",
        "in",
        "by",
        "an",
        "as",
        "at",
        "be",
        "do",
        "if",
        "it",
        "me",
        "my",
        "no",
        "on",
        "or",
        "so",
        "up",
        "we",
        "am",
        "he",
        "us",
        "go",
    ]
)


def _math_chunks(text: str) -> list[str]:
    out = []
    for m in _MATH_CHUNK.finditer(text):
        chunk = m.group(0)
        words = re.findall(r"[A-Za-z]+", chunk)
        if any(w.casefold() in _COMMON_SHORT and len(w) > 1 for w in words):
            # split around common words rather than reading "is" as i·s
            for piece in re.split(
                r"(?<![A-Za-z])(?:"
                + "|".join(sorted((w for w in _COMMON_SHORT if len(w) > 1), key=len, reverse=True))
                + r")(?![A-Za-z])",
                chunk,
                flags=re.IGNORECASE,
            ):
                out.append(piece)
        else:
            out.append(chunk)
    return [c.strip(" .") for c in out if c.strip(" .")]


def _expression_revealed(key: AnswerKey, text: str) -> bool:
    answers = _answer_nodes(key)
    if not answers:
        return _phrase_revealed([key.answer, *key.accept], text)
    for chunk in _math_chunks(text):
        node = algebra.try_parse(chunk)
        if node is None:
            continue
        for a in answers:
            if not algebra.variables(a) and algebra.has_operator(a) != algebra.has_operator(node):
                continue  # "8" in a hint does not reveal the answer "2^3", nor the reverse
            if algebra.same_form(a, node) and algebra.equivalent(a, node):
                return True
    return False


# --- ratios and times -------------------------------------------------------------------


@lru_cache(maxsize=2048)
def _answer_ratios(key: AnswerKey) -> tuple[Ratio, ...]:
    got = (parse_ratio(a) for a in (key.answer, *key.accept))
    return tuple(r for r in got if isinstance(r, Ratio))


def _check_ratio(key: AnswerKey, raw: str) -> CheckResult:
    if _negated(_words_of(raw)):
        return _unreadable("a negation or a choice between answers")
    got = parse_ratio(raw)
    if isinstance(got, str):
        return _unreadable(got)
    shown = got.text()
    answers = _answer_ratios(key)
    for r in key.reject:
        rr = parse_ratio(r)
        if isinstance(rr, Ratio) and ratio_identical(rr, got):
            return CheckResult(Verdict.INCORRECT, shown, f"listed as a wrong answer ({r})")
    if not any(ratio_equivalent(a, got) for a in answers):
        return CheckResult(Verdict.INCORRECT, shown, "not equivalent to the answer")
    if key.form is AnswerForm.LOWEST_TERMS and not got.lowest:
        return CheckResult(
            Verdict.NEEDS_FORM,
            shown,
            "right ratio but not in lowest terms",
            AnswerForm.LOWEST_TERMS,
        )
    same = any(ratio_identical(a, got) for a in answers)
    return CheckResult(Verdict.CORRECT, shown, "the same ratio" if same else "an equivalent ratio")


_RATIO_IN_TEXT = re.compile(r"[0-9০-৯]+(?:\.[0-9০-৯]+)?(?:\s*[:∶ঃ]\s*[0-9০-৯]+(?:\.[0-9০-৯]+)?)+")
_TIME_IN_TEXT = re.compile(r"[0-9০-৯]{1,2}\s*[:.]\s*[0-9০-৯]{2}(?![0-9০-৯])")


def _ratio_revealed(key: AnswerKey, text: str) -> bool:
    answers = _answer_ratios(key)
    for m in _RATIO_IN_TEXT.finditer(text):
        r = parse_ratio(m.group(0))
        if isinstance(r, Ratio) and any(ratio_identical(a, r) for a in answers):
            return True
    return False


@lru_cache(maxsize=2048)
def _answer_times(key: AnswerKey) -> tuple[Clock, ...]:
    got = (parse_time(a) for a in (key.answer, *key.accept))
    return tuple(t for t in got if isinstance(t, Clock))


def _check_time(key: AnswerKey, raw: str) -> CheckResult:
    if _negated(_words_of(raw)):
        return _unreadable("a negation or a choice between answers")
    got = parse_time(raw)
    if isinstance(got, str):
        return _unreadable(got)
    shown = got.text()
    for r in key.reject:
        rt = parse_time(r)
        if isinstance(rt, Clock) and times_match(rt, got):
            return CheckResult(Verdict.INCORRECT, shown, f"listed as a wrong answer ({r})")
    if any(times_match(a, got) for a in _answer_times(key)):
        return CheckResult(Verdict.CORRECT, shown, "the same time")
    return CheckResult(Verdict.INCORRECT, shown, "a different time")


def _time_revealed(key: AnswerKey, text: str) -> bool:
    answers = _answer_times(key)
    for m in _TIME_IN_TEXT.finditer(text):
        t = parse_time(m.group(0))
        if isinstance(t, Clock) and any(times_match(a, t) for a in answers):
            return True
    return False


# --- multiple choice --------------------------------------------------------------------


def _options(key: AnswerKey) -> list[list[str]]:
    """For each option index, every text it is shown with (English, Bengali)."""
    n = max(len(key.options_en), len(key.options_bn))
    return [[o[i] for o in (key.options_en, key.options_bn) if i < len(o)] for i in range(n)]


def _letter_index(letter: str) -> int:
    return _LETTERS_EN.index(letter) if letter in _LETTERS_EN else _LETTERS_BN.index(letter)


def _letter_name(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else str(i + 1)


def _unique(indices: Iterable[int]) -> int | None:
    found = set(indices)
    return found.pop() if len(found) == 1 else None


def _match_by_text(options: list[list[str]], raw: str) -> set[int]:
    """Indices whose option text (or number) the student wrote; several means ambiguous."""
    light = _light(raw)
    if light:
        hits = {i for i, texts in enumerate(options) if any(_opt_light(t) == light for t in texts)}
        if hits:
            return hits
    student, _how = _read_number(raw)
    if student is not None:
        hits = set()
        for i, texts in enumerate(options):
            for t in texts:
                opt = _opt_num(t)
                # "3/5" does not pick the option "0.6": a fraction typed back is not a choice.
                if (
                    opt is not None
                    and _family(opt) == _family(student)
                    and _num_matches(opt, student, Fraction(0))
                ):
                    hits.add(i)
        if hits:
            return hits
    norm = _norm_text(raw)
    if norm and any(ch.isalpha() for ch in norm):
        # Punctuation-blind matching is for words only: "2.3" is not "2:3", "7" not "-7".
        return {i for i, texts in enumerate(options) if any(_opt_norm(t) == norm for t in texts)}
    return set()


_UNIT_RUNS = frozenset(["cm", "mm", "km", "kg", "mg", "ml", "tk", "hr", "min", "sec", "kmh"])


def _as_option_expression(text: str) -> algebra.Node | None:
    """An option that is algebra ("x + 7", "(x − 3)(x − 4)"), not a quantity ("12 cm")."""
    if parse_num(text) is not None:
        return None
    runs = re.findall(r"[A-Za-z]{2,}", text)
    if any(r.casefold() in _UNIT_RUNS for r in runs):
        return None
    node = algebra.try_parse(text)
    if node is None or not algebra.variables(node):
        return None
    return node


def _match_expression(options: list[list[str]], raw: str) -> set[int]:
    got = _read_expression(raw)
    if isinstance(got, str) or not algebra.variables(got):
        return set()
    hits = set()
    for i, texts in enumerate(options):
        for t in texts:
            node = _opt_expr(t)
            # Same shape too: typing the expanded form does not pick a factorised option.
            if node is not None and algebra.same_form(node, got) and algebra.equivalent(node, got):
                hits.add(i)
    return hits


def _match_ratio(options: list[list[str]], raw: str) -> set[int]:
    got = parse_ratio(raw)
    if not isinstance(got, Ratio):
        return set()
    hits = set()
    for i, texts in enumerate(options):
        for t in texts:
            r = _opt_ratio(t)
            if isinstance(r, Ratio) and ratio_identical(r, got):
                hits.add(i)
    return hits


def _match_fuzzy(options: list[list[str]], raw: str) -> set[int]:
    student = " ".join(strip_fillers([bn_fold(w) for w in norm_words(raw)]))
    if not student or any(ch.isdigit() for ch in student):
        return set()
    best: dict[int, int] = {}
    for i, texts in enumerate(options):
        for t in texts:
            target = _opt_fold(t)
            if any(ch.isdigit() for ch in target):
                continue
            d = close_enough(student, target)
            if d is not None:
                best[i] = min(best.get(i, 99), d)
    if not best:
        return set()
    low = min(best.values())
    return {i for i, d in best.items() if d == low}


# The option side of a match, cached per option text (the bank's texts repeat; replies don't).
_opt_light = lru_cache(maxsize=8192)(_light)
_opt_num = lru_cache(maxsize=8192)(parse_num)
_opt_norm = lru_cache(maxsize=8192)(_norm_text)
_opt_expr = lru_cache(maxsize=8192)(_as_option_expression)
_opt_ratio = lru_cache(maxsize=8192)(parse_ratio)
_opt_fold = lru_cache(maxsize=8192)(fold_phrase)


def warm_key(key: AnswerKey) -> None:
    """Parse a key's answer, variants and options now, so the first reply is fast."""
    try:
        kind = key.answer_type
        if kind == AnswerType.NUMERIC:
            _answer_nums(key)
        elif kind == AnswerType.EXPRESSION:
            _answer_nodes(key)
            _reject_nodes(key)
        elif kind == AnswerType.RATIO:
            _answer_ratios(key)
        elif kind == AnswerType.TIME:
            _answer_times(key)
        elif kind == AnswerType.TEXT:
            _text_key(key)
        else:
            for texts in _options(key):
                for t in texts:
                    _opt_light(t), _opt_num(t), _opt_norm(t), _opt_expr(t), _opt_ratio(t)
                    _opt_fold(t)
                    node = _opt_expr(t)
                    if node is not None:
                        algebra.form_classes(node)
        check_answer(key, key.answer)
    except Exception:  # warming is an optimisation only
        return


def _correct_index(key: AnswerKey, options: list[list[str]]) -> int | None:
    if key.answer in key.options_en:
        return key.options_en.index(key.answer)
    by_text = _unique(i for i, texts in enumerate(options) for t in texts if t == key.answer)
    if by_text is not None:
        return by_text
    light = _light(key.answer)
    if len(light) == 1 and light in _LETTERS_EN + _LETTERS_BN:
        i = _letter_index(light)
        return i if i < len(options) else None
    return _unique(_match_by_text(options, key.answer))


_HAS_DIGIT = re.compile(r"[0-9০-৯⁰¹²³⁴⁵⁶⁷⁸⁹]")


def _choose(options: list[list[str]], raw: str) -> int | None:
    """The option index the student picked, or None when we cannot tell which."""
    n = len(options)
    light = _light(raw)
    if not light:
        return None
    exact = {i for i, texts in enumerate(options) if any(_opt_light(t) == light for t in texts)}
    if exact:
        return _unique(exact)
    m = _LETTER_ONLY.fullmatch(light) or _LETTER_ONLY.fullmatch(_light(_strip_phrase(raw)))
    if m:
        i = _letter_index(m.group("l"))
        return i if i < n else None
    m = _LETTER_THEN_TEXT.fullmatch(light)
    if m:
        i = _letter_index(m.group("l"))
        if i >= n:
            return None
        rest = _match_by_text(options, m.group("rest")) or _match_expression(
            options, m.group("rest")
        )
        # "B) 12" where 12 is option C: the student contradicted themselves, so ask again.
        return i if not rest or rest == {i} else None
    if _negated(_words_of(raw)):
        return None
    stripped = _strip_phrase(raw) or raw
    for matcher in (_match_by_text, _match_expression, _match_ratio, _match_fuzzy):
        hits = matcher(options, stripped)
        if hits:
            return _unique(hits)
    if not any(_HAS_DIGIT.search(t) for texts in options for t in texts):
        # Only when no option is itself a number can "2" safely mean "the second option".
        picked = parse_num(raw)
        if picked is not None and not picked.percent and picked.value.denominator == 1:
            i = int(picked.value) - 1
            if 0 <= i < n:
                return i
    return None


def _check_choice(key: AnswerKey, raw: str) -> CheckResult:
    options = _options(key)
    chosen = _choose(options, raw)
    if chosen is None:
        if not options:
            return _unreadable("the problem has no options")
        return _unreadable("could not tell which option was chosen")
    ok = chosen == _correct_index(key, options)
    letter = _letter_name(chosen)
    reason = f"chose {letter}, the right option" if ok else f"chose {letter}, a wrong option"
    return CheckResult(Verdict.CORRECT if ok else Verdict.INCORRECT, letter, reason)


def _choice_revealed(key: AnswerKey, text: str) -> bool:
    options = _options(key)
    idx = _correct_index(key, options)
    shown = [key.answer] if idx is None else [key.answer, *options[idx]]
    if _phrase_revealed(shown, text):
        return True
    for t in shown:
        if parse_num(t) is not None and _numeric_revealed(AnswerKey(AnswerType.NUMERIC, t), text):
            return True
        if _as_option_expression(t) is not None and _expression_revealed(
            AnswerKey(AnswerType.EXPRESSION, t), text
        ):
            return True
    if idx is not None and idx < len(_LETTERS_EN):
        letters = f"[{_LETTERS_EN[idx]}{_LETTERS_BN[idx]}]"
        folded = unicodedata.normalize("NFC", text).casefold()
        if re.search(_HINT_LETTER.format(letter=letters), folded):
            return True
    return False


# --- text -------------------------------------------------------------------------------


def _norm_set(answers: Iterable[str]) -> set[str]:
    return {n for n in (_norm_text(a) for a in answers) if n}


def _compact(s: str) -> str:
    """The reply with no spaces, NFC and casefolded: for answers made of symbols (∅, {})."""
    return "".join(unicodedata.normalize("NFC", s).casefold().split()).strip(".।")


@dataclass(frozen=True)
class _TextKey:
    exact: frozenset[str]  # the answer and accepted variants, compacted
    targets: frozenset[str]  # folded phrases that are right
    rejects: frozenset[str]  # folded phrases listed as wrong
    others: dict[str, str]  # folded phrase -> a different known term it names
    by_first: dict[str, tuple[tuple[str, bool], ...]]  # first char -> (phrase, is_target)


def _text_targets(key: AnswerKey) -> list[str]:
    """The answer, accepted variants and the lexicon synonyms of either (as written)."""
    prepared = _text_key(key)
    return sorted(prepared.targets)


@lru_cache(maxsize=2048)
def _text_key(key: AnswerKey) -> _TextKey:
    lex = lexicon_terms()
    written = [fold_phrase(a) for a in (key.answer, *key.accept)]
    written = [w for w in written if w]
    groups = {lex[w] for w in written if w in lex}
    targets = set(written)
    for w in written:
        ws = w.split()
        if len(ws) > 1 and ws[0] in ("a", "an", "the"):
            targets.add(" ".join(ws[1:]))  # "the mode" also accepts "mode"
    targets |= {t for t, g in lex.items() if g in groups}
    rejects = frozenset(r for r in (fold_phrase(x) for x in key.reject) if r)
    targets -= rejects
    others = {t: t for t, g in lex.items() if g not in groups and t not in targets}
    for r in rejects:
        others[r] = r
    by_first: dict[str, list[tuple[str, bool]]] = {}
    for t in targets:
        by_first.setdefault(t[:1], []).append((t, True))
    for o in others:
        by_first.setdefault(o[:1], []).append((o, False))
    return _TextKey(
        frozenset(c for c in (_compact(a) for a in (key.answer, *key.accept)) if c),
        frozenset(targets),
        rejects,
        others,
        {k: tuple(v) for k, v in by_first.items()},
    )


def _fuzzy(tk: _TextKey, s: str) -> tuple[int | None, int | None, str]:
    """Best slip distance to a right phrase and to a wrong known term, and that term."""
    best_t: int | None = None
    best_o: int | None = None
    other = ""
    for phrase, is_target in tk.by_first.get(s[:1], ()):
        if abs(len(phrase) - len(s)) > 3:
            continue
        d = close_enough(s, phrase)
        if d is None:
            continue
        if is_target:
            best_t = d if best_t is None else min(best_t, d)
        elif best_o is None or d < best_o:
            best_o, other = d, phrase
    return best_t, best_o, other


def _windows(words: list[str], size: int) -> Iterable[tuple[int, str]]:
    for i in range(len(words) - size + 1):
        yield i, " ".join(words[i : i + size])


def _check_text(key: AnswerKey, raw: str) -> CheckResult:
    words = norm_words(raw[: 4 * MAX_ANSWER_CHARS] if len(raw) > 4 * MAX_ANSWER_CHARS else raw)
    shown = " ".join(words)
    if len(raw) <= MAX_ANSWER_CHARS and (compact := _compact(raw)) in _text_key(key).exact:
        return CheckResult(Verdict.CORRECT, shown or compact, "the answer")
    if not words:
        return _unreadable("empty")
    if len(raw) > 4 * MAX_ANSWER_CHARS:
        return CheckResult(Verdict.INCORRECT, shown, "far too long to be the answer")
    if _foreign_digits(raw) and all(ch.isdigit() or ch.isspace() for ch in shown):
        return _unreadable("digits of another script")
    tk = _text_key(key)
    folded = [bn_fold(w) for w in words]
    s = " ".join(folded)
    if s in tk.targets:
        return CheckResult(Verdict.CORRECT, shown, "the answer")
    if s in tk.rejects:
        return CheckResult(Verdict.INCORRECT, shown, "listed as a wrong answer")
    core_words = strip_fillers(folded)
    core = " ".join(core_words)
    if core in tk.targets:
        return CheckResult(Verdict.CORRECT, shown, "the answer inside a short phrase")
    if core in tk.rejects:
        return CheckResult(Verdict.INCORRECT, shown, "listed as a wrong answer")
    if core in tk.others or s in tk.others:
        return CheckResult(Verdict.INCORRECT, shown, f"a different term ({core})")
    if len(core) <= 60:
        best_t, best_o, other = _fuzzy(tk, core)
        if best_t is not None and (best_o is None or best_t < best_o):
            return CheckResult(Verdict.CORRECT, shown, "the answer with a spelling slip")
        if best_o is not None:
            return CheckResult(Verdict.INCORRECT, shown, f"close to a different term ({other})")
    return _text_in_phrase(tk, folded, shown)


def _text_in_phrase(tk: _TextKey, words: list[str], shown: str) -> CheckResult:
    """The answer inside a longer reply ("it is an obtuse angle I think")."""
    if len(words) > 12:
        return CheckResult(Verdict.INCORRECT, shown, "not the answer")
    found: tuple[int, int] | None = None
    others_named: list[str] = []
    for size in range(min(4, len(words)), 0, -1):
        for i, window in _windows(words, size):
            if found is not None and i < found[1] and i + size > found[0]:
                continue
            near = _fuzzy(tk, window) if window not in tk.targets and len(window) > 4 else None
            if window in tk.targets or (
                near is not None and near[0] is not None and near[1] is None
            ):
                if found is None:
                    found = (i, i + size)
                continue
            if (
                len(window) > 2
                and window in tk.others
                and not (found and found[0] <= i < found[1])
            ):
                others_named.append(window)
    if found is None:
        if others_named and not _negated(words):
            return CheckResult(Verdict.INCORRECT, shown, f"a different term ({others_named[0]})")
        return CheckResult(Verdict.INCORRECT, shown, "not the answer")
    rest = words[: found[0]] + words[found[1] :]
    if _negated(rest):
        return _unreadable("a negation or a choice between answers")
    covered = " ".join(words[found[0] : found[1]])
    extra = [o for o in others_named if o not in covered]
    if extra:
        return _unreadable("names more than one term")
    content = [w for w in rest if w not in _FILLER_WORDS]
    lead = [w for w in words[: found[0]] if w not in _FILLER_WORDS]
    if len(content) <= 2 or (not lead and len(rest) <= 8):
        # a short phrase, or the answer first followed by its reason ("isosceles because...")
        return CheckResult(Verdict.CORRECT, shown, "the answer inside a short phrase")
    return _unreadable("could not tell which part is the answer")


_FILLER_WORDS = frozenset(
    bn_fold(w)
    for w in [
        "a",
        "an",
        "the",
        "i",
        "think",
        "it",
        "is",
        "its",
        "called",
        "this",
        "that",
        "they",
        "are",
        "answer",
        "my",
        "so",
        "ok",
        "okay",
        "maybe",
        "yes",
        "probably",
        "sure",
        "am",
        "will",
        "be",
        "would",
        "guess",
        "believe",
        "হলো",
        "হল",
        "হবে",
        "হয়",
        "বলে",
        "উত্তর",
        "এটি",
        "এটা",
        "আমার",
        "মনে",
        "সম্ভবত",
        "একটি",
        "একে",
        "তাকে",
    ]
)


_MATHY = re.compile(r"[0-9০-৯+\-−–*/^=<>:%]")
_WORDY = re.compile(r"[^\W\d_]{2,}")


def _phrase_revealed(answers: Iterable[str], text: str) -> bool:
    haystack = f" {_norm_text(text)} "
    folded = f" {fold_phrase(text)} "
    for a in answers:
        n = _norm_text(a)
        if n and f" {n} " in haystack:
            return True
        if _MATHY.search(a) or not _WORDY.search(a):
            continue  # spelling folds are for words, not for "x − 2" or "3/4"
        f = fold_phrase(a)
        if len(f) > 2 and f" {f} " in folded:
            return True
    return False


# --- examples of the expected form ------------------------------------------------------

_EXAMPLES_NUMERIC: dict[str, tuple[str, ...]] = {
    "fraction": ("3/4", "5/7", "2/9"),
    "mixed": ("2 1/3", "1 3/4", "3 2/5"),
    "decimal": ("2.5", "0.75", "4.2"),
    "integer": ("12", "25", "7"),
    "percent": ("40%", "15%", "65%"),
}
_EXAMPLES_EXPR = ("2x + 3", "3a - 5", "x^2 + 3x + 2")
_EXAMPLES_FACTORED = ("(x + 2)(x - 1)", "2(a + 3)", "(y - 4)(y + 5)")
_EXAMPLES_RATIO = ("2:3", "3:5", "4:7")
_EXAMPLES_TIME = ("1:30", "2:45", "10:15")
_EXAMPLES_TEXT = {"en": ("acute", "square"), "bn": ("সূক্ষ্মকোণ", "বর্গ")}


def _numeric_kind(key: AnswerKey) -> str:
    form = key.form
    if form in (AnswerForm.LOWEST_TERMS, AnswerForm.FRACTION):
        return "fraction"
    if form is AnswerForm.MIXED:
        return "mixed"
    if form is AnswerForm.DECIMAL:
        return "decimal"
    if form is AnswerForm.INTEGER:
        return "integer"
    if form is AnswerForm.PERCENT:
        return "percent"
    n = parse_num(key.answer)
    if n is None:
        return "integer"
    if n.percent:
        return "percent"
    return n.kind


def _decimal_example(places: int, k: int) -> str:
    base = ("2", "0", "4")[k % 3]
    digits = ("75", "25", "5")[k % 3]
    frac = (digits * 3)[:places] if places else ""
    return base + ("." + frac if frac else "")


def example_answer(key: AnswerKey, lang: str) -> str:
    """A short example of the expected FORM, in the student's language; never the answer.

    ``e.g. 3/4`` / ``যেমন: ৩/৪``; for multiple choice the letters to choose from.
    """
    try:
        text = _example(key, lang)
    except Exception:  # pragma: no cover - an example is a courtesy, never a crash
        text = "..."
    if lang == "bn":
        return "যেমন: " + to_bengali_digits(text)
    return "e.g. " + text


def _example(key: AnswerKey, lang: str) -> str:
    kind = key.answer_type
    if kind == AnswerType.MULTIPLE_CHOICE:
        n = max(len(key.options_en), len(key.options_bn)) or 4
        n = min(n, 4)
        if lang == "bn":
            letters = list(_LETTERS_BN[:n])
            return ", ".join(letters[:-1]) + " বা " + letters[-1]
        upper = [c.upper() for c in _LETTERS_EN[:n]]
        return ", ".join(upper[:-1]) + " or " + upper[-1]
    candidates: tuple[str, ...]
    if kind == AnswerType.NUMERIC:
        nk = _numeric_kind(key)
        if nk == "decimal" and key.places is not None:
            candidates = tuple(_decimal_example(key.places, k) for k in range(3))
        else:
            candidates = _EXAMPLES_NUMERIC.get(nk, _EXAMPLES_NUMERIC["integer"])
    elif kind == AnswerType.EXPRESSION:
        candidates = _EXAMPLES_FACTORED if key.form is AnswerForm.FACTORED else _EXAMPLES_EXPR
    elif kind == AnswerType.RATIO:
        candidates = _EXAMPLES_RATIO
    elif kind == AnswerType.TIME:
        candidates = _EXAMPLES_TIME
    else:
        candidates = _EXAMPLES_TEXT["bn" if lang == "bn" else "en"]
    for c in candidates:
        if check_answer(replace(key, form=None, places=None), c).verdict is not Verdict.CORRECT:
            return c
    return candidates[-1] + ("0" if kind != AnswerType.TEXT else "")


# --- bank rules -------------------------------------------------------------------------


def key_issues(key: AnswerKey) -> list[tuple[str, str]]:
    """What is wrong with an answer key itself, as (field, message) for the bank loader."""
    try:
        return _key_issues(key)
    except Exception as exc:  # pragma: no cover - report rather than crash the loader
        return [("answer", f"could not be checked ({type(exc).__name__})")]


def _short(text: str) -> str:
    r = repr(text)
    return r if len(r) <= 50 else r[:47] + "..."


_READ_AS = {
    AnswerType.EXPRESSION: "an expression (e.g. 2x + 3, (x - 3)(x - 4))",
    AnswerType.RATIO: "a ratio (e.g. 2:3)",
    AnswerType.TIME: "a time (e.g. 1:30)",
    AnswerType.NUMERIC: "a number",
}


def _readable(kind: AnswerType, text: str) -> str | None:
    """None when the text is readable as an answer of this type, else why not."""
    if kind == AnswerType.EXPRESSION:
        got = algebra.parse_or_reason(text)
        return got if isinstance(got, str) else None
    if kind == AnswerType.RATIO:
        r = parse_ratio(text)
        return r if isinstance(r, str) else None
    if kind == AnswerType.TIME:
        t = parse_time(text)
        return t if isinstance(t, str) else None
    if kind == AnswerType.NUMERIC:
        return None if parse_num(text) is not None else "not a number"
    return None


def _key_issues(key: AnswerKey) -> list[tuple[str, str]]:
    issues: list[tuple[str, str]] = []
    kind = key.answer_type
    allowed = FORMS_BY_TYPE.get(kind, frozenset())
    if key.form is not None and key.form not in allowed:
        names = ", ".join(sorted(f.value for f in allowed)) or "none"
        issues.append(
            (
                "form",
                f"{key.form.value!r} is not a form of {kind.value} answers (allowed: {names})",
            )
        )
    if key.places is not None and key.form is not AnswerForm.DECIMAL:
        issues.append(("places", "is only allowed with form: decimal"))
    why = _readable(kind, key.answer)
    if why is not None:
        issues.append(("answer", f"{_short(key.answer)} is not {_READ_AS[kind]}: {why}"))
        return issues
    plain = replace(key, form=None, places=None, reject=(), accept=())
    for text in key.accept:
        if kind in _READ_AS and (why := _readable(kind, text)) is not None:
            issues.append(("accept", f"{_short(text)} is not {_READ_AS[kind]}: {why}"))
            continue
        if kind in (AnswerType.NUMERIC, AnswerType.EXPRESSION, AnswerType.RATIO, AnswerType.TIME):
            if check_answer(plain, text).verdict is not Verdict.CORRECT:
                issues.append(
                    (
                        "accept",
                        f"{_short(text)} is not equivalent to the answer {_short(key.answer)}",
                    )
                )
        elif kind == AnswerType.TEXT:
            lex = lexicon_terms()
            a_group = lex.get(fold_phrase(key.answer))
            t_group = lex.get(fold_phrase(text))
            if a_group is not None and t_group is not None and a_group != t_group:
                issues.append(
                    (
                        "accept",
                        f"{_short(text)} is a different term from the answer {_short(key.answer)}",
                    )
                )
    no_reject = replace(key, reject=())
    for text in key.reject:
        got = check_answer(no_reject, text)
        if got.verdict is Verdict.CORRECT and (
            kind != AnswerType.TEXT
            or got.reason in ("the answer", "the answer inside a short phrase")
        ):
            issues.append(
                (
                    "reject",
                    f"{_short(text)} is the answer (or equivalent to it): "
                    "the checker would accept it",
                )
            )
        elif kind != AnswerType.TEXT and got.verdict is Verdict.NEEDS_FORM:
            issues.append(
                ("reject", f"{_short(text)} has the answer's value; use form: instead of reject")
            )
    if key.form is not None and key.form in allowed:
        got = check_answer(key, key.answer)
        if got.verdict is Verdict.NEEDS_FORM:
            issues.append(
                ("form", f"the answer {_short(key.answer)} is not in this form ({got.reason})")
            )
        elif kind == AnswerType.NUMERIC and key.form is AnswerForm.MIXED:
            n = parse_num(key.answer)
            if n is not None and n.kind != "mixed":
                issues.append(("form", f"the answer {_short(key.answer)} is not a mixed number"))
    # Typing the answer back must be read (for a choice: among the English options).
    probe = replace(key, options_bn=()) if kind == AnswerType.MULTIPLE_CHOICE else key
    if kind != AnswerType.TEXT and check_answer(probe, key.answer).verdict is Verdict.UNREADABLE:
        issues.append(("answer", f"{_short(key.answer)} is not read by the checker"))
    return issues
