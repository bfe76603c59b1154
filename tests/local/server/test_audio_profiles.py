"""Tests for course_helpers/local/server/protocol/audio_profiles.py: each audio model answers as OpenAI does.

Through the real openai SDK against the running server: what each model
accepts works, what OpenAI refuses for that model is OpenAI's 400, and a model
past its shutdown date is a 404 naming its replacement.
"""

from __future__ import annotations

import datetime

import openai
import pytest

from course_helpers.local.audio.measures import word_error_rate
from course_helpers.local.server import start_in_thread

from .conftest import API_KEY
from .fake_engine import FakeEngine

SPOKEN = "Thank you for calling. Goodbye."
AFTER_SHUTDOWNS = datetime.date(2027, 3, 1)  # after the Speech (2027-01-06) and transcription (2027-02-26) shutdowns


@pytest.fixture(scope="module")
def clip(fake_server) -> bytes:
    """A short spoken sentence as mp3 bytes, made once."""
    with openai.OpenAI(base_url=fake_server.base_url, api_key=API_KEY, max_retries=0) as sdk:
        return sdk.audio.speech.create(model="gpt-4o-mini-tts", voice="echo", input=SPOKEN).content


@pytest.fixture(scope="module")
def later_client():
    """A client of a server that judges shutdowns on 2027-03-01."""
    with start_in_thread(api_key=API_KEY, engine=FakeEngine(), today=lambda: AFTER_SHUTDOWNS) as server:
        with openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0) as sdk:
            yield sdk


# --------------------------------------------------------------- gpt-transcribe


def test_gpt_transcribe_takes_prompt_keywords_and_languages(client, clip):
    transcript = client.audio.transcriptions.create(
        model="gpt-transcribe",
        file=("clip.mp3", clip),
        prompt="A short phone call.",
        keywords=["Goodbye"],
        languages=["en", "fr"],
    )
    assert word_error_rate(SPOKEN, transcript.text) < 0.1, transcript.text
    assert [language.code for language in transcript.languages] == ["en"]  # what the local model heard


def test_gpt_transcribe_answers_in_text(client, clip):
    text = client.audio.transcriptions.create(model="gpt-transcribe", file=("clip.mp3", clip), response_format="text")
    assert isinstance(text, str) and "Goodbye" in text


def test_gpt_transcribe_streams_with_detected_languages(client, clip):
    events = list(client.audio.transcriptions.create(model="gpt-transcribe", file=("clip.mp3", clip), stream=True))
    assert events[-1].type == "transcript.text.done" and "Goodbye" in events[-1].text
    assert [language.code for language in events[-1].languages] == ["en"]


# ------------------------------------------------------- what each model refuses


