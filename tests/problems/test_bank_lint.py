"""Bank warnings: Latin digits in Bengali text, and a question asking for a form it does not
enforce. They are printed by `dars problems validate` and `load`, and never stop a load."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from problems.bank import ParsedBanks, parse_banks


def problem(*, bn: str, en: str = "What is 6/8 in its lowest terms?", extra: str = "") -> str:
    return f"""\
- id: g6-frac-001
  grade: 6
  topic: fractions
  difficulty: 1
  question:
    en: "{en}"
    bn: "{bn}"
  answer_type: numeric
  answer: "3/4"
{extra}"""


def warnings_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "bank.yaml"
    path.write_text(text, encoding="utf-8")
    parsed = parse_banks([path])
    assert parsed.errors == []
    return [str(w) for w in parsed.warnings]


def test_latin_digits_in_bengali_text_are_a_warning_with_the_line(tmp_path: Path) -> None:
    found = warnings_of(
        tmp_path, problem(bn="6/8 কে লঘিষ্ঠ আকারে লেখো।", extra="  form: lowest_terms\n")
    )
    assert found == [
        f"{tmp_path / 'bank.yaml'}:1:0: warning: g6-frac-001: question.bn has Latin digits "
        "in Bengali text; write ০–৯"
    ]


def test_bengali_digits_and_an_enforced_form_give_no_warning(tmp_path: Path) -> None:
    assert (
        warnings_of(
            tmp_path, problem(bn="৬/৮ কে লঘিষ্ঠ আকারে লেখো।", extra="  form: lowest_terms\n")
        )
        == []
    )


def test_a_form_asked_in_words_but_not_enforced_is_a_warning(tmp_path: Path) -> None:
    (found,) = warnings_of(tmp_path, problem(bn="৬/৮ কে লঘিষ্ঠ আকারে লেখো।"))
    assert "asks for lowest terms but form is not set" in found


def test_placeholders_are_not_latin_digits(tmp_path: Path) -> None:
    template = """\
- id: g6-frac-t01
  grade: 6
  topic: fractions
  difficulty: 1
  params:
    a: {range: [2, 40]}
  question:
    en: "What is {a} + {a}?"
    bn: "{a} + {a} = কত?"
  answer_type: numeric
  answer: "{2 * a}"
  hints:
    en: ["Add.", "Double it.", "Twice {a}."]
    bn: ["যোগ করো।", "দ্বিগুণ করো।", "{a} এর দ্বিগুণ।"]
"""
    assert warnings_of(tmp_path, template) == []


def test_the_shipped_bank_has_no_warnings(sample_bank: ParsedBanks) -> None:
    assert [str(w) for w in sample_bank.warnings] == []


def test_validate_prints_warnings_and_still_succeeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bank.yaml"
    path.write_text(problem(bn="৬/৮ কে লঘিষ্ঠ আকারে লেখো।"), encoding="utf-8")
    assert main(["problems", "validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "warning: g6-frac-001: the question asks for lowest terms" in err
    assert "1 problems in 1 file(s) are valid" in out
