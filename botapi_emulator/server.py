"""The emulator's HTTP server: Bot API routes, long polling, webhook delivery, faults."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiohttp import web

from botapi_emulator.wire import (
    _BOT_COMMAND_RE,
    _CHAT_ACTIONS,
    _COMMAND_RE,
    _CONFLICT_OTHER_POLL,
    _CONFLICT_WEBHOOK,
    _DEFAULT_DESCRIPTIONS,
    _DEFAULT_UPDATE_TYPES_EXCLUDED,
    _NOT_MODIFIED,
    _QUERY_INVALID,
    _RATE_LIMITED_PREFIXES,
    _TOKEN_RE,
    _WEBHOOK_SECRET_RE,
    ApiCall,
    WebhookPost,
    _allows_missing_reply,
    _ApiError,
    _as_int,
    _Bucket,
    _Chat,
    _chat_key,
    _chat_object,
    _check_reply_markup,
    _dumps,
    _Fault,
    _formatted_text,
    _json_response,
    _norm_chat_id,
    _norm_entities,
    _phrase,
    _Queued,
    _read_params,
    _reply_to_id,
    _scope_key,
    _u16len,
    _user,
)

__all__ = ["BotApiEmulator"]

logger = logging.getLogger(__name__)


class BotApiEmulator:
    """Speaks enough of the Bot API over real HTTP for PTB to poll and send against it."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST",
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "dars_test_bot",
        first_update_id: int = 1,
    ) -> None:
        self.token = token
        self.host = host
        self.bot_username = bot_username
        self._port = port
        self.calls: list[ApiCall] = []
        self.record_get_updates = False
        self.forbidden_chats: set[int] = set()
        # A group upgraded to a supergroup: old id -> new id (see migrate_group).
        self.migrated_chats: dict[int, int] = {}
        self.response_delay = 0.0
        self.too_many_requests = 0
        self.webhook_url = ""
        # Webhook delivery (see _deliver_webhooks). Telegram backs off for longer; tests and
        # benchmarks want a failed delivery retried soon.
        self.webhook_retry_delay = 0.2
        self.webhook_timeout = 60.0
        # Where a webhook URL's scheme and host really are (what DNS and the TLS-terminating
        # proxy in front of the bot do): {"https://dars.example.org": "http://127.0.0.1:8080"}.
        self.webhook_routes: dict[str, str] = {}
        self.webhook_posts: list[WebhookPost] = []
        self._webhook_secret = ""
        self._webhook_max_connections = 40
        self._webhook_last_error: tuple[int, str] | None = None
        self._webhook_wake = asyncio.Event()
        self._webhook_task: asyncio.Task[None] | None = None
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        # Benchmarks set a dict here: update_id -> time.monotonic() when getUpdates first
        # handed the update out (the start of the bot's own share of a reply's latency).
        self.handed_out: dict[int, float] | None = None

        self._lock = threading.RLock()
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._queue: list[_Queued] = []
        self._history: dict[int, dict[str, Any]] = {}
        self._next_update_id = first_update_id
        self._allowed_updates: list[str] | None = None
        self._poll_waiters: set[asyncio.Future[str]] = set()
        self._calls_changed = asyncio.Event()
        self._listeners: list[Callable[[ApiCall], None]] = []
        self._chats: dict[int | str, _Chat] = {}
        self._callback_queries: dict[str, bool] = {}  # id -> answered
        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._global_limit: float | None = None
        self._chat_limit: float | None = None
        self._retry_after = 1
        self._global_bucket: _Bucket | None = None
        self._chat_buckets: dict[int | str, _Bucket] = {}
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._get_me,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "logOut": self._true,
            "close": self._true,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
        }
        # Bot API method names are case-insensitive ("sendmessage" works too).
        self._canonical = {name.lower(): name for name in [*self._handlers, "getUpdates"]}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind the socket and start serving."""
        if self._runner is not None:
            raise RuntimeError("emulator already started")
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port))
        self._port = sock.getsockname()[1]
        # A short shutdown_timeout: stop() wakes long-polls itself, nothing should linger.
        runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self._runner = runner
        logger.debug("Bot API emulator listening on %s", self.base_url)

    async def stop(self) -> None:
        """End pending long-polls and webhook deliveries and shut the server down."""
        runner, self._runner = self._runner, None
        self._stopping = True
        self._wake_polls("stop")
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The bound TCP port (known once started, or when a fixed port was given)."""
        if not self._port:
            raise RuntimeError("emulator not started yet: the port is chosen on start()")
        return self._port

    @property
    def base_url(self) -> str:
        """What to hand PTB as base_url; PTB appends the token itself."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def bot_id(self) -> int:
        """The bot's user id: the token's numeric prefix, like Telegram."""
        prefix = self.token.split(":", 1)[0]
        return int(prefix) if prefix.isdigit() else 1

    # ------------------------------------------------------------------ injecting updates

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update; assigns update_id when missing. Returns the update_id."""
        update = copy.deepcopy(update)
        with self._lock:
            if "update_id" not in update:
                update["update_id"] = self._next_update_id
            update_id = int(update["update_id"])
            self._next_update_id = max(self._next_update_id, update_id + 1)
            self._history[update_id] = copy.deepcopy(update)
            self._queue.append(_Queued(update))
            self._queue.sort(key=lambda q: q.update_id)
        self._notify_update()
        return update_id

    def push_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "Rahim",
        language_code: str | None = "en",
        chat_id: int | None = None,
        chat_type: str = "private",
    ) -> int:
        """Queue a text message from a user; "/cmd" texts get a bot_command entity."""
        message = self._user_message(user_id, first_name, language_code, chat_id, chat_type)
        message["text"] = text
        match = _COMMAND_RE.match(text)
        if match:
            # Telegram marks only the command itself (incl. "@botname") as the entity.
            message["entities"] = [
                {"offset": 0, "length": _u16len(match.group()), "type": "bot_command"}
            ]
        return self._push_user_message(message)

    def migrate_group(self, chat_id: int, *, by_user: int = 1, announce: bool = True) -> int:
        """Upgrade a group to a supergroup, as Telegram does: messages to the old id fail with
        ``migrate_to_chat_id``, and (``announce``) each chat gets its service message."""
        new_id = int(f"-100{abs(chat_id)}")
        with self._lock:
            self.migrated_chats[chat_id] = new_id
            self._chats[new_id] = _Chat(chat=_chat_object(new_id, "supergroup", "Group"))
        if announce:
            for where, field, other in (
                (chat_id, "migrate_to_chat_id", new_id),
                (new_id, "migrate_from_chat_id", chat_id),
            ):
                message = self._user_message(by_user, "Teacher", "en", where, "group")
                message[field] = other
                self.push_update({"message": message})
        return new_id

    def push_callback(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int,
        chat_id: int | None = None,
        first_name: str = "Rahim",
        language_code: str | None = "en",
    ) -> int:
        """Queue a callback_query for a button on a bot message. Returns the update_id."""
        chat_id = user_id if chat_id is None else chat_id
        with self._lock:
            chat = self._chat(chat_id, first_name=first_name)
            message = chat.bot_messages.get(message_id)
            if message is None:
                message = {
                    "message_id": message_id,
                    "from": self._bot_user(),
                    "chat": dict(chat.chat),
                    "date": int(time.time()),
                }
            query_id = str(next(self._callback_ids))
            self._callback_queries[query_id] = False
        query = {
            "id": query_id,
            "from": _user(user_id, first_name, language_code),
            "message": copy.deepcopy(message),
            "chat_instance": str(-abs(hash(("chat_instance", chat_id))) % 10**18),
            "data": data,
        }
        return self.push_update({"callback_query": query})

    def push_sticker(
        self, user_id: int, *, first_name: str = "Rahim", chat_id: int | None = None
    ) -> int:
        """Queue a sticker message."""
        message = self._user_message(user_id, first_name, "en", chat_id, "private")
        message["sticker"] = {
            "file_id": f"CAACAgIAAxkBAAE{message['message_id']:08d}",
            "file_unique_id": f"AgADsticker{message['message_id']}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
            "set_name": "DarsTestStickers",
        }
        return self._push_user_message(message)

    def push_photo(
        self,
        user_id: int,
        *,
        first_name: str = "Rahim",
        chat_id: int | None = None,
        caption: str | None = None,
    ) -> int:
        """Queue a photo message (three sizes, like Telegram)."""
        message = self._user_message(user_id, first_name, "en", chat_id, "private")
        mid = message["message_id"]
        message["photo"] = [
            {
                "file_id": f"AgACAgIAAxkBAAE{mid:08d}{size}",
                "file_unique_id": f"AQADphoto{mid}{size}",
                "width": size,
                "height": size * 3 // 4,
                "file_size": size * 60,
            }
            for size in (90, 320, 1280)
        ]
        if caption is not None:
            message["caption"] = caption
        return self._push_user_message(message)

    def push_voice(
        self, user_id: int, *, first_name: str = "Rahim", chat_id: int | None = None
    ) -> int:
        """Queue a voice note."""
        message = self._user_message(user_id, first_name, "en", chat_id, "private")
        message["voice"] = {
            "file_id": f"AwACAgIAAxkBAAE{message['message_id']:08d}",
            "file_unique_id": f"AgADvoice{message['message_id']}",
            "duration": 3,
            "mime_type": "audio/ogg",
            "file_size": 12_345,
        }
        return self._push_user_message(message)

    def redeliver(self, update_id: int) -> None:
        """Queue an already pushed update again (same update_id), as after a bot crash."""
        with self._lock:
            if update_id not in self._history:
                raise KeyError(f"no update with update_id {update_id} was ever pushed")
            self._queue.append(_Queued(copy.deepcopy(self._history[update_id]), sticky=True))
            self._queue.sort(key=lambda q: q.update_id)
        self._notify_update()

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed through getUpdates' offset."""
        with self._lock:
            return len(self._queue)

    # ------------------------------------------------------------------ observing

    def calls_to(
        self, method: str, chat_id: int | None = None, *, include_failed: bool = False
    ) -> list[ApiCall]:
        """Successful calls to `method` (optionally to one chat); failed ones on request."""
        wanted = self._canonical.get(method.lower(), method)
        return [
            call
            for call in list(self.calls)
            if call.method == wanted
            and (include_failed or call.ok)
            and (chat_id is None or call.chat_id == chat_id)
        ]

    async def wait_for(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - the shared test API takes a timeout
        predicate: Callable[[ApiCall], bool] | None = None,
        include_failed: bool = False,
    ) -> list[ApiCall]:
        """Wait until at least `count` matching calls exist (all so far) and return them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._calls_changed
            matches = [
                call
                for call in self.calls_to(method, chat_id, include_failed=include_failed)
                if predicate is None or predicate(call)
            ]
            if len(matches) >= count:
                return matches
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._timeout_message(method, chat_id, count, timeout, matches))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def sent_texts(self, chat_id: int) -> list[str]:
        """Visible texts (markup parsed away) of sendMessage + editMessageText, in order."""
        return [
            call.result["text"]
            for call in list(self.calls)
            if call.ok
            and call.method in ("sendMessage", "editMessageText")
            and call.chat_id == chat_id
            and isinstance(call.result, dict)
            and "text" in call.result
        ]

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Current bot messages in a chat (after edits/deletes), oldest first."""
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None:
                return []
            return [
                {
                    **copy.deepcopy(msg),
                    "text": msg.get("text"),
                    "reply_markup": msg.get("reply_markup"),
                }
                for _, msg in sorted(chat.bot_messages.items())
            ]

    def my_commands(
        self, language_code: str = "", scope: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Commands stored by setMyCommands for this scope + language_code."""
        key = (_scope_key(scope), language_code)
        return copy.deepcopy(self._commands.get(key, []))

    def add_listener(self, callback: Callable[[ApiCall], None]) -> None:
        """Call `callback` (on the server's loop) for every recorded call."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[ApiCall], None]) -> None:
        """Undo add_listener."""
        self._listeners.remove(callback)

    # ------------------------------------------------------------------ faults & limits

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls to `method` fail with this status/description."""
        if status == 429 and retry_after is None:
            retry_after = 1  # Telegram never sends a 429 without retry_after
        if description is None:
            if status == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(status) or _phrase(status)
        fault = _Fault(status, description, retry_after)
        with self._lock:
            queue = self._faults.setdefault(method.lower(), deque())
            queue.extend(fault for _ in range(times))

    def set_rate_limits(
        self,
        *,
        global_per_second: float | None,
        per_chat_per_second: float | None,
        retry_after: int = 1,
    ) -> None:
        """Throttle send*/edit* calls like Telegram's flood control (None = unlimited)."""
        with self._lock:
            self._global_limit = global_per_second
            self._chat_limit = per_chat_per_second
            self._retry_after = retry_after
            self._global_bucket = None
            self._chat_buckets.clear()

    # ------------------------------------------------------------------ HTTP plumbing

    async def _not_found(self, request: web.Request) -> web.Response:
        return _json_response(_ApiError(404, "Not Found").body(), 404)

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        raw_method = request.match_info["method"]
        if not _TOKEN_RE.fullmatch(token):
            return _json_response(_ApiError(404, "Not Found").body(), 404)
        if token != self.token:
            return _json_response(_ApiError(401, "Unauthorized").body(), 401)
        method = self._canonical.get(raw_method.lower(), raw_method)
        try:
            params = await _read_params(request)
        except ValueError as exc:
            return _json_response(_ApiError(400, f"Bad Request: {exc}").body(), 400)

        is_poll = method == "getUpdates"
        if not is_poll and self.response_delay > 0:
            await asyncio.sleep(self.response_delay)
        result: Any = None
        error: _ApiError | None = None
        try:
            if not is_poll and method not in self._handlers:
                raise _ApiError(404, "Not Found")
            self._apply_faults(method, params)
            if is_poll:
                result = await self._get_updates(params)
            else:
                with self._lock:
                    result = self._handlers[method](params)
        except _ApiError as exc:
            error = exc
        if error is not None and error.status == 429:
            self.too_many_requests += 1
        if not is_poll or self.record_get_updates:
            self._record(
                ApiCall(
                    method=method,
                    params=params,
                    at=time.monotonic(),
                    result=copy.deepcopy(result),
                    error=error.body() if error else None,
                    status=error.status if error else 200,
                )
            )
        if error is not None:
            return _json_response(error.body(), error.status)
        return _json_response({"ok": True, "result": result}, 200)

    def _record(self, call: ApiCall) -> None:
        self.calls.append(call)
        # Wake wait_for(): swap in a fresh event so late waiters block again.
        event, self._calls_changed = self._calls_changed, asyncio.Event()
        event.set()
        for listener in list(self._listeners):
            try:
                listener(call)
            except Exception:
                logger.exception("emulator listener failed on %s", call.method)

    def _apply_faults(self, method: str, params: dict[str, Any]) -> None:
        with self._lock:
            queue = self._faults.get(method.lower())
            if queue:
                fault = queue.popleft()
                parameters = {"retry_after": fault.retry_after} if fault.retry_after else None
                raise _ApiError(fault.status, fault.description, parameters)
            chat_id = _norm_chat_id(params.get("chat_id"))
            if method.startswith(_RATE_LIMITED_PREFIXES) and method != "sendChatAction":
                self._check_rate(chat_id)
            if chat_id is not None and chat_id in self.forbidden_chats:
                raise _ApiError(403, "Forbidden: bot was blocked by the user")
            if isinstance(chat_id, int) and chat_id in self.migrated_chats:
                raise _ApiError(
                    400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    {"migrate_to_chat_id": self.migrated_chats[chat_id]},
                )

    def _check_rate(self, chat_id: int | str | None) -> None:
        now = time.monotonic()
        refused = False
        if self._global_limit is not None:
            if self._global_bucket is None:
                self._global_bucket = _Bucket(
                    self._global_limit, max(1.0, self._global_limit), now
                )
            refused = not self._global_bucket.take(now)
        if not refused and self._chat_limit is not None and chat_id is not None:
            bucket = self._chat_buckets.get(chat_id)
            if bucket is None:
                bucket = _Bucket(self._chat_limit, max(1.0, self._chat_limit), now)
                self._chat_buckets[chat_id] = bucket
            refused = not bucket.take(now)
        if refused:
            raise _ApiError(
                429,
                f"Too Many Requests: retry after {self._retry_after}",
                {"retry_after": self._retry_after},
            )

    def _timeout_message(
        self, method: str, chat_id: int | None, count: int, timeout: float, matches: list[ApiCall]
    ) -> str:
        where = f" to chat {chat_id}" if chat_id is not None else ""
        lines = [
            f"timed out after {timeout}s waiting for {count} {method} call(s){where}; "
            f"{len(matches)} matched. Calls seen ({len(self.calls)}):"
        ]
        start = self.calls[0].at if self.calls else 0.0
        for call in self.calls[-40:]:
            outcome = (
                "ok" if call.ok else f"{call.status} {call.error and call.error['description']}"
            )
            text = call.params.get("text") or call.params.get("data") or ""
            lines.append(
                f"  +{call.at - start:7.3f}s {call.method} chat={call.chat_id} "
                f"{str(text)[:60]!r} -> {outcome}"
            )
        return "\n".join(lines)

    # ------------------------------------------------------------------ polling

    def _notify_update(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake_polls("update")
        else:
            loop.call_soon_threadsafe(self._wake_polls, "update")

    def _wake_polls(self, reason: str) -> None:
        self._webhook_wake.set()
        for waiter in list(self._poll_waiters):
            if not waiter.done():
                waiter.set_result(reason)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise _ApiError(409, _CONFLICT_WEBHOOK)
        offset = _as_int(params.get("offset"), 0)
        limit = min(max(_as_int(params.get("limit"), 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            # Telegram remembers allowed_updates until the next call that passes it.
            self._allowed_updates = [str(kind) for kind in allowed]
        # Only one getUpdates may be pending: Telegram ends the older one with 409.
        self._wake_polls("conflict")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._take_updates(offset, limit)
            if batch or self._stopping:
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            waiter: asyncio.Future[str] = loop.create_future()
            self._poll_waiters.add(waiter)
            try:
                await asyncio.wait({waiter}, timeout=remaining)
            finally:
                self._poll_waiters.discard(waiter)
            if not waiter.done():
                waiter.cancel()
            elif waiter.result() == "conflict":
                raise _ApiError(409, _CONFLICT_OTHER_POLL)

    def _take_updates(self, offset: int, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            queue = self._queue
            if offset > 0:
                # offset confirms every update below it (redelivered ones only once handed out).
                queue = [q for q in queue if q.update_id >= offset or q.sticky]
            elif offset < 0:
                # A negative offset keeps only the last -offset updates; the rest are forgotten.
                queue = queue[offset:]
            queue = [q for q in queue if self._is_allowed(q.update)]
            self._queue = queue
            batch = [q for q in queue if (q.update_id >= offset or q.sticky) and not q.posting][
                :limit
            ]
            for queued in batch:
                queued.sticky = False
            if self.handed_out is not None and batch:
                now = time.monotonic()
                for queued in batch:
                    self.handed_out.setdefault(queued.update_id, now)
            return [copy.deepcopy(q.update) for q in batch]

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kinds = [key for key in update if key != "update_id"]
        kind = kinds[0] if kinds else ""
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _DEFAULT_UPDATE_TYPES_EXCLUDED

    # ------------------------------------------------------------------ webhook delivery

    async def _deliver_webhooks(self) -> None:
        """POST queued updates to the webhook while one is set, as Telegram does: each update
        in a request of its own, at most ``max_connections`` requests at once, a chat's next
        update only once its previous one was answered, confirmed by any 2xx answer and
        retried (after ``webhook_retry_delay``) after anything else."""
        posts: set[asyncio.Task[None]] = set()
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
        ) as http:
            try:
                while self.webhook_url and not self._stopping:
                    self._webhook_wake.clear()
                    wait = None
                    for queued in self._deliverable():
                        post = asyncio.create_task(self._post_update(http, queued))
                        posts.add(post)
                        post.add_done_callback(posts.discard)
                    retry = self._next_retry()
                    if retry is not None:
                        wait = max(0.0, retry - time.monotonic())
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._webhook_wake.wait(), wait)
            finally:
                for post in list(posts):
                    post.cancel()
                await asyncio.gather(*posts, return_exceptions=True)

    def _deliverable(self) -> list[_Queued]:
        """Updates to POST now, oldest first, within max_connections and one per chat."""
        now = time.monotonic()
        with self._lock:
            self._queue = [q for q in self._queue if self._is_allowed(q.update)]
            busy = {_chat_key(q.update) for q in self._queue if q.posting}
            posting = sum(1 for q in self._queue if q.posting)
            chosen: list[_Queued] = []
            for queued in self._queue:
                if posting + len(chosen) >= self._webhook_max_connections:
                    break
                key = _chat_key(queued.update)
                if queued.posting or key in busy:
                    continue
                busy.add(key)  # a chat's later updates wait for this one
                if queued.retry_at > now:
                    continue
                queued.posting = True
                chosen.append(queued)
            if self.handed_out is not None:
                for queued in chosen:
                    self.handed_out.setdefault(queued.update_id, now)
            return chosen

    def _next_retry(self) -> float | None:
        with self._lock:
            waiting = [q.retry_at for q in self._queue if not q.posting and q.retry_at]
        return min(waiting) if waiting else None

    def _webhook_target(self) -> str:
        url = self.webhook_url
        for public, local in self.webhook_routes.items():
            if url.startswith(public):
                return local + url[len(public) :]
        return url

    async def _post_update(self, http: aiohttp.ClientSession, queued: _Queued) -> None:
        headers = {"Content-Type": "application/json"}
        if self._webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self._webhook_secret
        error = "Delivery interrupted"  # until the webhook answered
        record = WebhookPost(queued.update_id, time.monotonic())
        self.webhook_posts.append(record)
        try:
            async with http.post(
                self._webhook_target(), data=_dumps(queued.update).encode(), headers=headers
            ) as response:
                await response.read()
                ok = 200 <= response.status < 300
                error = "" if ok else f"Wrong response from the webhook: {response.status}"
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientError as exc:
            error = f"Connection failed: {type(exc).__name__}"
        finally:
            record.finished = time.monotonic()
            record.error = error or None
            with self._lock:
                queued.posting = False
                if not error:
                    self._queue = [q for q in self._queue if q is not queued]
                else:
                    queued.retry_at = time.monotonic() + self.webhook_retry_delay
                    self._webhook_last_error = (int(time.time()), error)
            self._webhook_wake.set()

    # ------------------------------------------------------------------ state helpers

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Dars",
            "username": self.bot_username,
        }

    def _chat(self, chat_id: int | str, *, first_name: str | None = None) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = _Chat(chat=_chat_object(chat_id, "private", first_name or "User"))
            self._chats[chat_id] = chat
        return chat

    def _known_chat(self, params: dict[str, Any]) -> tuple[int | str, _Chat]:
        chat_id = _norm_chat_id(params.get("chat_id"))
        if chat_id is None or chat_id == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(chat_id, str):
            # "@username" only resolves for public channels/groups, which we don't emulate.
            raise _ApiError(400, "Bad Request: chat not found")
        return chat_id, self._chat(chat_id)

    def _user_message(
        self,
        user_id: int,
        first_name: str,
        language_code: str | None,
        chat_id: int | None,
        chat_type: str,
    ) -> dict[str, Any]:
        if chat_id is None:
            chat_id = user_id if chat_type == "private" else -user_id
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None:
                chat = _Chat(chat=_chat_object(chat_id, chat_type, first_name))
                self._chats[chat_id] = chat
            # In a private chat user and bot messages share one message_id sequence.
            message_id = chat.next_message_id
            chat.next_message_id += 1
            message = {
                "message_id": message_id,
                "from": _user(user_id, first_name, language_code),
                "chat": dict(chat.chat),
                "date": int(time.time()),
            }
            chat.user_messages[message_id] = message
        return message

    def _push_user_message(self, message: dict[str, Any]) -> int:
        return self.push_update({"message": message})

    # ------------------------------------------------------------------ Bot API methods

    def _true(self, params: dict[str, Any]) -> bool:
        return True

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        self._webhook_wake.set()
        if params.get("drop_pending_updates") is True:
            self._queue.clear()
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return self._delete_webhook(params)
        if not url.startswith(("https://", "http://")):
            raise _ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        max_connections = _as_int(params.get("max_connections"), 40)
        if not 1 <= max_connections <= 100:
            raise _ApiError(400, "Bad Request: bad webhook: max_connections must be 1-100")
        secret = str(params.get("secret_token") or "")
        if secret and not _WEBHOOK_SECRET_RE.fullmatch(secret):
            raise _ApiError(400, "Bad Request: bad webhook: secret token contains bad characters")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        self.webhook_url = url
        self._webhook_secret = secret
        self._webhook_max_connections = max_connections
        self._webhook_last_error = None
        if params.get("drop_pending_updates") is True:
            self._queue.clear()
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(
                self._deliver_webhooks(), name="emulator-webhook"
            )
        self._webhook_wake.set()
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook_url:
            info["max_connections"] = self._webhook_max_connections
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        if self._webhook_last_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        return info

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        _, chat = self._known_chat(params)
        text, entities = _formatted_text(params)
        markup = _check_reply_markup(params.get("reply_markup"))
        reply_to = _reply_to_id(params)
        message: dict[str, Any] = {
            "message_id": chat.next_message_id,
            "from": self._bot_user(),
            "chat": dict(chat.chat),
            "date": int(time.time()),
        }
        if reply_to is not None:
            original = chat.user_messages.get(reply_to) or chat.bot_messages.get(reply_to)
            if original is not None:
                message["reply_to_message"] = copy.deepcopy(original)
            elif not _allows_missing_reply(params):
                raise _ApiError(400, "Bad Request: message to be replied not found")
        message["text"] = text
        if entities:
            message["entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        chat.next_message_id += 1
        chat.bot_messages[message["message_id"]] = message
        return copy.deepcopy(message)

    def _message_to_edit(self, params: dict[str, Any]) -> tuple[_Chat, dict[str, Any]]:
        if params.get("inline_message_id"):
            raise _ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        _, chat = self._known_chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        message_id = _as_int(message_id, 0)
        message = chat.bot_messages.get(message_id)
        if message is None:
            if message_id in chat.user_messages:
                raise _ApiError(400, "Bad Request: message can't be edited")
            raise _ApiError(400, "Bad Request: message to edit not found")
        return chat, message

    def _store_edit(
        self,
        chat: _Chat,
        old: dict[str, Any],
        text: str,
        entities: list[dict[str, Any]],
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        if (
            old.get("text") == text
            and _norm_entities(old.get("entities", [])) == _norm_entities(entities)
            and old.get("reply_markup") == markup
        ):
            raise _ApiError(400, _NOT_MODIFIED)
        new = {k: v for k, v in old.items() if k not in ("entities", "reply_markup")}
        new["text"] = text
        new["edit_date"] = int(time.time())
        if entities:
            new["entities"] = entities
        # Omitting reply_markup in an edit removes the inline keyboard, like Telegram.
        if markup is not None:
            new["reply_markup"] = markup
        chat.bot_messages[new["message_id"]] = new
        return copy.deepcopy(new)

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, old = self._message_to_edit(params)
        if "text" not in old:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        text, entities = _formatted_text(params)
        markup = _check_reply_markup(params.get("reply_markup"))
        return self._store_edit(chat, old, text, entities, markup)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, old = self._message_to_edit(params)
        markup = _check_reply_markup(params.get("reply_markup"))
        return self._store_edit(chat, old, old.get("text", ""), old.get("entities", []), markup)

    def _delete_message(self, params: dict[str, Any]) -> bool:
        _, chat = self._known_chat(params)
        message_id = _as_int(params.get("message_id"), 0)
        # Bots may delete their own messages and, in private chats, the user's.
        if (
            chat.bot_messages.pop(message_id, None) is None
            and chat.user_messages.pop(message_id, None) is None
        ):
            raise _ApiError(400, "Bad Request: message to delete not found")
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        # A query can be answered once; unknown or already answered ids get the same 400.
        if self._callback_queries.get(query_id, True):
            raise _ApiError(400, _QUERY_INVALID)
        self._callback_queries[query_id] = True
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._known_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, 'Bad Request: parameter "commands" is required')
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            if not isinstance(name, str) or not _BOT_COMMAND_RE.fullmatch(name):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _ApiError(400, "Bad Request: command description must be 1-256 characters")
        _check_scope(params.get("scope"))
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return copy.deepcopy(self._commands.get(key, []))

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self._commands.pop(key, None)
        return True

    def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        chat_id = _norm_chat_id(params.get("chat_id"))
        button = params.get("menu_button") or {"type": "default"}
        self.menu_buttons[chat_id if isinstance(chat_id, int) else None] = button
        return True

    def _get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _norm_chat_id(params.get("chat_id"))
        key = chat_id if isinstance(chat_id, int) else None
        return copy.deepcopy(
            self.menu_buttons.get(key) or self.menu_buttons.get(None) or {"type": "default"}
        )


# BotCommandScope types, and the field each needs besides ``type``.
_SCOPES = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}


def _check_scope(scope: Any) -> None:
    """A command menu's scope as Telegram checks it: a known type with its ids."""
    if scope is None:
        return
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise _ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
    for field in _SCOPES[scope["type"]]:
        if scope.get(field) is None:
            raise _ApiError(400, f'Bad Request: field "{field}" must be specified')
