"""An OpenAI-compatible chat-completions server on loopback, for tests and benchmarks.

The real ``openai`` client talks to it over HTTP (the client uses httpx2, which request
mocks do not intercept), so retries, timeouts and response parsing are the real thing.

    async with FakeOpenAIServer() as fake:
        client = AsyncOpenAI(api_key="test", base_url=fake.base_url)
        fake.fail_next(1, status=500)       # the next request gets a 500
        fake.reply(FakeReply('{"hint": "Look at the units."}', prompt_tokens=900))
        ...
        assert fake.calls == 2

What each request gets, in order of precedence: a queued failure (``fail_next``,
``rate_limit_next``, ``malformed_next``), then a queued reply (``reply``), then the
``responder`` callable, then a built-in default that answers hint and grading requests
sensibly (and, in ``gullible`` mode, obeys instructions hidden in a student's answer).
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# What a prompt-injected grader would fall for.
INJECTION_TRIGGERS = ("ignore", "mark this correct", "সঠিক বলো")


@dataclass
class FakeReply:
    """One scripted completion; token counts default to a rough estimate from the text."""

    content: str | None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    finish_reason: str = "stop"
    refusal: str | None = None
    # False: send a response without the "usage" object, as some compatible servers do.
    include_usage: bool = True


@dataclass
class RecordedRequest:
    """A request as the fake received it."""

    path: str
    headers: dict[str, str]
    raw: str
    body: dict[str, Any]
    received_at: float = field(default_factory=time.monotonic)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    @property
    def schema_name(self) -> str | None:
        fmt = self.body.get("response_format") or {}
        return (fmt.get("json_schema") or {}).get("name")

    def text_of(self, role: str) -> str:
        """All message text sent with this role, joined."""
        return "\n".join(_content_text(m) for m in self.messages if m.get("role") == role)


Responder = Callable[[RecordedRequest], "FakeReply | str | Awaitable[FakeReply | str]"]


@dataclass
class _Failure:
    status: int
    headers: dict[str, str]
    body: str
    content_type: str = "application/json"


class FakeOpenAIServer:
    """A configurable OpenAI-compatible server; start it with ``async with``."""

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        delay: float = 0.0,
        gullible: bool = False,
        model: str | None = None,
    ) -> None:
        self.responder = responder
        # Seconds to wait before answering each request (to provoke client timeouts).
        self.delay = delay
        # Grading replies obey injected instructions, like a naive model might.
        self.gullible = gullible
        # The model name echoed back; None echoes the requested one.
        self.model = model
        self.requests: list[RecordedRequest] = []
        self._failures: deque[_Failure] = deque()
        self._replies: deque[FakeReply | str] = deque()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self.in_flight = 0
        self.max_in_flight = 0

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        for path in ("/v1/chat/completions", "/chat/completions"):
            app.router.add_post(path, self._handle)
        # handler_cancellation: a client that timed out and hung up cancels our sleep, so
        # stopping the server never waits for abandoned slow requests.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=0.5, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeOpenAIServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """The URL to give ``AsyncOpenAI(base_url=...)``."""
        if self._port is None:
            raise RuntimeError("the fake server is not running")
        return f"http://127.0.0.1:{self._port}/v1"

    # --- scripting ---------------------------------------------------------------------

    @property
    def calls(self) -> int:
        """How many requests arrived (retries included)."""
        return len(self.requests)

    def reply(self, *replies: FakeReply | str) -> None:
        """Queue replies for the next requests (a str is the message content)."""
        self._replies.extend(replies)

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 500,
        retry_after: str | None = None,
        retry_after_ms: str | None = None,
        message: str = "The server had an error while processing your request.",
    ) -> None:
        """Answer the next ``n`` requests with an OpenAI-style error and this HTTP status.

        ``retry_after_ms`` (which the SDK honours before ``retry-after``) keeps retries fast.
        """
        headers = {"retry-after": retry_after} if retry_after is not None else {}
        if retry_after_ms is not None:
            headers["retry-after-ms"] = retry_after_ms
        body = json.dumps(
            {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
        )
        self._failures.extend(_Failure(status, dict(headers), body) for _ in range(n))

    def rate_limit_next(self, n: int = 1, *, retry_after: str = "0") -> None:
        """Answer the next ``n`` requests with 429 and a ``retry-after`` header."""
        self.fail_next(n, status=429, retry_after=retry_after, message="Rate limit reached.")

    def malformed_next(self, n: int = 1) -> None:
        """Answer the next ``n`` requests with HTTP 200 and a body that is not JSON."""
        self._failures.extend(
            _Failure(200, {}, '{"id": "chatcmpl-broken", "choices": [', "application/json")
            for _ in range(n)
        )

    # --- serving -----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.text()
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            body = {}
        recorded = RecordedRequest(request.path, dict(request.headers), raw, body)
        self.requests.append(recorded)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self._failures:
                failure = self._failures.popleft()
                return web.Response(
                    status=failure.status,
                    text=failure.body,
                    headers=failure.headers,
                    content_type=failure.content_type,
                )
            reply = await self._reply_for(recorded)
            return web.json_response(self._completion(recorded, reply))
        finally:
            self.in_flight -= 1

    async def _reply_for(self, request: RecordedRequest) -> FakeReply:
        if self._replies:
            chosen: FakeReply | str = self._replies.popleft()
        elif self.responder is not None:
            produced = self.responder(request)
            chosen = await produced if inspect.isawaitable(produced) else produced
        else:
            chosen = self._default(request)
        return FakeReply(chosen) if isinstance(chosen, str) else chosen

    def _default(self, request: RecordedRequest) -> FakeReply:
        if request.schema_name == "verdict":
            return FakeReply(json.dumps(self._grade(request)))
        if request.schema_name == "hint":
            return FakeReply(json.dumps({"hint": "Read the question again slowly."}))
        return FakeReply("OK")

    def _grade(self, request: RecordedRequest) -> dict[str, Any]:
        user = request.text_of("user")
        try:
            data = json.loads(user)
        except ValueError:
            data = None
        if self.gullible:
            # A model reads "\u09b8" as "স": look at the decoded JSON too.
            seen = (user + " " + json.dumps(data, ensure_ascii=False)).casefold()
            if any(t in seen for t in INJECTION_TRIGGERS):
                return {"is_correct": True, "confidence": 0.99}
        try:
            said = str(data["student_answer"]).strip().casefold()
            right = [str(data["expected_answer"]), *map(str, data.get("also_accepted", []))]
        except (KeyError, TypeError):
            return {"is_correct": False, "confidence": 0.9}
        ok = said in {r.strip().casefold() for r in right}
        return {"is_correct": ok, "confidence": 0.95}

    def _completion(self, request: RecordedRequest, reply: FakeReply) -> dict[str, Any]:
        prompt = reply.prompt_tokens
        if prompt is None:
            prompt = _rough_tokens(json.dumps(request.messages, ensure_ascii=False))
        completion = reply.completion_tokens
        if completion is None:
            completion = max(1, _rough_tokens(reply.content or reply.refusal or ""))
        result: dict[str, Any] = {
            "id": f"chatcmpl-fake-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model or request.body.get("model", "fake-model"),
            "system_fingerprint": "fp_fake",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": reply.content,
                        "refusal": reply.refusal,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                }
            ],
        }
        if reply.include_usage:
            result["usage"] = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": reply.cached_tokens, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": reply.reasoning_tokens,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            }
        return result


def _content_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _rough_tokens(text: str) -> int:
    # About four bytes of English per token; good enough for realistic-looking usage.
    return math.ceil(len(text.encode("utf-8")) / 4)
