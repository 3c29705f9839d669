"""Bank rules for answer keys (key_issues and the loader), hints, examples, and
``dars problems check`` (problems.explain)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from problems.bank import parse_banks
from problems.checking import (
    CheckResult,
    Verdict,
    check_answer,
    example_answer,
    hint_reveals_answer,
    key_issues,
    warm_key,
)
from problems.explain import run_check
from problems.textmatch import bn_fold, lexicon_terms
from problems.types import AnswerForm, AnswerKey, AnswerType
from problems.words import _BN_0_100, _bn_table

N, E, R, T, X = (
    AnswerType.NUMERIC,
    AnswerType.EXPRESSION,
    AnswerType.RATIO,
    AnswerType.TIME,
    AnswerType.TEXT,
)


# --- key_issues -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "field", "words"),
    [
        (AnswerKey(N, "18/24", form=AnswerForm.LOWEST_TERMS), "form", "lowest terms"),
        (AnswerKey(N, "0.5", form=AnswerForm.FRACTION), "form", "decimal"),
        (AnswerKey(N, "0.5", form=AnswerForm.DECIMAL, places=2), "form", "2 decimal places"),
        (AnswerKey(N, "3/4", form=AnswerForm.MIXED), "form", "mixed"),
        (AnswerKey(N, "3/4", form=AnswerForm.EXPANDED), "form", "not a form of numeric"),
        (AnswerKey(N, "3/4", places=2), "places", "only allowed with form: decimal"),
        (AnswerKey(N, "3/4", accept=("0.8",)), "accept", "not equivalent"),
        (AnswerKey(N, "3/4", reject=("0.75",)), "reject", "the checker would accept it"),
        (AnswerKey(N, "3/4", form=AnswerForm.LOWEST_TERMS, reject=("6/8",)), "reject", "form:"),
        (AnswerKey(E, "x^2 + 5x + 6", form=AnswerForm.FACTORED), "form", "factorised"),
        (AnswerKey(E, "(x+2)(x+3)", form=AnswerForm.EXPANDED), "form", "expanded"),
        (AnswerKey(E, "x + 7", accept=("x - 7",)), "accept", "not equivalent"),
        (AnswerKey(E, "x + 7", reject=("7 + x",)), "reject", "the checker would accept it"),
        (AnswerKey(E, "x plus 7"), "answer", "not an expression"),
        (AnswerKey(E, "x + 7", form=AnswerForm.LOWEST_TERMS), "form", "not a form"),
        (AnswerKey(R, "2.3"), "answer", "not a ratio"),
        (AnswerKey(R, "4:6", form=AnswerForm.LOWEST_TERMS), "form", "lowest terms"),
        (AnswerKey(R, "2:3", accept=("3:2",)), "accept", "not equivalent"),
        (AnswerKey(T, "1/30"), "answer", "not a time"),
        (AnswerKey(T, "1:30", form=AnswerForm.DECIMAL), "form", "not a form"),
        (AnswerKey(X, "isosceles", accept=("equilateral",)), "accept", "different term"),
        (AnswerKey(X, "isosceles", reject=("isosceles triangle",)), "reject", "would accept"),
        (AnswerKey(X, "even", form=AnswerForm.INTEGER), "form", "not a form"),
    ],
)
def test_key_issues(key: AnswerKey, field: str, words: str) -> None:
    issues = key_issues(key)
    assert any(f == field and words in m for f, m in issues), issues


@pytest.mark.parametrize(
    "key",
    [
        AnswerKey(N, "3/4", form=AnswerForm.LOWEST_TERMS, accept=("0.75",)),
        AnswerKey(N, "0.50", form=AnswerForm.DECIMAL, places=2),
        AnswerKey(N, "2 3/4", form=AnswerForm.MIXED),
        AnswerKey(N, "25%", form=AnswerForm.PERCENT),
        AnswerKey(E, "(x − 3)(x − 4)", form=AnswerForm.FACTORED, reject=("(x + 3)(x + 4)",)),
        AnswerKey(E, "x² + 5x + 6", form=AnswerForm.EXPANDED, accept=("6 + 5x + x^2",)),
        AnswerKey(R, "2:3", form=AnswerForm.LOWEST_TERMS),
        AnswerKey(T, "1:30", accept=("90 minutes",)),
        AnswerKey(X, "isosceles", accept=("সমদ্বিবাহু",), reject=("equilateral",)),
        AnswerKey(AnswerType.MULTIPLE_CHOICE, "x + 7", ("7x", "x + 7", "x − 7")),
    ],
)
def test_good_keys_have_no_issues(key: AnswerKey) -> None:
    assert key_issues(key) == []


def _bank(tmp_path: Path, extra: str) -> list[str]:
    text = (
        "- id: t-1\n"
        "  grade: 6\n"
        "  topic: fractions\n"
        "  difficulty: 1\n"
        "  question: {en: 'Write 18/24 in lowest terms.', bn: '১৮/২৪ কে লঘিষ্ঠ আকারে লেখো।'}\n"
        f"{extra}"
    )
    path = tmp_path / "bank.yaml"
    path.write_text(text, encoding="utf-8")
    return [str(e) for e in parse_banks([path]).errors]


def test_loader_reports_answer_rules_with_file_and_line(tmp_path: Path) -> None:
    errors = _bank(
        tmp_path,
        "  answer_type: numeric\n  answer: '18/24'\n  form: lowest_terms\n  accept: ['0.8']\n",
    )
    assert any(":8:" in e and "form" in e and "lowest terms" in e for e in errors), errors
    assert any(":9:" in e and "accept" in e and "not equivalent" in e for e in errors), errors


def test_loader_accepts_a_good_expression_problem(tmp_path: Path) -> None:
    errors = _bank(
        tmp_path,
        "  answer_type: expression\n"
        "  answer: '(x − 3)(x − 4)'\n"
        "  form: factored\n"
        "  reject: ['(x + 3)(x + 4)']\n",
    )
    assert errors == []


def test_loader_refuses_an_unreadable_ratio(tmp_path: Path) -> None:
    errors = _bank(tmp_path, "  answer_type: ratio\n  answer: '2.3'\n")
    assert any(":7:" in e and "not a ratio" in e for e in errors), errors


# --- hints ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "hint", "reveals"),
    [
        (AnswerKey(E, "a^2 + 2ab + b^2"), "So (a + b)² = a² + 2ab + b².", True),
        (AnswerKey(E, "a^2 + 2ab + b^2"), "Multiply (a + b) by (a + b).", False),
        (AnswerKey(E, "5x + 5y"), "Write (9x + 3y) − (4x − 2y).", False),
        (AnswerKey(E, "5x + 5y"), "The result is 5y + 5x.", True),
        (AnswerKey(E, "(x - 3)(x - 4)"), "Factorise x² − 7x + 12.", False),
        (AnswerKey(E, "(x - 3)(x - 4)"), "It is (x − 4)(x − 3).", True),
        (AnswerKey(R, "2:3"), "Divide 24 : 36 by 12.", False),
        (AnswerKey(R, "2:3"), "The ratio is ২ : ৩.", True),
        (AnswerKey(T, "1:30"), "Add 45 minutes to 12:45.", False),
        (AnswerKey(T, "1:30"), "She arrives at 1:30.", True),
        (AnswerKey(X, "isosceles", accept=("সমদ্বিবাহু",)), "এটি সমদ্বিবাহু।", True),
        (AnswerKey(X, "isosceles"), "Two sides are equal.", False),
        (AnswerKey(X, "yes", accept=("yes it is",)), "Is 0 in that list?", False),
    ],
)
def test_hint_reveals_new_types(key: AnswerKey, hint: str, reveals: bool) -> None:
    assert hint_reveals_answer(key, hint) is reveals


def test_a_wrong_option_does_not_reveal_a_different_fraction() -> None:
    key = AnswerKey(
        AnswerType.MULTIPLE_CHOICE,
        "(x − 2)/(x + 9)",
        ("(x + 2)/(x + 9)", "(x − 2)/(x + 9)", "(x − 2)/(x − 9)"),
    )
    assert not hint_reveals_answer(key, "(x + 2)/(x + 9)")
    assert hint_reveals_answer(key, "(x − 2)/(x + 9)")


# --- examples and results ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "en", "bn"),
    [
        (AnswerKey(N, "5/7", form=AnswerForm.LOWEST_TERMS), "e.g. 3/4", "যেমন: ৩/৪"),
        (AnswerKey(N, "3/4", form=AnswerForm.LOWEST_TERMS), "e.g. 5/7", "যেমন: ৫/৭"),
        (AnswerKey(E, "x + 7"), "e.g. 2x + 3", "যেমন: ২x + ৩"),
        (AnswerKey(E, "2x + 3"), "e.g. 3a - 5", "যেমন: ৩a - ৫"),
        (AnswerKey(R, "4:5"), "e.g. 2:3", "যেমন: ২:৩"),
        (AnswerKey(R, "2:3"), "e.g. 3:5", "যেমন: ৩:৫"),
        (AnswerKey(R, "4:6"), "e.g. 3:5", "যেমন: ৩:৫"),
        (AnswerKey(T, "2:00"), "e.g. 1:30", "যেমন: ১:৩০"),
        (AnswerKey(T, "1:30"), "e.g. 2:45", "যেমন: ২:৪৫"),
        (
            AnswerKey(AnswerType.MULTIPLE_CHOICE, "b", ("a", "b", "c")),
            "e.g. A, B or C",
            "যেমন: ক, খ বা গ",
        ),
    ],
)
def test_example_answer(key: AnswerKey, en: str, bn: str) -> None:
    assert example_answer(key, "en") == en
    assert example_answer(key, "bn") == bn


def test_result_equality_ignores_the_reason() -> None:
    assert CheckResult(Verdict.CORRECT, "5", "x") == CheckResult(Verdict.CORRECT, "5", "y")
    assert CheckResult(Verdict.NEEDS_FORM, "5", needs=AnswerForm.INTEGER) != CheckResult(
        Verdict.NEEDS_FORM, "5", needs=AnswerForm.DECIMAL
    )


def test_warm_key_is_harmless() -> None:
    key = AnswerKey(AnswerType.MULTIPLE_CHOICE, "x + 7", ("7x", "x + 7"))
    warm_key(key)
    assert check_answer(key, "7 + x").verdict is Verdict.CORRECT


def test_check_answer_never_raises_on_broken_keys() -> None:
    for kind in AnswerType:
        for answer in ("", "((", "1/0", "x" * 500, "∅"):
            key = AnswerKey(kind, answer, form=AnswerForm.FACTORED, places=3)
            for reply in ("", "x", "1:30", "2:3", "five", "((("):
                assert isinstance(check_answer(key, reply), CheckResult)
            assert isinstance(key_issues(key), list)
            assert example_answer(key, "bn")


# --- word tables ------------------------------------------------------------------------


def test_bengali_number_words_stay_distinct_after_folding() -> None:
    folded = [bn_fold(w) for w in _BN_0_100]
    assert len(set(folded)) == 100
    assert all(_bn_table()[f] == i for i, f in enumerate(folded))


def test_no_term_is_in_two_lexicon_groups() -> None:
    from problems.textmatch import TERM_GROUPS, fold_phrase

    seen: dict[str, int] = {}
    for i, group in enumerate(TERM_GROUPS):
        for term in group:
            f = fold_phrase(term)
            assert seen.setdefault(f, i) == i, term
    assert len(lexicon_terms()) == len(seen)


# --- dars problems check ----------------------------------------------------------------

BANK = """\
- id: q-frac
  grade: 7
  topic: fractions
  difficulty: 1
  question: {en: "Write 18/24 in its lowest terms.", bn: "১৮/২৪ কে লঘিষ্ঠ আকারে লেখো।"}
  answer_type: numeric
  answer: "3/4"
  form: lowest_terms
