"""Text answers the way a teacher reads them: spelling slips, Bengali variants, short phrases.

Pure and total.  The pieces:

* :func:`norm_words` - NFC, casefolded, Latin digits, punctuation gone, ``+ve``/``-ve`` read
  as positive/negative; returns the words.
* :func:`bn_fold` - folds the Bengali spellings children use interchangeably (ি/ী, ু/ূ,
  ন/ণ, শ/ষ/স, জ/য, ড়/র, a doubled consonant, ঁ) so they compare equal.
* :func:`strip_fillers` - removes a leading article and the words around an answer given
  in a phrase ("I think it's even", "উত্তর হলো সমবাহু").
* :func:`close_enough` - an edit distance (with transpositions) scaled to word length.
* :data:`TERM_GROUPS` - the built-in lexicon of maths terms of classes 6-8: each group is
  one term with its synonyms in English and Bengali.  A reply naming a *different* term of
  the lexicon is never accepted as a spelling slip, and the synonyms of the bank answer are
  accepted in every problem, so the same reply is judged the same everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

__all__ = [
    "NEGATIONS",
    "TERM_GROUPS",
    "bn_fold",
    "close_enough",
    "edit_distance",
    "fold_phrase",
    "group_of",
    "max_slips",
    "norm_words",
    "strip_fillers",
]

_BENGALI_TO_LATIN = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")
_APOSTROPHES = frozenset("'’ʼ`´")
_DOTTED = re.compile(r"(?:[^\s.0-9]{1,3}\.){2,}[^\s.0-9]{0,3}")
_SIGN_WORDS = re.compile(r"(?<![\w])([+-])\s*ve\b")

# --- Bengali spelling fold -------------------------------------------------------------

_HASANTA = "\u09cd"
_NUKTA = "\u09bc"
# Single code points mapped to the spelling most children use.
_BN_CHAR_FOLD = str.maketrans(
    {
        "ী": "ি",
        "ূ": "ু",
        "ণ": "ন",
        "ষ": "স",
        "শ": "স",
        "জ": "য",
        "ঈ": "ই",
        "ঊ": "উ",
        "ৎ": "ত",
        "ঙ": "ং",
        "ঁ": None,  # candrabindu: পাঁচ / পাচ
        "ঃ": None,  # visarga: পৌনঃপুনিক / পৌনপুনিক
        "\u200c": None,
        "\u200d": None,
        "ৃ": "রি",
        "\u09dc": "র",  # precomposed ড় / ঢ় / য় (NFC decomposes them, but be safe)
        "\u09dd": "র",
        "\u09df": "য",
    }
)
_GEMINATE = re.compile(rf"([\u0995-\u09b9]){_HASANTA}\1")


def bn_fold(s: str) -> str:
    """Fold the Bengali spelling variants that do not change a word for a teacher."""
    if not any("\u0980" <= ch <= "\u09ff" for ch in s):
        return s
    s = unicodedata.normalize("NFC", s)
    s = s.replace("ড" + _NUKTA, "র").replace("ঢ" + _NUKTA, "র").replace(_NUKTA, "")
    s = s.translate(_BN_CHAR_FOLD)
    return _GEMINATE.sub(r"\1", s)


# --- words ------------------------------------------------------------------------------


def norm_words(s: str) -> list[str]:
    """The reply as lowercase words: Latin digits, punctuation dropped, +ve/-ve as words."""
    s = unicodedata.normalize("NFC", s).translate(_BENGALI_TO_LATIN)
    s = unicodedata.normalize("NFC", s.casefold())
    s = _SIGN_WORDS.sub(lambda m: " positive " if m.group(1) == "+" else " negative ", s)
    # H.C.F. / গ.সা.গু.: an abbreviation with dots is one word
    s = " ".join(w.replace(".", "") if _DOTTED.fullmatch(w) else w for w in s.split())
    out: list[str] = []
    for ch in s:
        if ch in _APOSTROPHES:
            continue
        cat = unicodedata.category(ch)
        if cat == "Cf":
            continue
        out.append(" " if cat[0] in "PSZ" else ch)
    return "".join(out).split()


def fold_phrase(s: str) -> str:
    """One comparable string for a phrase: normalised words, Bengali-folded, spaced."""
    return " ".join(bn_fold(w) for w in norm_words(s))


# --- fillers around an answer -----------------------------------------------------------

_ARTICLES = frozenset({"a", "an", "the"})
# Phrases around an answer, as folded word tuples; the longest is tried first.
_LEADING = [
    "i think",
    "i guess",
    "i believe",
    "i am sure",
    "im sure",
    "maybe",
    "perhaps",
    "probably",
    "definitely",
    "surely",
    "so",
    "ok",
    "okay",
    "well",
    "hmm",
    "um",
    "yes",
    "the answer is",
    "the answer will be",
    "answer is",
    "my answer is",
    "answer",
    "ans",
    "it is called",
    "its called",
    "it s called",
    "they are called",
    "this is called",
    "is called",
    "called",
    "it is",
    "its",
    "it s",
    "it will be",
    "it would be",
    "they are",
    "this is",
    "that is",
    "thats",
    "it",
    "is",
    "উত্তর",
    "উত্তর হলো",
    "উত্তর হল",
    "উত্তর হচ্ছে",
    "উত্তর হবে",
    "আমার উত্তর",
    "আমার মনে হয়",
    "মনে হয়",
    "সম্ভবত",
    "এটি",
    "এটা",
    "এটি হলো",
    "এটা হলো",
    "এটি হল",
    "এটা হল",
    "এটিকে",
    "এটাকে",
    "একে",
    "তাকে",
    "হলো",
    "হল",
]
_TRAILING = [
    "i think",
    "i guess",
    "maybe",
    "probably",
    "sir",
    "madam",
    "miss",
    "teacher",
    "please",
    "right",
    "হবে",
    "হয়",
    "হলো",
    "হল",
    "বলে",
    "বলা হয়",
    "বলে মনে হয়",
    "মনে হয়",
    "স্যার",
    "ম্যাডাম",
    "আপা",
]


def _phrases(items: Iterable[str]) -> list[tuple[str, ...]]:
    out = {tuple(bn_fold(w) for w in p.split()) for p in items}
    return sorted(out, key=len, reverse=True)


_LEAD_PHRASES = _phrases(_LEADING)
_TRAIL_PHRASES = _phrases(_TRAILING)
FILLER_WORDS = frozenset(w for p in (*_LEAD_PHRASES, *_TRAIL_PHRASES) for w in p) | _ARTICLES

#: Words that turn a reply into its opposite or into a hedge: never graded as the answer.
NEGATIONS = frozenset(
    bn_fold(w)
    for w in (
        "not",
        "isnt",
        "no",
        "never",
        "neither",
        "nor",
        "or",
        "নয়",
        "না",
        "নাই",
        "নেই",
        "নহে",
        "অথবা",
        "বা",
        "কিংবা",
    )
)


def strip_fillers(words: list[str], *, articles: bool = True) -> list[str]:
    """Drop the phrase around an answer; never strips the reply down to nothing."""
    ws = list(words)
    changed = True
    while changed and ws:
        changed = False
        if articles and len(ws) > 1 and ws[0] in _ARTICLES:
            ws = ws[1:]
            changed = True
            continue
        for p in _LEAD_PHRASES:
            if len(ws) > len(p) and tuple(ws[: len(p)]) == p:
                ws = ws[len(p) :]
                changed = True
                break
        if changed:
            continue
        for p in _TRAIL_PHRASES:
            if len(ws) > len(p) and tuple(ws[-len(p) :]) == p:
                ws = ws[: -len(p)]
                changed = True
                break
    return ws


# --- edit distance ----------------------------------------------------------------------


def edit_distance(a: str, b: str, limit: int = 99) -> int:
    """Optimal-string-alignment distance (a swap of two neighbours costs 1), capped."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def max_slips(target: str) -> int:
    """How many slips a teacher lets pass in a word of this length (letters, not spaces)."""
    n = len(target.replace(" ", ""))
    if n <= 4:
        return 0
    if n <= 7:
        return 1
    if n <= 11:
        return 2
    return 3


