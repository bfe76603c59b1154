"""Local moderation: the 13 categories of OpenAI's moderation API, scored on the local chat model.

``moderate(["some text"])`` returns one :class:`ModerationResult` per text.
The parts, one concept each: ``categories.py`` (names and thresholds),
``dataset.py`` (the labeled messages), ``features.py`` (hidden states),
``probe.py`` (logistic regression in numpy), ``classifier.py`` (training,
caching, scoring), ``selection.py`` (how the settings were chosen).

Used in: notebooks/04_moderation.ipynb, course_helpers/local/server/moderations.py
"""

from .categories import CATEGORIES, THRESHOLDS
from .classifier import ModerationResult, ensure_trained, moderate

__all__ = [
    "CATEGORIES",
    "THRESHOLDS",
    "ModerationResult",
    "ensure_trained",
    "moderate",
]
