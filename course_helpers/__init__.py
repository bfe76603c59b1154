"""Helpers for the course on talking to LLMs through the OpenAI API.

Every lesson starts with::

    import course_helpers
    info = course_helpers.setup()   # loads .env, picks a backend, prints one line

and then writes ordinary SDK code (``from openai import OpenAI; client = OpenAI()``),
passing ``model=info.model``. Quizzes are ``course_helpers.lesson_quiz("02.1")``
(their texts are in quiz_bank.py); exercise checks live in :mod:`course_helpers.checks`.

>>> from course_helpers import mask_key
>>> mask_key("sk-proj-abcdefghijklmnopWXYZ")
'…WXYZ'
"""

from . import checks
from .checks.quizzes import lesson_quiz, quiz
from .course.backends import BackendInfo, SetupError, setup
from .course.settings import mask_key

__all__ = [
    "BackendInfo",
    "SetupError",
    "checks",
    "mask_key",
    "lesson_quiz",
    "quiz",
    "setup",
]

__version__ = "0.1.0"