- id: q-alg
  grade: 8
  topic: algebra
  difficulty: 2
  question: {en: "Expand (a + b)².", bn: "(a + b)² এর বিস্তৃতি লেখো।"}
  answer_type: expression
  answer: "a² + 2ab + b²"
  form: expanded
"""


def _run(tmp_path: Path, *args: str, stdin: str = "", **kw: object) -> tuple[int, str, str]:
    path = tmp_path / "bank.yaml"
    if not path.exists():
        path.write_text(BANK, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = run_check(
        [str(path)],
        args[0],
        list(args[1:]),
        stdin=io.StringIO(stdin),
        stdout=out,
        stderr=err,
        **kw,  # type: ignore[arg-type]
    )
    return code, out.getvalue(), err.getvalue()


def test_check_prints_one_line_per_answer(tmp_path: Path) -> None:
    code, out, err = _run(tmp_path, "q-frac", "18/24", "3/4", "০.৭৫", "4 . 4", "a\tb")
    assert code == 0 and err == ""
    lines = [line.split("\t") for line in out.splitlines()]
    assert [(a, v) for a, v, _ in lines] == [
        ("18/24", "needs_form"),
        ("3/4", "correct"),
        ("০.৭৫", "needs_form"),
        ("4 . 4", "unreadable"),
        ("a\\tb", "unreadable"),
    ]
    assert "lowest terms" in lines[0][2] and "lowest_terms" in lines[0][2]
    assert "e.g. 5/7" in lines[3][2]


def test_check_in_bengali_shows_bengali_examples(tmp_path: Path) -> None:
    code, out, _ = _run(tmp_path, "q-alg", "hello", lang="bn")
    assert code == 0
    assert "যেমন: ২x + ৩" in out


def test_check_unknown_id(tmp_path: Path) -> None:
    code, out, err = _run(tmp_path, "nope", "1")
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and "nope" in err


def test_check_reports_bank_errors(tmp_path: Path) -> None:
    (tmp_path / "bank.yaml").write_text(BANK.replace('answer: "3/4"', 'answer: "18/24"'))
    code, out, err = _run(tmp_path, "q-frac", "3/4")
    assert code == 1 and out == ""
    assert "bank.yaml:" in err and "lowest terms" in err


def test_check_jsonl(tmp_path: Path) -> None:
    lines = [
        {"id": "q-alg", "answer": "(a+b)^2", "lang": "bn"},
        {"id": "q-alg", "answer": "b² + 2ab + a²"},
        {"id": "q-frac", "answer": "seven 0 seven", "lang": "en"},
        {"id": "missing", "answer": "1"},
    ]
    stdin = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\nnot json\n"
    code, out, err = _run(tmp_path, "", stdin=stdin, jsonl=True)
    assert code == 2
    got = [json.loads(line) for line in out.splitlines()]
    assert [g.get("verdict") for g in got] == ["needs_form", "correct", "unreadable", None, None]
    assert got[0]["needs"] == "expanded" and got[0]["example"].startswith("যেমন")
    assert all({"id", "answer", "verdict", "reason"} <= set(g) for g in got[:3])
    assert "error" in got[3] and "error" in got[4]
    assert len(err.splitlines()) == 2
