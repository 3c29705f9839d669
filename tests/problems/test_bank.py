"""Tests for the problem-bank format: safe YAML parsing, validation and error positions."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from problems.bank import BankError, ParsedBanks, parse_banks, sample_bank_dir
from problems.schema import ProblemSpec, parse_numeric_answer
from problems.types import AnswerKey, AnswerType

# Line numbers matter: tests below point at lines of these two problems.
NUMERIC = """\
- id: g6-frac-001
  grade: 6
  topic: fractions
  difficulty: 1
  question:
    en: "What is 1/2 + 1/4?"
    bn: "১/২ + ১/৪ = কত?"
  answer_type: numeric
  answer: "3/4"
  tolerance: 0.01
  accept: ["0.75"]
  hints:
    en: [gentle nudge, more, nearly the method]
    bn: [ইঙ্গিত ১, ইঙ্গিত ২, ইঙ্গিত ৩]
  explanation:
    en: Add the quarters.
    bn: চতুর্থাংশ যোগ করো।
"""

CHOICE = """\
- id: g7-geom-001
  grade: 7
  topic: geometry
  difficulty: 2
  question:
    en: How many sides does a hexagon have?
    bn: ষড়ভুজের কয়টি বাহু আছে?
  answer_type: multiple_choice
  answer: "6"
  options:
    en: ["5", "6", "8"]
    bn: ["৫", "৬", "৮"]
"""

TEXT = """\
- id: g8-stat-001
  grade: 8
  topic: statistics
  difficulty: 3
  question: {en: "Name the middle value of sorted data.", bn: "সাজানো উপাত্তের মাঝের মান?"}
  answer_type: text
  answer: median
  accept: [the median, মধ্যমা]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def parse_one(tmp_path: Path, text: str, name: str = "bank.yaml") -> tuple[ParsedBanks, str]:
    path = write(tmp_path, name, text)
    return parse_banks([path]), str(path.resolve())


def messages(result: ParsedBanks) -> list[str]:
    return [str(error) for error in result.errors]


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# --------------------------------------------------------------------------- valid banks


def test_valid_bank_parses(tmp_path: Path) -> None:
    result, path = parse_one(tmp_path, NUMERIC + CHOICE + TEXT)
    assert result.errors == []
    assert result.files == [path]
    assert [(p.spec.id, p.path, p.line) for p in result.problems] == [
        ("g6-frac-001", path, 1),
        ("g7-geom-001", path, 18),
        ("g8-stat-001", path, 30),
    ]
    numeric, choice, text = (p.spec for p in result.problems)
    assert numeric.grade == 6 and numeric.difficulty == 1 and numeric.topic == "fractions"
    assert numeric.question.bn == "১/২ + ১/৪ = কত?"
    assert numeric.answer_type is AnswerType.NUMERIC
    assert numeric.tolerance == Decimal("0.01")
    assert numeric.hints is not None and numeric.hints.bn == ["ইঙ্গিত ১", "ইঙ্গিত ২", "ইঙ্গিত ৩"]
    assert numeric.explanation is not None and numeric.explanation.en == "Add the quarters."
    assert numeric.answer_key() == AnswerKey(
        answer_type=AnswerType.NUMERIC, answer="3/4", tolerance=Decimal("0.01"), accept=("0.75",)
    )
    assert choice.answer_key() == AnswerKey(
        answer_type=AnswerType.MULTIPLE_CHOICE,
        answer="6",
        options_en=("5", "6", "8"),
        options_bn=("৫", "৬", "৮"),
    )
    assert text.hints is None and text.options is None and text.accept == ["the median", "মধ্যমা"]


def test_directory_reads_yaml_and_yml_sorted_non_recursive(tmp_path: Path) -> None:
    write(tmp_path, "b.yml", CHOICE)
    write(tmp_path, "a.yaml", NUMERIC)
    write(tmp_path, "notes.txt", "not a bank")
    write(tmp_path, ".hidden.yaml", "{broken")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "c.yaml", TEXT)
    result = parse_banks([tmp_path])
    assert result.errors == []
    root = tmp_path.resolve()
    assert result.files == [str(root / "a.yaml"), str(root / "b.yml")]
    assert [p.spec.id for p in result.problems] == ["g6-frac-001", "g7-geom-001"]


def test_same_file_given_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", NUMERIC)
    result = parse_banks([path, tmp_path, str(path)])
    assert result.errors == [] and len(result.problems) == 1
    assert result.files == [str(path.resolve())]


def test_empty_list_is_a_valid_bank(tmp_path: Path) -> None:
    result, path = parse_one(tmp_path, "[]  # nothing yet\n")
    assert result == ParsedBanks(problems=[], errors=[], files=[path])


