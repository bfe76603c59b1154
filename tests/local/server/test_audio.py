"""Tests for course_helpers/local/server/audio.py through the real openai SDK.

Speech, transcriptions and translations on the real local models (Piper and
Whisper tiny.en), behind a real server (``client`` in conftest.py: strict
response validation, no retries).
"""

from __future__ import annotations

import base64
import json
import re

import av
import httpx
import numpy as np
import openai
import pytest

from course_helpers.local import store
from course_helpers.local.audio import speech
from course_helpers.local.audio.measures import word_error_rate

from .conftest import API_KEY

ROUND_TRIP = (
    "The library opens at nine in the morning. "
    "Please bring your own bag when you go shopping. "
    "My brother plays the guitar in a small band."
)
CONTAINERS = {"mp3": "mp3", "opus": "ogg", "aac": "aac", "flac": "flac", "wav": "wav"}


def speak(client, text: str, tmp_path, *, voice: str = "alloy", response_format: str = "mp3", **extra):
    """Text to an audio file through the SDK's streaming response, as the lesson does it."""
    path = tmp_path / f"speech-{voice}.{response_format}"
    with client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts", voice=voice, input=text, response_format=response_format, **extra
    ) as response:
        response.stream_to_file(path)
    return path


@pytest.fixture(scope="module")
def clip(fake_server, tmp_path_factory) -> bytes:
    """A short spoken sentence as mp3 bytes, made once for the transcription tests."""
    with openai.OpenAI(base_url=fake_server.base_url, api_key=API_KEY, max_retries=0) as sdk:
        return sdk.audio.speech.create(model="tts-1", voice="echo", input="Thank you for calling. Goodbye.").content


# ------------------------------------------------------------------ round trip


# the deepest, a middle and the highest voice, each in another file format
@pytest.mark.parametrize(("voice", "response_format"), [("onyx", "mp3"), ("alloy", "wav"), ("shimmer", "opus")])
def test_round_trip_text_to_speech_to_text_keeps_the_words(client, tmp_path, voice, response_format):
    path = speak(client, ROUND_TRIP, tmp_path, voice=voice, response_format=response_format)
    with path.open("rb") as audio:
        transcript = client.audio.transcriptions.create(model="whisper-1", file=audio)
    assert word_error_rate(ROUND_TRIP, transcript.text) < 0.05, transcript.text


# ---------------------------------------------------------------------- speech


def speech_frames(path, response_format: str) -> list:
    """The decoded audio frames of a speech file, after checking its container is the declared format."""
    with av.open(str(path)) as container:
        assert container.format.name.split(",")[0] == CONTAINERS[response_format]
        return list(container.decode(audio=0))


def seconds_of(frames: list) -> float:
    return sum(f.samples for f in frames) / frames[0].sample_rate


@pytest.mark.parametrize("response_format", sorted(CONTAINERS))
def test_speech_formats_are_valid_files(client, tmp_path, response_format):
    frames = speech_frames(speak(client, "Hello.", tmp_path, response_format=response_format), response_format)
    assert 0.3 < seconds_of(frames) < 3


@pytest.mark.parametrize("response_format", sorted(CONTAINERS))
def test_text_with_nothing_to_say_is_a_short_silence_in_a_valid_file(client, tmp_path, response_format):
    frames = speech_frames(speak(client, "...", tmp_path, response_format=response_format), response_format)
    loudest = max(float(abs(f.to_ndarray()).max()) for f in frames)
    assert 0.2 < seconds_of(frames) < 0.5 and loudest < 0.01


def test_speech_pcm_is_raw_24khz_16bit(client, tmp_path):
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input="Hello.", response_format="pcm"
    ) as response:
        data = response.read()
    assert response.headers["content-type"] == "audio/pcm"
    assert len(data) % 2 == 0
    samples = np.frombuffer(data, dtype="<i2")
    assert 0.3 < len(samples) / 24_000 < 3 and np.abs(samples).max() > 10_000


@pytest.mark.parametrize("model", ["tts-1", "tts-1-hd", "gpt-4o-mini-tts"])
def test_every_speech_model_name_is_served_and_instructions_are_accepted(client, model):
    response = client.audio.speech.create(
        model=model, voice="coral", input="Hi there.", instructions="Speak in a cheerful tone."
    )
    assert response.response.headers["content-type"] == "audio/mpeg"
    assert len(response.content) > 1000


