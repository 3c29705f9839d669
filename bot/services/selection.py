"""Which problems a student gets today, from what they know of each topic. Pure and
deterministic per seed; it reads the student's mastery rows (one a topic), never their history.

A session of ``count`` problems mixes:

(a) **reviews that are due**: topics practised before whose review day has come (the ladder of
    ``mastery.INTERVALS``), the longest overdue first — up to two in five problems — with a
    template's fresh numbers where the topic has templates;
(b) **learning**: the first unmastered topics in the class's syllabus order (``FRONTIER`` of
    them), the weakest first, round-robin, each at a difficulty matched to its mastery;
(c) **something new**: one problem of the next topic not started yet after those.

Slots a part cannot fill go to the others. Nothing the student was given in the last
``REPEAT_DAYS`` comes again (an item is not repeated; a template gives numbers not seen).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.services.mastery import DEFAULT_PARAMS, MASTERED

# A school year and then some: within this many days a student never meets a variant twice.
REPEAT_DAYS = 200
# How many unmastered topics are worked on at once.
FRONTIER = 2

Variant = tuple[int, int]
Reason = Literal["review", "learn", "new", "more"]


@dataclass(frozen=True, slots=True)
class Candidate:
    problem_id: int
    topic: str
    difficulty: int
    # A template's seeds with distinct questions; empty for an item (its one variant: 0).
    seeds: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class TopicState:
    """One topic as the student stands in it (from their mastery row, written by practice or
    the placement check; no row: not started)."""

    p_known: float
    attempts: int
    due_day: int


def target_difficulty(p_known: float) -> int:
    """The level that stretches without overwhelming: 1 while the topic is unknown, 2 once
    it is getting familiar, 3 when nearly mastered."""
    return 1 if p_known < 0.4 else 2 if p_known < 0.75 else 3


def plan_topics(
    syllabus: Sequence[str],
    states: Mapping[str, TopicState],
    count: int,
    *,
    today: int,
) -> list[tuple[str, Reason]]:
    """The topics of today's ``count`` problems, with why each is there."""
    started = {t: s for t, s in states.items() if t in syllabus}

    def p(topic: str) -> float:
        state = started.get(topic)
        return state.p_known if state is not None else DEFAULT_PARAMS.prior

    due = sorted(
        (t for t, s in started.items() if s.due_day <= today),
        key=lambda t: (started[t].due_day, p(t), syllabus.index(t)),
    )
    unmastered = [t for t in syllabus if p(t) < MASTERED]
    frontier = sorted(unmastered[:FRONTIER], key=lambda t: (p(t), syllabus.index(t)))
    fresh = [t for t in unmastered[FRONTIER:] if t not in started]

    plan: list[tuple[str, Reason]] = []
    reviews = [t for t in due if t not in frontier][: max(1, count * 2 // 5)]
    plan += [(t, "review") for t in reviews]
    new: list[tuple[str, Reason]] = [(fresh[0], "new")] if fresh and count >= 3 else []
    learn_slots = count - len(plan) - len(new)
    if frontier:
        plan += [(frontier[i % len(frontier)], "learn") for i in range(max(0, learn_slots))]
    plan += new
    if len(plan) < count:
        # Everything mastered (or a tiny syllabus): the least secure topics again.
        rest = sorted(syllabus, key=lambda t: (p(t), syllabus.index(t)))
        plan += [(rest[i % len(rest)], "more") for i in range(count - len(plan)) if rest]
    return plan[:count]


def choose_problems(
    candidates: Sequence[Candidate],
    syllabus: Sequence[str],
    states: Mapping[str, TopicState],
    count: int,
    *,
    today: int,
    seed: str,
    seen: Collection[Variant] = frozenset(),
) -> list[Variant]:
    """Pick up to ``count`` variants for one session (``seen``: given in the last 200 days)."""
    rng = random.Random(seed)
    seen = set(seen)
    # Topics the bank has but the syllabus does not name go last, in the bank's order.
    order = list(syllabus) + [c.topic for c in candidates if c.topic not in syllabus]
    order = list(dict.fromkeys(order))

    seen_ids = {pid for pid, _seed in seen}

    def fresh(c: Candidate) -> list[int]:
        if not c.seeds:
            return [] if (c.problem_id, 0) in seen else [0]
        if c.problem_id not in seen_ids:
            return list(c.seeds)
        return [s for s in c.seeds if (c.problem_id, s) not in seen]

    def has_fresh(c: Candidate) -> bool:
        if c.problem_id not in seen_ids:
            return True
        if not c.seeds:
            return (c.problem_id, 0) not in seen
        return any((c.problem_id, s) not in seen for s in c.seeds)

    by_topic: dict[str, list[Candidate]] = {}
    for c in candidates:
        by_topic.setdefault(c.topic, []).append(c)
    offered = [t for t in order if any(has_fresh(c) for c in by_topic.get(t, ()))]
    chosen: list[tuple[Candidate, int]] = []
    used: set[int] = set()

    def pick(topic: str, reason: Reason) -> bool:
        state = states.get(topic)
        target = target_difficulty(state.p_known if state else DEFAULT_PARAMS.prior)
        if reason == "new":
            target = 1
        pool = [c for c in by_topic.get(topic, ()) if c.problem_id not in used and has_fresh(c)]
        if not pool:
            return False
        # A review prefers a template: the same skill with numbers not seen before.
        best = min(
            pool,
            key=lambda c: (
                reason == "review" and not c.seeds,
                abs(c.difficulty - target),
                rng.random(),
            ),
        )
        used.add(best.problem_id)
        chosen.append((best, rng.choice(fresh(best))))
        return True

    for topic, reason in plan_topics(offered, states, count, today=today):
        pick(topic, reason)
    # A topic ran out of fresh problems: the weakest others fill the session.
    spare = sorted(
        offered, key=lambda t: states[t].p_known if t in states else DEFAULT_PARAMS.prior
    )
    while len(chosen) < count and any(pick(t, "more") for t in spare):
        pass
    if len(chosen) < count:
        # A bank too small for the year: items come again.
        again = [c for c in candidates if not c.seeds and c.problem_id not in used]
        rng.shuffle(again)
        chosen += [(c, 0) for c in again[: count - len(chosen)]]
    chosen.sort(key=lambda pair: pair[0].difficulty)
    return [(c.problem_id, s) for c, s in chosen[:count]]
