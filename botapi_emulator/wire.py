"""What the emulator says on the wire: request decoding, Bot API objects, errors, text rules."""

from __future__ import annotations

import contextlib
import functools
import json
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

# Telegram answers malformed tokens with 404 and well-formed but wrong ones with 401.
_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
# A command is "/" + up to 32 of [A-Za-z0-9_], optionally "@botname"; the entity stops there.
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
# What setWebhook accepts as secret_token.
_WEBHOOK_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")

# Form values are always strings; PTB json.dumps every non-str value, so these are never decoded.
_STRING_PARAMS = frozenset(
    [
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "language_code",
        "action",
        "description",
        "short_description",
        "name",
        "emoji",
        "secret_token",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
        "title",
        "query",
        "data",
        "photo",
        "voice",
        "document",
        "audio",
        "video",
        "animation",
        "sticker",
        "file_id",
    ]
)
_INT_PARAMS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "user_id", "cache_time"}
)

# Methods subject to the emulated flood limits (what Telegram actually throttles: messages).
_RATE_LIMITED_PREFIXES = ("send", "edit", "copy", "forward")
_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
_DEFAULT_UPDATE_TYPES_EXCLUDED = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)
_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

_dumps = functools.partial(json.dumps, ensure_ascii=False)


@dataclass
class ApiCall:
    """One Bot API request the emulator answered."""

    method: str
    params: dict[str, Any]
    at: float
    result: Any
    error: dict[str, Any] | None = None  # the error body when the call failed
    status: int = 200

    @property
    def ok(self) -> bool:
        """Whether Telegram would have answered `{"ok": true}`."""
        return self.error is None

    @property
    def chat_id(self) -> int | str | None:
        """The call's chat_id parameter, if any."""
        return _norm_chat_id(self.params.get("chat_id"))


@dataclass
class WebhookPost:
    """One POST of an update to the webhook."""

    update_id: int
    started: float  # time.monotonic()
    finished: float = 0.0
    error: str | None = None  # None: answered with a 2xx

    @property
    def ok(self) -> bool:
        return self.finished > 0 and self.error is None


class _ApiError(Exception):
    """An error answer: HTTP status + Telegram description (+ optional parameters)."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None


@dataclass
class _Queued:
    update: dict[str, Any]
    sticky: bool = False  # redelivered: handed out regardless of offset until delivered once
    posting: bool = False  # webhook: a POST of it is under way
    retry_at: float = 0.0  # webhook: not before this time.monotonic() (after a failed POST)

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


@dataclass
class _Chat:
    chat: dict[str, Any]
    next_message_id: int = 1
    bot_messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    user_messages: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class _Bucket:
    """Token bucket: `rate` tokens per second, bursts up to max(1, rate)."""

    rate: float
    tokens: float
    stamp: float

    def take(self, now: float) -> bool:
        burst = max(1.0, self.rate)
        self.tokens = min(burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


# ---------------------------------------------------------------------- request decoding


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Decode query string + body (JSON, urlencoded or multipart) into typed params."""
    params: dict[str, Any] = {}
    for key, query_value in request.query.items():
        params[key] = _decode_form_value(key, query_value)
    if request.content_type == "application/json":
        raw = await request.read()
        if raw.strip():
            try:
                data = json.loads(raw)
            except ValueError as exc:
                raise ValueError("can't parse JSON body") from exc
            if not isinstance(data, dict):
                raise ValueError("JSON body must be an object")
            for key, value in data.items():
                params[key] = _decode_json_value(key, value)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        # PTB sends urlencoded forms, or multipart when uploading files.
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                params[key] = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "size": len(content),
                }
            else:
                params[key] = _decode_form_value(
                    key, bytes(value) if isinstance(value, bytearray) else value
                )
    elif request.can_read_body:
        raw = await request.read()
        if raw.strip():
            with contextlib.suppress(ValueError):
                data = json.loads(raw)
                if isinstance(data, dict):
                    for key, value in data.items():
                        params[key] = _decode_json_value(key, value)
    return params