def test_strings_are_stripped_and_ints_coerced(tmp_path: Path) -> None:
    text = edit(NUMERIC, "grade: 6", 'grade: "6"')
    text = edit(text, "difficulty: 1", "difficulty: '1'")
    text = edit(text, 'answer: "3/4"', 'answer: "  3/4 "')
    result, _ = parse_one(tmp_path, text)
    assert result.errors == []
    spec = result.problems[0].spec
    assert (spec.grade, spec.difficulty, spec.answer) == (6, 1, "3/4")


def test_hints_may_be_given_in_one_language(tmp_path: Path) -> None:
    text = edit(NUMERIC, "    bn: [ইঙ্গিত ১, ইঙ্গিত ২, ইঙ্গিত ৩]\n", "")
    result, _ = parse_one(tmp_path, text)
    assert result.errors == []
    hints = result.problems[0].spec.hints
    assert hints is not None and hints.bn is None and hints.en is not None


def test_sample_bank_dir_is_inside_the_package() -> None:
    assert sample_bank_dir() == Path(__file__).resolve().parents[2] / "problems" / "bank"


# --------------------------------------------------------------------------- bad problems

BAD_CASES = {
    "missing language": (
        NUMERIC,
        '    bn: "১/২ + ১/৪ = কত?"\n',
        "",
        "6:5: question: missing required field 'bn'",
    ),
    "two hints": (
        NUMERIC,
        "en: [gentle nudge, more, nearly the method]",
        "en: [gentle nudge, more]",
        "13:9: hints.en: must have exactly 3 hints (got 2)",
    ),
    "four hints": (
        NUMERIC,
        "bn: [ইঙ্গিত ১, ইঙ্গিত ২, ইঙ্গিত ৩]",
        "bn: [ইঙ্গিত ১, ইঙ্গিত ২, ইঙ্গিত ৩, ইঙ্গিত ৪]",
        "14:9: hints.bn: must have exactly 3 hints (got 4)",
    ),
    "empty hint": (
        NUMERIC,
        "en: [gentle nudge, more, nearly the method]",
        'en: [gentle nudge, " ", nearly the method]',
        "13:24: hints.en item 2: must not be empty",
    ),
    "empty hints mapping": (
        NUMERIC,
        "  hints:\n    en: [gentle nudge, more, nearly the method]\n"
        "    bn: [ইঙ্গিত ১, ইঙ্গিত ২, ইঙ্গিত ৩]\n",
        "  hints: {}\n",
        "12:10: hints: give en and/or bn hints, or leave hints out",
    ),
    "answer not among options": (
        CHOICE,
        'answer: "6"',
        'answer: "7"',
        "9:11: answer: '7' is not one of options.en",
    ),
    "answer matches only a Bengali option": (
        CHOICE,
        'answer: "6"',
        'answer: "৬"',
        "9:11: answer: '৬' is not one of options.en",
    ),
    "options in one language": (
        CHOICE,
        '    bn: ["৫", "৬", "৮"]\n',
        "",
        "11:5: options: missing required field 'bn'",
    ),
    "option lengths differ": (
        CHOICE,
        'bn: ["৫", "৬", "৮"]',
        'bn: ["৫", "৬"]',
        "12:9: options.bn: has 2 options but en has 3",
    ),
    "one option": (
        CHOICE,
        'en: ["5", "6", "8"]',
        'en: ["6"]',
        "11:9: options.en: must have 2 to 4 options (got 1)",
    ),
    "five options": (
        CHOICE,
        'en: ["5", "6", "8"]',
        'en: ["5", "6", "8", "9", "10"]',
        "11:9: options.en: must have 2 to 4 options (got 5)",
    ),
    "duplicate option": (
        CHOICE,
        'bn: ["৫", "৬", "৮"]',
        'bn: ["৫", "৬", "৬"]',
        "12:20: options.bn item 3: duplicate option '৬'",
    ),
    "multiple choice without options": (
        CHOICE,
        '  options:\n    en: ["5", "6", "8"]\n    bn: ["৫", "৬", "৮"]\n',
        "",
        "1:3: multiple_choice problems need options (en and bn)",
    ),
    "options on a numeric problem": (
        NUMERIC,
        '  accept: ["0.75"]\n',
        '  accept: ["0.75"]\n  options: {en: ["a", "b"], bn: ["ক", "খ"]}\n',
        "12:12: options: are only allowed on multiple_choice problems",
    ),
    "grade 9": (NUMERIC, "grade: 6", "grade: 9", "2:10: grade: must be 6, 7 or 8 (got 9)"),
    "grade not a number": (
        NUMERIC,
        "grade: 6",
        "grade: six",
        "2:10: grade: must be a whole number (got 'six')",
    ),
    "difficulty 0": (
        NUMERIC,
        "difficulty: 1",
        "difficulty: 0",
        "4:15: difficulty: must be 1, 2 or 3 (got 0)",
    ),
    "tolerance on a non-numeric problem": (
        CHOICE,
        'answer: "6"\n',
        'answer: "6"\n  tolerance: 0.5\n',
        "10:14: tolerance: is only allowed on numeric problems",
    ),
    "negative tolerance": (
        NUMERIC,
        "tolerance: 0.01",
        "tolerance: -0.01",
        "10:14: tolerance: must be zero or positive (got -0.01)",
    ),
    "tolerance not a number": (
        NUMERIC,
        "tolerance: 0.01",
        "tolerance: .inf",
        "10:14: tolerance: must be a number (got '.inf')",
    ),
    "unknown answer_type": (
        NUMERIC,
        "answer_type: numeric",
        "answer_type: essay",
        "8:16: answer_type: must be one of numeric, multiple_choice, text, expression, ratio, "
        "time (got 'essay')",
    ),
    "numeric answer not a number": (
        NUMERIC,
        'answer: "3/4"',
        "answer: three quarters",
        "9:11: answer: 'three quarters' is not a number; write an integer (12), decimal "
        "(0.75), fraction (3/4), mixed number (1 1/2) or percentage (50%) with Latin digits",
    ),
    "numeric answer in Bengali digits": (
        NUMERIC,
        'answer: "3/4"',
        'answer: "৩/৪"',
        "9:11: answer: '৩/৪' is not a number; write an integer (12), decimal "
        "(0.75), fraction (3/4), mixed number (1 1/2) or percentage (50%) with Latin digits",
    ),
    "empty question": (
        NUMERIC,
        'en: "What is 1/2 + 1/4?"',
        'en: ""',
        "6:9: question.en: must not be empty",
    ),
    "blank answer": (NUMERIC, 'answer: "3/4"', "answer:", "9:10: answer: must not be empty"),
    "empty accepted answer": (
        NUMERIC,
        'accept: ["0.75"]',
        'accept: ["0.75", ""]',
        "11:20: accept item 2: must not be empty",
    ),
    "question is text, not a mapping": (
        TEXT,
        'question: {en: "Name the middle value of sorted data.", bn: "সাজানো উপাত্তের মাঝের মান?"}',
        "question: What is the median?",
        "5:13: question: must be a mapping (got 'What is the median?')",
    ),
    "accept is text, not a list": (
        TEXT,
        "accept: [the median, মধ্যমা]",
        "accept: the median",
        "8:11: accept: must be a list (got 'the median')",
    ),
    "missing field": (TEXT, "  answer: median\n", "", "1:3: missing required field 'answer'"),
    "unknown field": (
        TEXT,
        "  answer: median\n",
        "  answer: median\n  hint: think\n",
        "8:3: unknown field 'hint' (did you mean 'hints'?)",
    ),
    "unknown nested field": (
        NUMERIC,
        "    en: Add the quarters.\n",
        "    en: Add the quarters.\n    fr: Ajoute.\n",
        "17:5: explanation: unknown field 'fr'",
    ),
    "bad id": (
        TEXT,
        "id: g8-stat-001",
        "id: G8 Stat",
        "1:7: id: must be 1-64 characters of lowercase a-z, 0-9, '.', '_' or '-', starting "
        "with a letter or digit (got 'G8 Stat')",
    ),
    "bad topic": (
        TEXT,
        "topic: statistics",
        "topic: Statistics",
        "3:10: topic: must be a lowercase slug: a-z, 0-9, '_' or '-', starting with a letter, "
        "at most 40 characters (got 'Statistics')",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES), ids=list(BAD_CASES))
