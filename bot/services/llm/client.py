"""``LanguageModel``, the model as a careful tutor: hints the bank lacks, and grading of
written answers.

The model is used only where rules cannot do the job, and every call is accounted for:

* Each call first *reserves* its worst-case cost: one conditional upsert adds it to today's
  running totals (``llm_spend``: all students; ``llm_user_spend``: this person, by a keyed
  hash of their Telegram id that outlives /delete_my_data; UTC day of the clock) only
  if each is still under its cap, and writes the call's ``cost_records`` row as ``reserved``
  (or ``budget_exceeded``, zero cost). The cap is re-checked on the newest row under a row
  lock that lasts one statement, so concurrent calls, in any number of processes, overshoot
  a cap by at most one call and never queue on a lock held across a round trip.
* The network call runs with no transaction open, a short client timeout, one retry, and an
  overall deadline; then the row is settled with the real usage, and the day's totals move
  from the worst case to the real cost.
* Any failure returns None and the caller falls back to the bank's hints and the rule
  checker. Nothing here raises to the caller for a model, network or output problem.

Only problem data, the student's answer (as quoted data) and the language are ever sent to
the model: never a name or a Telegram id. Cost records hold numbers, never prompt text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal
from typing import Any

import aiohttp
import openai
from openai import AsyncOpenAI, DefaultAioHttpClient
from openai.types.chat import ChatCompletion
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot.config import ModelPrice, Settings
from bot.services.cards import ProblemCard
from bot.services.clock import Clock
from bot.services.costs import usage_cost
from bot.services.llm import budget
from bot.services.llm.prompts import (
    _GRADING_SYSTEM,
    _HINT_SCHEMA,
    _HINT_SYSTEM,
    _LANGUAGE_RULE,
    _LANGUAGES,
    _LEVEL_GUIDE,
    _R,
    _VERDICT_SCHEMA,
    ANSWER_EVALUATION,
    DEADLINE_FACTOR,
    GRADING_MAX_COMPLETION_TOKENS,
    HINT_GENERATION,
    HINT_LOCK_CLASS,
    HINT_MAX_COMPLETION_TOKENS,
    HINT_POLL_SECONDS,
    HINT_WAIT_MARGIN_SECONDS,
    MAX_ANSWER_CHARS,
    MIN_GRADING_CONFIDENCE,
    _check_hint_args,
    _clean_answer,
    _HintReply,
    _prompt_token_bound,
    _VerdictReply,
    looks_like_instructions,
)
from bot.serving import metrics
from db import queries
from problems.checking import hint_reveals_answer, to_bengali_digits
from problems.types import AnswerType

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ModelVerdict:
    """The model's grade for a written answer; ``is_correct`` is already our final decision."""

    is_correct: bool
    # The model's own confidence in its verdict, 0..1 (1.0 when we decided without it).
    confidence: float


class _Unusable(Exception):
    """The model answered, but not with something we can use."""


def _usage_of(completion: Any) -> budget.Usage | None:
    usage = getattr(completion, "usage", None)
    if usage is None:
        return None
    prompt = int(usage.prompt_tokens or 0)
    completion_tokens = int(usage.completion_tokens or 0)
    details = usage.prompt_tokens_details
    cached = int(details.cached_tokens or 0) if details is not None else 0
    cached = min(max(cached, 0), prompt)
    total = int(usage.total_tokens or 0) or prompt + completion_tokens
    return budget.Usage(prompt, cached, completion_tokens, total)


