"""Tests for course_helpers/local/server/realtime.py through the real openai SDK (sync and async Realtime clients).

The server's voice is the real Piper voice behind the app's ``synthesize``
seam (``RecordingVoice``), which records every sentence and sample it makes
and can hold a sentence back until the test lets it go: so "the first audio
arrives before the last sentence is synthesized" and "a client that leaves
stops the synthesis" are checked by order of events, not by the clock.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import io
import json
import threading
import wave

import numpy as np
import openai
import pytest
import websockets.sync.client
from openai.types.realtime import RealtimeServerEvent
from pydantic import TypeAdapter
from websockets.exceptions import ConnectionClosedError

from course_helpers.local.audio import speech
from course_helpers.local.audio.measures import word_error_rate
from course_helpers.local.server import start_in_thread

from .conftest import API_KEY, TEST_DAY, wait_for
from .fake_engine import FakeEngine

# The SDK's sync Realtime client opens its socket as websockets < 16 did; websockets 17 warns about it (the SDK's
# `openai[realtime]` extra pins websockets < 16). The client works the same: the warning is the SDK's to fix.
pytestmark = pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager:DeprecationWarning")

MODEL = "gpt-realtime-2.1-mini"
TEXT = "The library opens at nine in the morning. Please bring your own bag. My brother plays the guitar."
SESSION = {
    "type": "realtime",
    "output_modalities": ["audio"],
    "audio": {"output": {"voice": "marin", "format": {"type": "audio/pcm", "rate": 24000}}},
    "instructions": "Read the user's text aloud exactly as written. Add nothing.",
}
EVENTS = TypeAdapter(RealtimeServerEvent)


def request(text: str, **extra) -> dict:
    """The ``response`` of a ``response.create`` that reads ``text`` out of band."""
    message = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    return {"conversation": "none", "input": [message], **extra}


class RecordingVoice:
    """The Piper voice, recording what it synthesizes; ``hold(n)`` makes sentence ``n`` wait for ``release()``."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sentences: list[str] = []
        self.samples = 0
        self.running = 0  # sentences being synthesized now
        self.fail = False
        self.held_at: int | None = None
        self.gate = threading.Event()
        self.released_in_time: bool | None = None

    def hold(self, index: int) -> None:
        self.held_at = index

    def release(self) -> None:
        self.gate.set()

    def __call__(self, text: str, voice: str, speed: float):
        index = len(self.sentences)
        self.sentences.append(text)
        self.running += 1
        try:
            if self.fail:
                raise RuntimeError("injected fault")
            if index == self.held_at:
                self.released_in_time = self.gate.wait(timeout=60)
            for block in speech.synthesize(text, voice=voice, speed=speed):
                self.samples += len(block)
                yield block
        finally:
            self.running -= 1


@pytest.fixture(scope="module")
def voice() -> RecordingVoice:
    return RecordingVoice()


@pytest.fixture(scope="module")
def server(voice):
    with start_in_thread(api_key=API_KEY, engine=FakeEngine(), today=lambda: TEST_DAY, synthesize=voice) as handle:
        yield handle


@pytest.fixture(autouse=True)
def _fresh_voice(voice):
    voice.reset()
    yield
    voice.release()  # never leave a worker thread waiting


@pytest.fixture
def sdk(server):
    with openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0) as client:
        yield client


def events_until_done(connection) -> list:
    """Every event up to and including ``response.done`` (errors fail the test)."""
    events = []
    for event in connection:
        assert event.type != "error", event
        events.append(event)
        if event.type == "response.done":
            return events
    raise AssertionError("the connection ended before response.done")


def pcm_of(events) -> bytes:
    return b"".join(base64.b64decode(e.delta) for e in events if e.type == "response.output_audio.delta")


