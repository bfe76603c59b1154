"""Audio in a notebook: Realtime speech, where files go, a player that stores no audio, pcm bytes, a picture of a voice.

- :func:`audio_folder`: the git-ignored ``audio_out/`` folder next to the
  notebook, where the lesson writes its audio files.
- :func:`play`: prints one line naming the file, and shows a player that
  *links* to the file instead of embedding it. Why: ``IPython.display.Audio``
  embeds the whole file as base64 in the notebook, so a saved notebook would
  carry megabytes of audio. The link keeps the notebook small; the printed
  line (the only output ``python -m course_helpers clean`` keeps) says which
  file to open. The player works in JupyterLab and Notebook 7, which serve
  files next to the notebook; where it cannot (Colab, VS Code), pass
  ``embed=True`` and accept the embedded copy in your own notebook.
- :func:`speak`: a text read aloud through the Realtime API (one connection,
  one out-of-band response), its PCM16 audio at 24 kHz and what the voice said,
  with the time its first audio chunk took.
- :func:`write_wav`: PCM16 bytes as a WAV file (the 44-byte header players need).
- :func:`pcm_to_samples`: the API's ``pcm`` format (24 kHz, 16-bit signed
  little-endian, mono, no header) as numbers.
- :func:`load_samples`: any audio file (mp3, wav, flac, ...) as float samples.
- :func:`speech_spans`: where a recording speaks, between its pauses, in seconds.
- :func:`cut_pcm`: the PCM bytes between two times.
- :func:`subtitles`: cues ``(start, end, text)`` as an SRT or WebVTT file.
- :func:`plot_waveform`: a waveform above a spectrogram, with words or pieces
  marked where their times say.
- :func:`word_error_rate`: the standard score of a transcript (from
  ``course_helpers/local/audio/measures.py``, the same code the local backend's
  tests use).

>>> samples = pcm_to_samples(b"\\x00\\x00\\xff\\x7f\\x01\\x80")
>>> samples.tolist()
[0, 32767, -32767]
>>> word_error_rate("the cat sat", "the cat sat down")
0.3333333333333333

Used in: notebooks/05_audio.ipynb
"""

from __future__ import annotations

import base64
import os
import time
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from .local.audio.measures import normalize_words, word_error_rate

__all__ = [
    "PCM_SAMPLE_RATE",
    "READ_ALOUD",
    "Speech",
    "audio_folder",
    "cut_pcm",
    "load_samples",
    "normalize_words",
    "pcm_to_samples",
    "play",
    "plot_waveform",
    "speak",
    "speech_spans",
    "subtitles",
    "text_message",
    "word_error_rate",
    "write_wav",
]

PCM_SAMPLE_RATE = 24_000  # the Realtime API's audio/pcm, and the Speech endpoint's pcm (OpenAI and local alike)
#: The session instructions that ask a Realtime voice model to read, not to answer (it may still reword).
READ_ALOUD = "Read the user's text aloud exactly as written. Add nothing."
FOLDER = "audio_out"  # git-ignored wherever it is (see .gitignore)


def audio_folder(base: str | os.PathLike | None = None) -> Path:
    """The folder for audio files, ``audio_out/`` under ``base``, created if needed.

    Without ``base`` it is the relative path ``audio_out`` (in the current
    folder, which in Jupyter is the notebook's), so file names print the same
    on every machine and the player's links resolve next to the notebook.

    >>> import tempfile
    >>> audio_folder(tempfile.mkdtemp()).name
    'audio_out'
    """
    folder = Path(base) / FOLDER if base is not None else Path(FOLDER)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _describe_file(path: Path) -> str:
    size = path.stat().st_size
    return f"{path.as_posix()} ({size / 1024:.0f} KB, {path.suffix.lstrip('.') or 'no extension'})"


def play(path: str | os.PathLike, embed: bool = False) -> None:
    """Print the file's name and size, and show a player that links to the file (see the module docstring).

    ``path`` is best given relative to the notebook (``audio_out/hello.mp3``):
    the player's link is resolved from the notebook's folder.
    """
    from IPython.display import Audio, display

    path = Path(path)
    print("▶", _describe_file(path))
    if embed:
        display(Audio(filename=str(path)))
    else:
        display(Audio(url=path.as_posix(), embed=False))


def text_message(text: str) -> dict:
    """A user message holding ``text``, as a Realtime ``response.create`` takes it in ``input``.

    >>> text_message("Hi.")
    {'type': 'message', 'role': 'user', 'content': [{'type': 'input_text', 'text': 'Hi.'}]}
    """
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


@dataclass
class Speech:
    """What :func:`speak` got back: the audio, what the voice said, and how long the first chunk took."""

    pcm: bytes  # PCM16, 24 kHz, mono, little-endian, no header
    transcript: str  # from the response.output_audio_transcript.delta events
    first_chunk_seconds: float  # from sending response.create to the first response.output_audio.delta
    chunks: int  # how many response.output_audio.delta events

    @property
    def seconds(self) -> float:
        """The length of the audio: 2 bytes a sample, 24,000 samples a second."""
        return len(self.pcm) / 2 / PCM_SAMPLE_RATE


