"""Two measurements for checking speech: word error rate and a voice's pitch.

- :func:`word_error_rate`: how far a transcript is from the words that were
  meant, the standard score of speech recognition: the fewest word
  substitutions, deletions and insertions that turn one into the other
  (Levenshtein distance on words), divided by the number of reference words.
- :func:`median_pitch`: the typical fundamental frequency of a voice, found by
  autocorrelation (a voiced sound repeats itself every pitch period).

>>> word_error_rate("the cat sat on the mat", "The cat sat on a mat.")
0.16666666666666666
>>> import numpy as np
>>> tone = np.sin(2 * np.pi * 150 * np.arange(24000) / 24000)
>>> round(median_pitch(tone, 24000))
150

Used in: notebooks/05_audio.ipynb (the round trip)
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["median_pitch", "normalize_words", "word_error_rate"]


def normalize_words(text: str) -> list[str]:
    """Lowercase words without punctuation, the usual way to compare transcripts.

    >>> normalize_words("Hello, World! It's 5 o'clock.")
    ['hello', 'world', "it's", '5', "o'clock"]
    """
    return re.findall(r"[a-z0-9]+(?:'[a-z0-9]+)*", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance from ``hypothesis`` to ``reference``, per reference word.

    >>> word_error_rate("a b c d", "a x c")  # one substitution, one deletion
    0.5
    """
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    # distance[i, j]: edits turning the first i reference words into the first j hypothesis words
    distance = np.zeros((len(ref) + 1, len(hyp) + 1), dtype=np.int64)
    distance[:, 0] = np.arange(len(ref) + 1)  # delete every reference word
    distance[0, :] = np.arange(len(hyp) + 1)  # insert every hypothesis word
    for i in range(1, len(ref) + 1):
        for j in range(1, len(hyp) + 1):
            substitution = distance[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1])
            distance[i, j] = min(substitution, distance[i - 1, j] + 1, distance[i, j - 1] + 1)
    return float(distance[-1, -1]) / len(ref)


def _yin_period(frame: np.ndarray, shortest: int, longest: int, threshold: float = 0.15) -> float | None:
    """The pitch period (in samples) of one frame by YIN, or None when it is not voiced.

    YIN compares the frame with itself shifted by each lag: the squared
    difference ``d(lag)`` dips to near zero at the period. Dividing by the
    running mean of ``d`` makes the dips comparable, and taking the *first* lag
    below ``threshold`` (not the deepest) avoids mistaking two periods for one.
    """
    window = len(frame) - longest
    head = frame[:window]
    energies = np.cumsum(np.concatenate([[0.0], frame**2]))
    shifted_energy = energies[np.arange(longest + 1) + window] - energies[np.arange(longest + 1)]
    cross = np.correlate(frame[: window + longest], head, mode="valid")  # lags 0 .. longest
    difference = energies[window] + shifted_energy - 2 * cross  # d(lag)
    lags = np.arange(1, longest + 1)
    normalized = np.ones(longest + 1)
    normalized[1:] = difference[1:] * lags / np.maximum(np.cumsum(difference[1:]), 1e-12)
    below = np.flatnonzero(normalized[shortest : longest + 1] < threshold)
    if below.size == 0:
        return None
    lag = shortest + int(below[0])
    while lag + 1 <= longest and normalized[lag + 1] < normalized[lag]:
        lag += 1  # walk down to the bottom of the dip
    if 0 < lag < longest:  # a parabola through the three points refines the lag
        a, b, c = normalized[lag - 1], normalized[lag], normalized[lag + 1]
        denominator = a - 2 * b + c
        if denominator > 0:
            return lag + 0.5 * (a - c) / denominator
    return float(lag)


def median_pitch(samples: np.ndarray, sample_rate: int, low: float = 60.0, high: float = 500.0) -> float:
    """The median fundamental frequency (Hz) over the voiced frames of ``samples`` (YIN).

    Frames are 25 ms apart; quiet frames (below 5 % of the loudest frame's
    energy) and frames without a clear period are skipped. NaN when nothing is voiced.
    """
    samples = np.asarray(samples, dtype=np.float64)
    shortest, longest = int(sample_rate / high), int(np.ceil(sample_rate / low))
    size = int(0.025 * sample_rate) + longest  # a 25 ms window plus room to shift it
    starts = range(0, len(samples) - size, int(0.025 * sample_rate))
    frames = [samples[start : start + size] for start in starts]
    if not frames:
        return float("nan")
    energies = np.array([np.dot(f, f) for f in frames])
    if energies.max() < 1e-8 * size:  # digital silence (RMS below 1e-4): no voice at all
        return float("nan")
    periods = [
        _yin_period(f - f.mean(), shortest, longest)
        for f, energy in zip(frames, energies)
        if energy >= 0.05 * energies.max()
    ]
    pitches = [sample_rate / p for p in periods if p]
    return float(np.median(pitches)) if pitches else float("nan")
