"""Every string a person sees, read from the gettext catalogs in ``bot/locale``.

The words live in ``bot/locale/<lang>/LC_MESSAGES/dars.po`` (a translator edits those, never
this file) and the template ``bot/locale/dars.pot``; docs/translations.md says how to change,
add or translate a string. A string is found by its key, the entry's ``msgctxt``; its
``msgid`` is the English source text, so translation tools show translators the English.

The catalogs are compiled in memory (Babel, then the standard library's ``gettext``) the first
time a language is asked for: there is no build step, and an installed package, an editable
install and the Docker image read the same shipped ``.po`` files.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from problems.checking import to_bengali_digits

DOMAIN: Final = "dars"
LOCALE_DIR: Final = Path(__file__).with_name("locale")
# The languages a person can choose. Each has a catalog; English is the source language.
LANGUAGES: Final = ("en", "bn")
SOURCE_LANGUAGE: Final = "en"


def bn_digits(text: str) -> str:
    """Write Latin digits as Bengali digits (০–৯)."""
    return to_bengali_digits(text)


def localize_number(value: int | str | Decimal, lang: str) -> str:
    """A number as the student reads it in their language."""
    text = str(value)
    return bn_digits(text) if lang == "bn" else text


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, lang: str | None = None) -> Catalog:
    """A ``.po`` or ``.pot`` file as a Babel catalog."""
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN, abort_invalid=True)


@functools.cache
def _sources() -> dict[str, str | tuple[str, ...]]:
    """Key (msgctxt) → English source msgid (a pair for a plural entry), from the template:
    the list of every key."""
    return {
        m.context: m.id if isinstance(m.id, str) else tuple(m.id)
        for m in read_catalog(LOCALE_DIR / f"{DOMAIN}.pot")
        if m.context
    }


@functools.cache
def _translations(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang`` compiled in memory; an entry that is missing, empty or fuzzy
    falls back to the English source text."""
    if lang not in LANGUAGES:
        lang = SOURCE_LANGUAGE
    compiled = io.BytesIO()
    write_mo(compiled, read_catalog(catalog_path(lang), lang))  # leaves out fuzzy entries
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _format(lang: str, template: str, values: dict[str, object]) -> str:
    if lang == "bn":
        values = {
            name: bn_digits(str(v)) if isinstance(v, int | Decimal) else v
            for name, v in values.items()
        }
    return template.format(**values)


def t(lang: str, key: str, **values: object) -> str:
    """The text ``key`` in ``lang``; number values are written in that language's digits."""
    source = _sources()[key]
    if not isinstance(source, str):
        raise TypeError(f"{key!r} has plural forms: use tn(lang, key, n, ...)")
    return _format(lang, _translations(lang).pgettext(key, source), values)


def tn(lang: str, key: str, n: int, **values: object) -> str:
    """The text ``key`` in ``lang`` in the plural form for ``n`` (the ``{count}`` in it),
    by the language's plural rule ("1 day", "2 days")."""
    source = _sources()[key]
    if isinstance(source, str):
        raise TypeError(f"{key!r} has no plural forms: use t(lang, key, ...)")
    singular, plural = source[0], source[-1]
    template = _translations(lang).npgettext(key, singular, plural, n)
    return _format(lang, template, {"count": n, **values})


def N_(key: str) -> str:
    """Mark a key that is chosen at run time and passed to ``t``/``tn`` later (gettext's
    ``gettext_noop``): returns it unchanged, and tells tests/test_translations.py it is used."""
    return key


def grade_name(lang: str, grade: int | None) -> str:
    """A class as the student says it ("Class 6", "৬ষ্ঠ শ্রেণি")."""
    return t(lang, f"grade_{grade}") if grade in GRADE_NUMBERS else "—"


def topic_name(lang: str, topic: str, names: Mapping[str, str] | None = None) -> str:
    """A topic's human name: as the bank named it (``names``), else a known one, else its
    slug written as words."""
    if names and names.get(lang):
        return names[lang]
    if f"topic_{topic}" in _sources():
        return t(lang, f"topic_{topic}")
    return topic.replace("_", " ").replace("-", " ").capitalize()


def option_letters(lang: str) -> str:
    """The labels of a multiple-choice problem's options ("ABCD", "কখগঘ")."""
    return t(lang, "option_letters")


def language_name(lang: str) -> str:
    """A language's own name ("English", "বাংলা")."""
    return t(lang, "language_name")


GRADE_NUMBERS: Final = (6, 7, 8)
TOPIC_SLUGS: Final = (
    "integers",
    "fractions",
    "decimals",
    "percentages",
    "ratio",
    "algebra",
    "equations",
    "geometry",
    "statistics",
)


class _ByLanguage(Mapping[str, str]):
    """One catalog entry in every language, read like the old ``{"en": …, "bn": …}`` dicts."""

    def __init__(self, key: str) -> None:
        self._key = key

    def __getitem__(self, lang: str) -> str:
        if lang not in LANGUAGES:
            raise KeyError(lang)
        return t(lang, self._key)

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


# The old dict-shaped names, kept for callers that index them; the words are in the catalogs.
GRADES: Final[Mapping[int, Mapping[str, str]]] = {
    grade: _ByLanguage(f"grade_{grade}") for grade in GRADE_NUMBERS
}
TOPICS: Final[Mapping[str, Mapping[str, str]]] = {
    slug: _ByLanguage(f"topic_{slug}") for slug in TOPIC_SLUGS
}
OPTION_LETTERS: Final[Mapping[str, str]] = _ByLanguage("option_letters")
