"""Tests for course_helpers/audio.py: Realtime speech, WAV files, pcm arithmetic, file loading, the player, the plot."""

from __future__ import annotations

import datetime
import doctest
import wave

import matplotlib
import numpy as np
import openai
import pytest

from course_helpers import audio
from course_helpers.audio import (
    PCM_SAMPLE_RATE,
    audio_folder,
    cut_pcm,
    load_samples,
    pcm_to_samples,
    play,
    plot_waveform,
    speak,
    speech_spans,
    subtitles,
    write_wav,
)
from course_helpers.local.server import start_in_thread

matplotlib.use("Agg")


def test_docstring_examples():
    assert doctest.testmod(audio).failed == 0


def test_pcm_is_little_endian_int16():
    samples = np.array([0, 1, -1, 32767, -32768], dtype=np.int16)
    assert pcm_to_samples(samples.astype("<i2").tobytes()).tolist() == samples.tolist()


def test_a_cut_pcm_download_drops_its_odd_byte():
    assert pcm_to_samples(b"\x01\x00\x02").tolist() == [1]


def test_audio_folder_is_relative_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = audio_folder()
    assert not folder.is_absolute() and (tmp_path / "audio_out").is_dir()


@pytest.mark.parametrize("audio_format", ["wav", "flac", "mp3"])
def test_load_samples_decodes_the_api_formats(tmp_path, audio_format):
    from course_helpers.local.audio.encoding import encode

    tone = (8000 * np.sin(2 * np.pi * 440 * np.arange(PCM_SAMPLE_RATE) / PCM_SAMPLE_RATE)).astype(np.int16)
    path = tmp_path / f"tone.{audio_format}"
    path.write_bytes(encode(tone, audio_format))
    samples = load_samples(path)
    assert abs(len(samples) - len(tone)) < 0.1 * PCM_SAMPLE_RATE  # mp3 pads a few frames
    assert 0.2 < np.max(np.abs(samples)) < 0.3  # 8000 / 32768


def test_load_samples_reads_raw_pcm(tmp_path):
    path = tmp_path / "x.pcm"
    path.write_bytes(np.array([16384, -16384], dtype="<i2").tobytes())
    assert load_samples(path).tolist() == [0.5, -0.5]


def test_play_prints_the_file_and_links_instead_of_embedding(tmp_path, monkeypatch, capsys):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    monkeypatch.chdir(tmp_path)
    path = audio_folder() / "a.wav"
    path.write_bytes(b"RIFF" + bytes(2044))
    play(path)
    assert capsys.readouterr().out == "▶ audio_out/a.wav (2 KB, wav)\n"
    html = shown[0]._repr_html_()
    assert 'src="audio_out/a.wav"' in html and "base64" not in html


def test_plot_waveform_marks_words_and_accepts_int16():
    words = [{"word": "hi", "start": 0.1, "end": 0.3}, {"word": "there", "start": 0.35, "end": 0.6}]
    figure = plot_waveform(np.zeros(PCM_SAMPLE_RATE, dtype=np.int16), PCM_SAMPLE_RATE, title="t", words=words)
    wave_ax, spectrum_ax = figure.axes
    assert [text.get_text() for text in wave_ax.texts] == ["hi", "there"]
    assert spectrum_ax.get_ylabel() == "frequency (Hz)"
    matplotlib.pyplot.close(figure)


def test_write_wav_is_a_24khz_mono_16bit_header_then_the_samples(tmp_path):
    pcm = np.array([0, 1000, -1000, 32767], dtype="<i2").tobytes()
    path = write_wav(tmp_path / "a.wav", pcm)
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (24_000, 1, 2)
        assert wav.readframes(wav.getnframes()) == pcm
    assert path.read_bytes()[44:] == pcm


# The SDK's sync Realtime client warns under websockets 17 (see tests/local/server/test_realtime.py).
@pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager:DeprecationWarning")
def test_speak_joins_the_audio_deltas_of_one_realtime_response():
    day = datetime.date(2026, 12, 4)
    with start_in_thread(api_key="sk-test", today=lambda: day) as server:
        with openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as client:
            speech = speak(client, "Hello there. Goodbye.", model="gpt-realtime-2.1-mini", voice="cedar")
            assert speech.transcript == "Hello there. Goodbye."  # the local voice reads word for word
            assert speech.chunks > 1 and 0.5 < speech.seconds < 5
            assert len(speech.pcm) % 2 == 0 and 0 < speech.first_chunk_seconds < 30
            with pytest.raises(RuntimeError, match="speed"):
                speak(client, "Too fast.", model="gpt-realtime-2.1-mini", speed=2.0)


def _tone(seconds: float) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * 220 * np.arange(int(seconds * PCM_SAMPLE_RATE)) / PCM_SAMPLE_RATE)


def _quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * PCM_SAMPLE_RATE))


def test_speech_spans_split_at_pauses_and_keep_short_gaps_inside():
    gaps = np.concatenate([_tone(0.5), _quiet(0.1), _tone(0.5), _quiet(0.4), _tone(1.0)])
    assert speech_spans(gaps) == [(0.0, 1.1), (1.5, 2.5)]  # 0.1 s is a gap between words, 0.4 s a pause
    assert speech_spans(gaps, min_pause=0.05) == [(0.0, 0.5), (0.6, 1.1), (1.5, 2.5)]


def test_speech_spans_of_silence_is_empty_and_of_int16_is_the_same():
    assert speech_spans(_quiet(1.0)) == [] and speech_spans(np.zeros(10)) == []
    sound = np.concatenate([_quiet(0.2), _tone(0.6), _quiet(0.3)])
    assert speech_spans(sound) == speech_spans((sound * 32767).astype(np.int16)) == [(0.2, 0.8)]


def test_cut_pcm_cuts_between_samples_at_the_nearest_one():
    pcm = np.arange(PCM_SAMPLE_RATE, dtype="<i2").tobytes()  # sample k holds k
    piece = pcm_to_samples(cut_pcm(pcm, 0.10003, 0.5))  # 2,400.72 samples: the nearest is 2,401
    assert piece[0] == 2401 and piece[-1] == 11_999 and len(piece) == 12_000 - 2401


def test_subtitles_write_srt_and_vtt_that_the_exercise_check_accepts(capsys):
    from course_helpers.checks.audio import EXAMPLE_SRT, check_write_srt

    cues = [(0.0, 2.5, "Hello there."), (2.5, 5.12, "My name is Ada."), (63.04, 64.0, "Goodbye!")]
    assert subtitles(cues) == EXAMPLE_SRT
    assert subtitles(cues, "vtt").startswith("WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHello there.\n")
    check_write_srt(subtitles)
    assert capsys.readouterr().out.startswith("✅")
    with pytest.raises(ValueError, match="srt"):
        subtitles(cues, "ass")