def test_speed_changes_duration_through_the_api(client, tmp_path):
    def seconds(speed):
        data = client.audio.speech.create(
            model="tts-1", voice="nova", input="Counting slowly to five.", response_format="pcm", speed=speed
        ).content
        return len(data) / 2 / 24_000

    assert seconds(2.0) == pytest.approx(seconds(1.0) / 2, rel=0.03)


def test_speech_is_streamed_in_several_chunks(fake_server):
    body = {
        "model": "tts-1",
        "voice": "alloy",
        "response_format": "pcm",
        "input": "First sentence here. Second sentence here. Third sentence here.",
    }
    with httpx.stream(
        "POST",
        fake_server.base_url + "/audio/speech",
        json=body,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=60,
    ) as response:
        assert response.headers.get("transfer-encoding") == "chunked"
        chunks = [chunk for chunk in response.iter_raw() if chunk]
    assert len(chunks) >= 3


def test_speech_sse_events_carry_the_audio(fake_server):
    body = {
        "model": "gpt-4o-mini-tts",
        "voice": "alloy",
        "input": "Hello. Goodbye.",
        "response_format": "pcm",
        "stream_format": "sse",
    }
    with httpx.stream(
        "POST",
        fake_server.base_url + "/audio/speech",
        json=body,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=60,
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]
    assert [e["type"] for e in events[:-1]] == ["speech.audio.delta"] * (len(events) - 1)
    assert events[-1]["type"] == "speech.audio.done" and events[-1]["usage"]["total_tokens"] == 0  # nothing billed
    audio = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    assert len(audio) / 2 / 24_000 > 0.5


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"input": ""}, "input"),
        ({"input": "   "}, "input"),
        ({"input": "x" * 4097}, "input"),
        ({"voice": "bob"}, "voice"),
        ({"voice": {"id": "voice_1234"}}, "voice"),
        ({"response_format": "ogg"}, "response_format"),
        ({"speed": 0.2}, "speed"),
        ({"speed": 4.5}, "speed"),
        ({"stream_format": "sse"}, "stream_format"),  # not for tts-1, as with OpenAI
    ],
)
def test_bad_speech_requests_are_400s_naming_the_parameter(client, change, param):
    request = {"model": "tts-1", "voice": "alloy", "input": "Hello.", **change}
    with pytest.raises(openai.BadRequestError) as error:
        client.audio.speech.create(**request)
    assert error.value.param == param


def test_input_of_exactly_4096_characters_is_accepted(client):
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input="a " * 2048, response_format="pcm"
    ) as response:
        assert response.status_code == 200  # the body is not read: the check is on the request


def test_unknown_speech_model_is_404(client):
    with pytest.raises(openai.NotFoundError) as error:
        client.audio.speech.create(model="gpt-4o-mini", voice="alloy", input="Hello.")
    assert error.value.code == "model_not_found"


# --------------------------------------------------------------- transcription


def test_transcription_json_has_text_and_usage(client, clip):
    transcript = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=("clip.mp3", clip))
    assert word_error_rate("Thank you for calling. Goodbye.", transcript.text) < 0.1, transcript.text
    assert transcript.usage.type == "duration" and transcript.usage.seconds >= 1


@pytest.mark.parametrize("response_format", ["text", "srt", "vtt"])
def test_transcription_text_formats(client, clip, response_format):
    body = client.audio.transcriptions.create(
        model="whisper-1", file=("clip.mp3", clip), response_format=response_format
    )
    assert isinstance(body, str)
    time = r"\d\d:\d\d:\d\d[.,]\d\d\d"
    if response_format == "text":
        assert body.endswith("\n") and "Goodbye" in body
    elif response_format == "srt":
        assert re.match(rf"1\n{time} --> {time}\n.*Goodbye", body, re.S), body
    else:
        assert re.match(rf"WEBVTT\n\n{time} --> {time}\n.*Goodbye", body, re.S), body