def wav_bytes(pcm: bytes) -> bytes:
    """PCM16 24 kHz mono with a WAV header, as a learner writes it."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(24_000)
        wav.writeframes(pcm)
    return buffer.getvalue()


# ------------------------------------------------------------------ the happy path


def test_sync_client_gets_audio_sentence_by_sentence_before_the_text_is_spoken(sdk, voice):
    voice.hold(2)  # the last sentence waits until the first audio has reached the client
    with sdk.realtime.connect(model=MODEL) as connection:
        connection.session.update(session=SESSION)
        connection.response.create(response=request(TEXT))
        events = []
        for event in connection:
            assert event.type != "error", event
            events.append(event)
            if event.type == "response.output_audio.delta" and not voice.gate.is_set():
                assert len(voice.sentences) <= 3 and voice.samples < 24_000 * 6  # the last one is not spoken yet
                voice.release()
            if event.type == "response.done":
                break
    assert voice.released_in_time  # so the first chunk came while the last sentence was still held back
    kinds = [e.type for e in events]
    assert kinds[:5] == [
        "session.created", "session.updated", "response.created", "response.output_item.added",
        "response.content_part.added",
    ]  # fmt: skip
    assert kinds[-5:] == [
        "response.output_audio.done", "response.output_audio_transcript.done", "response.content_part.done",
        "response.output_item.done", "response.done",
    ]  # fmt: skip
    assert kinds.count("response.output_audio.delta") >= 3
    pcm = pcm_of(events)
    assert len(pcm) == 2 * voice.samples  # every sample the voice made, and nothing else
    transcript_deltas = [e.delta for e in events if e.type == "response.output_audio_transcript.delta"]
    assert len(transcript_deltas) == 3 and "".join(transcript_deltas) == TEXT
    done = events[-1].response
    assert done.status == "completed" and done.output[0].content[0].transcript == TEXT
    assert done.usage.total_tokens == 0 and done.conversation_id is None
    assert events[1].session.audio.output.voice == "marin"


def test_async_client_round_trip_through_transcription(server, voice):
    async def speak_then_transcribe():
        async with openai.AsyncOpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0) as client:
            async with client.realtime.connect(model=MODEL) as connection:
                await connection.session.update(session=SESSION)
                await connection.response.create(response=request(TEXT))
                events = []
                async for event in connection:
                    assert event.type != "error", event
                    events.append(event)
                    if event.type == "response.done":
                        break
            pcm = pcm_of(events)
            transcript = await client.audio.transcriptions.create(
                model="gpt-transcribe", file=("tts.wav", wav_bytes(pcm))
            )
            return events, pcm, transcript.text

    events, pcm, text = asyncio.run(speak_then_transcribe())
    assert len(pcm) == 2 * voice.samples and sum(e.type == "response.output_audio.delta" for e in events) >= 3
    assert [e.type for e in events][-1] == "response.done"
    assert word_error_rate(TEXT, text) < 0.1, text


def test_every_server_event_matches_the_sdk_types(sdk):
    with sdk.realtime.connect(model=MODEL) as connection:
        connection.session.update(session=SESSION)
        connection.response.create(response=request("Hello there.", metadata={"lesson": "05"}))
        kinds = []
        while not kinds or kinds[-1] != "response.done":
            raw = json.loads(connection.recv_bytes())
            event = EVENTS.validate_python(raw)  # pydantic checks every field the SDK declares
            assert event.type == raw["type"] and raw["event_id"].startswith("event_")
            kinds.append(raw["type"])
            if raw["type"] == "response.done":
                assert raw["response"]["metadata"] == {"lesson": "05"}
    assert "response.output_audio.delta" in kinds


def test_the_session_reports_its_effective_configuration(sdk):
    with sdk.realtime.connect(model=MODEL) as connection:
        created = connection.recv()
        assert created.type == "session.created" and created.session.model == MODEL
        assert created.session.audio.output.format.rate == 24_000 and created.session.audio.output.voice == "alloy"
        connection.session.update(session={"type": "realtime", "audio": {"output": {"speed": 1.5}}})
        updated = connection.recv()
        assert updated.type == "session.updated" and updated.session.audio.output.speed == 1.5
        assert updated.session.audio.output.voice == "alloy"  # fields not named keep their value


# ---------------------------------------------------------------- errors keep the socket usable


@pytest.mark.parametrize(
    ("raw", "code", "param"),
    [
        ({"type": "nope", "event_id": "evt_1"}, "invalid_value", "type"),
        ({"type": "input_audio_buffer.append", "audio": ""}, "unsupported_value", "type"),
        ({"type": "conversation.item.create", "item": {}}, "unsupported_value", "type"),
        ({"type": "session.update", "session": {"type": "realtime", "bogus_field": 1}}, "unknown_parameter",
         "session.bogus_field"),
        ({"type": "session.update", "session": {}}, "missing_required_parameter", "session.type"),
        ({"type": "session.update", "session": {"type": "realtime", "tools": [{"type": "function"}]}},
         "unsupported_value", "session.tools"),
        ({"type": "session.update", "session": {"type": "realtime", "audio": {"output": {"voice": "fable"}}}},
         "invalid_value", "session.audio.output.voice"),
        ({"type": "session.update", "session": {"type": "realtime", "audio": {"output": {"speed": 2}}}},
         "decimal_above_max_value", "session.audio.output.speed"),
        ({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}},
         "unsupported_value", "session.output_modalities"),
        ({"type": "session.update", "session": {"type": "realtime", "audio": {"output": {"format": {
            "type": "audio/pcm", "rate": 16000}}}}}, "integer_below_min_value", "session.audio.output.format.rate"),
        ({"type": "response.create", "response": {"input": []}}, "unsupported_value", "response.conversation"),
        ({"type": "response.create", "response": {"conversation": "none"}}, "missing_required_parameter",
         "response.input"),
        ({"type": "response.cancel"}, "response_cancel_not_active", None),
        ("not json", "invalid_json", None),
        (b"\x00\x01binary", "invalid_event", None),
    ],
)  # fmt: skip
def test_bad_events_get_error_events_and_the_session_goes_on(sdk, raw, code, param):
    with sdk.realtime.connect(model=MODEL) as connection:
        assert connection.recv().type == "session.created"
        connection.send_raw(raw if isinstance(raw, (str, bytes)) else json.dumps(raw))
        error = connection.recv()
        assert error.type == "error" and error.error.code == code and error.error.param == param, error
        assert error.error.event_id == (raw.get("event_id") if isinstance(raw, dict) else None)
        connection.response.create(response=request("Still here."))
        assert events_until_done(connection)[-1].response.status == "completed"


def test_voice_cannot_change_once_audio_went_out(sdk):
    with sdk.realtime.connect(model=MODEL) as connection:
        connection.response.create(response=request("Hi."))
        events_until_done(connection)
        connection.session.update(session={"type": "realtime", "audio": {"output": {"voice": "cedar"}}})
        error = connection.recv()
        assert error.type == "error" and error.error.code == "cannot_update_voice"


def test_one_response_at_a_time(sdk, voice):
    voice.hold(0)
    with sdk.realtime.connect(model=MODEL) as connection:
        connection.response.create(response=request("First."))
        connection.response.create(response=request("Second."))
        seen = {}
        while len(seen) < 2:  # the two arrive in either order
            event = connection.recv()
            if event.type in ("response.created", "error"):
                seen[event.type] = event
        assert seen["error"].error.code == "conversation_already_has_active_response"
        assert seen["response.created"].response.id in seen["error"].error.message
        voice.release()
        assert events_until_done(connection)[-1].response.output[0].content[0].transcript == "First."


def test_a_failing_voice_costs_only_its_response(sdk, voice):
    voice.fail = True
    with sdk.realtime.connect(model=MODEL) as connection:
        connection.response.create(response=request("Broken."))
        events = []
        for event in connection:
            events.append(event)
            if event.type == "response.done":
                break
        assert any(e.type == "error" and e.error.type == "server_error" for e in events)
        assert events[-1].response.status == "failed"
        voice.fail = False
        connection.response.create(response=request("Fine again."))
        assert events_until_done(connection)[-1].response.status == "completed"


# ------------------------------------------------------------- stopping the synthesis


def test_cancel_stops_the_response_after_the_sentence_in_progress(sdk, voice):
    voice.hold(1)
    with sdk.realtime.connect(model=MODEL) as connection:
        connection.response.create(response=request(TEXT))
        for event in connection:
            if event.type == "response.output_audio.delta":
                break
        connection.response.cancel()
        voice.release()
        done = [e for e in events_until_done(connection) if e.type == "response.done"][0].response
    assert done.status == "cancelled" and done.status_details.reason == "client_cancelled"
    assert len(voice.sentences) == 2  # the third sentence was never synthesized
    assert done.output[0].status == "incomplete" and done.output[0].content[0].transcript != TEXT


def test_a_client_that_disconnects_mid_response_frees_the_synthesis(sdk, voice):
    voice.hold(1)
    with sdk.realtime.connect(model=MODEL) as connection:
        connection.response.create(response=request(TEXT + " " + TEXT))
        for event in connection:
            if event.type == "response.output_audio.delta":
                break
    voice.release()  # the held sentence finishes after the client has gone...
    assert wait_for(lambda: voice.released_in_time is not None and voice.running == 0, timeout=60)
    assert len(voice.sentences) == 2  # ...and no sentence after it starts


# ---------------------------------------------------------------- key and model


def test_a_wrong_key_gets_an_error_event_and_close_code_3000(server):
    with openai.OpenAI(base_url=server.base_url, api_key="sk-wrong", max_retries=0) as client:
        with client.realtime.connect(model=MODEL) as connection:
            error = connection.recv()
            assert error.type == "error" and error.error.code == "invalid_api_key"
            with pytest.raises(ConnectionClosedError) as closed:
                connection.recv()
    assert closed.value.rcvd.code == 3000


def test_no_key_gets_the_same_refusal(server):
    url = server.base_url.replace("http://", "ws://") + f"/realtime?model={MODEL}"
    with websockets.sync.client.connect(url) as socket:
        error = json.loads(socket.recv())
        assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
        with pytest.raises(ConnectionClosedError) as closed:
            socket.recv()
    assert closed.value.rcvd.code == 3000


@pytest.mark.parametrize(("model", "code"), [(None, "missing_model"), ("gpt-nope", "invalid_model"),
                                             ("tts-1", "invalid_model")])  # fmt: skip
def test_a_model_realtime_does_not_serve_is_refused_with_close_code_4000(sdk, model, code):
    with sdk.realtime.connect(**({"model": model} if model else {})) as connection:
        error = connection.recv()
        assert error.type == "error" and error.error.code == code
        with pytest.raises(ConnectionClosedError) as closed:
            connection.recv()
    assert closed.value.rcvd.code == 4000


@pytest.mark.parametrize("model", ["gpt-realtime-mini", "gpt-realtime", "gpt-audio-1.5"])
def test_every_realtime_model_is_served_until_its_shutdown(sdk, model):
    with sdk.realtime.connect(model=model) as connection:
        created = connection.recv()
    assert created.type == "session.created" and created.session.model == model


def test_a_realtime_model_after_its_shutdown_names_its_replacement(voice):
    later = datetime.date(2027, 1, 21)  # gpt-realtime-mini shut down on 2027-01-20
    with start_in_thread(api_key=API_KEY, engine=FakeEngine(), today=lambda: later, synthesize=voice) as server:
        with openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0) as client:
            with client.realtime.connect(model="gpt-realtime-mini") as connection:
                error = connection.recv()
                with pytest.raises(ConnectionClosedError):
                    connection.recv()
            with client.realtime.connect(model=MODEL) as connection:
                assert connection.recv().type == "session.created"  # the replacement still works
    assert error.error.code == "model_not_found" and "`gpt-realtime-2.1-mini`" in error.error.message


def test_joined_audio_is_24khz_pcm16_of_the_expected_length(sdk, voice):
    with sdk.realtime.connect(model=MODEL) as connection:
        connection.response.create(response=request("Counting to three."))
        pcm = pcm_of(events_until_done(connection))
    samples = np.frombuffer(pcm, dtype="<i2")
    assert len(samples) == voice.samples and 0.5 < len(samples) / 24_000 < 4 and np.abs(samples).max() > 10_000


# ---------------------------------------------------------------- a room (serve --learners)


def test_in_a_room_a_learner_key_is_required_and_each_response_counts_in_their_usage(tmp_path, voice):
    import httpx

    from course_helpers.local.server.learners import Roster
    from course_helpers.local.server.room import Room

    ada_key = "sk-room-adaadaadaadaadaadaadaada"
    learners = tmp_path / "learners.csv"
    learners.write_text(f"name,key\nada,{ada_key}\n")
    room = Room(Roster(learners))
    options = {"engine": FakeEngine(), "today": lambda: TEST_DAY, "synthesize": voice, "room": room}
    with start_in_thread(api_key=API_KEY, **options) as handle:
        with openai.OpenAI(base_url=handle.base_url, api_key="sk-not-in-the-room", max_retries=0) as stranger:
            with stranger.realtime.connect(model=MODEL) as connection:
                assert connection.recv().error.code == "invalid_api_key"
        with openai.OpenAI(base_url=handle.base_url, api_key=ada_key, max_retries=0) as ada:
            with ada.realtime.connect(model=MODEL) as connection:
                connection.response.create(response=request("First."))
                assert events_until_done(connection)[-1].response.status == "completed"
                voice.fail = True
                connection.response.create(response=request("Broken."))
                for event in connection:
                    if event.type == "response.done":
                        assert event.response.status == "failed"
                        break
        root = handle.base_url.removesuffix("/v1")
        usage = httpx.get(root + "/course/usage", headers={"authorization": f"Bearer {API_KEY}"}).json()["data"]
    ada_usage = next(row for row in usage if row["name"] == "ada")
    assert (ada_usage["requests"], ada_usage["errors"]) == (2, 1)
    assert (ada_usage["prompt_tokens"], ada_usage["completion_tokens"]) == (0, 0)  # the local voice reports zeros


def test_in_a_room_realtime_shares_the_learners_rate_limit_and_a_refusal_keeps_the_session(tmp_path, voice):
    import time

    import httpx

    from course_helpers.local.server.learners import Roster
    from course_helpers.local.server.rate_limits import RateLimits
    from course_helpers.local.server.room import Room

    ada_key, bob_key = "sk-room-adaadaadaadaadaadaadaada", "sk-room-bobbobbobbobbobbobbobbob"
    learners = tmp_path / "learners.csv"
    learners.write_text(f"name,key\nada,{ada_key}\nbob,{bob_key}\n")
    window = 8.0  # seconds: the limit's minute, shortened (room for a loaded machine before it passes)
    room = Room(Roster(learners), limits=RateLimits(requests_per_minute=2, tokens_per_minute=None, window=window))
    options = {"engine": FakeEngine(), "today": lambda: TEST_DAY, "synthesize": voice, "room": room}
    with start_in_thread(api_key=API_KEY, **options) as handle:
        with openai.OpenAI(base_url=handle.base_url, api_key=ada_key, max_retries=0) as ada:
            chat = [{"role": "user", "content": "hi"}]
            ada.chat.completions.create(model="gpt-6-luna", messages=chat, max_completion_tokens=5)  # 1 of 2
            started = time.monotonic()
            with ada.realtime.connect(model=MODEL) as connection:
                connection.response.create(response=request("First."))  # 2 of 2
                events = events_until_done(connection)
                assert events[-1].response.status == "completed"
                updated = next(e for e in events if e.type == "rate_limits.updated")
                [requests] = updated.rate_limits
                assert (requests.name, requests.limit, requests.remaining) == ("requests", 2, 0)
                assert 0 < requests.reset_seconds <= window

                connection.send({"type": "response.create", "event_id": "evt_again", "response": request("Again.")})
                refusal = connection.recv()  # over the limit shared with HTTP: refused, not spoken
                assert refusal.type == "error"
                assert (refusal.error.type, refusal.error.code) == ("requests", "rate_limit_exceeded")
                assert refusal.error.event_id == "evt_again" and "Rate limit reached for ada" in refusal.error.message
                assert voice.sentences == ["First."]
                with pytest.raises(openai.RateLimitError):  # and HTTP sees the Realtime use too
                    ada.chat.completions.create(model="gpt-6-luna", messages=chat, max_completion_tokens=5)

                connection.session.update(session={"type": "realtime", "audio": {"output": {"speed": 1.2}}})
                assert connection.recv().type == "session.updated"  # the session is still open
                with openai.OpenAI(base_url=handle.base_url, api_key=bob_key, max_retries=0) as bob:
                    with bob.realtime.connect(model=MODEL) as other:  # another learner is not limited by ada
                        other.response.create(response=request("Bob speaks."))
                        assert events_until_done(other)[-1].response.status == "completed"

                time.sleep(max(window - (time.monotonic() - started), 0) + 0.2)  # the window has passed
                connection.response.create(response=request("Later."))
                assert events_until_done(connection)[-1].response.status == "completed"
        root = handle.base_url.removesuffix("/v1")
        usage = httpx.get(root + "/course/usage", headers={"authorization": f"Bearer {API_KEY}"}).json()["data"]
    ada_usage = next(row for row in usage if row["name"] == "ada")
    assert ada_usage["rate_limited"] == 2  # the refused response.create and the refused chat request
    assert ada_usage["requests"] - ada_usage["rate_limited"] == 3  # chat, First., Later.


def test_behind_upstream_realtime_shares_the_learners_token_limit(tmp_path, voice):
    """``serve --upstream``: chat goes to the engine, Realtime stays local, and both draw on one budget."""
    from course_helpers.local.server.learners import Roster
    from course_helpers.local.server.rate_limits import RateLimits
    from course_helpers.local.server.room import Room
    from course_helpers.local.server.upstream import Upstream

    ada_key, engine_key = "sk-room-adaadaadaadaadaadaadaada", "sk-engine-behind-the-room-0000000"
    learners = tmp_path / "learners.csv"
    learners.write_text(f"name,key\nada,{ada_key}\n")
    room = Room(Roster(learners), limits=RateLimits(requests_per_minute=10, tokens_per_minute=3))
    with start_in_thread(api_key=engine_key, engine=FakeEngine(), today=lambda: TEST_DAY) as engine:
        upstream = Upstream(engine.base_url, api_key=engine_key)
        options = {"today": lambda: TEST_DAY, "synthesize": voice, "upstream": upstream, "room": room}
        with start_in_thread(api_key=API_KEY, engine=FakeEngine(), **options) as front:
            with openai.OpenAI(base_url=front.base_url, api_key=ada_key, max_retries=0) as ada:
                with ada.realtime.connect(model=MODEL) as connection:
                    connection.response.create(response=request("Before the chat."))
                    events = events_until_done(connection)
                    assert events[-1].response.status == "completed"
                    updated = next(e for e in events if e.type == "rate_limits.updated")
                    limits = {limit.name: (limit.limit, limit.remaining) for limit in updated.rate_limits}
                    assert limits == {"requests": (10, 9), "tokens": (3, 3)}  # the local voice used no tokens

                    chat = [{"role": "user", "content": "hello there, engine behind the room"}]
                    reply = ada.chat.completions.create(model="gpt-6-luna", messages=chat, max_completion_tokens=5)
                    assert reply.usage is not None and reply.usage.total_tokens > 3  # the engine's tokens spend it

                    connection.send({"type": "response.create", "event_id": "evt_tokens", "response": request("No.")})
                    refusal = connection.recv()
                    assert refusal.type == "error"
                    assert (refusal.error.type, refusal.error.code) == ("tokens", "rate_limit_exceeded")
                    assert refusal.error.event_id == "evt_tokens"
                    connection.session.update(session={"type": "realtime", "audio": {"output": {"speed": 1.1}}})
                    assert connection.recv().type == "session.updated"  # refused, and the session is still open
