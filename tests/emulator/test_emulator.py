"""The Bot API emulator, driven by a real PTB Bot / Application over loopback HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import re
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import aiohttp.web
import pytest
from telegram import Bot, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from botapi_emulator import ApiCall, BotApiEmulator

USER = 1001

# PTB's own RetryAfter.__init__ reads the deprecated int-valued retry_after.


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(emu.token, base_url=emu.base_url) as ptb_bot:
        yield ptb_bot


@contextlib.asynccontextmanager
async def running_app(emu: BotApiEmulator, *handlers: Any) -> AsyncIterator[Application]:
    """A real PTB Application polling the emulator with short long-polls."""
    app = Application.builder().token(emu.token).base_url(emu.base_url).build()
    for handler in handlers:
        app.add_handler(handler)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def bad_request(text: str) -> Any:
    """Expect BadRequest containing `text` (PTB .capitalize()s the description, so ignore case)."""
    return pytest.raises(BadRequest, match=re.compile(re.escape(text), re.IGNORECASE))


def retry_seconds(exc: RetryAfter) -> float:
    """retry_after as seconds (an int today, a timedelta with PTB_TIMEDELTA=1)."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("৫", callback_data="ans:5"),
            InlineKeyboardButton("6", callback_data="ans:6"),
        ]
    ]
)


# --------------------------------------------------------------------------- basics


async def test_get_me_uses_token_prefix_and_username(emu: BotApiEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username, me.first_name) == (
        123456,
        True,
        "dars_test_bot",
        "Dars",
    )
    assert emu.base_url == f"http://127.0.0.1:{emu.port}/bot"


async def test_wrong_token_and_unknown_method_raise_invalid_token(
    emu: BotApiEmulator, bot: Bot
) -> None:
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with Bot("999:WRONG", base_url=emu.base_url):
            pass
    # 404 for an unknown method: do_api_request says EndPointNotFound, built-ins say InvalidToken.
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendHologram", api_kwargs={"chat_id": 1})
    assert emu.calls[-1].method == "sendHologram" and emu.calls[-1].status == 404


async def test_ptb_sends_form_encoded_json_fields(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.send_message(USER, "42", reply_markup=KEYBOARD, disable_notification=True)
    params = emu.calls_to("sendMessage")[0].params
    # text "42" stays a string, chat_id/bools/markup are decoded back from their JSON strings.
    assert params == {
        "chat_id": USER,
        "text": "42",
        "disable_notification": True,
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "৫", "callback_data": "ans:5"}, {"text": "6", "callback_data": "ans:6"}]
            ]
        },
    }


async def test_json_query_and_multipart_bodies_are_accepted(emu: BotApiEmulator) -> None:
    url = f"{emu.base_url}{emu.token}"
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "x"}]]}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{url}/sendMessage", json={"chat_id": "7", "text": "hi", "reply_markup": markup}
        ) as r:
            body = await r.json()
        assert body["ok"] and body["result"]["reply_markup"] == markup
        async with http.get(f"{url}/SENDMESSAGE", params={"chat_id": "7", "text": "q"}) as r:
            assert (await r.json())["result"]["text"] == "q"
        form = aiohttp.FormData()
        form.add_field("chat_id", "7")
        form.add_field("text", "multi")
        form.add_field("document", b"123", filename="a.txt")
        async with http.post(f"{url}/sendMessage", data=form) as r:
            assert (await r.json())["result"]["text"] == "multi"
        async with http.post(f"{url}/getMe") as r:
            assert r.status == 200
        async with http.get(f"http://127.0.0.1:{emu.port}/nope") as r:
            assert r.status == 404 and (await r.json())["description"] == "Not Found"
    assert [c.chat_id for c in emu.calls_to("sendMessage")] == [7, 7, 7]
    assert emu.calls_to("sendMessage")[2].params["document"] == {
        "filename": "a.txt",
        "content_type": "application/octet-stream",
        "size": 3,
    }
    assert emu.sent_texts(7) == ["hi", "q", "multi"]


# --------------------------------------------------------------------------- Application


