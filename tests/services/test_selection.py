"""Selection from mastery, as tables: no database."""

from __future__ import annotations

import pytest

from bot.services.selection import (
    Candidate,
    TopicState,
    choose_problems,
    plan_topics,
    target_difficulty,
)

SYLLABUS = ["a", "b", "c", "d", "e"]
TODAY = 20_000


def _bank() -> list[Candidate]:
    """Each topic: a template at each difficulty 1–3 (20 seeds), and one item."""
    bank, pid = [], 1
    for topic in SYLLABUS:
        for difficulty in (1, 2, 3):
            bank.append(Candidate(pid, topic, difficulty, tuple(range(1, 21))))
            pid += 1
        bank.append(Candidate(pid, topic, 1))
        pid += 1
    return bank


def _topic(pid: int) -> str:
    return next(c.topic for c in _bank() if c.problem_id == pid)


M = TopicState(0.97, 20, TODAY + 10)  # mastered, review not due


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        # A new student: the first two topics of the syllabus, and a taste of the third.
        ({}, [("a", "learn"), ("b", "learn"), ("a", "learn"), ("b", "learn"), ("c", "new")]),
        # "a" mastered and not due: the frontier moves on; the weakest first.
        (
            {"a": M, "b": TopicState(0.5, 6, TODAY + 1), "c": TopicState(0.3, 3, TODAY + 1)},
            [("c", "learn"), ("b", "learn"), ("c", "learn"), ("b", "learn"), ("d", "new")],
        ),
        # "a" mastered but its review is due: it comes back first.
        (
            {"a": TopicState(0.97, 20, TODAY), "b": TopicState(0.5, 6, TODAY + 1)},
            [("a", "review"), ("c", "learn"), ("b", "learn"), ("c", "learn"), ("d", "new")],
        ),
        # Everything mastered, nothing due: the least secure topics again.
        (
            {t: TopicState(0.96 + i / 100, 20, TODAY + 5) for i, t in enumerate(SYLLABUS)},
            [("a", "more"), ("b", "more"), ("c", "more"), ("d", "more"), ("e", "more")],
        ),
    ],
)
def test_plan_topics(states, expected) -> None:
    assert plan_topics(SYLLABUS, states, 5, today=TODAY) == expected


def test_many_due_reviews_take_at_most_two_of_five_the_longest_overdue_first() -> None:
    states = {
        "a": TopicState(0.97, 20, TODAY - 1),
        "b": TopicState(0.98, 20, TODAY - 5),
        "c": TopicState(0.99, 20, TODAY),
    }
    plan = plan_topics(SYLLABUS, states, 5, today=TODAY)
    assert [t for t, why in plan if why == "review"] == ["b", "a"]


@pytest.mark.parametrize(("p", "level"), [(0.1, 1), (0.39, 1), (0.4, 2), (0.74, 2), (0.9, 3)])
def test_difficulty_matches_mastery(p, level) -> None:
    assert target_difficulty(p) == level


def test_choice_is_deterministic_per_seed_and_matches_difficulty() -> None:
    states = {"a": TopicState(0.8, 10, TODAY + 3), "b": TopicState(0.2, 2, TODAY + 1)}
    first = choose_problems(_bank(), SYLLABUS, states, 5, today=TODAY, seed="s1")
    assert first == choose_problems(_bank(), SYLLABUS, states, 5, today=TODAY, seed="s1")
    assert len(first) == 5 and len({pid for pid, _ in first}) == 5
    by_id = {c.problem_id: c for c in _bank()}
    # "a" is nearly known: level 3 there; "b" is new to them: level 1.
    assert {by_id[pid].difficulty for pid, _ in first if by_id[pid].topic == "b"} == {1}
    assert 3 in {by_id[pid].difficulty for pid, _ in first if by_id[pid].topic == "a"}


def test_a_review_prefers_fresh_numbers_and_nothing_seen_comes_again() -> None:
    states = {
        "a": TopicState(0.97, 20, TODAY - 2),
        "b": TopicState(0.5, 5, TODAY + 1),
        "c": TopicState(0.5, 5, TODAY + 1),
    }
    seen = {(pid, s) for pid in range(1, 5) for s in range(1, 20)}  # "a": one seed left each
    chosen = choose_problems(_bank(), SYLLABUS, states, 5, today=TODAY, seed="x", seen=seen)
    review = [(pid, s) for pid, s in chosen if _topic(pid) == "a"]
    assert len(review) == 1 and review[0][1] == 20  # a template, with the unseen numbers
    assert not set(chosen) & seen


def test_a_bank_too_small_gives_what_it_has() -> None:
    bank = [Candidate(1, "a", 1), Candidate(2, "a", 2)]
    chosen = choose_problems(bank, ["a"], {}, 5, today=TODAY, seed="x")
    assert sorted(chosen) == [(1, 0), (2, 0)]
    # Seen items come again rather than an empty session.
    again = choose_problems(bank, ["a"], {}, 5, today=TODAY, seed="x", seen={(1, 0), (2, 0)})
    assert sorted(again) == [(1, 0), (2, 0)]