def test_bad_problem_gives_exactly_one_located_error(tmp_path: Path, case: str) -> None:
    base, old, new, expected = BAD_CASES[case]
    result, path = parse_one(tmp_path, edit(base, old, new))
    assert messages(result) == [f"{path}:{expected}"]
    assert result.problems == []


def test_one_bad_problem_does_not_hide_the_good_ones(tmp_path: Path) -> None:
    bad = edit(CHOICE, "grade: 7", "grade: 5")
    result, path = parse_one(tmp_path, NUMERIC + bad + TEXT)
    assert messages(result) == [f"{path}:19:10: grade: must be 6, 7 or 8 (got 5)"]
    assert [p.spec.id for p in result.problems] == ["g6-frac-001", "g8-stat-001"]


def test_all_field_errors_of_a_problem_are_reported(tmp_path: Path) -> None:
    text = edit(NUMERIC, "grade: 6", "grade: 9")
    text = edit(text, "difficulty: 1", "difficulty: 4")
    text = edit(text, "en: [gentle nudge, more, nearly the method]", "en: [only one]")
    result, path = parse_one(tmp_path, text)
    assert messages(result) == [
        f"{path}:2:10: grade: must be 6, 7 or 8 (got 9)",
        f"{path}:4:15: difficulty: must be 1, 2 or 3 (got 4)",
        f"{path}:13:9: hints.en: must have exactly 3 hints (got 1)",
    ]