async def test_application_gets_commands_and_callbacks(emu: BotApiEmulator) -> None:
    seen: list[tuple[str, list[str]]] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        seen.append(("start", list(context.args or [])))
        await update.effective_message.reply_text("What is 2+3?", reply_markup=KEYBOARD)

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        seen.append(("callback", [query.data]))
        await query.answer("Correct!")
        await query.edit_message_text(f"You chose {query.data.split(':')[1]}")

    async with running_app(emu, CommandHandler("start", start), CallbackQueryHandler(answer)):
        emu.push_message(USER, "/start@dars_test_bot lesson1", language_code="bn")
        [sent] = await emu.wait_for("sendMessage", chat_id=USER)
        assert sent.result["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ans:5"

        emu.push_callback(USER, "ans:5", message_id=sent.result["message_id"])
        await emu.wait_for("answerCallbackQuery")
        [edit] = await emu.wait_for("editMessageText", chat_id=USER)

    assert seen == [("start", ["lesson1"]), ("callback", ["ans:5"])]
    assert emu.calls_to("answerCallbackQuery")[0].params["text"] == "Correct!"
    assert edit.result["message_id"] == sent.result["message_id"]
    # The edit carried no reply_markup, so (like Telegram) the keyboard is gone.
    assert emu.chat_messages(USER) == [
        {**edit.result, "reply_markup": None},
    ]
    assert emu.sent_texts(USER) == ["What is 2+3?", "You chose 5"]
    assert emu.pending_updates == 0  # PTB's final getUpdates on stop confirmed everything


async def test_redelivery_reaches_the_handler_again_with_same_update_id(
    emu: BotApiEmulator,
) -> None:
    update_ids: list[int] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_ids.append(update.update_id)
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "hello")

    async with running_app(emu, CommandHandler("start", start)):
        uid = emu.push_message(USER, "/start")
        await emu.wait_for("sendMessage", count=1)
        emu.redeliver(uid)
        await emu.wait_for("sendMessage", count=2)
        emu.push_message(USER, "/start")
        await emu.wait_for("sendMessage", count=3)
    assert update_ids == [uid, uid, uid + 1]


async def test_stop_ends_a_pending_long_poll_promptly() -> None:
    emu = BotApiEmulator()
    await emu.start()
    async with Bot(emu.token, base_url=emu.base_url) as ptb_bot:
        poll = asyncio.create_task(ptb_bot.get_updates(timeout=30))
        await asyncio.sleep(0.2)
        began = time.monotonic()
        await emu.stop()
        assert await asyncio.wait_for(poll, 2) == ()
        assert time.monotonic() - began < 1.5


# --------------------------------------------------------------------------- updates


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    emu: BotApiEmulator, bot: Bot
) -> None:
    began = time.monotonic()
    asyncio.get_running_loop().call_later(0.2, emu.push_message, USER, "hi")
    [update] = await bot.get_updates(timeout=10)
    assert 0.15 < time.monotonic() - began < 2
    assert update.message is not None and update.message.text == "hi"
    assert update.message.entities == ()
    assert update.message.from_user is not None and update.message.from_user.language_code == "en"


async def test_offset_confirms_and_redeliver_repeats(emu: BotApiEmulator, bot: Bot) -> None:
    first = emu.push_message(USER, "one")
    second = emu.push_sticker(USER)
    assert [u.update_id for u in await bot.get_updates()] == [first, second]
    # Unconfirmed updates come back on the next call.
    assert [u.update_id for u in await bot.get_updates()] == [first, second]
    assert emu.pending_updates == 2
    assert await bot.get_updates(offset=second + 1) == ()
    assert emu.pending_updates == 0

    emu.redeliver(first)
    # Redelivered despite the offset having moved past it, with the same update_id.
    again = await bot.get_updates(offset=second + 1)
    assert [u.update_id for u in again] == [first]
    assert again[0].message is not None and again[0].message.text == "one"
    assert await bot.get_updates(offset=first + 1) == ()
    assert emu.pending_updates == 0
    with pytest.raises(KeyError):
        emu.redeliver(999)


