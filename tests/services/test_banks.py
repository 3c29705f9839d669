"""Loading banks into the database, and the quality of the shipped sample bank."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import delete, func, select

from bot.services.banks import load_banks
from bot.services.deps import Deps
from db.models import PracticeSession, Problem, Response
from problems.bank import parse_banks, sample_bank_dir
from problems.checking import Verdict, check_answer, hint_reveals_answer
from problems.schema import ProblemSpec
from problems.templates import instantiate
from problems.types import AnswerType
from tests.helpers import next_update_id, onboard

BANK = """\
- id: t-1
  grade: 6
  topic: integers
  difficulty: 1
  question: {en: "What is 2 + 3?", bn: "২ + ৩ = কত?"}
  answer_type: numeric
  answer: "5"
  hints:
    en: ["Count on.", "Start at two.", "Add the two numbers."]
    bn: ["গুনে দেখো।", "দুই থেকে শুরু করো।", "সংখ্যা দুটি যোগ করো।"]
- id: t-2
  grade: 6
  topic: integers
  difficulty: 1
  question: {en: "What is 10 - 4?", bn: "১০ - ৪ = কত?"}
  answer_type: numeric
  answer: "6"
"""


def _write(tmp_path: Path, text: str, name: str = "bank.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def _problems(deps: Deps) -> dict[str, Problem]:
    async with deps.db() as s:
        return {p.key: p for p in (await s.scalars(select(Problem))).all()}


async def _load(deps: Deps, *paths: Path, dry_run: bool = False):
    parsed = parse_banks(list(paths))
    assert not parsed.errors, parsed.errors
    return await load_banks(deps.db, parsed, dry_run=dry_run)


async def test_load_reload_update_and_retire(deps: Deps, tmp_path: Path) -> None:
    path = _write(tmp_path, BANK)
    first = await _load(deps, path)
    assert (first.created, first.updated, first.unchanged, first.retired) == (2, 0, 0, 0)
    again = await _load(deps, path)
    assert (again.created, again.updated, again.unchanged, again.retired) == (0, 0, 2, 0)

    before = await _problems(deps)
    _write(tmp_path, BANK.replace('answer: "6"', 'answer: "7"'))
    changed = await _load(deps, path)
    after = await _problems(deps)
    assert (changed.updated, changed.unchanged) == (1, 1)
    assert after["t-2"].answer == "7" and after["t-2"].id == before["t-2"].id

    _write(tmp_path, BANK.split("- id: t-2")[0])
    retired = await _load(deps, path)
    assert retired.retired == 1
    assert (await _problems(deps))["t-2"].active is False


async def test_dry_run_writes_nothing(deps: Deps, tmp_path: Path) -> None:
    summary = await _load(deps, _write(tmp_path, BANK), dry_run=True)
    assert summary.created == 2
    assert await _problems(deps) == {}


async def test_problem_in_another_file_is_not_retired(deps: Deps, tmp_path: Path) -> None:
    a = _write(tmp_path, BANK, "a.yaml")
    other = BANK.replace("t-1", "u-1").replace("t-2", "u-2")
    b = _write(tmp_path, other, "b.yaml")
    await _load(deps, a, b)
    summary = await _load(deps, a)  # loading a alone must not touch b's problems
    assert summary.retired == 0
    assert all(p.active for p in (await _problems(deps)).values())


async def test_retired_problem_is_never_served_and_keeps_responses(
    deps: Deps, tmp_path: Path
) -> None:
    path = _write(tmp_path, BANK)
    await _load(deps, path)
    await onboard(deps, 42)
    from bot.services import practice

    view = (await practice.start_practice(deps, telegram_id=42)).problem
    assert view is not None
    await practice.submit_answer(deps, telegram_id=42, answer="0", update_id=next_update_id())
    _write(tmp_path, "[]\n")
    await _load(deps, path)
    async with deps.db() as s:
        assert await s.scalar(select(func.count()).select_from(Response)) == 1
        await s.execute(delete(PracticeSession))
        await s.commit()
    again = await practice.start_practice(deps, telegram_id=42)
    assert again.kind == "no_problems"


def test_bad_bank_is_rejected_by_the_cli_with_locations(tmp_path: Path) -> None:
    bad = _write(tmp_path, BANK.replace("grade: 6", "grade: 9", 1))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "problems", "load", str(bad)],
        capture_output=True,
        text=True,
        env={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}", "PATH": ""},
        check=False,
    )
    assert result.returncode == 1
    assert f"{bad.resolve()}:2:10:" in result.stderr
    assert "nothing was written" in result.stderr
    assert not (tmp_path / "x.sqlite3").exists()


async def test_sample_bank_loads_and_reloads_unchanged(deps: Deps, sample_bank) -> None:
    first = await load_banks(deps.db, sample_bank)
    assert first.created == len(sample_bank.problems)
    again = await load_banks(deps.db, sample_bank)
    assert (again.created, again.updated, again.retired) == (0, 0, 0)
    assert again.unchanged == len(sample_bank.problems)


def _variants(sample_bank, per_template: int = 3) -> list[ProblemSpec]:
    """Every item, and a few variants of every template, as plain problems."""
    out = []
    for item in sample_bank.problems:
        if item.spec.is_template:
            out += [instantiate(item.spec, seed) for seed in item.variant_seeds[:per_template]]
        else:
            out.append(item.spec)
    return out


def test_sample_bank_covers_each_class_syllabus_in_both_languages(sample_bank) -> None:
    specs = _variants(sample_bank)
    for grade in (6, 7, 8):
        topics = [t for t in sample_bank.topics if t.grade == grade]
        assert len(topics) >= 15, (grade, len(topics))
        assert all(t.name_en and t.name_bn for t in topics)
        for topic in topics:
            levels = {s.difficulty for s in specs if (s.grade, s.topic) == (grade, topic.id)}
            assert len(levels) >= 2, (grade, topic.id, levels)
    assert {s.answer_type for s in specs} == set(AnswerType)
    latin = set("0123456789")
    for s in specs:
        bn_texts = [s.question.bn]
        bn_texts += list(s.options.bn) if s.options else []
        bn_texts += list(s.hints.bn or []) if s.hints else []
        bn_texts += [s.explanation.bn] if s.explanation else []
        assert not any(latin & set(text) for text in bn_texts), f"{s.id}: Latin digits in bn"


def test_sample_bank_answers_grade_correct_and_hints_never_state_them(sample_bank) -> None:
    for spec in _variants(sample_bank):
        key = spec.answer_key()
        assert check_answer(key, spec.answer).verdict is Verdict.CORRECT, spec.id
        assert spec.hints is not None and spec.hints.en and spec.hints.bn, spec.id
        for hint in [*spec.hints.en, *spec.hints.bn]:
            assert not hint_reveals_answer(key, hint), f"{spec.id}: {hint}"


def test_ten_thousand_problems_load_in_seconds(tmp_path: Path) -> None:
    """Sanity only (the figure lives in bench/): a big bank must not take minutes."""
    template = BANK.split("- id: t-2")[0]
    big = "".join(template.replace("t-1", f"big-{i}") for i in range(2000))
    path = _write(tmp_path, big)
    started = time.monotonic()
    parsed = parse_banks([path])
    assert not parsed.errors and len(parsed.problems) == 2000
    assert time.monotonic() - started < 60
    assert sample_bank_dir().is_dir()
