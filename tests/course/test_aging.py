"""Tests for course_helpers/course/aging.py: which files name a model that shuts down soon (and the CLI)."""

import doctest
import shutil
import sys
import types
from datetime import date
from pathlib import Path

import pytest

from course_helpers.__main__ import main
from course_helpers.course import aging
from course_helpers.course.aging import REPLACEMENTS, Finding, findings, replacement_of, report, scan_text

FIXTURES = Path(__file__).parent.parent / "fixtures" / "aging"
TODAY = date(2026, 12, 4)
# As in the SDK's "Deprecated values" docstrings of openai 3.60.
DATES = {
    "gpt-4o-mini": date(2027, 1, 14),
    "gpt-4o-mini-2024-07-18": date(2027, 1, 14),
    "gpt-4o": date(2027, 1, 14),
    "gpt-5": date(2026, 12, 11),
    "gpt-5-mini": date(2026, 12, 11),
    "o3": date(2026, 12, 11),
    "o3-mini": date(2026, 10, 23),
    "gpt-5.4-nano": date(2027, 4, 1),
}


def _found(paths=(FIXTURES,), dates=DATES, today=TODAY, days=60):
    return {(f.file, f.cell, f.in_output, f.line, f.model) for f in findings(paths, dates, today, days, root=FIXTURES)}


def test_doctests():
    assert doctest.testmod(aging).failed == 0


def test_fixture_files_give_exactly_these_findings():
    assert _found() == {
        ("lessons/helper.py", None, False, 3, "gpt-4o-mini"),
        ("lessons/helper.py", None, False, 4, "gpt-4o-mini-2024-07-18"),
        ("lessons/notes.md", None, False, 3, "o3"),
        ("lessons/notes.md", None, False, 3, "o3-mini"),
        ("lessons/notes.md", None, False, 3, "gpt-5"),
        ("lessons/notes.md", None, False, 3, "gpt-5-mini"),
        ("lessons/lesson.ipynb", 1, True, 1, "gpt-4o-mini"),
        ("lessons/lesson.ipynb", 2, True, 1, "gpt-4o-2024-08-06"),
        ("lessons/lesson.ipynb", 3, False, 2, "gpt-5"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gpt-4o-mini-tts", []),  # another model that starts with the name
        ("gpt-4omini", []),
        ("xgpt-4o", []),
        ("gpt-4o.", [(1, "gpt-4o")]),  # the end of a sentence
        ("`gpt-4o`, (gpt-4o)", [(1, "gpt-4o")]),  # once per line
        ('model="gpt-4o"\nGPT-4o', [(1, "gpt-4o")]),  # model ids are lower case
        ("gpt-4o-2024-08-06", [(1, "gpt-4o-2024-08-06")]),  # a snapshot counts as its model
        ("gpt-4o  # aging: allow", []),
    ],
)
def test_models_are_whole_tokens(text, expected):
    assert scan_text(text, {"gpt-4o": date(2027, 1, 14)}) == expected


def _models(**kwargs):
    return {model for *_, model in _found(**kwargs)}


def test_a_model_beyond_the_horizon_is_not_reported():
    assert "gpt-5.4-nano" not in _models()  # 2027-04-01: 118 days away
    assert "gpt-5.4-nano" in _models(days=120)
    assert _models(days=30) == {"o3", "o3-mini", "gpt-5", "gpt-5-mini"}


def test_the_horizon_ends_on_its_last_day():
    assert "gpt-4o-mini" not in _models(today=date(2026, 11, 14))  # 60 days later is 2027-01-13
    assert "gpt-4o-mini" in _models(today=date(2026, 11, 15))  # ... 2027-01-14, its shutdown


def test_past_shutdowns_are_reported():
    assert _models(days=0) == {"o3-mini"}  # shut down on 2026-10-23


def test_a_file_named_explicitly_is_read_whatever_its_suffix():
    assert _found(paths=[FIXTURES / "settings.env"]) == {("settings.env", None, False, 1, "gpt-4o-mini")}