def _decode_form_value(key: str, value: str | bytes) -> Any:
    """PTB form-encodes str params raw and everything else json.dumps'ed: undo that."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # e.g. chat_id="@channel"


def _decode_json_value(key: str, value: Any) -> Any:
    """JSON bodies may still carry nested objects as JSON strings; Telegram accepts both."""
    if isinstance(value, str) and key not in _STRING_PARAMS:
        stripped = value.strip()
        if stripped[:1] in ("{", "[") or (key in _INT_PARAMS and _is_int_text(stripped)):
            with contextlib.suppress(ValueError):
                return json.loads(stripped)
    return value


def _is_int_text(text: str) -> bool:
    return bool(re.fullmatch(r"-?\d+", text))


def _as_int(value: Any, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise _ApiError(400, "Bad Request: invalid integer parameter") from exc


def _chat_key(update: dict[str, Any]) -> object:
    """The chat an update belongs to (its own update_id when it has none)."""
    for kind, body in update.items():
        if not isinstance(body, dict):
            continue
        message = body.get("message") if kind == "callback_query" else body
        chat = message.get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict) and "id" in chat:
            return chat["id"]
        sender = body.get("from")
        if isinstance(sender, dict) and "id" in sender:
            return sender["id"]
    return ("update", update.get("update_id"))


def _norm_chat_id(value: Any) -> int | str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _is_int_text(value.strip()):
        return int(value)
    return str(value)


def _json_response(body: dict[str, Any], status: int) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


# ---------------------------------------------------------------------- objects


def _user(user_id: int, first_name: str, language_code: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code is not None:
        user["language_code"] = language_code
    return user


def _chat_object(chat_id: int | str, chat_type: str, first_name: str) -> dict[str, Any]:
    if chat_type == "private" and isinstance(chat_id, int) and chat_id > 0:
        return {"id": chat_id, "first_name": first_name, "type": "private"}
    if chat_type == "private":
        # Negative ids are groups ("-100…" supergroups) whatever the caller claimed.
        chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "title": "Dars test group", "type": chat_type}


def _scope_key(scope: Any) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


def _reply_to_id(params: dict[str, Any]) -> int | None:
    reply = params.get("reply_parameters")
    if isinstance(reply, dict) and reply.get("message_id") is not None:
        return _as_int(reply.get("message_id"), 0)
    if params.get("reply_to_message_id") is not None:
        return _as_int(params.get("reply_to_message_id"), 0)
    return None


def _allows_missing_reply(params: dict[str, Any]) -> bool:
    reply = params.get("reply_parameters")
    if isinstance(reply, dict) and reply.get("allow_sending_without_reply") is True:
        return True
    return params.get("allow_sending_without_reply") is True


def _check_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Validate reply_markup like Telegram; return what a sent Message echoes back."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _ApiError(
                400,
                'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
                "must be an Array of Arrays",
            )
        for row in rows:
            for button in row:
                _check_inline_button(button)
        # An empty inline keyboard is the same as none (that is how bots remove keyboards).
        rows = [row for row in rows if row]
        return {"inline_keyboard": rows} if rows else None
    if any(key in markup for key in ("keyboard", "remove_keyboard", "force_reply")):
        return None  # reply keyboards are not echoed back in the Message
    raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise _ApiError(
            400,
            "Bad Request: can't parse inline keyboard button: "
            'Field "text" must be of type String',
        )
    if "callback_data" in button:
        data = button["callback_data"]
        # callback_data is limited to 1-64 *bytes* (Bengali letters take 3 bytes each).
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    elif not any(key in button for key in _INLINE_BUTTON_ACTIONS):
        raise _ApiError(
            400,
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        )


# ---------------------------------------------------------------------- text


def _u16len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _norm_entities(entities: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(e, sort_keys=True) for e in entities)


def _formatted_text(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """Apply entities, trim and length-check `text` like Telegram."""
    raw = params.get("text")
    if raw is None or raw == "":
        raise _ApiError(400, "Bad Request: message text is empty")
    text = raw if isinstance(raw, str) else json.dumps(raw)
    if params.get("parse_mode"):
        # Dars sends plain text; a future use of formatting should fail loudly here rather
        # than pass unchecked (Telegram would parse it, and could refuse it).
        raise _ApiError(400, "Bad Request: parse_mode is not emulated")
    given = params.get("entities")
    entities = [dict(e) for e in given if isinstance(e, dict)] if isinstance(given, list) else []
    text, entities = _trim(text, entities)
    if not text:
        raise _ApiError(400, "Bad Request: message text is empty")
    if _u16len(text) > 4096:
        raise _ApiError(400, "Bad Request: message is too long")
    return text, entities


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram strips leading/trailing whitespace and shifts/clips entities to match."""
    stripped = text.lstrip(" \t\r\n\v\f")
    shift = _u16len(text) - _u16len(stripped)
    stripped = stripped.rstrip(" \t\r\n\v\f")
    if not shift and stripped == text:
        return text, entities
    size = _u16len(stripped)
    kept = []
    for entity in entities:
        start = max(0, int(entity.get("offset", 0)) - shift)
        end = min(size, int(entity.get("offset", 0)) + int(entity.get("length", 0)) - shift)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept
