"""A person's text message is read without python-telegram-bot's objects (bot.receiver.plain_text), and reads the same:
for any update, plain_text either declines it or gives what Update.de_json gives for every field the webhook,
chat_key and incoming_of read."""
from __future__ import annotations

import copy
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Update

from bot.receiver import PlainText, chat_key, parse_update, plain_text
from bot.telegram_app import incoming_of

MESSAGE = {"update_id": 501, "message": {
    "message_id": 1, "date": 1763600000, "chat": {"id": 42, "type": "private", "first_name": "Ann"},
    "from": {"id": 42, "is_bot": False, "first_name": "Ann", "language_code": "de"}, "text": "/help",
    "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}

anything = st.recursive(st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.text(max_size=5),
                        lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
                        max_leaves=4)
PATHS = [(), ("update_id",), ("message",), ("message", "message_id"), ("message", "date"), ("message", "text"),
         ("message", "chat"), ("message", "chat", "id"), ("message", "chat", "type"), ("message", "chat", "title"),
         ("message", "from"), ("message", "from", "id"), ("message", "from", "is_bot"), ("message", "from", "first_name"),
         ("message", "from", "language_code"), ("message", "from", "is_premium"), ("message", "entities"),
         ("message", "entities", 0, "type"), ("message", "entities", 0, "url"), ("message", "caption"), ("message", "photo"),
         ("callback_query",), ("edited_message",), ("message", "reply_to_message")]
WORDS = ["private", "group", "supergroup", "channel", "sender", "", "/help", "/tier@refund_test_bot", "/tier@other_bot",
         "hello", "bot_command"]


def changed(update: dict, path: tuple, value, delete: bool) -> dict:
    data = copy.deepcopy(update)
    *head, last = path
    where = data
    for key in head:
        where = where[key]
    if delete:
        where.pop(last, None) if isinstance(where, dict) else None
    elif isinstance(where, dict) or (isinstance(where, list) and isinstance(last, int) and last < len(where)):
        where[last] = value
    return data


def same_reading(data: dict) -> None:
    plain = plain_text(data)
    if plain is None:
        return
    update = Update.de_json(copy.deepcopy(data), None)  # python-telegram-bot reads it too (never raises on these)
    assert isinstance(plain, PlainText) and plain.update_id == update.update_id and update.callback_query is None
    assert chat_key(plain) == chat_key(update)
    for username in (None, "refund_test_bot", "other_bot"):
        assert incoming_of(plain, username) == incoming_of(update, username)
        mine, theirs = incoming_of(plain, username), incoming_of(update, username)
        assert type(getattr(mine, "chat_type", None)) is type(getattr(theirs, "chat_type", None))


def test_a_command_from_a_person_is_read_plainly_and_reads_as_python_telegram_bot_reads_it():
    _data, update = parse_update(json.dumps(MESSAGE))
    assert isinstance(update, PlainText)
    same_reading(MESSAGE)
    assert incoming_of(update, "refund_test_bot").text == "/help"


def test_other_updates_are_left_to_python_telegram_bot():
    for path in [("message", "photo"), ("message", "caption"), ("message", "entities", 0, "url"), ("message", "from", "is_premium")]:
        assert plain_text(changed(MESSAGE, path, [] if path[-1] == "photo" else "x", False)) is None
    assert plain_text({"update_id": 1, "callback_query": {"id": "q"}}) is None
    assert plain_text(changed(MESSAGE, ("message", "text"), "", False)) is None  # nothing to answer: incoming_of decides


@settings(max_examples=600, deadline=None)
@given(path=st.sampled_from(PATHS), value=anything | st.sampled_from(WORDS), delete=st.booleans())
def test_whatever_plain_text_reads_it_reads_as_python_telegram_bot_does(path, value, delete):
    if not path:
        return
    same_reading(changed(MESSAGE, path, value, delete))