def test_errors_from_two_files_in_one_pass_sorted(tmp_path: Path) -> None:
    second = write(tmp_path, "b.yaml", edit(CHOICE, 'answer: "6"', 'answer: "7"'))
    first = write(tmp_path, "a.yaml", edit(NUMERIC, "grade: 6", "grade: 9") + "- just text\n")
    missing = tmp_path / "missing.yaml"
    result = parse_banks([second, missing, first])
    a, b, m = (str(p.resolve()) for p in (first, second, missing))
    assert messages(result) == [
        f"{a}:2:10: grade: must be 6, 7 or 8 (got 9)",
        f"{a}:18:3: each problem must be a mapping of fields (id: ...)",
        f"{b}:9:11: answer: '7' is not one of options.en",
        f"{m}:0:0: no such file or directory",
    ]
    assert result.files == [a, b]


def test_duplicate_id_within_a_file(tmp_path: Path) -> None:
    result, path = parse_one(tmp_path, NUMERIC + edit(TEXT, "g8-stat-001", "g6-frac-001"))
    assert messages(result) == [f"{path}:18:7: duplicate id 'g6-frac-001' (first used at line 1)"]
    assert [p.spec.id for p in result.problems] == ["g6-frac-001"]


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", NUMERIC)
    write(tmp_path, "b.yaml", TEXT + edit(CHOICE, "g7-geom-001", "g6-frac-001"))
    result = parse_banks([tmp_path / "b.yaml", tmp_path / "a.yaml"])
    a, b = (str((tmp_path / n).resolve()) for n in ("a.yaml", "b.yaml"))
    assert messages(result) == [f"{b}:9:7: duplicate id 'g6-frac-001' (first used at {a}:1)"]
    assert [p.spec.id for p in result.problems] == ["g6-frac-001", "g8-stat-001"]


# --------------------------------------------------------------------------- YAML safety


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("no", "no"),
        ("yes", "yes"),
        ("off", "off"),
        ("~", "~"),
        ("null", "null"),
        ("12:30", "12:30"),
        ("010", "010"),
        ("'010'", "010"),
        ("1e3", "1e3"),
        ("0x1F", "0x1F"),
        ("2024-01-02", "2024-01-02"),
        (".5", ".5"),
        ("!!str 007", "007"),
    ],
)
def test_yaml_11_traps_stay_strings(tmp_path: Path, written: str, expected: str) -> None:
    text = edit(TEXT, "answer: median", f"answer: {written}")
    text = edit(text, "accept: [the median, মধ্যমা]", f"accept: [{written}]")
    result, _ = parse_one(tmp_path, text)
    assert result.errors == []
    spec = result.problems[0].spec
    assert spec.answer == expected and spec.accept == [expected]


@pytest.mark.parametrize("written", ["010", "'010'", '"010"'])
def test_numeric_answer_010_stays_010(tmp_path: Path, written: str) -> None:
    text = edit(NUMERIC, 'answer: "3/4"', f"answer: {written}")
    result, _ = parse_one(tmp_path, edit(text, '  accept: ["0.75"]\n', ""))
    assert result.errors == []
    assert result.problems[0].spec.answer == "010"


