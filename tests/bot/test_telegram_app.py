"""A reply's inline keyboard as JSON (bot.telegram_app.keyboard_json) is what python-telegram-bot's objects give, key
order included: the outbox stores that JSON and the webhook response carries it."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.messages import Button, Reply
from bot.telegram_app import keyboard, keyboard_json

buttons = st.builds(Button, text=st.text(max_size=8), data=st.text(max_size=8))


def as_python_telegram_bot_gives(reply: Reply):
    markup = keyboard(reply)
    return markup.to_dict() if markup else None


def test_a_reply_without_buttons_has_no_keyboard():
    assert keyboard_json(Reply("hi")) is None is as_python_telegram_bot_gives(Reply("hi"))


def test_the_buttons_of_a_question_in_rows():
    reply = Reply("Why?", buttons=((Button("Faulty", "n0:1"), Button("Wrong size ‹é›", "n0:2")), (Button("Cancel", "n0:x"),)))
    assert json.dumps(keyboard_json(reply)) == json.dumps(as_python_telegram_bot_gives(reply))


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(buttons, max_size=3).map(tuple), max_size=3).map(tuple))
def test_any_rows_of_buttons_give_the_same_json(rows):
    reply = Reply("?", buttons=rows)
    assert json.dumps(keyboard_json(reply), ensure_ascii=False) == json.dumps(as_python_telegram_bot_gives(reply), ensure_ascii=False)
