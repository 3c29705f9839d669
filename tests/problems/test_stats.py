"""Tests for the bank statistics and the template preview (problems/stats.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from problems.bank import parse_banks
from problems.stats import bank_stats, format_stats, main, preview

BANK = """\
topics:
  - {id: addition, grade: 6, name: {en: "Addition", bn: "যোগ"}}
  - {id: primes, grade: 6, name: {en: "Prime numbers", bn: "মৌলিক সংখ্যা"}}
  - {id: sets, grade: 8, name: {en: "Sets", bn: "সেট"}}
problems:
  - id: g6-add-t01
    grade: 6
    topic: addition
    difficulty: 1
    params:
      a: {range: [2, 20]}
      b: {range: [2, 20]}
      item: {choice: {en: ["mangoes", "pencils"], bn: ["আম", "পেনসিল"]}}
    constraints: ["a < b"]
    answer_type: numeric
    answer: "{a + b}"
    question:
      en: "Rina has {a} {item} and gets {b} more. How many now?"
      bn: "রিনার {a}টি {item} আছে, সে আরও {b}টি পেল। এখন কয়টি?"
    hints:
      en: ["Put the two groups together.", "Add the two numbers.", "Count on from the larger."]
      bn: ["দুই ভাগ একসাথে করো।", "সংখ্যা দুটি যোগ করো।", "বড়টি থেকে গুনে যাও।"]
    explanation:
      en: "{a} + {b} = {a + b}"
      bn: "{a} + {b} = {a + b}"
  - id: g6-add-001
    grade: 6
    topic: addition
    difficulty: 1
    question: {en: "What is 2 + 3?", bn: "২ + ৩ = কত?"}
    answer_type: numeric
    answer: "5"
  - id: g6-add-002
    grade: 6
    topic: addition
    difficulty: 2
    question: {en: "What is 20 + 30?", bn: "২০ + ৩০ = কত?"}
    answer_type: numeric
    answer: "50"
  - id: g8-sets-001
    grade: 8
    topic: sets
    difficulty: 1
    question: {en: "How many elements has {1, 2, 3}?", bn: "{১, ২, ৩} সেটে কয়টি উপাদান?"}
    answer_type: numeric
    answer: "3"
"""


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    path = tmp_path / "g6-01-addition.yaml"
    path.write_text(BANK, encoding="utf-8")
    return path


def test_stats_shape_and_counts(bank: Path) -> None:
    parsed = parse_banks([bank])
    assert parsed.errors == []
    data = bank_stats(parsed)
    # 171 pairs 2 <= a < b <= 20, times two items
    assert data == {
        "classes": {
            "6": {
                "distinct": 344,
                "topics": {
                    "addition": {"items": 2, "templates": 1, "distinct": 344},
                    "primes": {"items": 0, "templates": 0, "distinct": 0},
                },
            },
            "8": {
                "distinct": 1,
                "topics": {"sets": {"items": 1, "templates": 0, "distinct": 1}},
            },
        }
    }
    assert list(data["classes"]["6"]["topics"]) == ["addition", "primes"]  # syllabus order
    assert bank_stats(parsed, workers=2) == data


def test_format_stats_is_a_table_with_topic_names(bank: Path) -> None:
    text = format_stats(bank_stats(parse_banks([bank])), {(6, "addition"): "Addition"})
    lines = text.splitlines()
    assert lines[0] == "Class 6: 2 topics, 344 distinct problems"
    assert lines[1].split() == ["topic", "name", "items", "templates", "distinct"]
    assert lines[2].split() == ["addition", "Addition", "2", "1", "344"]
    assert lines[4].split() == ["total", "2", "1", "344"]
    assert "Class 8: 1 topics, 1 distinct problems" in text


def test_preview_in_english_and_bengali(bank: Path) -> None:
    parsed = parse_banks([bank])
    english = preview(parsed, "g6-add-t01", count=3, seed=10)
    assert english.count("\nseed ") == 3
    assert "seed 10:" in english and "seed 12:" in english
    assert "  question: Rina has " in english
    assert "  answer: " in english and "  hint 3: Count on from the larger." in english
    assert "  explanation: " in english
    bengali = preview(parsed, "g6-add-t01", count=2, lang="bn")
    assert "রিনার " in bengali and ("টি আম" in bengali or "টি পেনসিল" in bengali)
    question_lines = [line for line in bengali.splitlines() if "question:" in line]
    assert all(not any(ch.isascii() and ch.isdigit() for ch in line) for line in question_lines)
    item = preview(parsed, "g6-add-001")
    assert "an item (not a template)" in item and "answer: 5" in item
    with pytest.raises(KeyError):
        preview(parsed, "no-such-id")


def test_preview_shows_multiple_choice_options(tmp_path: Path) -> None:
    text = BANK.replace(
        '    answer_type: numeric\n    answer: "{a + b}"',
        '    answer_type: multiple_choice\n    answer: "{a + b}"\n'
        '    options: {en: ["{a + b}", "{b - a}"], bn: ["{a + b}", "{b - a}"]}',
    )
    path = tmp_path / "bank.yaml"
    path.write_text(text, encoding="utf-8")
    parsed = parse_banks([path])
    assert parsed.errors == []
    shown = preview(parsed, "g6-add-t01", count=1, lang="bn")
    assert "    ক) " in shown and "  <- answer" in shown and "    খ) " in shown


def test_command_line(bank: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", str(bank), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["classes"]["6"]["topics"]["addition"]["distinct"] == 344
    assert main(["stats", str(bank)]) == 0
    assert "Addition" in capsys.readouterr().out
    assert main(["preview", str(bank), "--id", "g6-add-t01", "--count", "2", "--lang", "bn"]) == 0
    assert "seed 1:" in capsys.readouterr().out
    assert main(["preview", str(bank), "--id", "nope"]) == 1
    assert "no problem with id 'nope'" in capsys.readouterr().err


def test_preview_of_a_template_that_does_not_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bank.yaml"
    path.write_text(BANK.replace('"{a} + {b} = {a + b}"', '"{a / (b - 10)}"', 1), encoding="utf-8")
    assert main(["preview", str(path), "--id", "g6-add-t01", "--count", "40"]) == 1
    captured = capsys.readouterr()
    assert "explanation.en: 'a / (b - 10)': division by zero" in captured.err
    assert "  error: explanation.en: 'a / (b - 10)': division by zero" in captured.out
    assert "seed 0:" in captured.out
