"""pytest configuration shared by the unit tests and nbval's notebook runs.

- Notebooks run on the built-in local backend unless you choose otherwise
  (``COURSE_BACKEND=openai python -m pytest``): a key in ``.env`` must not turn a
  test run into paid, non-deterministic API calls.
- nbval compares the outputs of ``# NBVAL_CHECK_OUTPUT`` cells. stderr (warnings,
  progress bars, library log lines) is noise by nature, so it is left out of the
  comparison; a check's verdict is always on stdout.
"""

import os

import nbval.plugin

os.environ.setdefault("COURSE_BACKEND", "local")

_compare_streams = nbval.plugin.transform_streams_for_comparison


def _without_stderr(outputs):
    """nbval's stream transform, after dropping stderr streams from the outputs."""
    kept = [o for o in outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return _compare_streams(kept)


# nbval 0.11 (pinned in requirements.txt) looks this function up at call time.
nbval.plugin.transform_streams_for_comparison = _without_stderr


def pytest_configure(config):
    """Resolve the sanitizer file (given relative in pyproject.toml) against the repository root.

    So ``python -m pytest`` works from any folder, not only the root.
    """
    sanitizer = getattr(config.option, "nbval_sanitize_with", None)
    if sanitizer and not os.path.isabs(sanitizer):
        config.option.nbval_sanitize_with = str(config.rootpath / sanitizer)
