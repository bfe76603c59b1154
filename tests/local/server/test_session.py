"""Tests for course_helpers/local/server/session.py: admission is released exactly once on every path.

``admission.active`` counts running generations: a path that forgets to
release it leaves it above 0 (and the server would end up refusing every
request with a 429); a path that releases twice takes it below 0.
"""

from __future__ import annotations

import httpx
import openai
import pytest

from course_helpers.local.server.session import Admission, GenerationSession

from .conftest import API_KEY, wait_for
from .fake_engine import FakeEngine

HELLO = [{"role": "user", "content": "one two three"}]
LONG = [{"role": "user", "content": "word " * 100}]  # the stand-in's window is 64 tokens


@pytest.fixture
def admission(fake_server) -> Admission:
    return fake_server._server.config.app.state.admission


def _settled(admission: Admission) -> bool:
    return wait_for(lambda: admission.active == 0)


def test_close_releases_once():
    admission = Admission()
    admission.enter(limit=1)
    session = GenerationSession(FakeEngine(), admission)
    session.close()
    session.close()
    assert admission.active == 0


def test_the_limit_refuses_without_counting():
    admission = Admission()
    admission.enter(limit=1)
    with pytest.raises(Exception, match="busy"):
        admission.enter(limit=1)
    assert admission.active == 1


@pytest.mark.parametrize("stream", [False, True])
def test_released_after_a_reply(client, admission, stream):
    reply = client.chat.completions.create(model="gpt-4o", messages=HELLO, stream=stream)
    if stream:
        list(reply)
    assert _settled(admission)


@pytest.mark.parametrize("stream", [False, True])
def test_released_after_a_prompt_too_long(client, admission, stream):
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gpt-4o", messages=LONG, stream=stream)
    assert _settled(admission)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("fail_at_step", [0, 1])
def test_released_after_a_failure(client, engine, admission, stream, fail_at_step):
    engine.fail_at_step = fail_at_step
    with pytest.raises(openai.APIError):
        reply = client.chat.completions.create(model="gpt-4o", messages=HELLO, stream=stream)
        if stream:
            list(reply)
    assert _settled(admission)


def test_released_when_the_client_leaves_a_stream(client, engine, admission):
    engine.delay = 0.05
    stream = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "w " * 40}], stream=True
    )
    next(iter(stream))
    assert admission.active == 1
    stream.close()
    assert _settled(admission)


def test_released_when_the_client_leaves_before_the_answer(fake_server, engine, admission):
    engine.delay = 0.05
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            fake_server.base_url + "/responses",
            json={"model": "gpt-4o", "input": "w " * 40},
            timeout=0.3,
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
    assert _settled(admission)