def _never_sent(exc: BaseException) -> bool:
    """Whether a failed call never got a connection (so never sent its request).

    The SDK reports a refused connection as a timeout; its aiohttp transport even maps a
    dropped connection (request possibly sent) to a connect timeout, so only the original
    aiohttp error, or httpx's own connect errors, are trusted here. httpx's are recognised by
    name and module, not imported: which httpx the SDK uses (``httpx`` in openai 1.x/2.x,
    ``httpx2`` in 3.x) is the SDK's business, and neither is a dependency of Dars."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < 10:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(e, aiohttp.ClientError) for e in chain):
        return any(isinstance(e, aiohttp.ClientConnectorError) for e in chain)
    return any(_is_httpx_connect_error(e) for e in chain)


_HTTPX_MODULES = ("httpx", "httpx2")
_HTTPX_CONNECT_ERRORS = frozenset({"ConnectError", "ConnectTimeout"})


def _is_httpx_connect_error(exc: BaseException) -> bool:
    """Whether ``exc`` is (a subclass of) httpx's or httpx2's ConnectError/ConnectTimeout."""
    return any(
        cls.__name__ in _HTTPX_CONNECT_ERRORS and cls.__module__.split(".", 1)[0] in _HTTPX_MODULES
        for cls in type(exc).__mro__
    )


def _content_of(completion: Any) -> str:
    if not completion.choices:
        raise _Unusable("no choices")
    choice = completion.choices[0]
    if getattr(choice.message, "refusal", None):
        raise _Unusable("refusal")
    if choice.finish_reason == "length":
        raise _Unusable("truncated at the token cap")
    content = choice.message.content
    if not content:
        raise _Unusable("empty content")
    return str(content)


class LanguageModel:
    """Our one doorway to the language model: budgeted, recorded, and never fatal."""

    def __init__(
        self,
        *,
        settings: Settings,
        db: async_sessionmaker[AsyncSession],
        clock: Clock,
        client: AsyncOpenAI | None = None,
    ) -> None:
        self._settings = settings
        self._db = db
        self._clock = clock
        self._model = settings.openai_model
        self._timeout = settings.openai_timeout_seconds
        self._deadline = DEADLINE_FACTOR * self._timeout
        if client is None:
            key = settings.openai_api_key
            if key is None or not key.get_secret_value():
                raise ValueError("the tutor needs OPENAI_API_KEY (or a ready client)")
            # The SDK defaults are a 600 s timeout and 2 retries: far too long for a child
            # waiting on a hint in a chat.
            self._client = AsyncOpenAI(
                api_key=key.get_secret_value(),
                base_url=settings.openai_base_url,
                timeout=self._timeout,
                max_retries=1,
                # The SDK's aiohttp transport: httpx's connection pool checks every pooled
                # connection on each request, which with a hundred calls in flight cost more
                # CPU than the rest of the call (bench/RESULTS.md).
                http_client=DefaultAioHttpClient(),
            )
            self._owns_client = True
        else:
            self._client = client.with_options(timeout=self._timeout, max_retries=1)
            self._owns_client = False
        # One lock per (problem, language, level) so one process pays for a hint only once;
        # weak values let locks disappear when nobody waits on them.
        self._hint_locks: weakref.WeakValueDictionary[tuple[int, str, int], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._unpriced_warned: set[str] = set()

    @classmethod
    def from_settings(
        cls, settings: Settings, db: async_sessionmaker[AsyncSession], clock: Clock
    ) -> LanguageModel | None:
        """A tutor when an API key is configured, else None (bank hints and rules only)."""
        if not settings.llm_enabled:
            return None
        return cls(settings=settings, db=db, clock=clock)

    async def aclose(self) -> None:
        """Close the HTTP connections of the client we created (not of one we were given)."""
        if self._owns_client:
            await self._client.close()

    # --- hints -------------------------------------------------------------------------

    async def hint_for(
        self, *, card: ProblemCard, language: str, level: int, student_id: int | None
    ) -> str | None:
        """The stored model hint for this problem/language/level, generating and storing it once.

        Concurrent requests for the same hint wait for the first one, in this process (a
        lock) and across processes (``_hint_claim``), and the database keeps the first stored
        text, so each hint is paid for once. None when no hint could be had: use the fallback.
        """
        _check_hint_args(language, level)
        key = (card.id, language, level)
        stored = await self._stored_hint(key)
        if stored:
            return stored
        lock = self._hint_locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._hint_locks[key] = lock
        async with lock:
            deadline = time.monotonic() + self._deadline + HINT_WAIT_MARGIN_SECONDS
            while True:
                async with self._hint_claim(key) as claimed:
                    if claimed:
                        return await self._generate_and_store(key, card, student_id)
                # Another process is generating this hint: wait for it to be stored.
                stored = await self._stored_hint(key)
                if stored:
                    return stored
                if time.monotonic() > deadline:
                    return None
                await asyncio.sleep(HINT_POLL_SECONDS)

    @contextlib.asynccontextmanager
    async def _hint_claim(self, key: tuple[int, str, int]) -> AsyncIterator[bool]:
        """Whether this process may generate the hint: on PostgreSQL a session-level
        advisory lock for (problem, language, level), held on an autocommit connection (no
        transaction stays open) while the model is asked, and released on leaving, or by the
        server if this process dies. Other processes get False and wait for the stored hint.
        SQLite serves one process, whose own lock in ``hint_for`` is enough."""
        problem_id, language, level = key
        lock = (HINT_LOCK_CLASS + 4 * tuple(_LANGUAGES).index(language) + level, problem_id)
        async with self._db() as s:
            conn: AsyncConnection | None = None
            claimed = True
            if s.get_bind().dialect.name == "postgresql":
                try:
                    conn = await s.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
                    claimed = await queries.hints.try_advisory_lock(conn, lock)
                except SQLAlchemyError:
                    # Better to risk paying twice than to leave the student without a hint.
                    logger.warning("could not claim the hint for problem %s", problem_id)
                    conn, claimed = None, True
            try:
                yield claimed
            finally:
                if conn is not None and claimed:
                    try:
                        await queries.hints.advisory_unlock(conn, lock)
                    except SQLAlchemyError:
                        # The broken connection is discarded, and the lock with it.
                        logger.warning("could not release the hint for problem %s", problem_id)

    async def _generate_and_store(
        self, key: tuple[int, str, int], card: ProblemCard, student_id: int | None
    ) -> str | None:
        problem_id, language, level = key
        stored = await self._stored_hint(key)  # by whoever held the claim or lock before us
        if stored:
            return stored
        text = await self.generate_hint(
            card=card, language=language, level=level, student_id=student_id
        )
        if text is None:
            return None
        try:
            async with self._db.begin() as s:
                return await queries.hints.store_generated_hint_once(
                    s,
                    problem_id=problem_id,
                    language=language,
                    level=level,
                    text=text,
                    model=self._model,
                )
        except SQLAlchemyError:
            # Paid for and safe to show; the next request will simply generate it again.
            logger.warning("could not store a generated hint for problem %s", problem_id)
            return text

    async def _stored_hint(self, key: tuple[int, str, int]) -> str | None:
        problem_id, language, level = key
        try:
            async with self._db() as s:
                return await queries.hints.get_generated_hint(
                    s, problem_id=problem_id, language=language, level=level
                )
        except SQLAlchemyError:
            logger.warning("could not read generated hints for problem %s", problem_id)
            return None

    async def generate_hint(
        self, *, card: ProblemCard, language: str, level: int, student_id: int | None
    ) -> str | None:
        """Ask the model for one hint of ``level`` (1–3) in ``language``; None if unusable.

        A hint that gives the answer away is thrown out (the call is still recorded: it was
        paid for). This does not cache; ``hint_for`` does.
        """
        _check_hint_args(language, level)
        problem: dict[str, Any] = {
            "problem": card.question.get(language) or card.question["en"],
        }
        options = card.options.get(language) or card.options.get("en")
        if options:
            problem["options"] = list(options)
        # The model checks its hint against the answer; a wrong hint misleads a child, and a
        # revealing one is caught by the deterministic check below.
        problem["answer_for_tutor_only"] = card.answer_display(language)
        system = _HINT_SYSTEM.format(
            level=level, guide=_LEVEL_GUIDE[level], language_rule=_LANGUAGE_RULE[language]
        )
        messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": json.dumps(problem, ensure_ascii=False)},
        ]
        reply = await self._call(
            HINT_GENERATION,
            messages=messages,
            schema_name="hint",
            schema=_HINT_SCHEMA,
            max_completion_tokens=HINT_MAX_COMPLETION_TOKENS,
            reply_type=_HintReply,
            student_id=student_id,
            problem_id=card.id,
        )
        if reply is None:
            return None
        text = reply.hint
        if language == "bn":
            text = to_bengali_digits(text)
        if hint_reveals_answer(card.answer_key, text):
            logger.info("discarded a model hint for problem %s: it gave the answer away", card.id)
            return None
        return text

    # --- grading -----------------------------------------------------------------------

    async def grade_text_answer(
        self, *, card: ProblemCard, answer: str, language: str, student_id: int | None
    ) -> ModelVerdict | None:
        """Grade a written answer the rules could not match; None means keep the rule grade.

        Only for ``text`` problems. An answer that reads like instructions to the grader is
        marked incorrect (confidence 1.0) without asking the model; a "correct" verdict with
        confidence below MIN_GRADING_CONFIDENCE counts as incorrect.
        """
        if card.answer_type is not AnswerType.TEXT:
            return None
        cleaned = _clean_answer(answer)
        if not cleaned or len(cleaned) > MAX_ANSWER_CHARS:
            return None
        if looks_like_instructions(cleaned):
            logger.info("answer to problem %s reads like instructions; marked incorrect", card.id)
            return ModelVerdict(is_correct=False, confidence=1.0)
        data = {
            "question": card.question.get(language) or card.question["en"],
            "expected_answer": card.answer_key.answer,
            "also_accepted": list(card.answer_key.accept),
            "student_language": _LANGUAGES.get(language, "English"),
            # JSON-encoded: quotes and newlines in the answer cannot end the string early.
            "student_answer": cleaned,
        }
        messages = [
            {"role": "system", "content": _GRADING_SYSTEM},
            {"role": "user", "content": json.dumps(data, ensure_ascii=False)},
        ]
        reply = await self._call(
            ANSWER_EVALUATION,
            messages=messages,
            schema_name="verdict",
            schema=_VERDICT_SCHEMA,
            max_completion_tokens=GRADING_MAX_COMPLETION_TOKENS,
            reply_type=_VerdictReply,
            student_id=student_id,
            problem_id=card.id,
        )
        if reply is None:
            return None
        correct = reply.is_correct and reply.confidence >= MIN_GRADING_CONFIDENCE
        return ModelVerdict(is_correct=correct, confidence=reply.confidence)

    # --- one budgeted, recorded call ---------------------------------------------------

    async def _call(
        self,
        operation: str,
        *,
        messages: list[dict[str, str]],
        schema_name: str,
        schema: dict[str, Any],
        max_completion_tokens: int,
        reply_type: type[_R],
        student_id: int | None,
        problem_id: int | None,
    ) -> _R | None:
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": schema_name, "strict": True, "schema": schema},
        }
        price = self._price()
        worst_case = Decimal(0)
        if price is not None:
            worst_case = usage_cost(
                price,
                prompt_tokens=_prompt_token_bound(messages, response_format),
                cached_tokens=0,
                completion_tokens=max_completion_tokens,
                rounding=ROUND_UP,
            )
        now = self._clock()
        reservation = await budget.reserve(
            self._db,
            self._settings,
            operation=operation,
            model=self._model,
            student_id=student_id,
            problem_id=problem_id,
            worst_case=worst_case,
            now=now,
        )
        if reservation is None:
            return None

        started = time.monotonic()
        usage: budget.Usage | None = None
        result: _R | None = None
        status = "error"
        try:
            async with asyncio.timeout(self._deadline):
                # ``chat.completions.create`` minus its parameter transform, which walks every
                # message and the schema against the SDK's TypedDicts (a third of the SDK's
                # CPU per call here, bench/RESULTS.md) and changes nothing in this plain-JSON
                # body. ``post`` is the SDK's documented way to send a body of one's own, with
                # the same retries, timeout, errors and response type.
                completion = await self._client.post(
                    "/chat/completions",
                    body={
                        "model": self._model,
                        "messages": messages,
                        "response_format": response_format,
                        "max_completion_tokens": max_completion_tokens,
                    },
                    cast_to=ChatCompletion,
                )
            usage = _usage_of(completion)
            result = reply_type.model_validate_json(_content_of(completion))
            status = "ok"
        except (TimeoutError, openai.APITimeoutError) as exc:
            if _never_sent(exc):
                # No connection, so no request: nothing the provider could bill.
                logger.warning(
                    "%s for problem %s: the model is unreachable", operation, problem_id
                )
            else:
                status = "timeout"
                logger.warning("%s for problem %s timed out", operation, problem_id)
        except openai.APIStatusError as exc:
            logger.warning(
                "%s for problem %s failed: HTTP %s", operation, problem_id, exc.status_code
            )
        except openai.OpenAIError as exc:
            logger.warning(
                "%s for problem %s failed: %s", operation, problem_id, type(exc).__name__
            )
        except (_Unusable, ValidationError, ValueError) as exc:
            # ValueError covers a response body that is not JSON (the SDK lets it through).
            reason = exc.args[0] if isinstance(exc, _Unusable) else type(exc).__name__
            logger.warning(
                "%s for problem %s gave unusable output: %s", operation, problem_id, reason
            )
        except asyncio.CancelledError:
            # The student's update was cancelled (e.g. shutdown): the provider may still bill
            # the call, so it keeps its worst-case cost.
            await budget.settle(self._db, reservation, "error", None, worst_case, started)
            raise
        if usage is not None:
            cost = self._cost(price, usage)
        elif status == "ok" or status == "timeout":
            # No usage figures, yet the provider may have done (and billed) the work: count
            # the worst case rather than nothing, so the budgets stay a real cap.
            cost = worst_case
        else:
            cost = Decimal(0)
        await budget.settle(self._db, reservation, status, usage, cost, started)
        metrics.MODEL_CALLS.labels(operation, status).inc()
        metrics.MODEL_COST.labels(operation).inc(float(cost))
        return result

    def _price(self) -> ModelPrice | None:
        price = self._settings.model_prices.get(self._model)
        if price is None and self._model not in self._unpriced_warned:
            self._unpriced_warned.add(self._model)
            logger.warning(
                "no price configured for model %s: its calls are recorded at $0 and budgets "
                "cannot limit them (set MODEL_PRICES)",
                self._model,
            )
        return price

    def _cost(self, price: ModelPrice | None, usage: budget.Usage) -> Decimal:
        if price is None:
            return Decimal(0)
        return usage_cost(
            price,
            prompt_tokens=usage.prompt_tokens,
            cached_tokens=usage.cached_tokens,
            completion_tokens=usage.completion_tokens,
        )
