"""CPU per language-model call through the openai SDK, two ways, against the fake server on
loopback (client and server in this one process): ``chat.completions.create`` and the
SDK's ``post`` with the same body, which is what ``LanguageModel`` does (it skips create()'s
parameter transform). Alternating rounds; prints the median of each.

    python -m bench.sdk_call [--calls 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from statistics import median
from typing import Any

from openai import AsyncOpenAI, DefaultAioHttpClient
from openai.types.chat import ChatCompletion

from bot.services.llm.prompts import _GRADING_SYSTEM, _VERDICT_SCHEMA
from tests.fakes.openai_server import FakeOpenAIServer

MESSAGES = [
    {"role": "system", "content": _GRADING_SYSTEM},
    {
        "role": "user",
        "content": json.dumps(
            {
                "question": "What is 3/4 of 12?",
                "expected_answer": "9",
                "also_accepted": [],
                "student_language": "English",
                "student_answer": "definitely not it",
            }
        ),
    },
]
RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "verdict", "strict": True, "schema": _VERDICT_SCHEMA},
}
BODY: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "messages": MESSAGES,
    "response_format": RESPONSE_FORMAT,
    "max_completion_tokens": 100,
}


async def main_async(args: argparse.Namespace) -> None:
    async with FakeOpenAIServer() as fake:
        client = AsyncOpenAI(
            api_key="bench", base_url=fake.base_url, http_client=DefaultAioHttpClient()
        )

        async def create() -> Any:
            return await client.chat.completions.create(**BODY)

        async def post() -> Any:
            return await client.post("/chat/completions", body=BODY, cast_to=ChatCompletion)

        ways: dict[str, Callable[[], Awaitable[Any]]] = {"create": create, "post": post}
        figures: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.rounds):
            for name, call in ways.items():
                for _ in range(50):  # warm up connections and caches
                    await call()
                started = time.process_time()
                for _ in range(args.calls):
                    await call()
                figures[name].append((time.process_time() - started) * 1000 / args.calls)
        await client.close()
    for name, values in figures.items():
        runs = ", ".join(f"{v:.3f}" for v in values)
        print(f"{name}: {median(values):.3f} ms CPU per call (median; rounds {runs})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