@pytest.mark.parametrize("model", ["gpt-transcribe", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"])
@pytest.mark.parametrize("response_format", ["srt", "vtt", "verbose_json"])
def test_formats_with_timestamps_are_whisper_1_only(client, clip, model, response_format):
    with pytest.raises(openai.BadRequestError) as error:
        client.audio.transcriptions.create(model=model, file=("clip.mp3", clip), response_format=response_format)
    assert error.value.param == "response_format" and error.value.code == "unsupported_value"
    assert error.value.body["message"] == (
        f"response_format '{response_format}' is not compatible with model '{model}'. Use 'json' or 'text' instead."
    )


@pytest.mark.parametrize("response_format", ["srt", "vtt"])
def test_whisper_1_keeps_subtitles(client, clip, response_format):
    body = client.audio.transcriptions.create(
        model="whisper-1", file=("clip.mp3", clip), response_format=response_format
    )
    assert "-->" in body


@pytest.mark.parametrize("model", ["gpt-transcribe", "gpt-4o-transcribe"])
def test_timestamps_are_refused_by_models_without_them(client, clip, model):
    with pytest.raises(openai.BadRequestError) as error:
        client.audio.transcriptions.create(model=model, file=("clip.mp3", clip), timestamp_granularities=["word"])
    assert error.value.param == "timestamp_granularities" and error.value.code == "unsupported_parameter"


def test_gpt_transcribe_refuses_the_singular_language(client, clip):
    with pytest.raises(openai.BadRequestError) as error:
        client.audio.transcriptions.create(model="gpt-transcribe", file=("clip.mp3", clip), language="en")
    assert error.value.param == "language" and "'languages'" in error.value.message


@pytest.mark.parametrize("model", ["whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"])
@pytest.mark.parametrize("change", [{"keywords": ["AC-42"]}, {"languages": ["en"]}])
def test_keywords_and_languages_are_gpt_transcribe_only(client, clip, model, change):
    with pytest.raises(openai.BadRequestError) as error:
        client.audio.transcriptions.create(model=model, file=("clip.mp3", clip), **change)
    assert error.value.param == next(iter(change)) and "gpt-transcribe" in error.value.message


def test_prompt_is_refused_by_the_diarizing_model(client, clip):
    with pytest.raises(openai.BadRequestError) as error:
        client.audio.transcriptions.create(model="gpt-4o-transcribe-diarize", file=("clip.mp3", clip), prompt="Hi")
    assert error.value.param == "prompt"


@pytest.mark.parametrize("keyword", ["<b>bold</b>", "two\nlines", " "])
def test_a_keyword_must_be_one_plain_line(client, clip, keyword):
    with pytest.raises(openai.BadRequestError) as error:
        client.audio.transcriptions.create(model="gpt-transcribe", file=("clip.mp3", clip), keywords=["ok", keyword])
    assert error.value.param == "keywords[1]"


def test_languages_without_english_are_refused_locally(client, clip):
    with pytest.raises(openai.BadRequestError) as error:
        client.audio.transcriptions.create(model="gpt-transcribe", file=("clip.mp3", clip), languages=["fr", "de"])
    assert error.value.param == "languages" and error.value.code == "unsupported_language"


# ------------------------------------------------------------------- speech


@pytest.mark.parametrize("model", ["tts-1", "tts-1-hd"])
@pytest.mark.parametrize("voice", ["marin", "cedar", "ballad", "verse"])
def test_tts_1_refuses_the_newer_voices_in_openai_words(client, model, voice):
    with pytest.raises(openai.BadRequestError) as error:
        client.audio.speech.create(model=model, voice=voice, input="Hello.")
    assert error.value.param is None and error.value.code is None  # as OpenAI answers it
    assert error.value.body["message"].startswith(
        "[{'type': 'enum', 'loc': ('body', 'voice'), 'msg': \"Input should be 'nova'"
    )
    assert f"'input': '{voice}'" in error.value.message


@pytest.mark.parametrize("voice", ["marin", "cedar", "fable"])
def test_gpt_4o_mini_tts_takes_every_voice_and_instructions(client, voice):
    response = client.audio.speech.create(
        model="gpt-4o-mini-tts", voice=voice, input="Hi.", instructions="Speak warmly.", response_format="pcm"
    )
    assert len(response.content) > 4800


def test_tts_1_accepts_instructions_and_ignores_them_as_openai_does(client):
    def audio(**extra):
        return client.audio.speech.create(model="tts-1", voice="coral", input="Hi.", response_format="pcm", **extra)

    assert audio(instructions="Whisper.").content == audio().content


# ----------------------------------------------------------------- shutdowns


@pytest.mark.parametrize("model", ["tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15"])
def test_speech_models_after_shutdown_name_the_realtime_replacement(later_client, model):
    with pytest.raises(openai.NotFoundError) as error:
        later_client.audio.speech.create(model=model, voice="alloy", input="Hello.")
    assert error.value.code == "model_not_found"
    assert "`gpt-realtime-2.1-mini`" in error.value.message and "Realtime API" in error.value.message


@pytest.mark.parametrize("model", ["whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"])
def test_transcription_models_after_shutdown_name_gpt_transcribe(later_client, clip, model):
    with pytest.raises(openai.NotFoundError) as error:
        later_client.audio.transcriptions.create(model=model, file=("clip.mp3", clip))
    assert error.value.code == "model_not_found" and "`gpt-transcribe`" in error.value.message


def test_gpt_transcribe_outlives_the_other_transcription_models(later_client, clip):
    transcript = later_client.audio.transcriptions.create(model="gpt-transcribe", file=("clip.mp3", clip))
    assert "Goodbye" in transcript.text


# --------------------------------------------------------------- translations


@pytest.mark.parametrize("model", ["gpt-transcribe", "gpt-4o-transcribe", "whisper-2"])
def test_translations_serve_whisper_1_only(client, clip, model):
    with pytest.warns(DeprecationWarning), pytest.raises(openai.NotFoundError):
        client.audio.translations.create(model=model, file=("clip.mp3", clip))


def test_translations_end_with_whisper_1(later_client, clip):
    with pytest.warns(DeprecationWarning), pytest.raises(openai.NotFoundError) as error:
        later_client.audio.translations.create(model="whisper-1", file=("clip.mp3", clip))
    assert error.value.code == "model_not_found"