def test_checkpoints_and_other_suffixes_in_folders_are_skipped(tmp_path):
    shutil.copytree(FIXTURES / "lessons", tmp_path / "lessons")
    (tmp_path / "lessons" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "lessons" / ".ipynb_checkpoints" / "helper.py").write_text('MODEL = "gpt-4o-mini"\n')
    found = findings([tmp_path], DATES, TODAY, root=tmp_path)
    assert {f.file for f in found} == {"lessons/helper.py", "lessons/notes.md", "lessons/lesson.ipynb"}


def test_a_finding_names_the_replacement_and_the_place():
    (mini,) = [f for f in findings([FIXTURES / "lessons" / "lesson.ipynb"], DATES, TODAY, root=FIXTURES) if f.cell == 1]
    assert mini.replacement.startswith("gpt-6-luna (") and mini.shutdown == date(2027, 1, 14)
    assert mini.where() == "lessons/lesson.ipynb:cell 1 output:1"


@pytest.mark.parametrize(
    ("model", "replacement"),
    [
        ("gpt-4o-mini", "gpt-6-luna"),
        ("gpt-5", "gpt-6.1-sol"),
        ("gpt-5-mini-2025-08-07", "gpt-6.1-terra"),
        ("gpt-4o", "unknown (sources conflict"),
        ("gpt-4.1", "unknown (sources conflict"),
        ("o4-mini", "unknown"),
        ("gpt-3.5-turbo", "unknown"),
    ],
)
def test_replacements(model, replacement):
    assert replacement_of(model).startswith(replacement)


def test_every_replacement_names_its_source():
    assert all(r.source for r in REPLACEMENTS.values())


def test_report_counts_per_file_and_per_model():
    found = findings([FIXTURES], DATES, TODAY, root=FIXTURES)
    text = report(found, TODAY)
    assert f"{len(found)} finding(s) in 3 file(s):" in text
    assert "  3  lessons/lesson.ipynb" in text and "  2  gpt-5 (shuts down 2026-12-11)" in text
    assert "o3-mini shuts down 2026-10-23 (42 days ago)" in text
    assert report([], TODAY).startswith("No model")


def test_finding_where_for_a_plain_file():
    assert Finding("README.md", 7, "gpt-4o", date(2027, 1, 14), "x").where() == "README.md:7"


def _fake_model_ages(monkeypatch, dates):
    module = types.ModuleType("course_helpers.course.model_ages")
    module.shutdown_dates = lambda: dates  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "course_helpers.course.model_ages", module)


def test_cli_prints_findings_and_fails(monkeypatch, capsys):
    _fake_model_ages(monkeypatch, DATES)
    assert main(["aging", "--today", "2026-12-04", str(FIXTURES / "lessons" / "helper.py")]) == 1
    out = capsys.readouterr().out
    assert "helper.py:3: gpt-4o-mini shuts down 2027-01-14 (in 41 days); replacement: gpt-6-luna" in out


def test_cli_passes_when_nothing_is_due(monkeypatch, capsys):
    _fake_model_ages(monkeypatch, DATES)
    assert main(["aging", "--today", "2026-12-04", "--days", "1", str(FIXTURES / "lessons" / "helper.py")]) == 0
    assert capsys.readouterr().out.startswith("No model")


def test_cli_without_model_ages_says_so(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "course_helpers.course.model_ages", None)  # import fails as if it were absent
    assert main(["aging", str(FIXTURES)]) == 2
    assert "course_helpers.course.model_ages" in capsys.readouterr().err


def test_the_scanner_skips_its_own_replacement_table():
    assert findings([Path(aging.__file__)], {"gpt-4o-mini": date(2027, 1, 14)}, TODAY) == []


@pytest.mark.parametrize(("token", "found"), [("gpt-4-0613", True), ("gpt-4-2025", False)])
def test_older_snapshots_end_in_a_month_and_day(token, found):
    assert bool(scan_text(token, {"gpt-4": date(2026, 10, 23)})) is found
