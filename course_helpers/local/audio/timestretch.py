"""Change how fast speech is spoken without changing its pitch (WSOLA).

``speed=2`` in ``/v1/audio/speech`` must make the audio half as long while the
voice stays the same voice. Playing the samples faster would also raise the
pitch (a chipmunk), so we use WSOLA, "waveform similarity overlap-add":

1. cut the output into overlapping frames, one every ``hop`` samples;
2. for output frame ``k``, the input frame nominally belongs at
   ``k * hop * speed``: take input from there, but allow a small shift
   (up to ``tolerance`` samples) and pick the shift whose waveform best
   continues the previously copied frame (highest cross-correlation), so the
   periods of the voice line up and no echo or click appears;
3. add the frames together under a Hann window (50 % overlap sums to 1).

Why not Piper's own ``length_scale``? Each phoneme lasts at least one model
frame, so the model cannot go much faster than about 2x and its durations do
not scale exactly; WSOLA makes the length exactly ``1 / speed`` times.

>>> import numpy as np
>>> tone = np.sin(np.arange(24000) * 2 * np.pi * 200 / 24000).astype(np.float32)
>>> len(time_stretch(tone, 2.0)), len(time_stretch(tone, 0.5))
(12000, 48000)

Used in: notebooks/05_audio.ipynb (via the local server)
"""

from __future__ import annotations

import numpy as np

__all__ = ["time_stretch"]


def time_stretch(audio: np.ndarray, speed: float, sample_rate: int = 24_000) -> np.ndarray:
    """Return ``audio`` (float samples) spoken ``speed`` times faster, pitch unchanged.

    The result has ``round(len(audio) / speed)`` samples.

    >>> import numpy as np
    >>> time_stretch(np.zeros(1000, dtype=np.float32), 1.0).shape
    (1000,)
    """
    audio = np.asarray(audio, dtype=np.float32)
    if speed == 1.0 or audio.size == 0:
        return audio
    frame = int(0.040 * sample_rate)  # 40 ms: a few periods of a speaking voice
    hop = frame // 2
    tolerance = hop // 2  # how far a frame may move to line up with the previous one
    output_length = int(round(len(audio) / speed))
    n_frames = output_length // hop + 2

    # periodic Hann window: copies overlapping by half a frame sum to exactly 1
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame) / frame)).astype(np.float32)
    pad_end = 2 * frame + int(hop * speed) + 2 * tolerance
    padded = np.pad(audio, (tolerance + frame, pad_end))  # index tolerance+frame = sample 0
    offset = tolerance + frame
    output = np.zeros(n_frames * hop + frame, dtype=np.float32)

    previous = None
    for k in range(n_frames):
        # the output frame starts at k*hop - frame/2 ... centre frames on their nominal time
        nominal = offset + int(round(k * hop * speed)) - hop
        if previous is None:
            chosen = nominal
        else:
            template = padded[previous + hop : previous + hop + frame]  # natural continuation
            region = padded[nominal - tolerance : nominal + tolerance + frame]
            similarity = np.correlate(region, template, mode="valid")  # 2*tolerance+1 shifts
            chosen = nominal - tolerance + int(np.argmax(similarity))
        output[k * hop : k * hop + frame] += window * padded[chosen : chosen + frame]
        previous = chosen
    # output index hop corresponds to input time 0 (frames were shifted by one hop)
    return output[hop : hop + output_length]
