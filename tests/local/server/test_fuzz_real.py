"""The seeded fuzz of test_fuzz.py for the endpoints that run real models: few, small cases."""

from __future__ import annotations

import random
from typing import Any

import pytest

from .test_fuzz import _check, fuzz, moderation_body, session, speech_body

MODERATION_CASES = 40
SPEECH_CASES = 40


@pytest.fixture(scope="module")
def http(real_server):
    with session(real_server) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "make_body", "cases", "seed"),
    [("/moderations", moderation_body, MODERATION_CASES, 3), ("/audio/speech", speech_body, SPEECH_CASES, 4)],
)
def test_random_bodies_never_answer_500(http, path, make_body, cases, seed):
    fuzz(http, path, make_body, cases, seed)


_FORM_VALUES = ["", " ", "json", "text", "srt", "verbose_json", "en", "fr", "0", "0.5", "1.5", "-1", "NaN", "inf",
                "1e999", "true", "word", "segment", "whisper-1", "tts-1", "x" * 300, "\N{GRINNING FACE}"]  # fmt: skip
_FORM_FIELDS = ["model", "language", "prompt", "response_format", "temperature", "timestamp_granularities[]",
                "stream", "include[]", "chunking_strategy", "colour"]  # fmt: skip
TRANSCRIPTION_CASES = 30


def transcription_form(rng: random.Random) -> tuple[dict[str, list[bytes]], dict[str, Any]]:
    """Form fields (some repeated, some not UTF-8) and files for one upload; the audio is never valid."""
    fields: dict[str, list[bytes]] = {"model": [b"whisper-1"]} if rng.random() < 0.8 else {}
    for name in rng.sample(_FORM_FIELDS, rng.randrange(4)):
        value = rng.choice(_FORM_VALUES).encode()
        fields.setdefault(name, []).append(value if rng.random() < 0.9 else b"\xff\xfe" + value)  # not UTF-8
    audio = rng.choice([b"", b"not audio at all", bytes(range(256))])
    if rng.random() < 0.8:
        return fields, {"file": ("clip.mp3", audio)}
    fields["file"] = [b"a text field where the file belongs"]
    return fields, {"attachment": ("clip.mp3", audio)}  # a file, so the body is still multipart


@pytest.fixture(scope="module")
def form_http(real_server):
    with session(real_server, content_type=None) as client:  # httpx sets the multipart content type
        yield client


@pytest.mark.parametrize("path", ["/audio/transcriptions", "/audio/translations"])
def test_random_transcription_forms_never_answer_500(form_http, path):
    rng = random.Random(5)
    params = set()
    for _ in range(TRANSCRIPTION_CASES):
        fields, files = transcription_form(rng)
        response = form_http.post(path, data=fields, files=files)
        _check(response, (fields, files))
        params.add(response.json()["error"]["param"])
    assert {"file", "model"} < params  # the forms reach the field checks, not only the content type's
