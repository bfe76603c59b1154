"""The course itself names no model that shuts down soon (course_helpers/course/aging.py, with the installed SDK's dates).

This is the check that the course never ages silently: when OpenAI announces a shutdown
(and the SDK the course installs lists it), this test fails in CI 60 days ahead, naming
the file, the model and OpenAI's replacement. Deliberate history carries ``aging: allow``.
"""

from datetime import date

from course_helpers.course.aging import DEFAULT_PATHS, findings, report
from course_helpers.course.model_ages import shutdown_dates
from course_helpers.course.paths import course_root

HORIZON_DAYS = 60


def test_the_installed_sdk_announces_shutdowns():
    dates = shutdown_dates()  # the test below is only as good as these dates
    assert dates["gpt-4o-mini"] == date(2027, 1, 14)
    assert len(dates) > 50


def test_no_lesson_solution_sheet_helper_or_doc_names_a_model_shutting_down_within_60_days():
    root = course_root()
    today = date.today()
    found = findings([root / name for name in DEFAULT_PATHS], shutdown_dates(), today, HORIZON_DAYS, root=root)
    assert not found, "\n" + report(found, today)
