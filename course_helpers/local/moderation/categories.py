"""The 13 moderation categories and the thresholds that turn scores into flags.

The names are those of OpenAI's ``omni-moderation`` models, in the order the
API lists them. A category with a slash is a sub-category of the part before
it: a message labeled ``self-harm/intent`` is also labeled ``self-harm``.

Each category's score is a probability from logistic probes (see
``classifier.py``), and a message is flagged for a category when its score
reaches that category's threshold. The thresholds are written here, not
learned at run time, so the rule behind ``flagged`` can be read in one place.

They are all 0.25, lower than the "more likely than not" 0.5, for two
reasons. A moderation check would rather ask a human to look twice than let
harm through, so it flags a message that is one-in-four likely harmful. And
this small classifier's category scores are somewhat under-confident in the
middle range (on cross-validation folds, messages scored about 0.7 carried
the label about 90% of the time). On the out-of-fold scores of the training
set (never the held-out set), 0.25 gave the most correct ``flagged`` values:
0.898, against 0.845 at 0.5.

>>> len(CATEGORIES)
13
>>> CATEGORIES[0], THRESHOLDS["violence"]
('harassment', 0.25)

Used in: notebooks/04_moderation.ipynb
"""

from __future__ import annotations

__all__ = [
    "CATEGORIES",
    "PARENT",
    "THRESHOLDS",
    "attribute_name",
]

CATEGORIES: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)

# A sub-category's parent: every example of the child is also an example of the parent.
PARENT: dict[str, str] = {name: name.split("/")[0] for name in CATEGORIES if "/" in name}

# Score at or above which a category counts as present (see the module docstring).
THRESHOLDS: dict[str, float] = {
    "harassment": 0.25,
    "harassment/threatening": 0.25,
    "hate": 0.25,
    "hate/threatening": 0.25,
    "illicit": 0.25,
    "illicit/violent": 0.25,
    "self-harm": 0.25,
    "self-harm/intent": 0.25,
    "self-harm/instructions": 0.25,
    "sexual": 0.25,
    "sexual/minors": 0.25,
    "violence": 0.25,
    "violence/graphic": 0.25,
}


def attribute_name(category: str) -> str:
    """The Python attribute the openai SDK uses for a category.

    >>> attribute_name("self-harm/intent")
    'self_harm_intent'
    """
    return category.replace("-", "_").replace("/", "_")
