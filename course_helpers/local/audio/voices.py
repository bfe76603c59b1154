"""The 13 OpenAI voice names, each a distinct variation of the one local Piper voice.

The local backend ships a single neural voice (Piper ``en_US-joe-medium``,
a male US English speaker). To give every OpenAI voice name its own sound,
each name gets three fixed, documented settings applied to that voice:

- ``semitones``: a pitch shift. The audio is resampled as a tape machine
  would play it faster or slower, which moves the pitch *and* the formants
  (the resonances that make a voice sound large or small), so a shift up
  sounds like a smaller, higher voice, not just a higher note. A
  time-stretch that keeps the pitch (``timestretch.py``) then restores the
  speaking rate.
- ``tempo``: the voice's natural speaking rate (1.0 = Piper's own).
- ``brightness``: a gentle treble boost (> 0) or cut (< 0).

The settings are constants and synthesis uses no random noise, so the same
text, voice and speed always give the same samples. The names suggest the
OpenAI voices' characters (onyx deep, nova and shimmer high), but the
local voices only imitate them loosely: they are one speaker in 13 disguises.

>>> VOICES["onyx"].semitones < VOICES["nova"].semitones
True
>>> len(VOICES)
13

Used in: notebooks/05_audio.ipynb (via the local server)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["VOICES", "VoiceStyle"]


@dataclass(frozen=True)
class VoiceStyle:
    """How one OpenAI voice name is rendered from the local Piper voice.

    >>> VoiceStyle(semitones=12.0, tempo=1.0, brightness=0.0).pitch_factor
    2.0
    """

    semitones: float  # pitch shift; 12 semitones is one octave
    tempo: float  # speaking rate multiplier, before the request's `speed`
    brightness: float  # treble tilt in [-0.5, 0.5]; 0 leaves the sound alone

    @property
    def pitch_factor(self) -> float:
        """The frequency ratio of the pitch shift (2 ** (semitones / 12))."""
        return 2.0 ** (self.semitones / 12.0)


# Pitches are 0.75 semitones apart, so no two voices share one.
VOICES: dict[str, VoiceStyle] = {
    "onyx": VoiceStyle(semitones=-3.0, tempo=0.95, brightness=-0.3),
    "ash": VoiceStyle(semitones=-2.25, tempo=1.03, brightness=-0.1),
    "echo": VoiceStyle(semitones=-1.5, tempo=1.0, brightness=0.1),
    "cedar": VoiceStyle(semitones=-0.75, tempo=0.97, brightness=-0.2),
    "ballad": VoiceStyle(semitones=0.0, tempo=0.92, brightness=0.0),
    "fable": VoiceStyle(semitones=0.75, tempo=1.05, brightness=0.25),
    "verse": VoiceStyle(semitones=1.5, tempo=1.0, brightness=-0.15),
    "alloy": VoiceStyle(semitones=2.25, tempo=1.0, brightness=0.0),
    "sage": VoiceStyle(semitones=3.0, tempo=0.96, brightness=-0.1),
    "coral": VoiceStyle(semitones=3.75, tempo=1.04, brightness=0.2),
    "marin": VoiceStyle(semitones=4.5, tempo=1.0, brightness=0.05),
    "nova": VoiceStyle(semitones=5.25, tempo=1.06, brightness=0.3),
    "shimmer": VoiceStyle(semitones=6.0, tempo=0.98, brightness=0.15),
}
