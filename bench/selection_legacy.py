"""The selection Dars used before mastery (issue 20), kept for ``bench.learning`` to compare
against: which problems a student gets today, as (problem id, seed) variants. Pure and
deterministic per seed. It reads the student's whole history of responses.

* Nothing the student was given in the last ``REPEAT_DAYS`` comes again: an item (a problem
  without parameters) is not repeated, a template gives a variant the student has not seen.
* A review first: the templates missed most recently (and not answered right since) come
  back with new numbers.
* Then the weakest topics first, round-robin so one session is not all one topic, at a
  difficulty that rises with accuracy, and the templates practised least first.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Collection, Sequence

from bot.services.selection import REPEAT_DAYS, Candidate, Variant
from db.queries.practice import ProblemHistory

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

__all__ = ["REPEAT_DAYS", "Candidate", "Variant", "choose_problems", "target_difficulty"]


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
    seen: Collection[Variant] = frozenset(),
) -> list[Variant]:
    """Pick up to ``count`` variants for one session (``seen``: given in the last 200 days)."""
    rng = random.Random(seed)
    by_id = {h.problem_id: h for h in history}
    seen = set(seen)

    def fresh(c: Candidate) -> list[int]:
        if not c.seeds:
            return [] if (c.problem_id, 0) in seen else [0]
        return [s for s in c.seeds if (c.problem_id, s) not in seen]

    def has_fresh(c: Candidate) -> bool:  # fresh(c) != [], without building the list
        if not c.seeds:
            return (c.problem_id, 0) not in seen
        return any((c.problem_id, s) not in seen for s in c.seeds)

    usable = [c for c in candidates if has_fresh(c)]

    def missed_lately(c: Candidate) -> bool:
        h = by_id.get(c.problem_id)
        return (
            bool(c.seeds)
            and h is not None
            and h.last_wrong_at is not None
            and (h.last_correct_at is None or h.last_correct_at < h.last_wrong_at)
        )

    # Review: templates missed and not answered right since, the most recent miss first.
    missed = sorted(
        (c for c in usable if missed_lately(c)),
        key=lambda c: by_id[c.problem_id].last_wrong_at or _EPOCH,
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

    def rank(c: Candidate) -> tuple[float, int, int, float]:
        weakness = topic_right[c.topic] / topic_tries[c.topic]
        tried = by_id[c.problem_id].attempts if c.problem_id in by_id else 0
        return (round(weakness, 2), abs(c.difficulty - target), tried, rng.random())

    pool = sorted((c for c in usable if c not in chosen), key=rank)
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

    variants = [(c.problem_id, rng.choice(fresh(c)), c.difficulty) for c in chosen]
    if len(variants) < count:
        # A bank too small for the year: the items answered longest ago come again.
        again = sorted(
            (c for c in candidates if c not in chosen and not c.seeds),
            key=lambda c: (
                by_id[c.problem_id].last_correct_at or _EPOCH if c.problem_id in by_id else _EPOCH,
                rng.random(),
            ),
        )
        variants += [(c.problem_id, 0, c.difficulty) for c in again[: count - len(variants)]]

    variants.sort(key=lambda v: v[2])
    return [(pid, s) for pid, s, _difficulty in variants]
