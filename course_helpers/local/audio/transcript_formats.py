"""The five answers of ``/v1/audio/transcriptions``: json, text, srt, vtt, verbose_json.

- ``json``: ``{"text": ..., "usage": {"type": "duration", "seconds": ...}}``
- ``text``: the text alone, as ``text/plain``
- ``srt`` and ``vtt``: subtitles, one cue per segment. SRT numbers its cues and
  writes times as ``00:00:01,500``; WebVTT starts with ``WEBVTT`` and writes
  ``00:00:01.500``.
- ``verbose_json``: the text plus ``language``, ``duration``, ``segments`` and,
  when ``timestamp_granularities[]`` asks for ``word``, ``words``.

>>> from course_helpers.local.audio.transcription import Segment, Transcript
>>> segment = Segment(0, 0, 0.0, 1.5, " Hello there.", [1], 0.0, -0.2, 0.8, 0.01)
>>> print(to_srt([segment]))
1
00:00:00,000 --> 00:00:01,500
Hello there.
<BLANKLINE>

Used in: notebooks/05_audio.ipynb (via the local server)
"""

from __future__ import annotations

import math
from dataclasses import asdict

from course_helpers.local.audio.transcription import Segment, Transcript

__all__ = [
    "RESPONSE_FORMATS",
    "render",
    "timestamp",
    "to_json",
    "to_srt",
    "to_verbose_json",
    "to_vtt",
]

RESPONSE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")


def timestamp(seconds: float, decimal_marker: str = ".") -> str:
    """``HH:MM:SS.mmm`` for subtitles (SRT uses a comma before the milliseconds).

    >>> timestamp(3725.5), timestamp(1.25, ",")
    ('01:02:05.500', '00:00:01,250')
    """
    milliseconds = int(round(seconds * 1000))
    hours, milliseconds = divmod(milliseconds, 3_600_000)
    minutes, milliseconds = divmod(milliseconds, 60_000)
    secs, milliseconds = divmod(milliseconds, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal_marker}{milliseconds:03d}"


def to_srt(segments: list[Segment]) -> str:
    """SubRip subtitles: numbered cues separated by blank lines."""
    cues = [
        f"{i}\n{timestamp(s.start, ',')} --> {timestamp(s.end, ',')}\n{s.text.strip()}\n"
        for i, s in enumerate(segments, start=1)
    ]
    return "\n".join(cues)


def to_vtt(segments: list[Segment]) -> str:
    """WebVTT subtitles, the format browsers' ``<track>`` element reads.

    >>> to_vtt([]).splitlines()[0]
    'WEBVTT'
    """
    cues = [f"{timestamp(s.start)} --> {timestamp(s.end)}\n{s.text.strip()}\n" for s in segments]
    return "WEBVTT\n\n" + "\n".join(cues)


def _usage(transcript: Transcript) -> dict:
    # OpenAI bills whisper-1 by the second, rounded up  (aging: allow)
    return {"type": "duration", "seconds": math.ceil(transcript.duration)}


def to_json(transcript: Transcript) -> dict:
    """The default answer: the text and the usage.

    >>> to_json(Transcript(text="Hi.", language="english", duration=1.2))
    {'text': 'Hi.', 'usage': {'type': 'duration', 'seconds': 2}}
    """
    return {"text": transcript.text, "usage": _usage(transcript)}


def to_verbose_json(transcript: Transcript, *, segments: bool = True, words: bool = False) -> dict:
    """Text, language, duration, and the segments and/or words with their times.

    >>> answer = to_verbose_json(Transcript(text="Hi.", language="english", duration=1.2))
    >>> sorted(answer)
    ['duration', 'language', 'segments', 'task', 'text', 'usage']
    """
    answer = {
        "task": "transcribe",  # as OpenAI sends it (the SDK's type leaves it out)
        "language": transcript.language,
        "duration": round(transcript.duration, 3),
        "text": transcript.text,
    }
    if segments:
        answer["segments"] = [asdict(s) for s in transcript.segments]
    if words:
        answer["words"] = [asdict(w) for w in (transcript.words or [])]
    answer["usage"] = _usage(transcript)
    return answer


def render(transcript: Transcript, response_format: str, *, words: bool = False, segments: bool = True):
    """The answer body for ``response_format`` and its media type: ``(body, media_type)``.

    The body is a dict for the JSON formats and a string for the others.

    >>> render(Transcript(text="Hi.", language="english", duration=1.0), "text")
    ('Hi.\\n', 'text/plain; charset=utf-8')
    """
    if response_format == "json":
        return to_json(transcript), "application/json"
    if response_format == "verbose_json":
        return to_verbose_json(transcript, segments=segments, words=words), "application/json"
    if response_format == "text":
        return transcript.text + "\n", "text/plain; charset=utf-8"
    if response_format == "srt":
        return to_srt(transcript.segments), "text/plain; charset=utf-8"
    if response_format == "vtt":
        return to_vtt(transcript.segments), "text/vtt; charset=utf-8"
    raise ValueError(f"unknown response_format {response_format!r}, expected one of {RESPONSE_FORMATS}")
