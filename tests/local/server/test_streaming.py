"""The thread-to-async bridge and the SSE framing."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from course_helpers.local.server.streaming import DONE_EVENT, ThreadedIterator, sse_event


def test_sse_event_is_one_data_line():
    frame = sse_event({"text": "héllo\nworld"})
    assert frame.startswith(b"data: ") and frame.endswith(b"\n\n")
    assert frame.count(b"\n") == 2  # newlines inside the JSON are escaped
    assert json.loads(frame[6:]) == {"text": "héllo\nworld"}
    assert DONE_EVENT == b"data: [DONE]\n\n"


def test_items_arrive_in_order_from_another_thread():
    seen_threads = set()

    def produce():
        for i in range(50):
            seen_threads.add(threading.current_thread().name)
            yield i

    async def collect():
        return [item async for item in ThreadedIterator(produce())]

    assert asyncio.run(collect()) == list(range(50))
    assert seen_threads == {"course-helpers-generation"}


def test_errors_are_reraised_on_the_async_side():
    def produce():
        yield 1
        raise KeyError("boom")

    async def collect():
        items = []
        with pytest.raises(KeyError):
            async for item in ThreadedIterator(produce()):
                items.append(item)
        return items

    assert asyncio.run(collect()) == [1]


def test_close_calls_on_close_once_and_only_if_unfinished():
    calls = []

    async def early_close():
        blocker = threading.Event()

        def produce():
            yield 1
            blocker.wait(5)

        events = ThreadedIterator(produce(), on_close=lambda: (calls.append("closed"), blocker.set()))
        assert await events.__anext__() == 1
        events.close()
        events.close()

    async def close_after_end():
        events = ThreadedIterator(iter([1]), on_close=lambda: calls.append("late"))
        assert [item async for item in events] == [1]
        events.close()

    asyncio.run(early_close())
    asyncio.run(close_after_end())
    assert calls == ["closed"]
