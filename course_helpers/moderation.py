"""Reading moderation results: the 13 categories, their scores as a dict, a bar chart and a table.

A result of ``client.moderations.create(...)`` has ``flagged``, ``categories``
(True/False per category) and ``category_scores`` (0 to 1 per category). The
SDK names a category by a Python attribute (``self_harm_intent``), the JSON by
its API name (``"self-harm/intent"``); :func:`scores_of` gives the scores as a
dict with the API names, whatever form the result comes in:

>>> scores = scores_of({"category_scores": {"violence": 0.91, "self-harm/intent": 0.02}})
>>> top_categories(scores, 1)
[('violence', 0.91)]

Used in: notebooks/04_moderation.ipynb
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from .local.moderation.categories import CATEGORIES, attribute_name
from .tables import show_table

__all__ = [
    "CATEGORIES",
    "CATEGORY_MEANINGS",
    "attribute_name",
    "category_table",
    "flags_of",
    "labeled_examples",
    "plot_scores",
    "scores_of",
    "scores_table",
    "top_categories",
]

# What each category covers, after OpenAI's moderation guide (platform.openai.com/docs/guides/moderation).
CATEGORY_MEANINGS: dict[str, str] = {
    "harassment": "harassing language towards any target",
    "harassment/threatening": "harassment that also threatens violence or serious harm",
    "hate": "hate based on race, gender, ethnicity, religion, nationality, sexual orientation, "
    "disability or caste (aimed at other groups it is harassment)",
    "hate/threatening": "hate that also threatens violence or serious harm to the group",
    "illicit": "advice or instructions for wrongdoing, such as how to shoplift",
    "illicit/violent": "the same, when it involves violence or getting a weapon",
    "self-harm": "promotes, encourages or depicts self-harm: suicide, cutting, eating disorders",
    "self-harm/intent": "the speaker says they are harming, or intend to harm, themselves",
    "self-harm/instructions": "encourages self-harm or explains how to do it",
    "sexual": "meant to arouse, or advertises sexual services (not sex education or wellness)",
    "sexual/minors": "sexual content involving anyone under 18",
    "violence": "depicts death, violence or physical injury",
    "violence/graphic": "the same, in graphic detail",
}


def category_table():
    """A table of the 13 categories: API name, SDK attribute, and what each covers.

    >>> print(repr(category_table()).splitlines()[2])
    harassment/threatening  harassment_threatening  harassment that also threatens violence or serious harm

    Used in: notebooks/04_moderation.ipynb
    """
    return show_table(
        ["category (JSON key)", "SDK attribute", "what it covers"],
        [(name, attribute_name(name), CATEGORY_MEANINGS[name]) for name in CATEGORIES],
    )


def _as_dict(part: Any) -> dict[str, Any]:
    """A result's ``categories`` or ``category_scores`` as a dict keyed by API names, in the API's order."""
    if hasattr(part, "model_dump"):  # the SDK's pydantic object: aliases are the API names
        part = part.model_dump(by_alias=True)
    if not isinstance(part, Mapping):
        raise TypeError(f"expected a moderation result or a dict, got {type(part).__name__}")
    order = {name: number for number, name in enumerate(CATEGORIES)}
    return dict(sorted(part.items(), key=lambda item: order.get(item[0], len(order))))


def scores_of(result: Any) -> dict[str, float]:
    """The category scores of a moderation result, keyed by API names ("self-harm/intent"), in the API's order.

    ``result`` may be the SDK's ``Moderation`` object, its JSON as a dict, or
    already a dict of scores.

    >>> scores_of({"violence": 0.5})
    {'violence': 0.5}
    """
    if isinstance(result, Mapping):
        part = result.get("category_scores", result)
    else:
        part = getattr(result, "category_scores", result)
    return {name: float(score) for name, score in _as_dict(part).items() if score is not None}


def flags_of(result: Any) -> dict[str, bool]:
    """The True/False verdict per category of a moderation result, keyed by API names.

    >>> flags_of({"categories": {"violence": True, "hate": False}})
    {'hate': False, 'violence': True}
    """
    part = result["categories"] if isinstance(result, Mapping) else getattr(result, "categories", result)
    return {name: bool(value) for name, value in _as_dict(part).items() if value is not None}


def top_categories(scores: Mapping[str, float], k: int = 3) -> list[tuple[str, float]]:
    """The ``k`` highest-scoring categories, highest first.

    >>> top_categories({"hate": 0.1, "violence": 0.7, "sexual": 0.2}, 2)
    [('violence', 0.7), ('sexual', 0.2)]
    """
    return sorted(scores.items(), key=lambda item: item[1], reverse=True)[:k]


def labeled_examples(every: int = 1) -> tuple[list[str], list[bool]]:
    """Messages written for this course with a human label, harmful or not, never seen by the local classifier.

    They are the held-out set of the local moderation classifier
    (``course_helpers/local/moderation/data/heldout.jsonl``): nothing was
    trained or tuned on them, so they can measure any moderation model.
    ``every=4`` keeps every fourth message, a quicker sample.

    >>> texts, harmful = labeled_examples(every=40)
    >>> len(texts) == len(harmful), harmful[0]
    (True, True)

    Used in: notebooks/04_moderation.ipynb
    """
    from .local.moderation.dataset import load_examples

    texts, labels = load_examples("heldout")
    harmful = [bool(row.any()) for row in labels]
    return texts[::every], harmful[::every]


def _thresholds_for(thresholds: float | Mapping[str, float] | None, names: Sequence[str]) -> list[float | None]:
    if thresholds is None:
        return [None] * len(names)
    if isinstance(thresholds, Mapping):
        return [thresholds.get(name) for name in names]
    return [float(thresholds)] * len(names)


def plot_scores(results: Any, thresholds: float | Mapping[str, float] | None = None, title: str = ""):
    """Horizontal bars of the 13 category scores, one panel per result; returns the figure.

    ``results`` is one moderation result, or a dict ``{label: result}`` for
    panels side by side. A bar is red when the result flags that category,
    blue otherwise. ``thresholds`` (one number, or a dict per category) draws
    a black mark where each category would be flagged.

    >>> figure = plot_scores({"a": {"violence": 0.8}, "b": {"violence": 0.1}}, thresholds=0.5)
    >>> len(figure.axes), len(figure.axes[0].patches)
    (2, 13)

    Used in: notebooks/04_moderation.ipynb
    """
    import matplotlib.pyplot as plt

    panels = dict(results) if isinstance(results, Mapping) and not _looks_like_result(results) else {"": results}
    figure, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 2.2, 4.2), sharey=True, squeeze=False)
    names = list(CATEGORIES)
    rows = range(len(names))
    for ax, (label, result) in zip(axes[0], panels.items()):
        scores = scores_of(result)
        flags = flags_of(result) if _has_flags(result) else {}
        values = [scores.get(name, 0.0) for name in names]
        colors = ["tab:red" if flags.get(name) else "tab:blue" for name in names]
        ax.barh(rows, values, color=colors)
        for row, value in zip(rows, values):
            ax.text(min(value, 0.8) + 0.02, row, f"{value:.2f}", va="center", fontsize=8)
        for row, limit in zip(rows, _thresholds_for(thresholds, names)):
            if limit is not None:
                ax.plot([limit, limit], [row - 0.4, row + 0.4], color="black", linewidth=2)
        ax.set_xlim(0, 1)
        ax.set_xlabel("score")
        ax.set_title(label, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(list(rows), names)
    axes[0][0].invert_yaxis()  # the API's order, top to bottom
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def _looks_like_result(value: Mapping) -> bool:
    """True for a result's JSON or a scores dict, False for ``{label: result}``."""
    return "category_scores" in value or any(name in value for name in CATEGORIES)


