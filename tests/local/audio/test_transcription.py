"""Tests for course_helpers/local/audio/transcription.py on the real Whisper tiny.en model."""

from __future__ import annotations

import numpy as np
import pytest

from course_helpers.local.audio import encoding, speech, transcription
from course_helpers.local.audio.measures import word_error_rate

from .conftest import SENTENCE, write_container

# the upload formats OpenAI lists, written the way common tools write them
CONTAINERS = {
    "flac": ("flac", "flac"),
    "mp3": ("mp3", "libmp3lame"),
    "mp4": ("mp4", "aac"),
    "m4a": ("ipod", "aac"),  # FFmpeg's name for the .m4a flavour of MP4
    "ogg": ("ogg", "libopus"),  # Ogg Opus, as voice recorders and browsers write it
    "wav": ("wav", "pcm_s16le"),
    "webm": ("webm", "libopus"),
}


@pytest.fixture(scope="module")
def sentence_wav(sentence_samples) -> bytes:
    return encoding.encode(sentence_samples, "wav")


@pytest.fixture(scope="module")
def transcript(sentence_wav) -> transcription.Transcript:
    return transcription.transcribe(sentence_wav, word_timestamps=True)


def test_transcribes_synthesized_speech(transcript):
    assert word_error_rate(SENTENCE, transcript.text) < 0.1, transcript.text
    assert transcript.language == "english"


def test_duration_and_segments_cover_the_audio(transcript, sentence_samples):
    assert transcript.duration == pytest.approx(len(sentence_samples) / speech.SAMPLE_RATE, abs=0.05)
    assert transcript.segments
    assert transcript.segments[0].start >= 0
    assert transcript.segments[-1].end <= transcript.duration + 0.5
    assert "".join(s.text for s in transcript.segments).strip() == transcript.text
    assert all(s.tokens and s.avg_logprob < 0 and 0 <= s.no_speech_prob <= 1 for s in transcript.segments)


def test_words_come_in_order_with_timestamps(transcript):
    words = transcript.words
    assert [w.word.strip(",.").lower() for w in words] == SENTENCE.lower().replace(",", "").rstrip(".").split()
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    assert all(w.start <= w.end <= transcript.duration + 0.5 for w in words)


def test_words_only_when_asked(sentence_wav):
    assert transcription.transcribe(sentence_wav).words is None


@pytest.mark.parametrize("upload_format", sorted(CONTAINERS))
def test_every_upload_format_decodes(sentence_samples, upload_format):
    data = write_container(sentence_samples, *CONTAINERS[upload_format])
    samples = transcription.decode_upload(data)
    # 16 kHz mono, about as long as what was written (lossy codecs pad a little)
    assert len(samples) / 16_000 == pytest.approx(len(sentence_samples) / speech.SAMPLE_RATE, abs=0.1)


def test_prompt_steers_the_spelling_of_a_made_up_name():
    audio = encoding.encode(speech.synthesize_all("Our new product is called Zyntriqix.", voice="alloy"), "wav")
    assert "Zyntriqix" not in transcription.transcribe(audio).text
    assert "Zyntriqix" in transcription.transcribe(audio, prompt="Zyntriqix").text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"Not audio at all, just some text in a file. " * 10, "could not be decoded"),
        (encoding.encode(np.zeros(1000, dtype=np.int16), "wav"), "too short"),
    ],
)
def test_bad_uploads_are_audio_errors(data, message):
    with pytest.raises(transcription.AudioError, match=message):
        transcription.transcribe(data)


def test_an_abandoned_stream_of_segments_does_not_block_the_next_transcription(sentence_wav):
    # a client that closes a streamed transcription leaves its generator suspended, not closed
    abandoned = transcription.iter_segments(transcription.decode_upload(sentence_wav))
    next(abandoned)
    assert not transcription._lock.locked()
    assert "weather" in transcription.transcribe(sentence_wav).text.lower()
    del abandoned
