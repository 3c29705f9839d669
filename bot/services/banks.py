"""Load validated problem banks into the database in one transaction (or just report, dry run)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import queries
from problems.bank import BankProblem, ParsedBanks

BATCH = 1000


@dataclass(frozen=True, slots=True)
class LoadSummary:
    created: int
    updated: int
    unchanged: int
    retired: int


class DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def _row(item: BankProblem, now: dt.datetime) -> dict[str, Any]:
    spec = item.spec
    return {
        "key": spec.id,
        "grade": spec.grade,
        "topic": spec.topic,
        "difficulty": spec.difficulty,
        "question_en": spec.question.en,
        "question_bn": spec.question.bn,
        "answer": spec.answer,
        "answer_type": spec.answer_type.value,
        "options_en": list(spec.options.en) if spec.options else None,
        "options_bn": list(spec.options.bn) if spec.options else None,
        "tolerance": spec.tolerance,
        "accept": list(spec.accept),
        "hints_en": list(spec.hints.en) if spec.hints and spec.hints.en else None,
        "hints_bn": list(spec.hints.bn) if spec.hints and spec.hints.bn else None,
        "explanation_en": spec.explanation.en if spec.explanation else None,
        "explanation_bn": spec.explanation.bn if spec.explanation else None,
        "source_file": item.path,
        "content_hash": spec.content_hash(),
        "active": True,
        "updated_at": now,
        "spec": spec.model_dump(mode="json"),
        "variant_seeds": list(item.variant_seeds) if item.variant_seeds else None,
    }


async def sync_problems(
    session: AsyncSession,
    parsed: ParsedBanks,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> LoadSummary:
    """Name the topics, create new problems, update changed ones (by content hash), retire
    vanished ones."""
    now = dt.datetime.now(dt.UTC)
    problems, files = parsed.problems, parsed.files
    await queries.problems.save_topics(
        session,
        [
            {
                "grade": t.grade,
                "slug": t.id,
                "position": t.order,
                "name_en": t.name_en,
                "name_bn": t.name_bn,
            }
            for t in parsed.topics
        ],
    )
    existing = {
        key: (pid, content_hash, active, source, no_spec)
        for key, pid, content_hash, active, source, no_spec in await queries.problems.bank_index(
            session
        )
    }
    to_create: list[dict[str, Any]] = []
    to_update: list[dict[str, Any]] = []
    unchanged = 0
    for item in problems:
        row = _row(item, now)
        known = existing.get(item.spec.id)
        if known is None:
            to_create.append(row | {"created_at": now})
        elif (
            known[1] != row["content_hash"]
            or not known[2]
            or known[3] != item.path
            or known[4]  # loaded before problems kept their spec
        ):
            to_update.append(row | {"id": known[0]})
        else:
            unchanged += 1
    loaded_keys = {item.spec.id for item in problems}
    file_set = set(files)
    retire_ids = [
        pid
        for key, (pid, _hash, active, source, _no_spec) in existing.items()
        if active and source in file_set and key not in loaded_keys
    ]

    done, total = 0, len(to_create) + len(to_update) + len(retire_ids)
    for start in range(0, len(to_create), BATCH):
        chunk = to_create[start : start + BATCH]
        await queries.problems.insert_problems(session, chunk)
        done += len(chunk)
        if progress:
            progress(done, total)
    changed_content = [r["id"] for r in to_update if existing[r["key"]][1] != r["content_hash"]]
    for start in range(0, len(to_update), BATCH):
        chunk = to_update[start : start + BATCH]
        await queries.problems.update_problems(session, chunk)
        done += len(chunk)
        if progress:
            progress(done, total)
    if changed_content:
        # Generated hints were written for the old question; let them be made again.
        await queries.hints.forget_generated_hints(session, problem_ids=changed_content)
    for start in range(0, len(retire_ids), BATCH):
        ids = retire_ids[start : start + BATCH]
        await queries.problems.retire_problems(session, ids=ids, now=now)
        done += len(ids)
        if progress:
            progress(done, total)
    return LoadSummary(
        created=len(to_create),
        updated=len(to_update),
        unchanged=unchanged,
        retired=len(retire_ids),
    )


async def load_banks(
    db: async_sessionmaker[AsyncSession],
    parsed: ParsedBanks,
    *,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> LoadSummary:
    """Apply a parsed bank in one transaction; a dry run reports the same and rolls back."""
    try:
        async with db.begin() as session:
            summary = await sync_problems(session, parsed, progress=progress)
            if dry_run:
                raise DryRun
    except DryRun:
        pass
    return summary
