"""Speed of the local audio models: real-time factors and time to first byte. Prints figures.

    COURSE_MODEL_CACHE=... python benchmarks/bench_audio.py [--repeats 3]

(from a git worktree, put it first: ``PYTHONPATH=. python benchmarks/bench_audio.py``)

The real-time factor (RTF) is processing time divided by the audio's length:
0.1 means ten seconds of audio take one second; below 1 is faster than real time.

- speech synthesis (Piper, 24 kHz, encoded as mp3): RTF of a paragraph, per voice
  family (all voices cost the same) and with the encoding of each format;
- through a real local server and the unchanged openai SDK, as lesson 05 calls it:
  text to speech over the Realtime API (``gpt-realtime-2.1-mini``, the lesson's
  ``course_helpers.audio.speak``): time to the first audio chunk and to
  ``response.done``, for a short and a long input; then the audio back through
  ``POST /v1/audio/transcriptions`` with ``gpt-transcribe``: its time, RTF and
  word error rate (``benchmarks/bench_realtime.py`` times the Realtime path alone,
  in more detail);
- transcription in-process (Whisper tiny.en, faster-whisper): RTF of a short clip
  and of a long recording, and the word error rate of the round trip.

Other processes using the CPU make every figure worse; the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import openai

from course_helpers.audio import speak, write_wav
from course_helpers.local.audio import encoding, speech, transcription
from course_helpers.local.audio.measures import word_error_rate
from course_helpers.local.server import start_in_thread

REALTIME_MODEL = "gpt-realtime-2.1-mini"  # text to speech, as lesson 05 teaches it
TRANSCRIPTION_MODEL = "gpt-transcribe"

# No numbers: Whisper writes "ten" as "10", which a plain word error rate counts as a mistake.
PARAGRAPH = (
    "The museum opens early in the morning and closes late in the evening. "
    "Visitors can buy tickets at the entrance or online, and young children enter for free. "
    "On the first floor you will find old paintings from many countries, "
    "while the second floor is dedicated to modern sculpture. "
    "Guided tours start every hour and last about half an hour."
)


def best_of(repeats: int, work) -> tuple[float, object]:
    """The fastest of ``repeats`` runs of ``work()`` (seconds) and its last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def bench_synthesis(repeats: int) -> np.ndarray:
    start = time.perf_counter()
    speech.load_voice()
    print(f"speech voice load:              {time.perf_counter() - start:6.2f} s")
    for voice in ("onyx", "alloy", "shimmer"):
        speech._piper_audio.cache_clear()  # time the neural network, not the cache of a repeated sentence
        seconds, samples = best_of(1, lambda voice=voice: speech.synthesize_all(PARAGRAPH, voice=voice))
        print(
            f"synthesis RTF ({voice:7s}):        {seconds / (len(samples) / speech.SAMPLE_RATE):6.3f}"
            f"   ({len(samples) / speech.SAMPLE_RATE:.1f} s of audio in {seconds:.2f} s)"
        )
    samples = speech.synthesize_all(PARAGRAPH, voice="alloy")
    audio_seconds = len(samples) / speech.SAMPLE_RATE
    for response_format in encoding.FORMATS:
        seconds, data = best_of(
            repeats, lambda response_format=response_format: encoding.encode(samples, response_format)
        )
        print(
            f"encoding RTF ({response_format:4s}):            {seconds / audio_seconds:6.4f}"
            f"   ({len(data) / 1024:.0f} KiB)"
        )
    return samples


def bench_served(repeats: int) -> None:
    handle = start_in_thread(warm=False)
    try:
        client = openai.OpenAI(base_url=handle.base_url, api_key=handle.api_key, max_retries=0)
        for label, text in (("short input", "Hello! How are you today?"), ("long input", PARAGRAPH)):
            firsts, totals, spoken = [], [], None
            for i in range(repeats + 1):
                speech._piper_audio.cache_clear()  # time the neural network, not the sentence cache
                start = time.perf_counter()
                spoken = speak(client, text, model=REALTIME_MODEL, voice="marin")
                if i:  # the first response also loads the voice
                    firsts.append(spoken.first_chunk_seconds)
                    totals.append(time.perf_counter() - start)
            assert spoken is not None
            print(
                f"Realtime first audio chunk ({label}, {len(text)} chars): {statistics.median(firsts):.3f} s  "
                f"(response.done {statistics.median(totals):.2f} s, {spoken.seconds:.1f} s of audio "
                f"in {spoken.chunks} chunks)"
            )
        with tempfile.TemporaryDirectory() as folder:
            wav = write_wav(Path(folder) / "paragraph.wav", spoken.pcm).read_bytes()
        times, heard = [], None
        for i in range(repeats + 1):
            start = time.perf_counter()
            heard = client.audio.transcriptions.create(
                model=TRANSCRIPTION_MODEL, file=("paragraph.wav", wav), languages=["en"]
            )
            if i:  # the first request also loads Whisper
                times.append(time.perf_counter() - start)
        assert heard is not None
        seconds = statistics.median(times)
        print(
            f"gpt-transcribe over HTTP ({spoken.seconds:.1f} s of audio): {seconds:.2f} s, RTF "
            f"{seconds / spoken.seconds:.3f}, round-trip word error rate {word_error_rate(PARAGRAPH, heard.text):.3f}"
        )
    finally:
        handle.stop()


def bench_transcription(samples: np.ndarray, repeats: int) -> None:
    start = time.perf_counter()
    transcription.load_model()
    print(f"whisper model load:             {time.perf_counter() - start:6.2f} s")
    short = encoding.encode(speech.synthesize_all("Thank you for calling. Goodbye.", voice="echo"), "mp3")
    short_seconds = len(transcription.decode_upload(short)) / 16_000
    seconds, _ = best_of(repeats, lambda: transcription.transcribe(short))
    print(
        f"transcription RTF (short clip): {seconds / short_seconds:6.3f}"
        f"   ({short_seconds:.1f} s of audio in {seconds:.2f} s; Whisper pads to 30 s windows)"
    )
    recording = encoding.encode(np.concatenate([samples] * 3), "mp3")
    recording_seconds = 3 * len(samples) / speech.SAMPLE_RATE
    seconds, transcript = best_of(1, lambda: transcription.transcribe(recording))
    print(
        f"transcription RTF (long):       {seconds / recording_seconds:6.3f}"
        f"   ({recording_seconds:.1f} s of audio in {seconds:.2f} s)"
    )
    seconds, transcript = best_of(1, lambda: transcription.transcribe(recording, word_timestamps=True))
    print(f"transcription RTF (long, words):{seconds / recording_seconds:6.3f}")
    print(f"round-trip word error rate:     {word_error_rate(PARAGRAPH * 3, transcript.text):6.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    samples = bench_synthesis(args.repeats)
    bench_served(args.repeats)
    bench_transcription(samples, args.repeats)


if __name__ == "__main__":
    main()