async def test_media_updates_and_commands_parse_in_ptb(emu: BotApiEmulator, bot: Bot) -> None:
    emu.push_photo(USER)
    emu.push_voice(USER)
    emu.push_sticker(USER)
    emu.push_message(USER, "/start_quiz@dars_test_bot now")
    emu.push_update(
        {"message": {"message_id": 99, "date": 0, "chat": {"id": 5, "type": "private"}}}
    )
    photo, voice, sticker, command, raw = await bot.get_updates()
    assert photo.message and photo.message.photo[-1].width == 1280
    assert voice.message and voice.message.voice and voice.message.voice.mime_type == "audio/ogg"
    assert sticker.message and sticker.message.sticker and sticker.message.sticker.emoji == "👍"
    assert command.message and command.message.entities[0].length == len(
        "/start_quiz@dars_test_bot"
    )
    assert raw.update_id == command.update_id + 1
    # User and bot messages share one message_id sequence per chat.
    assert [u.message.message_id for u in (photo, voice, sticker, command) if u.message] == [
        1,
        2,
        3,
        4,
    ]
    sent = await bot.send_message(USER, "ok")
    assert sent.message_id == 5 and sent.chat.first_name == "Rahim"


async def test_second_concurrent_poll_terminates_the_first(emu: BotApiEmulator, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    url = f"{emu.base_url}{emu.token}/getUpdates"
    async with aiohttp.ClientSession() as http, http.post(url, json={"timeout": 0}) as r:
        assert (await r.json())["result"] == []
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await first


# --------------------------------------------------------------------------- sending & editing


async def test_edits_and_their_errors(emu: BotApiEmulator, bot: Bot) -> None:
    msg = await bot.send_message(USER, "Question 1", reply_markup=KEYBOARD)
    with bad_request("message is not modified"):
        await bot.edit_message_text(
            "Question 1", chat_id=USER, message_id=msg.message_id, reply_markup=KEYBOARD
        )
    # Same text without the markup *is* a modification (it removes the keyboard).
    edited = await bot.edit_message_text("Question 1", chat_id=USER, message_id=msg.message_id)
    assert isinstance(edited, type(msg)) and edited.reply_markup is None and edited.edit_date
    with bad_request("message is not modified"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=msg.message_id)
    await bot.edit_message_reply_markup(
        chat_id=USER, message_id=msg.message_id, reply_markup=KEYBOARD
    )
    assert emu.chat_messages(USER)[0]["reply_markup"] == KEYBOARD.to_dict()

    with bad_request("message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
    emu.push_message(USER, "user text")
    with bad_request("message can't be edited"):
        await bot.edit_message_text("x", chat_id=USER, message_id=2)

    assert await bot.delete_message(USER, msg.message_id)
    assert emu.chat_messages(USER) == []
    with bad_request("message to delete not found"):
        await bot.delete_message(USER, msg.message_id)


async def test_text_rules_and_formatting_fails_loudly(emu: BotApiEmulator, bot: Bot) -> None:
    msg = await bot.send_message(USER, "  ২ + ৩ = 😀 ৫\n")
    assert msg.text == "২ + ৩ = 😀 ৫"  # whitespace trimmed, like Telegram
    # Formatting is not emulated: a future use must fail in tests, not pass unchecked.
    with bad_request("parse_mode is not emulated"):
        await bot.send_message(USER, "<b>bold</b>", parse_mode="HTML")

    with bad_request("message text is empty"):
        await bot.send_message(USER, " \n ")
    with bad_request("message is too long"):
        await bot.send_message(USER, "x" * 4097)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="ক" * 22)]])
    with bad_request("button_data_invalid"):
        await bot.send_message(USER, "hi", reply_markup=too_long)


async def test_callback_queries_can_be_answered_once(emu: BotApiEmulator, bot: Bot) -> None:
    emu.push_callback(USER, "ans:1", message_id=77)  # no such message: a minimal one is used
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None and query.message is not None and query.message.message_id == 77
    assert await query.answer()
    with bad_request("query is too old"):
        await query.answer()


async def test_commands_are_stored_per_language(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Start"), ("practice", "Practice")])
    await bot.set_my_commands([("start", "শুরু")], language_code="bn")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "practice"]
    assert [c.description for c in await bot.get_my_commands(language_code="bn")] == ["শুরু"]
    assert emu.my_commands("bn") == [{"command": "start", "description": "শুরু"}]
    await bot.delete_my_commands(language_code="bn")
    assert await bot.get_my_commands(language_code="bn") == ()
    with bad_request("bot_command_invalid"):
        await bot.set_my_commands([("Start", "capitals are not allowed")])
    assert await bot.send_chat_action(USER, "typing")
    assert await bot.set_chat_menu_button()
    assert await bot.delete_webhook() and await bot.log_out() and await bot.close()


