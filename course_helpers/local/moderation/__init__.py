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

#: What answers a moderation request locally, named in its responses as chat names SmolLM2-135M-Instruct: a
#: learner reading ``response.model`` (or a plot title made from it) must not think OpenAI's model answered.
MODEL_NAME = "SmolLM2-135M-moderation-probes"

__all__ = [
    "CATEGORIES",
    "MODEL_NAME",
    "THRESHOLDS",
    "ModerationResult",
    "ensure_trained",
    "moderate",
]
