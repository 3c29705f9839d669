"""The gettext catalogs (bot/locale) against the code that uses them, and against each other.

A key the code asks for that a catalog lacks, a catalog entry no code uses, catalogs that
disagree on keys, placeholders or plural-ness, an untranslated or fuzzy entry, and Latin
digits in Bengali all fail here, before a student sees a raw key or an English sentence.
"""

from __future__ import annotations

import ast
import functools
import re
import string
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural

from bot import texts
from bot.handlers.common import PARENT_COMMANDS, STUDENT_COMMANDS, TEACHER_COMMANDS
from bot.messages import LEVEL_ICONS
from bot.texts import LANGUAGES, LOCALE_DIR, grade_name, read_catalog, t, tn, topic_name
from problems.types import AnswerForm

ROOT = Path(__file__).resolve().parents[1]
HELPERS = {"t": 1, "tn": 1, "N_": 0}  # function -> index of its key argument
# Keys the code builds at run time from a prefix, and every value the prefix is used with.
FAMILIES: dict[str, set[str]] = {
    "form_": {form.value for form in AnswerForm} | {"decimal_places", "other"},
    "level_": set(LEVEL_ICONS),
    "cmd_": {*STUDENT_COMMANDS, *PARENT_COMMANDS, *TEACHER_COMMANDS},
    "time_": {"dawn", "morning", "noon", "afternoon", "evening", "night"},
    "hint_generic_": {"1", "2", "3"},
    "grade_": {str(g) for g in texts.GRADE_NUMBERS},
    "topic_": set(texts.TOPIC_SLUGS),
}


def _template() -> Catalog:
    return read_catalog(LOCALE_DIR / "dars.pot")


def _catalogs() -> dict[str, Catalog]:
    return {lang: read_catalog(texts.catalog_path(lang), lang) for lang in LANGUAGES}


def _entries(catalog: Catalog) -> dict[str, Message]:
    return {m.context: m for m in catalog if m.id and m.context}


def _forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    return (value or "",) if value is None or isinstance(value, str) else tuple(value)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


class _Use:
    def __init__(self) -> None:
        self.calls: dict[str, list[tuple[str, str]]] = {}  # key -> [(helper, where)]
        self.prefixes: dict[str, list[str]] = {}  # f-string prefix -> [where]