async def test_commands_are_stored_per_chat_scope(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Start")])
    await bot.set_my_commands([("summary", "সন্তানের অগ্রগতি")], scope=BotCommandScopeChat(USER))
    chat_menu = await bot.get_my_commands(scope=BotCommandScopeChat(USER))
    assert [c.description for c in chat_menu] == ["সন্তানের অগ্রগতি"]
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert emu.my_commands(scope={"type": "chat", "chat_id": USER}) == [
        {"command": "summary", "description": "সন্তানের অগ্রগতি"}
    ]
    assert emu.my_commands(scope={"type": "chat", "chat_id": USER + 1}) == []
    # A chat scope without its chat (PTB would not build one): refused, as Telegram does.
    commands = [{"command": "a", "description": "b"}]
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{emu.base_url}{emu.token}/setMyCommands",
            json={"commands": commands, "scope": {"type": "chat"}},
        ) as r,
    ):
        body = await r.json()
    assert r.status == 400 and "chat_id" in body["description"]


# --------------------------------------------------------------------------- faults & limits


async def test_faults_become_ptb_exceptions(emu: BotApiEmulator, bot: Bot) -> None:
    emu.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "a")
    assert retry_seconds(caught.value) == 7

    emu.fail_next("sendMessage", status=502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(USER, "b")
    await bot.send_message(USER, "c")

    emu.forbidden_chats.add(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "d")

    assert emu.too_many_requests == 1
    # calls_to / sent_texts show what Telegram accepted; failures are opt-in.
    assert emu.sent_texts(USER) == ["c"]
    assert [c.status for c in emu.calls_to("sendMessage", USER, include_failed=True)] == [
        429,
        502,
        502,
        200,
        403,
    ]


async def test_rate_limits_answer_429(emu: BotApiEmulator, bot: Bot) -> None:
    emu.set_rate_limits(global_per_second=None, per_chat_per_second=1.0, retry_after=3)
    await bot.send_message(1, "first")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1, "second")
    assert retry_seconds(caught.value) == 3
    await bot.send_message(2, "other chat is fine")

    emu.set_rate_limits(global_per_second=5, per_chat_per_second=None)
    results = await asyncio.gather(
        *(bot.send_message(100 + n, "fan-out") for n in range(8)), return_exceptions=True
    )
    assert sum(isinstance(r, RetryAfter) for r in results) == 3
    assert emu.too_many_requests == 4


