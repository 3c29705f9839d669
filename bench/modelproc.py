"""The fake language model (``tests.fakes.openai_server``) in a process of its own, so the
work of playing the model provider does not share an event loop with the Bot API emulator
and the load generator, whose timestamps are the latency figures.

Protocol on stdio: one JSON line ``{"base_url": ...}`` once listening; each ``stats`` line
on stdin is answered with one JSON line (requests in flight, requests so far, CPU seconds);
``quit`` or EOF stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from bot.serving.runner import new_event_loop
from tests.fakes.openai_server import FakeOpenAIServer


async def _serve(delay: float) -> None:
    async with FakeOpenAIServer(delay=delay) as fake:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        print(json.dumps({"base_url": fake.base_url}), flush=True)
        while line := await reader.readline():
            command = line.decode().strip()
            if command == "stats":
                fake.requests.clear()  # nothing reads them here; keep memory flat
                stats = {"in_flight": fake.in_flight, "cpu": time.process_time()}
                print(json.dumps(stats), flush=True)
            elif command == "quit":
                break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=2.0, help="seconds per model call")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    args = parser.parse_args()
    with asyncio.Runner(loop_factory=lambda: new_event_loop(args.loop)) as runner:
        runner.run(_serve(args.delay))


if __name__ == "__main__":
    main()