def test_alias_bomb_is_rejected_fast(tmp_path: Path) -> None:
    lines = ['- a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 12):
        prev = chr(ord("a") + level - 1)
        refs = ", ".join([f"*{prev}"] * 9)
        lines.append(f"  {chr(ord('a') + level)}: &{chr(ord('a') + level)} [{refs}]")
    start = time.perf_counter()
    result, path = parse_one(tmp_path, "\n".join(lines) + "\n")
    assert time.perf_counter() - start < 1.0
    assert messages(result) == [
        f"{path}:1:6: anchors (&a) are not allowed; write each value out in full"
    ]


def test_alias_without_anchor_is_rejected(tmp_path: Path) -> None:
    result, path = parse_one(tmp_path, edit(TEXT, "answer: median", "answer: *median"))
    assert messages(result) == [
        f"{path}:7:11: aliases (*median) are not allowed; write the value out in full"
    ]


def test_duplicate_keys_rejected(tmp_path: Path) -> None:
    text = edit(TEXT, "  answer: median\n", "  answer: median\n  answer: mean\n")
    result, path = parse_one(tmp_path, text)
    assert messages(result) == [f"{path}:8:3: duplicate key 'answer' (first given on line 7)"]
    assert result.problems == []


def test_merge_key_rejected(tmp_path: Path) -> None:
    text = edit(TEXT, "  answer: median\n", "  answer: median\n  <<: {grade: 7}\n")
    result, path = parse_one(tmp_path, text)
    assert messages(result) == [f"{path}:8:3: merge keys (<<) are not allowed"]


@pytest.mark.parametrize(
    ("tagged", "shown"),
    [
        ("!!int 6", "!!int"),
        ("!!python/object:os.system {}", "!!python/object:os.system"),
        ("!custom 6", "!custom"),
        ("!!binary aGk=", "!!binary"),
    ],
)
def test_tags_rejected(tmp_path: Path, tagged: str, shown: str) -> None:
    result, path = parse_one(tmp_path, edit(TEXT, "grade: 8", f"grade: {tagged}"))
    assert messages(result) == [
        f"{path}:2:10: YAML tag {shown} is not allowed; values are read as the text written, "
        "so leave tags out"
    ]


def test_syntax_error_has_position(tmp_path: Path) -> None:
    result, path = parse_one(tmp_path, edit(TEXT, "answer: median", "answer: [median"))
    assert messages(result) == [
        f"{path}:8:9: YAML syntax error: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence)"
    ]
    result, path = parse_one(tmp_path, edit(TEXT, "  topic: statistics", "   topic: statistics"))
    assert messages(result) == [
        f"{path}:3:9: YAML syntax error: mapping values are not allowed here"
    ]


def test_tab_indentation_error_has_position(tmp_path: Path) -> None:
    result, _ = parse_one(tmp_path, "- id: x\n\tgrade: 6\n")
    assert [(e.line, e.column) for e in result.errors] == [(2, 1)]
    assert result.errors[0].message.startswith("YAML syntax error: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "1:1: file is empty; expected a list of problems (use [] for none)"),
        (
            "# only a comment\n",
            "1:1: file is empty; expected a list of problems (use [] for none)",
        ),
        (
            "id: x\n",
            "1:1: a bank file must be a list of problems, each starting '- id:', or a mapping "
            "with 'topics:' and 'problems:'",
        ),
        ("- 3\n", "1:3: each problem must be a mapping of fields (id: ...)"),
        (
            "[]\n---\n[]\n",
            "2:1: YAML syntax error: expected a single document in the stream, "
            "but found another document",
        ),
        ("- a\x00\n", "1:4: character #x0000 is not allowed"),
    ],
)
def test_file_level_errors(tmp_path: Path, text: str, expected: str) -> None:
    result, path = parse_one(tmp_path, text)
    assert messages(result) == [f"{path}:{expected}"]


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"- id: x\n  topic: caf\xe9\n")
    result = parse_banks([path])
    assert messages(result) == [f"{path.resolve()}:2:13: file is not valid UTF-8 (byte 0xe9)"]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    assert parse_banks([path]).errors == []


def test_deep_nesting_is_rejected_not_crashing(tmp_path: Path) -> None:
    result, _ = parse_one(tmp_path, "[" * 5000 + "]" * 5000 + "\n")
    assert len(result.errors) == 1
    assert "nested more than" in result.errors[0].message