async def test_wait_for_times_out_with_a_helpful_message(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.send_message(USER, "hello there")
    with pytest.raises(TimeoutError) as caught:
        await emu.wait_for("sendMessage", chat_id=USER, count=2, timeout=0.2)
    assert "1 matched" in str(caught.value) and "'hello there'" in str(caught.value)

    calls: list[ApiCall] = []
    emu.add_listener(calls.append)
    asyncio.get_running_loop().call_later(0.1, emu.push_message, USER, "x")
    waiter = asyncio.create_task(
        emu.wait_for("sendMessage", predicate=lambda c: c.params["text"] == "late")
    )
    await asyncio.sleep(0.05)
    await bot.send_message(USER, "late")
    assert [c.params["text"] for c in await waiter] == ["late"]
    assert [c.method for c in calls] == ["sendMessage"]


async def test_response_delay_slows_calls(emu: BotApiEmulator, bot: Bot) -> None:
    emu.response_delay = 0.2
    began = time.monotonic()
    await bot.send_message(USER, "slow")
    assert time.monotonic() - began >= 0.2


# --------------------------------------------------------------------------- webhook delivery


class Receiver:
    """A webhook endpoint on loopback: records what Telegram POSTs and answers as told."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.statuses: list[int] = []  # answers to give, in order; then 200
        self.hold: asyncio.Event | None = None  # when set: keep each request open until set
        self.open = 0
        self.most_open = 0
        self.url = ""

    async def handle(self, request: aiohttp.web.Request) -> aiohttp.web.Response:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            self.received.append((await request.json(), request.headers.get(SECRET_HEADER)))
            if self.hold is not None:
                await self.hold.wait()
            return aiohttp.web.Response(status=self.statuses.pop(0) if self.statuses else 200)
        finally:
            self.open -= 1

    def update_ids(self) -> list[int]:
        return [update["update_id"] for update, _ in self.received]


SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = aiohttp.web.Application()
    app.router.add_post("/hook", found.handle)
    runner = aiohttp.web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    found.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield found
    finally:
        if found.hold is not None:
            found.hold.set()
        await runner.cleanup()


async def _until(condition: Any, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_webhook_gets_each_update_with_the_secret_and_polling_is_refused(
    emu: BotApiEmulator, bot: Bot, receiver: Receiver
) -> None:
    await bot.set_webhook(receiver.url, secret_token="hush_1")
    first = emu.push_message(USER, "one")
    second = emu.push_message(USER + 1, "two")
    await _until(lambda: len(receiver.received) == 2)
    assert sorted(receiver.update_ids()) == [first, second]
    assert {secret for _, secret in receiver.received} == {"hush_1"}
    assert receiver.received[0][0]["message"]["text"] in ("one", "two")
    await _until(lambda: emu.pending_updates == 0)  # a 200 confirms the update
    info = await bot.get_webhook_info()
    assert info.url == receiver.url and info.pending_update_count == 0
    assert info.last_error_message is None
    with pytest.raises(Conflict):
        await bot.get_updates()


async def test_a_failed_delivery_is_retried_and_reported(
    emu: BotApiEmulator, bot: Bot, receiver: Receiver
) -> None:
    emu.webhook_retry_delay = 0.05
    receiver.statuses = [500, 502]
    await bot.set_webhook(receiver.url)
    update_id = emu.push_message(USER, "hello")
    await _until(lambda: emu.pending_updates == 0)
    assert receiver.update_ids() == [update_id] * 3  # two failures, then delivered
    assert [post.error for post in emu.webhook_posts] == [
        "Wrong response from the webhook: 500",
        "Wrong response from the webhook: 502",
        None,
    ]
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 502"


async def test_webhook_keeps_each_chat_in_order_within_max_connections(
    emu: BotApiEmulator, bot: Bot, receiver: Receiver
) -> None:
    receiver.hold = asyncio.Event()
    await bot.set_webhook(receiver.url, max_connections=2)
    a1, b1, a2, c1 = (emu.push_message(chat, "x") for chat in (USER, USER + 1, USER, USER + 2))
    await _until(lambda: len(receiver.received) == 2)
    await asyncio.sleep(0.1)
    # Two connections at most, and a chat's second update waits for its first.
    assert receiver.update_ids() == [a1, b1] and receiver.open == 2
    receiver.hold.set()
    await _until(lambda: emu.pending_updates == 0)
    delivered = receiver.update_ids()
    assert sorted(delivered) == [a1, b1, a2, c1]
    assert delivered.index(a2) > delivered.index(a1)
    assert receiver.most_open == 2


async def test_an_unreachable_webhook_keeps_updates_for_polling(
    emu: BotApiEmulator, bot: Bot
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    emu.webhook_retry_delay = 0.05
    await bot.set_webhook(f"http://127.0.0.1:{port}/hook")
    update_id = emu.push_message(USER, "kept")
    await _until(lambda: len(emu.webhook_posts) >= 2)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert (info.last_error_message or "").startswith("Connection failed")
    await bot.delete_webhook()
    (update,) = await bot.get_updates()
    assert update.update_id == update_id and update.message is not None
    assert update.message.text == "kept"


async def test_webhook_settings_are_checked(emu: BotApiEmulator, bot: Bot) -> None:
    with bad_request("max_connections"):
        await bot.set_webhook("https://example.org/hook", max_connections=101)
    with bad_request("https url must be provided"):
        await bot.set_webhook("ftp://example.org/hook")
    with bad_request("secret token"):
        await bot.set_webhook("https://example.org/hook", secret_token="no spaces")
    assert (await bot.get_webhook_info()).url == ""
