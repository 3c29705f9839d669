"""Multiple choice: a letter, the option's text, its value or its expression."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from fractions import Fraction
from functools import lru_cache

from problems import algebra
from problems.checking.expressions import (
    _expression_revealed,
    _read_expression,
    _words_of,
)
from problems.checking.numeric import (
    _family,
    _numeric_revealed,
)
from problems.checking.reading import (
    _light,
    _negated,
    _norm_text,
    _num_matches,
    _read_number,
    _strip_phrase,
)
from problems.checking.result import (
    _HINT_LETTER,
    _LETTER_ONLY,
    _LETTER_THEN_TEXT,
    _LETTERS_BN,
    _LETTERS_EN,
    CheckResult,
    Verdict,
    _unreadable,
)
from problems.checking.text import (
    _phrase_revealed,
)
from problems.numbers import (
    parse_num,
)
from problems.ratiotime import (
    Ratio,
    parse_ratio,
    ratio_identical,
)
from problems.textmatch import (
    bn_fold,
    close_enough,
    fold_phrase,
    norm_words,
    strip_fillers,
)
from problems.types import AnswerKey, AnswerType

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
