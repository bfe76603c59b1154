"""Tests for course_helpers/audio.py: pcm arithmetic, file loading, the link player and the plot."""

from __future__ import annotations

import doctest

import matplotlib
import numpy as np
import pytest

from course_helpers import audio
from course_helpers.audio import PCM_SAMPLE_RATE, audio_folder, load_samples, pcm_to_samples, play, plot_waveform

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
