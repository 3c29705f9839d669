"""Text answers: accepted variants, spelling tolerance, answers inside a short phrase."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from problems.checking.reading import (
    _foreign_digits,
    _negated,
    _norm_text,
)
from problems.checking.result import (
    CheckResult,
    Verdict,
    _unreadable,
)
from problems.numbers import (
    MAX_ANSWER_CHARS,
)
from problems.textmatch import (
    bn_fold,
    close_enough,
    fold_phrase,
    lexicon_terms,
    norm_words,
    strip_fillers,
)
from problems.types import AnswerKey

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
