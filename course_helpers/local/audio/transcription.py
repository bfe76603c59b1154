"""Speech to text with faster-whisper and the Whisper tiny.en model.

faster-whisper runs OpenAI's Whisper models with CTranslate2 (fast int8
inference on the CPU). The local backend uses ``tiny.en``: 39 M parameters,
English only, a few times faster than real time even on a small laptop.

:func:`transcribe` takes the bytes of an uploaded file (any format FFmpeg
reads: flac, mp3, mp4, m4a, ogg, wav, webm, ...) and returns a
:class:`Transcript` with the text, the segments and, when asked, the words
with their timestamps. The request parameters map onto Whisper's own:

- ``prompt`` becomes Whisper's *initial prompt*: text the model treats as what
  was said just before, which steers spelling and style ("ZyntriQix, Digique").
- ``temperature`` 0 (the default) means what it means in the API: decode
  greedily-by-beam and, when the result looks broken (repetitive or unlikely),
  retry at 0.2, 0.4, ... 1.0. Any other value samples at exactly that temperature.
- ``language`` must be English (``en``): tiny.en knows no other language.

>>> transcript = transcribe(open("hello.wav", "rb").read())  # doctest: +SKIP
>>> transcript.text  # doctest: +SKIP
'Hello there.'

Used in: notebooks/05_audio.ipynb (via the local server)
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from course_helpers.local import store
from course_helpers.local.audio.encoding import decode

__all__ = [
    "LANGUAGE",
    "MIN_SECONDS",
    "AudioError",
    "Segment",
    "Transcript",
    "Word",
    "decode_upload",
    "iter_segments",
    "load_model",
    "transcribe",
]

LANGUAGE = "en"  # the only language tiny.en speaks
MIN_SECONDS = 0.1  # OpenAI refuses shorter audio, and so do we
_MODEL = "whisper-tiny-en"
_RATE = 16_000  # Whisper listens at 16 kHz
_FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
_lock = threading.Lock()  # one transcription at a time: CTranslate2 already uses every core


class AudioError(ValueError):
    """The uploaded file is empty, too short, or not audio at all."""


@dataclass
class Word:
    """One word and when it is spoken (seconds from the start)."""

    word: str
    start: float
    end: float


@dataclass
class Segment:
    """A stretch of speech as Whisper decoded it, with the API's fields."""

    id: int
    seek: int
    start: float
    end: float
    text: str
    tokens: list[int]
    temperature: float
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float


@dataclass
class Transcript:
    """What :func:`transcribe` hears: text, segments and (if asked) words."""

    text: str
    language: str  # the API's verbose_json uses the full name, "english"
    duration: float  # seconds of audio
    segments: list[Segment] = field(default_factory=list)
    words: list[Word] | None = None


@lru_cache(maxsize=1)
def _cached_model():
    from faster_whisper import WhisperModel  # imported late: CTranslate2 takes a moment

    folder = store.model_path(_MODEL)
    return WhisperModel(str(folder), device="cpu", compute_type="int8")


def load_model():
    """The Whisper tiny.en model, loaded once per process and shared.

    >>> load_model().model.is_multilingual  # doctest: +SKIP
    False
    """
    with _lock:
        return _cached_model()


def decode_upload(data: bytes) -> np.ndarray:
    """Decode an uploaded file to 16 kHz mono float samples, or raise :class:`AudioError`.

    >>> decode_upload(b"")
    Traceback (most recent call last):
    ...
    course_helpers.local.audio.transcription.AudioError: The audio file is empty.
    """
    if not data:
        raise AudioError("The audio file is empty.")
    try:
        samples = decode(data, _RATE)
    except Exception as error:  # FFmpeg raises many kinds; all mean "not audio we can read"
        raise AudioError(
            "The audio file could not be decoded or its format is not supported "
            f"({type(error).__name__}). Supported formats: flac, m4a, mp3, mp4, mpeg, mpga, "
            "oga, ogg, wav, webm."
        ) from error
    if len(samples) < MIN_SECONDS * _RATE:
        raise AudioError(f"Audio file is too short. Minimum audio length is {MIN_SECONDS} seconds.")
    return samples


def _segment(i: int, found) -> Segment:
    return Segment(
        id=i,
        seek=found.seek,
        start=round(float(found.start), 3),
        end=round(float(found.end), 3),
        text=found.text,
        tokens=list(found.tokens),
        temperature=float(found.temperature or 0.0),
        avg_logprob=float(found.avg_logprob),
        compression_ratio=float(found.compression_ratio),
        no_speech_prob=float(found.no_speech_prob),
    )


def iter_segments(
    samples: np.ndarray,
    *,
    prompt: str | None = None,
    temperature: float = 0.0,
    word_timestamps: bool = False,
) -> Iterator[tuple[Segment, list[Word]]]:
    """Decode 16 kHz samples segment by segment, yielding each with its words as soon as it is ready.

    Whisper reads 30-second windows one after the other, so a long recording
    gives its first segment long before the last (the server streams them).
    The words list is empty unless ``word_timestamps`` is true.
    """
    model = load_model()
    temperatures = _FALLBACK_TEMPERATURES if temperature == 0 else (float(temperature),)
    with _lock:
        found, _info = model.transcribe(
            samples,
            language=LANGUAGE,
            task="transcribe",
            temperature=list(temperatures),
            initial_prompt=prompt or None,
            word_timestamps=word_timestamps,
            beam_size=5,
        )
    found = iter(found)  # faster-whisper decodes lazily, a segment per next()
    for i in itertools.count():
        # The lock is held while a segment is decoded, never across a yield: a caller that stops
        # iterating (a client gone mid-stream) must not keep every later transcription waiting.
        with _lock:
            segment = next(found, None)
        if segment is None:
            return
        words = [
            Word(word=w.word.strip(), start=round(float(w.start), 3), end=round(float(w.end), 3))
            for w in (segment.words or [])
        ]
        yield _segment(i, segment), words


def transcribe(
    data: bytes,
    *,
    prompt: str | None = None,
    temperature: float = 0.0,
    word_timestamps: bool = False,
) -> Transcript:
    """Transcribe the audio file ``data`` (its bytes) into English text.

    Raises :class:`AudioError` for an empty, too short or undecodable file.
    """
    samples = decode_upload(data)
    segments, words = [], []
    for segment, segment_words in iter_segments(
        samples, prompt=prompt, temperature=temperature, word_timestamps=word_timestamps
    ):
        segments.append(segment)
        words.extend(segment_words)
    return Transcript(
        text="".join(s.text for s in segments).strip(),
        language="english",
        duration=len(samples) / _RATE,
        segments=segments,
        words=words if word_timestamps else None,
    )