def test_verbose_json_with_word_timestamps(client, clip):
    transcript = client.audio.transcriptions.create(
        model="whisper-1",
        file=("clip.mp3", clip),
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    assert transcript.language == "english" and transcript.duration > 1
    assert transcript.segments and transcript.segments[0].text.strip()
    words = [w.word.strip(",.").lower() for w in transcript.words]
    assert words[:3] == ["thank", "you", "for"]
    assert all(a.start <= b.start for a, b in zip(transcript.words, transcript.words[1:], strict=False))


def test_translation_of_english_audio_is_english_text(client, clip):
    with pytest.warns(DeprecationWarning):  # the SDK marks translations deprecated
        translation = client.audio.translations.create(model="whisper-1", file=("clip.mp3", clip))
    assert "goodbye" in translation.text.lower()


@pytest.mark.parametrize(
    ("upload", "change", "param", "message"),
    [
        (("empty.wav", b""), {}, "file", "empty"),
        (("notes.mp3", b"just some text, not audio " * 20), {}, "file", "could not be decoded"),
        (None, {"language": "fr"}, "language", "English only"),
        (None, {"response_format": "diarized_json"}, "response_format", "Supported values"),
        (None, {"timestamp_granularities": ["word"]}, "timestamp_granularities", "verbose_json"),
        (None, {"temperature": 1.5}, "temperature", "maximum"),
    ],
)
def test_bad_transcription_requests_are_clear_400s(client, clip, upload, change, param, message):
    with pytest.raises(openai.BadRequestError) as error:
        client.audio.transcriptions.create(model="whisper-1", file=upload or ("clip.mp3", clip), **change)
    assert error.value.param == param
    assert message in error.value.message


def test_unknown_transcription_model_is_404(client, clip):
    with pytest.raises(openai.NotFoundError):
        client.audio.transcriptions.create(model="tts-1", file=("clip.mp3", clip))


def test_a_json_body_instead_of_an_upload_is_a_400(fake_server):
    response = httpx.post(
        fake_server.base_url + "/audio/transcriptions",
        json={"model": "whisper-1"},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "file"


def test_streamed_transcription_sends_deltas_then_the_whole_text(client, clip):
    stream = client.audio.transcriptions.create(model="gpt-4o-mini-transcribe", file=("clip.mp3", clip), stream=True)
    events = list(stream)
    assert [e.type for e in events[:-1]] == ["transcript.text.delta"] * (len(events) - 1)
    assert events[-1].type == "transcript.text.done"
    assert "".join(e.delta for e in events[:-1]).strip() == events[-1].text
    assert "Goodbye" in events[-1].text


def test_a_missing_model_is_a_clear_503(client, monkeypatch):
    def not_downloaded():
        raise store.ModelNotAvailable("The local model is not downloaded yet. Run `python -m course_helpers pull`.")

    monkeypatch.setattr(speech, "load_voice", not_downloaded)
    with pytest.raises(openai.InternalServerError) as error:
        client.audio.speech.create(model="tts-1", voice="alloy", input="Hello.")
    assert error.value.status_code == 503 and "course_helpers pull" in error.value.message


# ----------------------------------------------------------- one failure costs one request


class Injected(RuntimeError):
    """The fault the tests inject into a model."""


def fail_once(monkeypatch, cls, name):
    """Make ``cls.name`` raise Injected on its next call only (the model breaks for one request)."""
    original, calls = getattr(cls, name), []

    def replacement(self, *args, **kwargs):
        calls.append(name)
        if len(calls) == 1:
            raise Injected("injected fault")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, replacement)
    return calls


def test_a_failing_synthesis_costs_only_its_request(client, tmp_path, monkeypatch):
    from piper import PiperVoice

    text = "A sentence that no other test speaks, so that Piper runs afresh."  # not in the audio cache
    calls = fail_once(monkeypatch, PiperVoice, "phoneme_ids_to_audio")
    with pytest.raises(openai.InternalServerError) as error:  # a clear 500, not an empty 200
        client.audio.speech.create(model="tts-1", voice="alloy", input=text)
    assert "Injected" in error.value.message
    assert calls and seconds_of(speech_frames(speak(client, text, tmp_path), "mp3")) > 1  # the next one is served


@pytest.mark.parametrize("stream", [False, True])
def test_a_failing_transcription_costs_only_its_request(client, clip, monkeypatch, stream):
    from faster_whisper import WhisperModel

    from course_helpers.local.audio import transcription

    calls = fail_once(monkeypatch, WhisperModel, "transcribe")
    with pytest.raises(openai.InternalServerError):
        answer = client.audio.transcriptions.create(model="whisper-1", file=("clip.mp3", clip), stream=stream)
        if stream:
            list(answer)  # a stream that had started would fail only here
    assert calls and not transcription._lock.locked()  # the model's lock was given back
    transcript = client.audio.transcriptions.create(model="whisper-1", file=("clip.mp3", clip))
    assert "Goodbye" in transcript.text
