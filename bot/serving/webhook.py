"""Webhook mode (`dars run --webhook`): a small aiohttp server in front of the same Application.

PTB's own webhook server has no room for a health route, so this one serves two:

- ``POST <path>`` (the path of WEBHOOK_URL, default ``/telegram``): Telegram's updates. The
  ``X-Telegram-Bot-Api-Secret-Token`` header must equal WEBHOOK_SECRET, else 403 and the body
  is never read. A good update is answered 200 once it has been handled (through the
  Application's update processor, so each user's updates still run in order): a process
  that dies mid-update leaves it unanswered, Telegram delivers it again, and processing is
  idempotent, so the retry does no harm. The one exception is an update that waits for the
  language model (seconds): it is answered as the wait begins, because Telegram keeps at
  most ``max_connections`` (40 by default, 100 at most) requests open per bot, and a hundred
  students waiting for the model would otherwise hold every one of them and stall all other
  students. Such an update is then as safe as any update under long polling (where PTB
  confirms updates as it fetches them): lost only if the process dies during that wait.
- ``GET /healthz``: 200 while the database answers, else 503 (for a load balancer).

Slow clients cannot hold its sockets: a connection must finish its request headers within
``header_timeout`` of opening (or of its previous request: aiohttp's keep-alive timer, which
also runs from the moment a connection opens) and its body within ``body_timeout`` (408).
It binds 127.0.0.1 unless told otherwise: a TLS reverse proxy is the public side
(docs/operations.md).

Several processes can sit behind one URL: everything they share lives in the database. On
one host they can even share WEBHOOK_PORT (``SO_REUSEPORT``: the kernel spreads Telegram's
connections over them; ``bench.answers --webhook N`` measures that).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import socket
from collections.abc import AsyncIterator
from urllib.parse import urlparse

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.context import deps_of
from bot.services import stats
from bot.services.model_wait import on_wait_started

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_PATH = "/telegram"
HEALTH_PATH = "/healthz"
# Telegram's updates are small; anything bigger is not from Telegram.
MAX_BODY = 1024 * 1024


def webhook_path(url: str) -> str:
    """The local path to serve: WEBHOOK_URL's path, or /telegram when it has none."""
    path = urlparse(url).path.rstrip("/")
    return path or DEFAULT_PATH


# How long shutdown waits for updates answered early that still wait for the model.
FINISH_TIMEOUT = 30.0
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0


def build_web_app(
    app: Application,
    *,
    secret: str,
    path: str,
    pending: set[asyncio.Task[None]],
    body_timeout: float = BODY_TIMEOUT,
) -> web.Application:
    """The aiohttp application: the update route (checked against ``secret``) and /healthz.

    ``pending``: updates still being handled, for the caller to finish before shutting down.
    """
    expected = secret.encode()

    async def on_update(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, expected):
            return web.Response(status=403)
        try:
            async with asyncio.timeout(body_timeout):
                data = await request.json(loads=json.loads)
        except TimeoutError:
            return web.Response(status=408)
        except ValueError:
            return web.Response(status=400)
        try:
            update = Update.de_json(data, app.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return web.Response(status=400)
        waiting: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def model_wait_started() -> None:
            if not waiting.done():
                waiting.set_result(None)

        with on_wait_started(model_wait_started):  # the task copies the context, hook too
            work = asyncio.create_task(
                app.update_processor.process_update(update, app.process_update(update))
            )
        pending.add(work)
        work.add_done_callback(pending.discard)
        await asyncio.wait((work, waiting), return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if work.done():
            # Handler errors go to the error handler (the student hears about them); only an
            # error outside it reaches aiohttp, whose 500 makes Telegram try again.
            work.result()
        return web.Response(status=200)

    async def on_health(_request: web.Request) -> web.Response:
        if await stats.database_ok(deps_of(app)):
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "database unavailable"}, status=503)

    web_app = web.Application(client_max_size=MAX_BODY)
    web_app.router.add_post(path, on_update)
    web_app.router.add_get(HEALTH_PATH, on_health)
    return web_app


@contextlib.asynccontextmanager
async def serving(
    app: Application,
    *,
    url: str,
    secret: str,
    host: str,
    port: int,
    header_timeout: float = HEADER_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
) -> AsyncIterator[int]:
    """Run ``app`` on webhooks until the block ends; yields the port it listens on.

    The same lifecycle as ``bot.app.running`` (initialize, post_init, start … stop, shutdown,
    post_shutdown), with the HTTP server in place of the poller. The server starts before
    ``setWebhook``, so Telegram's first delivery finds it listening; on the way out it stops
    first, so no update is accepted that the Application would no longer process. The webhook
    is left registered: another process behind the same URL may still be serving it.
    """
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    pending: set[asyncio.Task[None]] = set()
    runner = web.AppRunner(
        build_web_app(
            app, secret=secret, path=webhook_path(url), pending=pending, body_timeout=body_timeout
        ),
        access_log=None,  # the access log would record every request path and client
        shutdown_timeout=5.0,
        # aiohttp has no header timeout of its own; its keep-alive timer closes a connection
        # that has not finished a request this long after opening (or after its last one).
        keepalive_timeout=header_timeout,
    )
    try:
        await runner.setup()
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if hasattr(socket, "SO_REUSEPORT"):  # several processes may serve one port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        bound = int(sock.getsockname()[1])
        await web.SockSite(runner, sock).start()
        await app.bot.set_webhook(url=url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        logger.info("webhook server listening on %s:%d", host, bound)
        yield bound
    finally:
        await runner.cleanup()
        if pending:  # answered early, still waiting for the model: let them finish
            _done, late = await asyncio.wait(set(pending), timeout=FINISH_TIMEOUT)
            for work in late:
                work.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