@functools.cache
def _code_use() -> _Use:
    """Keys in ``t(lang, "key")``, ``tn(lang, "key", n)`` and ``N_("key")`` calls (both arms
    of a conditional key), and f-string key prefixes, in bot/."""
    use = _Use()
    for path in sorted((ROOT / "bot").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            index = HELPERS.get(node.func.id)
            if index is None or len(node.args) <= index:
                continue
            arg = node.args[index]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            arms = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
            for arm in arms:
                if isinstance(arm, ast.Constant) and isinstance(arm.value, str):
                    use.calls.setdefault(arm.value, []).append((node.func.id, where))
                elif isinstance(arm, ast.JoinedStr) and isinstance(arm.values[0], ast.Constant):
                    use.prefixes.setdefault(str(arm.values[0].value), []).append(where)
    return use


def _family_keys() -> Iterator[str]:
    for prefix, values in FAMILIES.items():
        yield from (prefix + value for value in values)


def test_every_key_the_code_asks_for_is_in_every_catalog_with_the_right_helper() -> None:
    use = _code_use()
    source = _entries(_template())
    missing = {key: where for key, where in use.calls.items() if key not in source}
    assert missing == {}, "keys used in the code but missing from bot/locale/dars.pot"
    wrong_helper = {
        key: where
        for key, where in use.calls.items()
        for helper, _ in where
        if helper != "N_" and (helper == "tn") != isinstance(source[key].id, tuple)
    }
    assert wrong_helper == {}, "a plural entry needs tn(lang, key, n), a plain one t(lang, key)"
    for lang, catalog in _catalogs().items():
        assert set(_entries(catalog)) == set(source), f"{lang}: keys differ from dars.pot"


def test_run_time_key_families_are_complete_and_known() -> None:
    use = _code_use()
    keys = set(_entries(_template()))
    assert set(use.prefixes) <= set(FAMILIES), "a new f-string key family: add it to FAMILIES"
    assert {k for k in _family_keys() if k not in keys} == set()


def test_no_catalog_entry_is_stale() -> None:
    """Every entry is asked for by a call, an ``N_`` mark, or a run-time family."""
    use = _code_use()
    used = set(use.calls) | set(_family_keys())
    stale = sorted(set(_entries(_template())) - used)
    assert stale == [], "entries no code uses: remove them from dars.pot and every .po"


def test_catalogs_agree_with_the_template_on_text_placeholders_and_plurals() -> None:
    source = _entries(_template())
    for lang, catalog in _catalogs().items():
        for key, message in _entries(catalog).items():
            english = source[key]
            assert message.id == english.id, f"{lang} {key}: msgid differs from dars.pot"
            assert not message.fuzzy, f"{lang} {key}: fuzzy (needs review)"
            forms = _forms(message.string)
            assert all(forms), f"{lang} {key}: not translated"
            wanted = set().union(*(_placeholders(s) for s in _forms(english.id)))
            got = [_placeholders(s) for s in forms]
            assert set().union(*got) == wanted, f"{lang} {key}: placeholders {got} != {wanted}"
            if isinstance(english.id, tuple):
                assert len(forms) == catalog.num_plurals, f"{lang} {key}: plural forms"
                # The forms that cover other numbers than 1 must show the number.
                assert "count" in got[-1], f"{lang} {key}: the plural form has no {{count}}"


def test_plural_rules_are_babels_for_each_language() -> None:
    for lang, catalog in _catalogs().items():
        rule = get_plural(lang)
        assert (catalog.num_plurals, catalog.plural_expr) == (rule.num_plurals, rule.plural_expr)


def test_bengali_has_no_latin_digits_and_no_refrigerator() -> None:
    bn = _entries(_catalogs()["bn"])
    # Naming the Latin digits themselves ("use ০–৯ or 0–9") is the one place they belong.
    latin = {
        k
        for k, m in bn.items()
        if any(re.search("[0-9]", s.replace("0–9", "")) for s in _forms(m.string))
    }
    assert latin == set()
    # ফ্রিজ is a refrigerator: the streak freeze is a বিরতি-ঢাল.
    assert not [k for k, m in bn.items() if "ফ্রিজ" in "".join(_forms(m.string))]


# A case ending after a number, symbol, placeholder or Latin letter takes a hyphen (Bangla
# Academy spelling): ৮০-এর, {name}-এর, {time}-এ, x-এর; never "৮০ এর".
UNHYPHENATED = re.compile(
    r"(?<=[0-9A-Za-z\u09E6-\u09EF%)}\]²³°])\s(এর|এ|তে|কে)(?=[\s,।?!;:\"'’)])"
)


def test_bengali_case_endings_after_numbers_are_hyphenated() -> None:
    bn = _entries(_catalogs()["bn"])
    assert {k for k, m in bn.items() if UNHYPHENATED.search(" ".join(_forms(m.string)))} == set()
    bank = {
        f"{path.name}:{text[: m.start()].count(chr(10)) + 1}"
        for path in sorted((ROOT / "problems" / "bank").glob("*.yaml"))
        for text in [path.read_text(encoding="utf-8")]
        for m in UNHYPHENATED.finditer(text)
    }
    assert bank == set()


@pytest.mark.parametrize(
    ("lang", "n", "expected"),
    [
        ("en", 0, "🔥 Streak: 0 days (longest 4)."),
        ("en", 1, "🔥 Streak: 1 day (longest 4)."),
        ("en", 2, "🔥 Streak: 2 days (longest 4)."),
        ("en", 21, "🔥 Streak: 21 days (longest 4)."),
        ("bn", 0, "🔥 টানা অনুশীলন: ০ দিন (সবচেয়ে বেশি ৪ দিন)।"),
        ("bn", 1, "🔥 টানা অনুশীলন: ১ দিন (সবচেয়ে বেশি ৪ দিন)।"),
        ("bn", 21, "🔥 টানা অনুশীলন: ২১ দিন (সবচেয়ে বেশি ৪ দিন)।"),
    ],
)
def test_plural_through_the_public_helper(lang: str, n: int, expected: str) -> None:
    assert tn(lang, "streak", n, longest=4) == expected


def test_plural_forms_differ_in_english_and_follow_the_rule_in_bengali() -> None:
    assert tn("en", "short_session", 1) == "Only 1 problem is available today."
    assert tn("en", "short_session", 3) == "Only 3 problems are available today."
    assert tn("en", "unlink_student_confirm", 1).startswith("Unlink the parent who follows you?")
    assert tn("en", "unlink_student_confirm", 2).startswith("Unlink the 2 parents who follow")
    assert tn("bn", "session_done", 1, correct=4, total=5) == (
        "🎉 আজকের অনুশীলন শেষ! ৫টির মধ্যে ৪টি সঠিক, সংকেত নিয়েছ ১টি।"
    )
    assert tn("en", "session_done", 1, correct=4, total=5).endswith("and used 1 hint.")
    assert tn("en", "session_done", 0, correct=4, total=5).endswith("and used 0 hints.")


def test_helpers_refuse_the_wrong_kind_of_entry_and_unknown_keys() -> None:
    with pytest.raises(TypeError):
        t("en", "streak")
    with pytest.raises(TypeError):
        tn("en", "correct", 2)
    with pytest.raises(KeyError):
        t("en", "no_such_key")


def test_the_old_names_still_read_the_catalogs() -> None:
    assert grade_name("bn", 6) == "৬ষ্ঠ শ্রেণি" and grade_name("en", 9) == "—"
    assert topic_name("bn", "ratio") == "অনুপাত ও সমানুপাত"
    assert topic_name("en", "hcf_lcm") == "Hcf lcm"
    assert dict(texts.GRADES[8]) == {"en": "Class 8", "bn": "৮ম শ্রেণি"}
    assert texts.OPTION_LETTERS["bn"] == "কখগঘ" and texts.TOPICS["algebra"]["en"]
    # An unknown language reads English, as before.
    assert t("fr", "correct") == t("en", "correct") == "✅ Correct! Well done."


def test_the_catalogs_ship_with_the_package() -> None:
    """pyproject's package data for ``bot`` covers the template and every catalog."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["bot"]
    shipped = {p for pattern in patterns for p in (ROOT / "bot").glob(pattern)}
    needed = {LOCALE_DIR / "dars.pot", *(texts.catalog_path(lang) for lang in LANGUAGES)}
    assert needed <= shipped
