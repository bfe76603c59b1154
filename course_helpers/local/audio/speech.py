"""Text to speech with Piper: text in, blocks of 24 kHz 16-bit samples out.

Piper (piper-tts) is a small neural voice (VITS) exported to ONNX. It turns
text into phonemes with espeak-ng, then each sentence's phonemes into a
waveform at 22,050 Hz. This module adds what ``/v1/audio/speech`` needs:

1. the OpenAI voice name picks a :class:`~.voices.VoiceStyle` (pitch, tempo,
   brightness), see ``voices.py``;
2. the waveform is resampled to 24 kHz, the rate OpenAI sends; resampling
   from a pretended rate of ``22,050 * pitch_factor`` Hz is what shifts the
   pitch (see ``voices.py``), and makes the audio ``pitch_factor`` times shorter;
3. a time-stretch that keeps the pitch (WSOLA, see ``timestretch.py``) sets
   the length: undoing the resampling's change, then applying the voice's
   tempo and the request's ``speed`` (0.25 to 4.0), so the audio lasts
   ``1 / speed`` times as long as the voice's normal pace. Piper itself
   always speaks at its own pace, so all 13 voices share the same intonation
   and differ only by these documented transformations;
4. sentences come out one at a time, so the server can send the first one
   while the rest are still being synthesized. A long first sentence is cut
   after its first comma for the same reason.

Piper normally adds random noise to the phoneme lengths and the waveform for
a livelier voice. We set both noise scales to 0 so that a request always
gives the same audio (onnxruntime offers no per-request seed for that noise).

>>> import numpy as np
>>> audio = np.concatenate(list(synthesize("Hello.", voice="alloy")))  # doctest: +SKIP
>>> audio.dtype, len(audio) / SAMPLE_RATE > 0.3  # doctest: +SKIP
(dtype('int16'), True)

Used in: notebooks/05_audio.ipynb (via the local server)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import lru_cache

import av
import numpy as np

from course_helpers.local import store
from course_helpers.local.audio.encoding import SAMPLE_RATE
from course_helpers.local.audio.timestretch import time_stretch
from course_helpers.local.audio.voices import VOICES, VoiceStyle

__all__ = [
    "MAX_INPUT_CHARS",
    "SAMPLE_RATE",
    "SPEED_RANGE",
    "load_voice",
    "synthesize",
    "synthesize_all",
]

MAX_INPUT_CHARS = 4096  # OpenAI's limit for `input`
SPEED_RANGE = (0.25, 4.0)  # OpenAI's range for `speed`
_MODEL = "piper-joe-medium"
_PEAK = 0.89  # each sentence is scaled to peak at -1 dBFS
_FIRST_PIECE_MIN_PHONEMES = 30  # cut a first sentence this long at a comma
_CLAUSE_MARKS = {",", ";", ":"}
_load_lock = threading.Lock()


@lru_cache(maxsize=1)
def _cached_voice():
    from piper import PiperVoice  # imported late: loading onnxruntime takes a moment

    folder = store.model_path(_MODEL)
    return PiperVoice.load(folder / store.MODELS[_MODEL].main_file)


def load_voice():
    """The Piper voice, loaded once per process (about 0.5 s) and shared.

    >>> load_voice().config.sample_rate  # doctest: +SKIP
    22050
    """
    with _load_lock:
        return _cached_voice()


@lru_cache(maxsize=32)  # a sentence is ~100 KB a second of audio: at most a few MB
def _piper_audio(phoneme_ids: tuple[int, ...]) -> np.ndarray:
    """Piper's waveform (float32, 22,050 Hz) for one piece, remembered for reuse.

    Every voice starts from the same rendering (see ``voices.py``), so hearing
    one sentence in several voices runs the neural network only once.
    """
    from piper import SynthesisConfig

    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)  # no noise: same request, same audio
    audio = np.asarray(load_voice().phoneme_ids_to_audio(list(phoneme_ids), config), dtype=np.float32)
    audio = audio.reshape(-1)
    audio.flags.writeable = False  # shared by every caller
    return audio


def _pieces(phonemes_per_sentence: list[list[str]]) -> list[list[str]]:
    """Sentences' phonemes, with a long first sentence cut after its first comma.

    >>> _pieces([list("abc,def"), list("gh")])
    [['a', 'b', 'c', ',', 'd', 'e', 'f'], ['g', 'h']]
    """
    pieces = [p for p in phonemes_per_sentence if p]
    if not pieces:
        return []
    first = pieces[0]
    for i, phoneme in enumerate(first):
        if phoneme in _CLAUSE_MARKS and i + 1 >= _FIRST_PIECE_MIN_PHONEMES:
            rest = first[i + 1 :]
            while rest and rest[0] == " ":
                rest = rest[1:]
            if rest:
                return [first[: i + 1], rest] + pieces[1:]
            break
    return pieces


def _brighten(audio: np.ndarray, brightness: float) -> np.ndarray:
    """Tilt the treble with a 3-tap filter: > 0 brighter, < 0 darker, DC unchanged.

    The kernel ``[-b/2, 1 + b, -b/2]`` has gain 1 at 0 Hz and ``1 + 2b`` at
    the Nyquist frequency.

    >>> [round(float(x), 3) for x in _brighten(np.ones(5, dtype=np.float32), 0.3)]
    [1.15, 1.0, 1.0, 1.0, 1.15]
    """
    if brightness == 0:
        return audio
    kernel = np.array([-brightness / 2, 1 + brightness, -brightness / 2], dtype=np.float32)
    return np.convolve(audio, kernel, mode="same").astype(np.float32)


def _to_frame(audio: np.ndarray, sample_rate: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(audio[np.newaxis, :], format="flt", layout="mono")
    frame.sample_rate = sample_rate
    return frame


def _frames_to_samples(frames) -> np.ndarray:
    blocks = [frame.to_ndarray().reshape(-1) for frame in frames]
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)


def _to_int16(audio: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] to 16-bit integers.

    >>> _to_int16(np.array([0.0, 0.5, -2.0])).tolist()
    [0, 16384, -32767]
    """
    return np.round(np.clip(audio, -1.0, 1.0) * 32767.0).astype(np.int16)