def _has_flags(result: Any) -> bool:
    return (isinstance(result, Mapping) and "categories" in result) or hasattr(result, "categories")


def _score_color(score: float) -> str:
    """White at 0, red at 1 (pale enough for black text)."""
    score = min(1.0, max(0.0, score))
    return f"hsl(0, 80%, {round(100 - 30 * score)}%)"


class _ScoreTable:
    """Texts against categories: each cell a score, shaded by it, bold when the result flags it."""

    def __init__(self, texts: list[str], results: list[Any], columns: list[str]) -> None:
        self.texts = texts
        self.scores = [scores_of(result) for result in results]
        self.flags = [flags_of(result) if _has_flags(result) else {} for result in results]
        self.flagged = [any(flags.values()) for flags in self.flags]
        self.columns = columns

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in ["text", "flagged", *self.columns])
        body = []
        for text, scores, flags, flagged in zip(self.texts, self.scores, self.flags, self.flagged):
            cells = [f"<td style='text-align:left'>{html.escape(text)}</td>", f"<td>{'yes' if flagged else 'no'}</td>"]
            for name in self.columns:
                score = scores.get(name, 0.0)
                shown = f"<b>{score:.2f}</b>" if flags.get(name) else f"{score:.2f}"
                cells.append(f"<td style='background:{_score_color(score)};color:black'>{shown}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        return f"<table><tr>{head}</tr>{''.join(body)}</table>"

    def __repr__(self) -> str:
        rows = [["text", "flagged", *self.columns]]
        for text, scores, flags, flagged in zip(self.texts, self.scores, self.flags, self.flagged):
            rows.append(
                [
                    text,
                    "yes" if flagged else "no",
                    *(f"{scores.get(name, 0.0):.2f}{'*' if flags.get(name) else ''}" for name in self.columns),
                ]
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        return "\n".join("  ".join(f"{cell:<{width}}" for cell, width in zip(row, widths)).rstrip() for row in rows)


def scores_table(texts: Sequence[str], results: Sequence[Any], columns: Sequence[str] | int = 4):
    """A table of texts against categories: each cell the score, shaded white to red, bold (``*``) when flagged.

    ``columns`` names the categories to show, or says how many: by default the
    4 categories with the highest score in any row.

    >>> print(scores_table(["hi", "grr"], [{"violence": 0.01, "hate": 0.0},
    ...                                    {"violence": 0.9, "hate": 0.3}], columns=2))
    text  flagged  violence  hate
    hi    no       0.01      0.00
    grr   no       0.90      0.30

    Used in: notebooks/04_moderation.ipynb
    """
    texts, results = list(texts), list(results)
    if len(texts) != len(results):
        raise ValueError(f"{len(texts)} texts but {len(results)} results")
    if isinstance(columns, int):
        best: dict[str, float] = {}
        for result in results:
            for name, score in scores_of(result).items():
                best[name] = max(best.get(name, 0.0), score)
        columns = [name for name, _ in top_categories(best, columns)]
    return _ScoreTable(texts, results, list(columns))
