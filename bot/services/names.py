"""Names people give Dars (a student's name, a class's name): safe to show anywhere.

Names reach a teacher's /class view and a group chat's weekly post, where Telegram turns
links and @mentions into live links, so a name may not carry ``@``, ``/``, ``http`` or a
host-like word (``www.evil.example``, ``bit.ly``). It may not mix Latin letters with
Cyrillic or Greek ones (``Rаfi`` with a Cyrillic а impersonates ``Rafi``), nor use invisible
"letters" (Hangul fillers, the Braille blank) or format characters, nor stack combining
marks (Zalgo text). Bengali names keep everything Bengali needs: vowel signs, hasanta,
nukta, chandrabindu, and the zero-width joiner/non-joiner between Bengali letters (র‍্য).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

# A name is at most this many code points (the column's size). Bengali spends several on one
# letter (vowel signs, hasanta, nukta), so a full Bengali name needs more than 32.
MAX_CODE_POINTS = 64

# Letters and symbols that show as nothing: a blank name, or a name with a hidden part.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u17b4\u17b5")
_ZW_JOINERS = frozenset("\u200c\u200d")  # ZWNJ, ZWJ: needed in Bengali, nowhere else here
# Combining marks on one letter, counted decomposed (NFD, so that composing cannot hide
# one): Bengali may have nukta + a two-part vowel sign + chandrabindu (য়োঁ: four), Latin at
# most two (Vietnamese ệ).
_MAX_MARKS_BENGALI = 4
_MAX_MARKS_OTHER = 2
# A dot (any of the ones Telegram or NFKC treat as such) followed by two Latin letters, as a
# domain has (checked after NFKC, so fullwidth and styled letters count): "www.evil.example",
# "t.me", "bit.ly". "Md. Rahim", "A.K. Azad", "7.5" and Bengali "মো.রহিম" stay fine.
_HOST_LIKE = re.compile(r"[.\u3002\uff61][a-z]{2,}")


def _is_bengali(ch: str) -> bool:
    return "\u0980" <= ch <= "\u09ff"


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    for script in ("LATIN", "CYRILLIC", "GREEK"):
        if name.startswith(script):
            return script
    return None


NameProblem = Literal["length", "link", "letters"]


@dataclass(frozen=True, slots=True)
class NameCheck:
    """A name as it will be stored, or why it cannot be."""

    name: str | None
    problem: NameProblem | None = None


def check_name(raw: str) -> NameCheck:
    """The name on one line (NFC, single spaces), or the reason it is refused: ``length``
    (empty or too long), ``link`` (a link, mention or command), ``letters`` (mixed alphabets,
    invisible or control characters, stacked marks)."""
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not name:
        return NameCheck(None, "length")
    # What Telegram would see as a link, also when written in fullwidth or styled letters.
    wide = unicodedata.normalize("NFKC", name).casefold()
    if "@" in wide or "/" in wide or "http" in wide or _HOST_LIKE.search(wide):
        return NameCheck(None, "link")
    if not _letters_ok(name):
        return NameCheck(None, "letters")
    if len(name) > MAX_CODE_POINTS:
        return NameCheck(None, "length")
    return NameCheck(name)


def _letters_ok(name: str) -> bool:
    scripts = {_script(ch) for ch in name} - {None}
    if "LATIN" in scripts and len(scripts) > 1:
        return False
    if not any(unicodedata.category(ch)[0] in "LN" and ch not in _INVISIBLE for ch in name):
        return False  # nothing visible to call anyone by
    marks = 0
    base = ""
    name = unicodedata.normalize("NFD", name)
    for i, ch in enumerate(name):
        category = unicodedata.category(ch)
        if ch in _INVISIBLE:
            return False
        if ch in _ZW_JOINERS:
            # Only inside a Bengali word (র‍্য, ক্‌ষ), never twice in a row.
            before = name[i - 1] if i else ""
            after = name[i + 1] if i + 1 < len(name) else ""
            if not (_is_bengali(before) and _is_bengali(after)):
                return False
            continue
        if category[0] == "C":
            return False  # controls, other format characters, private use, unassigned
        if category[0] == "M":
            marks += 1
            limit = _MAX_MARKS_BENGALI if _is_bengali(base) else _MAX_MARKS_OTHER
            if not base or marks > limit:
                return False
            continue
        base, marks = ("" if ch == " " else ch), 0
    return True


def clean_name(raw: str) -> str | None:
    """A safe display name, else None (see ``check_name`` for why)."""
    return check_name(raw).name