def test_empty_directory_and_missing_path(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = parse_banks([empty, tmp_path / "nope"])
    assert result.errors == [
        BankError(str(empty.resolve()), 0, 0, "directory has no .yaml or .yml files"),
        BankError(str((tmp_path / "nope").resolve()), 0, 0, "no such file or directory"),
    ]
    assert result.files == [] and result.problems == []


def test_bank_error_str() -> None:
    assert str(BankError("a.yaml", 3, 7, "boom")) == "a.yaml:3:7: boom"


# --------------------------------------------------------------------------- content hash


def spec_from(tmp_path: Path, text: str, name: str = "bank.yaml") -> ProblemSpec:
    result, _ = parse_one(tmp_path, text, name)
    assert result.errors == [], messages(result)
    return result.problems[0].spec


def test_content_hash_is_stable_across_formatting_and_key_order(tmp_path: Path) -> None:
    reformatted = """\
- answer: '3/4'
  answer_type: "numeric"
  difficulty: "1"
  explanation: {bn: চতুর্থাংশ যোগ করো।, en: "Add the quarters."}
  grade: 6
  hints:
    bn:
      - ইঙ্গিত ১
      - ইঙ্গিত ২
      - ইঙ্গিত ৩
    en:
      - gentle nudge
      - more
      - "nearly the method  "
  id: g6-frac-001
  question: {bn: "১/২ + ১/৪ = কত?", en: "What is 1/2 + 1/4?"}
  tolerance: 0.010
  topic: fractions
  accept:
    - >-
      0.75
"""
    original = spec_from(tmp_path, NUMERIC, "a.yaml")
    assert spec_from(tmp_path, reformatted, "b.yaml").content_hash() == original.content_hash()
    # A fixed value: changing the canonical form would make every load "update" every problem.
    assert original.content_hash() == (
        "35635225875356ee0469e1b83499da76a89287baebe222ed02290d06580686f5"
    )


CHANGES = [
    ("id: g6-frac-001", "id: g6-frac-002"),
    ("grade: 6", "grade: 7"),
    ("topic: fractions", "topic: fraction"),
    ("difficulty: 1", "difficulty: 2"),
    ('en: "What is 1/2 + 1/4?"', 'en: "What is 1/2 + 1/4 ?"'),
    ('bn: "১/২ + ১/৪ = কত?"', 'bn: "১/২ + ১/৪ কত?"'),
    ("answer_type: numeric", "answer_type: text"),
    ('answer: "3/4"', 'answer: "0.75"'),
    ("tolerance: 0.01", "tolerance: 0.02"),
    ("  tolerance: 0.01\n", ""),
    ('accept: ["0.75"]', 'accept: [".75"]'),
    ('  accept: ["0.75"]\n', ""),
    ("nearly the method", "nearly the answer"),
    ("ইঙ্গিত ৩", "ইঙ্গিত ৪"),
    ("    bn: [ইঙ্গিত ১, ইঙ্গিত ২, ইঙ্গিত ৩]\n", ""),
    ("en: Add the quarters.", "en: Add the halves."),
    ("bn: চতুর্থাংশ যোগ করো।", "bn: যোগ করো।"),
    ("  explanation:\n    en: Add the quarters.\n    bn: চতুর্থাংশ যোগ করো।\n", ""),
]


def test_content_hash_changes_when_any_field_changes(tmp_path: Path) -> None:
    base = spec_from(tmp_path, NUMERIC, "base.yaml").content_hash()
    seen = {base}
    for index, (old, new) in enumerate(CHANGES):
        text = edit(NUMERIC, old, new)
        if "answer_type: text" in text:
            text = edit(text, "  tolerance: 0.01\n", "")
        digest = spec_from(tmp_path, text, f"changed{index}.yaml").content_hash()
        assert digest not in seen, (old, new)
        seen.add(digest)


def test_content_hash_changes_with_options(tmp_path: Path) -> None:
    base = spec_from(tmp_path, CHOICE, "a.yaml").content_hash()
    reordered = edit(CHOICE, 'en: ["5", "6", "8"]', 'en: ["6", "5", "8"]')
    assert spec_from(tmp_path, reordered, "b.yaml").content_hash() != base
    bengali = edit(CHOICE, 'bn: ["৫", "৬", "৮"]', 'bn: ["৫", "৬", "৯"]')
    assert spec_from(tmp_path, bengali, "c.yaml").content_hash() != base


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", "12"),
        ("-3", "-3"),
        ("+3", "3"),
        ("010", "10"),
        ("0.75", "3/4"),
        ("3/4", "3/4"),
        ("-3/4", "-3/4"),
        ("1 1/2", "3/2"),
        ("-1 1/2", "-3/2"),
        ("50%", "1/2"),
        ("12.5%", "1/8"),
    ],
)
def test_numeric_answers(text: str, value: str) -> None:
    from fractions import Fraction

    assert parse_numeric_answer(text) == Fraction(value)


@pytest.mark.parametrize(
    "text", ["", "1/0", "1 1/0", "1e3", "0x1F", "1,000", ".5", "1.", "৩", "1/2%", "1 -1/2", "a"]
)
def test_not_numeric_answers(text: str) -> None:
    assert parse_numeric_answer(text) is None


# --------------------------------------------------------------------------- robustness

YAMLISH = st.text(alphabet="-:?,[]{}&*!|>'\"#%@`~<\n\t abn01২৩.é\\/", max_size=200)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(st.text(max_size=300), YAMLISH))
def test_parse_banks_never_raises(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    result = parse_banks([path])
    assert all(not e.message.startswith("internal error") for e in result.errors), result.errors
    assert all(e.line >= 0 and e.column >= 0 for e in result.errors)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=200))
def test_parse_banks_never_raises_on_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    result = parse_banks([path])
    assert all(not e.message.startswith("internal error") for e in result.errors), result.errors


# --------------------------------------------------------------------------- topics and templates

