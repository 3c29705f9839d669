"""Which problems a student gets today: unsolved first, weakest topics first, a review of
recent misses, and difficulty that rises with accuracy. Pure and deterministic per seed."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from db.queries.practice import ProblemHistory

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Candidate:
    problem_id: int
    topic: str
    difficulty: int


def target_difficulty(history: Sequence[ProblemHistory]) -> int:
    """Start easy; move to 2 at 60 % accuracy and 3 at 85 % (after at least 5 answers)."""
    attempts = sum(h.attempts for h in history)
    if attempts < 5:
        return 1
    accuracy = sum(h.correct for h in history) / attempts
    return 3 if accuracy >= 0.85 else 2 if accuracy >= 0.6 else 1


def choose_problems(
    candidates: Sequence[Candidate],
    history: Sequence[ProblemHistory],
    count: int,
    *,
    seed: str,
) -> list[int]:
    """Pick up to ``count`` problem ids for one session."""
    rng = random.Random(seed)
    by_id = {h.problem_id: h for h in history}
    solved = {pid for pid, h in by_id.items() if h.correct > 0}
    unsolved = [c for c in candidates if c.problem_id not in solved]

    # Review: problems missed before and never solved, the most recent miss first.
    missed = sorted(
        (c for c in unsolved if c.problem_id in by_id and by_id[c.problem_id].last_wrong_at),
        key=lambda c: by_id[c.problem_id].last_wrong_at,  # type: ignore[arg-type,return-value]
        reverse=True,
    )
    chosen: list[Candidate] = missed[: max(1, count // 5)]

    # Topic weakness: accuracy with a gentle prior so unseen topics sit in the middle.
    topic_right: dict[str, float] = defaultdict(lambda: 1.0)
    topic_tries: dict[str, float] = defaultdict(lambda: 2.0)
    topic_of = {c.problem_id: c.topic for c in candidates}
    for h in history:
        topic = topic_of.get(h.problem_id)
        if topic is not None:
            topic_right[topic] += h.correct
            topic_tries[topic] += h.attempts
    target = target_difficulty(history)

    def rank(c: Candidate) -> tuple[float, int, float]:
        weakness = topic_right[c.topic] / topic_tries[c.topic]
        return (round(weakness, 2), abs(c.difficulty - target), rng.random())

    pool = sorted((c for c in unsolved if c not in chosen), key=rank)
    # Round-robin over topics in weakness order, so one session is not all one topic.
    queues: dict[str, list[Candidate]] = {}
    for c in pool:
        queues.setdefault(c.topic, []).append(c)
    while len(chosen) < count and queues:
        for topic in list(queues):
            if len(chosen) >= count:
                break
            chosen.append(queues[topic].pop(0))
            if not queues[topic]:
                del queues[topic]

    if len(chosen) < count:
        # Everything solved: revisit the problems solved longest ago.
        again = sorted(
            (c for c in candidates if c.problem_id in solved and c not in chosen),
            key=lambda c: (by_id[c.problem_id].last_correct_at or _EPOCH, rng.random()),
        )
        chosen.extend(again[: count - len(chosen)])

    chosen.sort(key=lambda c: c.difficulty)
    return [c.problem_id for c in chosen]
