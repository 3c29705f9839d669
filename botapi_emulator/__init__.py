"""A loopback Telegram Bot API emulator (aiohttp) for tests, benchmarks and `dars console`.

It speaks, over real HTTP, the part of the Bot API that Dars uses: polling, webhooks,
messages, edits, callback queries, commands, rate limits and injected faults. Formatting
(`parse_mode`) is deliberately not emulated and answered with a 400.
"""

from botapi_emulator.server import BotApiEmulator
from botapi_emulator.wire import ApiCall, WebhookPost

__all__ = ["ApiCall", "BotApiEmulator", "WebhookPost"]