TOPICS_FILE = """\
topics:
  - id: hcf-lcm
    grade: 6
    name: {en: "HCF and LCM", bn: "গসাগু ও লসাগু"}
  - id: primes
    grade: 6
    name: {en: "Prime numbers", bn: "মৌলিক সংখ্যা"}
problems:
  - id: g6-hcf-t01
    grade: 6
    topic: hcf-lcm
    difficulty: 2
    params:
      h: {range: [2, 9]}
      p: {range: [2, 9]}
      q: {range: [2, 9]}
      a: {value: "h * p"}
      b: {value: "h * q"}
    constraints:
      - "gcd(p, q) == 1"
      - "p != q"
    answer_type: numeric
    answer: "{h}"
    question:
      en: "Find the HCF of {a} and {b}."
      bn: "{a} ও {b} এর গসাগু নির্ণয় করো।"
    hints:
      en:
        - "Write the factors of {a}."
        - "Write the factors of {b}."
        - "Find the largest factor in both lists."
      bn:
        - "{a} এর গুণনীয়কগুলো লেখো।"
        - "{b} এর গুণনীয়কগুলো লেখো।"
        - "দুই তালিকায় থাকা সবচেয়ে বড় গুণনীয়কটি খুঁজে বের করো।"
    explanation:
      en: "{a} = {h} × {p} and {b} = {h} × {q}, so the HCF is {h}."
      bn: "{a} = {h} × {p} এবং {b} = {h} × {q}, তাই গসাগু {h}।"
  - id: g6-primes-001
    grade: 6
    topic: primes
    difficulty: 1
    question: {en: "Is 7 prime?", bn: "৭ কি মৌলিক সংখ্যা?"}
    answer_type: multiple_choice
    answer: "yes"
    options: {en: ["yes", "no"], bn: ["হ্যাঁ", "না"]}
"""

MORE_TOPICS = """\
topics:
  - {id: integers, grade: 6, name: {en: "Integers", bn: "পূর্ণসংখ্যা"}}
  - {id: integers, grade: 7, name: {en: "Integers", bn: "পূর্ণসংখ্যা"}}
problems: []
"""


