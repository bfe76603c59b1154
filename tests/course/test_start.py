"""Tests for course_helpers/course/start.py: copy the sheets into my_work/, never overwrite the learner's."""

import subprocess
import sys

from course_helpers.course.start import start


def _course(folder):
    (folder / "solutions").mkdir()
    (folder / "exercises").mkdir()
    for name in ["01_messages.ipynb", "02_parameters.ipynb"]:
        (folder / "exercises" / name).write_text(f'{{"sheet": "{name}"}}')
    return folder


def test_start_copies_every_sheet_into_my_work(course_env):
    _course(course_env)
    report = start()
    assert report.folder == (course_env / "my_work").resolve()
    assert report.copied == ["01_messages.ipynb", "02_parameters.ipynb"] and report.kept == []
    assert (course_env / "my_work" / "01_messages.ipynb").read_text() == '{"sheet": "01_messages.ipynb"}'


def test_start_never_overwrites_the_learners_work(course_env):
    _course(course_env)
    start()
    mine = course_env / "my_work" / "01_messages.ipynb"
    mine.write_text("my answers")
    report = start()
    assert mine.read_text() == "my answers"
    assert report.kept == ["01_messages.ipynb", "02_parameters.ipynb"] and report.copied == []
    assert "kept   01_messages.ipynb (yours, not overwritten)" in str(report)


def test_start_from_a_subfolder_uses_the_course_root(course_env, monkeypatch):
    _course(course_env)
    monkeypatch.chdir(course_env / "exercises")
    assert start().folder == (course_env / "my_work").resolve()


def test_cli_says_what_was_copied_and_kept(course_env):
    _course(course_env)
    (course_env / "my_work").mkdir()
    (course_env / "my_work" / "02_parameters.ipynb").write_text("mine")
    result = subprocess.run(
        [sys.executable, "-m", "course_helpers", "start"], cwd=course_env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert "  copied 01_messages.ipynb" in result.stdout
    assert "  kept   02_parameters.ipynb (yours, not overwritten)" in result.stdout