def speak(
    client, text: str, *, model: str, voice: str = "marin", speed: float = 1.0, instructions: str = READ_ALOUD
) -> Speech:
    """Read ``text`` aloud through the Realtime API and return its audio (see the lesson's section 1).

    Opens ``client.realtime.connect(model=...)``, sends ``session.update`` (audio
    out, ``voice``, ``speed``, PCM16 at 24 kHz), then ``response.create`` with the
    text out of band (``conversation: "none"``), and joins the base64 audio
    deltas until ``response.done``. An ``error`` event raises RuntimeError with
    the API's message. One connection per call: a session cannot change its
    voice once it has spoken.
    """
    session = {
        "type": "realtime",
        "output_modalities": ["audio"],
        "audio": {"output": {"voice": voice, "speed": speed, "format": {"type": "audio/pcm", "rate": PCM_SAMPLE_RATE}}},
        "instructions": instructions,
    }
    pcm, transcript, chunks = bytearray(), [], 0
    first_chunk: float | None = None
    with client.realtime.connect(model=model) as connection:
        connection.session.update(session=session)
        start = time.perf_counter()
        connection.response.create(response={"conversation": "none", "input": [text_message(text)]})
        for event in connection:
            if event.type == "response.output_audio.delta":
                first_chunk = first_chunk if first_chunk is not None else time.perf_counter() - start
                pcm += base64.b64decode(event.delta)
                chunks += 1
            elif event.type == "response.output_audio_transcript.delta":
                transcript.append(event.delta)
            elif event.type == "error":
                raise RuntimeError(f"The Realtime API answered an error event: {event.error.message}")
            elif event.type == "response.done":
                break
    return Speech(bytes(pcm), "".join(transcript), first_chunk if first_chunk is not None else float("nan"), chunks)


def write_wav(path: str | os.PathLike, pcm: bytes, sample_rate: int = PCM_SAMPLE_RATE) -> Path:
    """Write PCM16 mono bytes as a WAV file: a 44-byte header (rate, channels, sample width), then the samples.

    >>> import tempfile
    >>> path = write_wav(Path(tempfile.mkdtemp()) / "x.wav", b"\\x00\\x00" * 24_000)
    >>> path.read_bytes()[:4], path.stat().st_size
    (b'RIFF', 48044)
    """
    path = Path(path)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)  # mono
        wav.setsampwidth(2)  # 16 bits = 2 bytes a sample
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return path


def pcm_to_samples(data: bytes) -> np.ndarray:
    """The samples of ``pcm`` audio bytes: 16-bit signed integers, little-endian, one channel.

    An odd trailing byte (a cut download) is dropped.

    >>> pcm_to_samples(b"\\x10\\x00\\x00\\x01").tolist()
    [16, 256]
    """
    usable = len(data) - len(data) % 2
    return np.frombuffer(data[:usable], dtype="<i2")


def load_samples(path: str | os.PathLike, sample_rate: int = PCM_SAMPLE_RATE) -> np.ndarray:
    """Decode an audio file of any common format into float32 samples in [-1, 1] at ``sample_rate``.

    Files ending in ``.pcm`` are read as the API's raw pcm (24 kHz).

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "x.pcm"
    >>> _ = path.write_bytes(b"\\x00\\x40" * 10)
    >>> load_samples(path)[:2].tolist()
    [0.5, 0.5]
    """
    data = Path(path).read_bytes()
    if Path(path).suffix == ".pcm":
        if sample_rate != PCM_SAMPLE_RATE:
            raise ValueError("raw pcm files are read at their own rate, 24 kHz")
        return pcm_to_samples(data).astype(np.float32) / 32768.0
    from .local.audio.encoding import decode  # PyAV: imported late, only when a file is decoded

    return decode(data, sample_rate)


def speech_spans(
    samples: np.ndarray, sample_rate: int = PCM_SAMPLE_RATE, min_pause: float = 0.15, quiet_db: float = -35.0
) -> list[tuple[float, float]]:
    """The stretches of speech of a recording, ``(start, end)`` in seconds, split where it pauses.

    The loudness of each 20 ms frame (its RMS, in dB below the loudest frame) is
    compared with ``quiet_db``; a run of quiet frames of at least ``min_pause``
    seconds is a pause. Shorter gaps, such as those between words, stay inside a span.

    >>> tone = np.sin(np.arange(24_000) / 3)                  # 1 s of sound
    >>> speech_spans(np.concatenate([tone, np.zeros(12_000), tone]))
    [(0.0, 1.0), (1.5, 2.5)]
    """
    samples = np.asarray(samples, dtype=np.float64)
    frame = int(0.02 * sample_rate)  # 20 ms: shorter than a syllable
    count = len(samples) // frame
    rms = np.sqrt(np.mean(samples[: count * frame].reshape(count, frame) ** 2, axis=1))  # (frames,)
    if count == 0 or not rms.any():
        return []  # no sound at all
    loudest = float(rms.max())
    loud = 20 * np.log10(np.maximum(rms, 1e-12) / loudest) > quiet_db
    spans: list[tuple[float, float]] = []
    start, quiet_run = None, 0
    for index, is_loud in enumerate(loud):
        if is_loud:
            start = index if start is None else start
            quiet_run = 0
            continue
        quiet_run += 1
        if start is not None and quiet_run * 0.02 >= min_pause:
            spans.append((start, index - quiet_run + 1))
            start = None
    if start is not None:
        spans.append((start, count - quiet_run))
    return [(round(a * frame / sample_rate, 3), round(b * frame / sample_rate, 3)) for a, b in spans]