def close_enough(student: str, target: str) -> int | None:
    """The distance when ``student`` is a spelling slip of ``target`` (folded strings)."""
    if student == target:
        return 0
    allowed = max_slips(target)
    if not allowed or not student or student[0] != target[0]:
        return None
    d = edit_distance(student, target, allowed)
    return d if d <= allowed else None


# --- the lexicon ------------------------------------------------------------------------

#: Maths terms of classes 6-8, each with its synonyms (English and Bengali, as children
#: write them).  Spelling variants are not listed: folding and slips cover them.
TERM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("isosceles", "isosceles triangle", "সমদ্বিবাহু", "সমদ্বিবাহু ত্রিভুজ"),
    ("equilateral", "equilateral triangle", "সমবাহু", "সমবাহু ত্রিভুজ"),
    ("scalene", "scalene triangle", "বিষমবাহু", "বিষমবাহু ত্রিভুজ"),
    (
        "acute",
        "acute angle",
        "acute angled",
        "acute triangle",
        "acute angled triangle",
        "সূক্ষ্ম",
        "সূক্ষ্মকোণ",
        "সূক্ষ্ম কোণ",
        "সূক্ষ্মকোণী",
        "সূক্ষ্মকোণী ত্রিভুজ",
    ),
    (
        "right",
        "right angle",
        "right angled",
        "right triangle",
        "right angled triangle",
        "সমকোণ",
        "সমকোণী",
        "সমকোণী ত্রিভুজ",
    ),
    (
        "obtuse",
        "obtuse angle",
        "obtuse angled",
        "obtuse triangle",
        "obtuse angled triangle",
        "স্থূল",
        "স্থূলকোণ",
        "স্থূল কোণ",
        "স্থূলকোণী",
        "স্থূলকোণী ত্রিভুজ",
    ),
    ("straight", "straight angle", "সরলকোণ", "সরল কোণ"),
    ("reflex", "reflex angle", "প্রবৃদ্ধ", "প্রবৃদ্ধ কোণ"),
    ("complete angle", "পূর্ণ কোণ", "পূর্ণকোণ"),
    ("complementary", "complementary angles", "পূরক", "পূরক কোণ"),
    ("supplementary", "supplementary angles", "সম্পূরক", "সম্পূরক কোণ"),
    ("adjacent", "adjacent angles", "সন্নিহিত", "সন্নিহিত কোণ"),
    ("vertically opposite", "vertically opposite angles", "বিপ্রতীপ", "বিপ্রতীপ কোণ"),
    ("proper", "proper fraction", "প্রকৃত", "প্রকৃত ভগ্নাংশ"),
    ("improper", "improper fraction", "অপ্রকৃত", "অপ্রকৃত ভগ্নাংশ"),
    ("mixed", "mixed number", "mixed fraction", "মিশ্র", "মিশ্র ভগ্নাংশ"),
    ("prime", "prime number", "মৌলিক", "মৌলিক সংখ্যা"),
    ("composite", "composite number", "যৌগিক", "যৌগিক সংখ্যা"),
    ("even", "even number", "জোড়", "জোড় সংখ্যা"),
    ("odd", "odd number", "বিজোড়", "বিজোড় সংখ্যা"),
    ("positive", "positive number", "positive integer", "ধনাত্মক", "ধনাত্মক সংখ্যা"),
    ("negative", "negative number", "negative integer", "ঋণাত্মক", "ঋণাত্মক সংখ্যা"),
    ("mean", "average", "arithmetic mean", "গড়", "গাণিতিক গড়"),
    ("median", "মধ্যক"),
    ("mode", "প্রচুরক", "প্রচুরক মান"),
    ("range", "পরিসর"),
    ("frequency", "গণসংখ্যা"),
    ("hypotenuse", "অতিভুজ"),
    ("trapezium", "trapezoid", "ট্রাপিজিয়াম", "ট্রাপিজিয়ম"),
    ("parallelogram", "সামান্তরিক"),
    ("rhombus", "রম্বস"),
    ("rectangle", "আয়ত", "আয়তক্ষেত্র"),
    ("square", "বর্গ", "বর্গক্ষেত্র"),
    ("triangle", "ত্রিভুজ"),
    ("quadrilateral", "চতুর্ভুজ"),
    ("pentagon", "পঞ্চভুজ"),
    ("hexagon", "ষড়ভুজ"),
    ("circle", "বৃত্ত"),
    ("radius", "ব্যাসার্ধ"),
    ("diameter", "ব্যাস"),
    ("chord", "জ্যা"),
    ("circumference", "পরিধি"),
    ("perimeter", "পরিসীমা"),
    ("area", "ক্ষেত্রফল"),
    ("volume", "আয়তন"),
    ("parallel", "parallel lines", "সমান্তরাল"),
    ("perpendicular", "লম্ব"),
    ("coefficient", "numerical coefficient", "co efficient", "সহগ", "সাংখ্যিক সহগ"),
    ("constant", "constant term", "ধ্রুবক", "ধ্রুবপদ", "ধ্রুব পদ", "ধ্রুবক পদ"),
    ("variable", "চলক"),
    ("term", "পদ"),
    ("expression", "algebraic expression", "রাশি", "বীজগাণিতিক রাশি"),
    ("equation", "সমীকরণ"),
    ("numerator", "লব"),
    ("denominator", "হর"),
    ("factor", "গুণনীয়ক", "উৎপাদক"),
    ("multiple", "গুণিতক"),
    ("hcf", "gcd", "highest common factor", "greatest common divisor", "গসাগু"),
    ("lcm", "lowest common multiple", "least common multiple", "লসাগু"),
    ("sum", "যোগফল"),
    ("difference", "বিয়োগফল"),
    ("product", "গুণফল"),
    ("quotient", "ভাগফল"),
    ("remainder", "ভাগশেষ"),
    ("dividend", "ভাজ্য"),
    ("divisor", "ভাজক"),
    ("square root", "বর্গমূল"),
    ("cube", "ঘন"),
    ("cube root", "ঘনমূল"),
    (
        "recurring",
        "repeating",
        "recurring decimal",
        "repeating decimal",
        "আবৃত্ত",
        "আবৃত্ত দশমিক",
        "পৌনঃপুনিক",
        "পৌনঃপুনিক দশমিক",
    ),
    ("terminating", "terminating decimal", "সসীম", "সসীম দশমিক"),
    ("rational", "rational number", "মূলদ", "মূলদ সংখ্যা"),
    ("irrational", "irrational number", "অমূলদ", "অমূলদ সংখ্যা"),
    ("integer", "পূর্ণসংখ্যা"),
    ("natural number", "স্বাভাবিক সংখ্যা"),
    (
        "direct",
        "direct proportion",
        "directly proportional",
        "directly",
        "সরল সমানুপাত",
        "সরল সমানুপাতিক",
        "সরলানুপাত",
    ),
    (
        "inverse",
        "inverse proportion",
        "inversely proportional",
        "inversely",
        "indirect",
        "indirect proportion",
        "indirectly proportional",
        "ব্যস্ত",
        "ব্যস্ত সমানুপাত",
        "ব্যস্ত সমানুপাতিক",
        "ব্যস্তানুপাত",
        "ব্যস্তানুপাতিক",
        "বিপরীত",
        "বিপরীত সমানুপাত",
    ),
    ("profit", "লাভ"),
    ("loss", "ক্ষতি"),
    ("true", "t", "সত্য", "ঠিক", "সঠিক"),
    ("false", "f", "মিথ্যা", "ভুল"),
    ("yes", "y", "হ্যাঁ", "হ্যা", "হাঁ"),
    ("no", "n", "না"),
)


@lru_cache(maxsize=1)
def _group_index() -> dict[str, int]:
    index: dict[str, int] = {}
    for i, group in enumerate(TERM_GROUPS):
        for term in group:
            index.setdefault(fold_phrase(term), i)
    return index


def group_of(folded: str) -> int | None:
    """The lexicon group of an exact folded phrase, if it is a known term."""
    return _group_index().get(folded)


def lexicon_terms() -> dict[str, int]:
    """Every folded lexicon phrase with its group number."""
    return _group_index()
