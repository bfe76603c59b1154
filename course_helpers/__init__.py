"""Helpers for the course on talking to LLMs through the OpenAI API.

Every lesson starts with::

    import course_helpers
    info = course_helpers.setup()   # loads .env, picks a backend, prints one line

and then writes ordinary SDK code (``from openai import OpenAI; client = OpenAI()``),
passing ``model=info.model``. A cell using what some backends lack starts with
``if course_helpers.needs("moderations"):`` (see :mod:`course_helpers.course.capabilities`). Quizzes are ``course_helpers.lesson_quiz("02.1")``;
exercise checks live in :mod:`course_helpers.checks`.

What lives where:

- here, at the top: the toolbox lessons call (``anatomy``, ``audio``, ``conversation``,
  ``costs``, ``moderation``, ``probabilities``, ``streams``, ``structured``, ``tables``, ``token_heatmap``);
- ``checks/``: what check cells use: the shared machinery (``checks/__init__.py``), one module
  per lesson named after its topic (``setup`` for 00, ``messages`` 01, ``parameters`` 02,
  ``logprobs`` 03, ``moderation`` 04, ``audio`` 05, ``beyond`` 06, ``structured`` 07), ``hints``, and the
  quizzes;
- ``course/``: the course's machinery: settings and models, ``setup()``'s backends, doctor,
  start, paths, the exercise-sheet pipeline, notebooks, model aging; ``__main__.py`` is its
  command line (``python -m course_helpers``);
- ``progress``: a learner's own progress (``course_helpers.progress.show()`` in a notebook),
  imported when first used;
- ``local/``: the built-in OpenAI-compatible server and its numpy engine.

The module names from before this layout still import, as the same modules
(``_old_names.py``), so a sheet copied into ``my_work/`` before it keeps working.

>>> from course_helpers import mask_key
>>> mask_key("sk-proj-abcdefghijklmnopWXYZ")
'…WXYZ'
"""

from . import _old_names, checks
from .checks.quizzes import lesson_quiz, quiz
from .course.backends import BackendInfo, SetupError, setup
from .course.capabilities import needs
from .course.settings import mask_key

__all__ = [
    "BackendInfo",
    "SetupError",
    "checks",
    "mask_key",
    "needs",
    "lesson_quiz",
    "progress",
    "quiz",
    "setup",
]

__version__ = "0.1.0"


def __getattr__(name: str):
    """``course_helpers.progress``, imported on first use (it brings nbformat and the grading machinery)."""
    if name == "progress":
        import importlib

        return importlib.import_module(".progress", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_old_names.install()