def synthesize(text: str, voice: str = "alloy", speed: float = 1.0) -> Iterator[np.ndarray]:
    """Speak ``text``; yields int16 blocks at 24 kHz mono, about one per sentence.

    ``voice`` is an OpenAI voice name (see ``voices.VOICES``), ``speed`` a
    rate multiplier in 0.25-4.0. Validation of the request belongs to the
    server; here a bad value raises ``ValueError``. Text with nothing to
    pronounce ("...", a zero-width space) gives a quarter second of silence,
    so that every audio format still gets a valid, playable file.
    """
    if voice not in VOICES:
        raise ValueError(f"unknown voice {voice!r}")
    if not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
        raise ValueError(f"speed {speed} is outside {SPEED_RANGE}")
    piper_voice = load_voice()
    style: VoiceStyle = VOICES[voice]
    pretended_rate = round(piper_voice.config.sample_rate * style.pitch_factor)
    # resampling shortened the audio by pitch_factor; stretch to the voice's tempo and `speed`
    stretch = speed * style.tempo / style.pitch_factor
    spoken = False
    for phonemes in _pieces(piper_voice.phonemize(text)):
        audio = _brighten(_piper_audio(tuple(piper_voice.phonemes_to_ids(phonemes))), style.brightness)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > 1e-6:
            audio = audio * (_PEAK / peak)
        # a fresh resampler per piece, flushed at its end: each block is complete on its own
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        frames = resampler.resample(_to_frame(audio, pretended_rate)) + resampler.resample(None)
        block = _frames_to_samples(frames)
        if block.size:
            spoken = True
            yield _to_int16(time_stretch(block, stretch, SAMPLE_RATE))
    if not spoken:
        yield np.zeros(SAMPLE_RATE // 4, dtype=np.int16)


def synthesize_all(text: str, voice: str = "alloy", speed: float = 1.0) -> np.ndarray:
    """Speak ``text`` and return all int16 samples (24 kHz mono) at once.

    >>> len(synthesize_all("Hi.")) > 0  # doctest: +SKIP
    True
    """
    blocks = list(synthesize(text, voice=voice, speed=speed))
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int16)