def cut_pcm(pcm: bytes, start: float, end: float, sample_rate: int = PCM_SAMPLE_RATE) -> bytes:
    """The PCM16 bytes between ``start`` and ``end`` seconds: sample = time × rate, byte = 2 × sample.

    >>> cut_pcm(bytes(range(8)), 1 / 24_000, 3 / 24_000)
    b'\\x02\\x03\\x04\\x05'
    """
    return pcm[2 * round(start * sample_rate) : 2 * round(end * sample_rate)]


def subtitles(cues: Sequence[tuple[float, float, str]], kind: str = "srt") -> str:
    """Cues ``(start seconds, end seconds, text)`` as an SRT (numbered, ``00:00:01,500``) or WebVTT file.

    >>> print(subtitles([(0, 1.5, "Hello there.")]))
    1
    00:00:00,000 --> 00:00:01,500
    Hello there.
    <BLANKLINE>
    >>> subtitles([(0, 1.5, "Hello there.")], "vtt").splitlines()[:3]
    ['WEBVTT', '', '00:00:00.000 --> 00:00:01.500']
    """
    from .local.audio.transcript_formats import timestamp

    if kind == "srt":
        blocks = [
            f"{number}\n{timestamp(start, ',')} --> {timestamp(end, ',')}\n{text.strip()}\n"
            for number, (start, end, text) in enumerate(cues, start=1)
        ]
        return "\n".join(blocks)
    if kind == "vtt":
        return "WEBVTT\n\n" + "\n".join(f"{timestamp(a)} --> {timestamp(b)}\n{text.strip()}\n" for a, b, text in cues)
    raise ValueError(f"kind is 'srt' or 'vtt', not {kind!r}")


def plot_waveform(samples: np.ndarray, sample_rate: int, title: str = "", words: Sequence | None = None):
    """A waveform above its spectrogram, sharing the time axis; returns the figure.

    ``samples`` are float or int16 numbers; ``words`` (optional) are objects or
    dicts with ``word``, ``start`` and ``end`` (seconds), as in a
    ``verbose_json`` transcript: each word is shaded and labeled on the waveform.

    >>> figure = plot_waveform(np.zeros(2400), 24000, words=[{"word": "hi", "start": 0.01, "end": 0.05}])
    >>> len(figure.axes)
    2
    """
    import matplotlib.pyplot as plt

    is_int16 = np.issubdtype(np.asarray(samples).dtype, np.integer)
    samples = np.asarray(samples, dtype=np.float64)
    if is_int16:
        samples = samples / 32768.0  # int16 range to [-1, 1]
    times = np.arange(len(samples)) / sample_rate
    figure, (wave_ax, spectrum_ax) = plt.subplots(
        2, 1, figsize=(10, 4.6), sharex=True, gridspec_kw={"height_ratios": [1, 1.4]}
    )
    wave_ax.plot(times, samples, linewidth=0.5, color="tab:blue")
    wave_ax.set_ylabel("amplitude")
    wave_ax.set_ylim(-1.05, 1.05)
    for number, word in enumerate(words or []):
        get: Callable[[str], Any] = word.get if isinstance(word, dict) else partial(getattr, word)
        wave_ax.axvspan(get("start"), get("end"), color=f"C{1 + number % 2}", alpha=0.15)
        wave_ax.text((get("start") + get("end")) / 2, 0.9 if number % 2 else 0.72, get("word"), ha="center", fontsize=8)
    if title:
        wave_ax.set_title(title)
    # 20 ms windows: short enough to see each syllable, long enough to separate the harmonics of a voice
    window = max(64, int(0.02 * sample_rate))
    power, _, _, image = spectrum_ax.specgram(
        samples + 1e-9, NFFT=window, Fs=sample_rate, noverlap=window // 2, cmap="magma"
    )
    loudest = 10 * np.log10(max(float(power.max()), 1e-20))
    image.set_clim(loudest - 70, loudest)  # show 70 dB below the loudest: the range a voice spans
    spectrum_ax.set_ylim(0, min(8000, sample_rate / 2))
    spectrum_ax.set_ylabel("frequency (Hz)")
    spectrum_ax.set_xlabel("time (s)")
    figure.tight_layout()
    return figure