def template_line(text: str, needle: str) -> int:
    """1-based line of the first line of ``text`` containing ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_mapping_file_with_topics_and_a_template(tmp_path: Path) -> None:
    write(tmp_path, "b-more.yaml", MORE_TOPICS)
    write(tmp_path, "a-hcf.yaml", TOPICS_FILE)
    result = parse_banks([tmp_path])
    assert result.errors == []
    assert [(t.grade, t.id, t.name_en, t.name_bn, t.order) for t in result.topics] == [
        (6, "hcf-lcm", "HCF and LCM", "গসাগু ও লসাগু", 0),
        (6, "primes", "Prime numbers", "মৌলিক সংখ্যা", 1),
        (6, "integers", "Integers", "পূর্ণসংখ্যা", 2),
        (7, "integers", "Integers", "পূর্ণসংখ্যা", 0),
    ]
    template, item = result.problems
    assert template.spec.is_template and template.line == 9
    assert template.variant_seeds is not None and len(template.variant_seeds) >= 20
    assert template.variant_seeds[0] == 0
    assert item.variant_seeds is None and not item.spec.is_template


def test_undeclared_topic_is_an_error_once_any_file_declares_topics(tmp_path: Path) -> None:
    write(tmp_path, "a-hcf.yaml", TOPICS_FILE)
    old = write(tmp_path, "b-old.yaml", NUMERIC)
    result = parse_banks([tmp_path])
    assert messages(result) == [
        f"{old.resolve()}:3:10: topic: 'fractions' is not a declared topic of class 6 "
        "(declare it under 'topics:' in one of the files loaded)"
    ]
    assert [p.spec.id for p in result.problems] == ["g6-hcf-t01", "g6-primes-001"]
    # Old list-form files on their own need no topics.
    assert parse_banks([old]).errors == []


def test_topic_declared_in_another_grade_does_not_count(tmp_path: Path) -> None:
    text = TOPICS_FILE.replace(
        "    grade: 6\n    topic: primes", "    grade: 7\n    topic: primes"
    )
    result, path = parse_one(tmp_path, text)
    line = template_line(text, "topic: primes")
    assert messages(result) == [
        f"{path}:{line}:12: topic: 'primes' is not a declared topic of class 7 "
        "(declare it under 'topics:' in one of the files loaded)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            MORE_TOPICS.replace("grade: 7", "grade: 6"),
            "3:5: topic 'integers' of class 6 is declared twice (first at line 2)",
        ),
        (
            MORE_TOPICS.replace("id: integers, grade: 7", "id: Integers, grade: 7"),
            "3:10: topic id: must be a lowercase slug: a-z, 0-9, '_' or '-', starting with a "
            "letter, at most 40 characters (got 'Integers')",
        ),
        (
            MORE_TOPICS.replace('bn: "পূর্ণসংখ্যা"}}\n  - {id', "}}\n  - {id"),
            "2:36: topic name: missing required field 'bn'",
        ),
        (
            MORE_TOPICS.replace("grade: 7,", "grade: 7, level: 2,"),
            "3:30: topic unknown field 'level'",
        ),
        (
            MORE_TOPICS + "extra: []\n",
            "5:1: unknown section 'extra': a bank file has 'topics:' and 'problems:'",
        ),
        ("topics: []\n", "1:1: missing section 'problems:' (use [] for none)"),
        ("topics: []\nproblems: {}\n", "2:11: problems: must be a list"),
    ],
)
def test_bad_topics_and_sections(tmp_path: Path, text: str, expected: str) -> None:
    result, path = parse_one(tmp_path, text)
    assert messages(result) == [f"{path}:{expected}"]


def test_duplicate_topic_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", MORE_TOPICS)
    write(tmp_path, "b.yaml", MORE_TOPICS.replace("grade: 6", "grade: 8"))
    result = parse_banks([tmp_path])
    a, b = (str((tmp_path / n).resolve()) for n in ("a.yaml", "b.yaml"))
    assert messages(result) == [
        f"{b}:3:5: topic 'integers' of class 7 is declared twice (first at {a}:3)"
    ]


# Each malformed template of issue 22: (text to change, new text, the text the error points
# at, the message).
BAD_TEMPLATES = {
    "unsafe expression": (
        'answer: "{h}"',
        'answer: "{h.__class__}"',
        '"{h.__class__}"',
        "answer: placeholder 'h.__class__': attribute access ('.') is not allowed",
    ),
    "import": (
        'b: {value: "h * q"}',
        'b: {value: "import os"}',
        '"import os"',
        "params.b.value: value 'import os': import is not allowed",
    ),
    "unknown parameter": (
        "Write the factors of {b}.",
        "Write the factors of {c}.",
        '"Write the factors of {c}."',
        "hints.en item 2: placeholder 'c': unknown parameter 'c'",
    ),
    "constraint no seed satisfies": (
        '"p != q"',
        '"p > 100"',
        '"p > 100"',
        "constraints item 2: no variant found in 1,000 draws: constraint 'p > 100' failed "
        "1000 times",
    ),
    "leaking hint": (
        "Find the largest factor in both lists.",
        "The HCF is {h}.",
        '"The HCF is {h}."',
        "hints.en item 3: reveals the answer",
    ),
    "too few variants": (
        "p: {range: [2, 9]}\n      q: {range: [2, 9]}",
        "p: {range: [2, 3]}\n      q: {range: [2, 3]}",
        "params:",
        "params: only 16 distinct variants (different English questions) in 200 seeds; a "
        "template needs at least 20",
    ),
    "division by zero on some seed": (
        'en: "{a} = {h} × {p} and',
        'en: "{a / (p - 3)} = {h} × {p} and',
        '"{a / (p - 3)}',
        "explanation.en: 'a / (p - 3)': division by zero (with a=",
    ),
}


@pytest.mark.parametrize("case", list(BAD_TEMPLATES), ids=list(BAD_TEMPLATES))
def test_malformed_template_is_rejected_at_its_line(
    tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new, marker, message = BAD_TEMPLATES[case]
    text = edit(TOPICS_FILE, old, new)
    result, path = parse_one(tmp_path, text)
    line = template_line(text, marker)
    column = text.splitlines()[line - 1].index(marker) + 1
    assert len(result.errors) == 1, messages(result)
    assert str(result.errors[0]).startswith(f"{path}:{line}:{column}: {message}"), messages(result)
    error = result.errors[0]
    if case in ("leaking hint", "division by zero on some seed"):
        assert "(seed " in error.message
    assert [p.spec.id for p in result.problems] == ["g6-primes-001"]  # the template is not loaded
    # ... and the load command writes nothing.
    import argparse

    from bot.cli import commands as cli

    def must_not_load(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the database was touched")

    monkeypatch.setattr(cli, "_load", must_not_load)
    code = cli.cmd_problems_load(argparse.Namespace(paths=[path], dry_run=False, json=False), None)  # type: ignore[arg-type]
    assert code == 1


def test_constraints_only_on_templates(tmp_path: Path) -> None:
    text = edit(NUMERIC, "  tolerance: 0.01\n", '  tolerance: 0.01\n  constraints: ["1 < 2"]\n')
    result, path = parse_one(tmp_path, text)
    assert messages(result) == [
        f"{path}:11:3: constraints: only templates (problems with 'params') have constraints"
    ]


def test_parsing_is_cached_by_content(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", TOPICS_FILE)
    first = parse_banks([path])
    start = time.perf_counter()
    second = parse_banks([path])
    assert time.perf_counter() - start < 0.05
    assert second == first and second.problems is not first.problems
    changed = write(tmp_path, "a.yaml", TOPICS_FILE.replace("Is 7 prime?", "Is 11 prime?"))
    third = parse_banks([changed])
    assert third.problems[1].spec.question.en == "Is 11 prime?"
    # A copy elsewhere reuses the template checks (keyed on content), not the file result.
    copy = write(tmp_path / "..", "copy-of-a.yaml", TOPICS_FILE)
    assert parse_banks([copy]).problems[0].path == str(copy.resolve())
