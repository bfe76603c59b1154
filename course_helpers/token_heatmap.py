"""A reply's tokens colored by how likely the model found each one (from ``logprobs.content``).

Pass the ``choices[0].logprobs.content`` of a response made with
``logprobs=True``. In Jupyter the tokens are shown on a colored background
(green: likely, red: unlikely) with each probability as a small number after
the token, so the picture still reads where colors are stripped (GitHub);
hovering a token lists its top alternatives. Elsewhere it prints as text:

>>> from types import SimpleNamespace as Token
>>> print(token_heatmap([Token(token="Hi", logprob=-0.1, top_logprobs=[]),
...                      Token(token="!", logprob=-2.0, top_logprobs=[])]))
Hi(90%) !(14%)

Used in: notebooks/03_logprobs.ipynb
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

__all__ = ["probability_color", "token_heatmap"]


def probability_color(probability: float) -> str:
    """A background color for a probability: red at 0, yellow at 0.5, green at 1 (pale, so text stays readable).

    >>> probability_color(1.0), probability_color(0.0)
    ('hsl(120, 70%, 80%)', 'hsl(0, 70%, 80%)')

    Used in: notebooks/03_logprobs.ipynb
    """
    probability = min(1.0, max(0.0, float(probability)))
    return f"hsl({round(120 * probability)}, 70%, 80%)"


def _shown(token: str) -> str:
    """A token as it should look inside the heatmap: spaces kept, newlines visible."""
    return token.replace("\n", "↵\n")


def _percent(probability: float) -> str:
    return f"{100 * probability:.0f}%" if probability >= 0.01 else "<1%"


class _Heatmap:
    """Tokens and their probabilities, rendered as colored HTML or as text."""

    def __init__(self, rows: list[tuple[str, float, list[tuple[str, float]]]], title: str) -> None:
        self.rows = rows
        self.title = title

    def _repr_html_(self) -> str:
        spans = []
        for token, probability, alternatives in self.rows:
            tip = ", ".join(f"{alt!r} {_percent(p)}" for alt, p in alternatives) or "no alternatives asked"
            spans.append(
                f"<span title='{html.escape(tip, quote=True)}' style='background:{probability_color(probability)};"
                f"color:black;white-space:pre-wrap;border-radius:3px;padding:1px 0'>{html.escape(_shown(token))}"
                f"<sub style='color:#555;font-size:70%'>{_percent(probability)}</sub></span>"
            )
        legend = (
            "<div style='font-size:80%;margin-top:4px'>background: "
            f"<span style='background:{probability_color(0)};color:black'>&nbsp;0%&nbsp;</span> "
            f"<span style='background:{probability_color(0.5)};color:black'>&nbsp;50%&nbsp;</span> "
            f"<span style='background:{probability_color(1)};color:black'>&nbsp;100%&nbsp;</span>"
            " probability of the chosen token (hover a token for its alternatives)</div>"
        )
        caption = f"<p><b>{html.escape(self.title)}</b></p>" if self.title else ""
        return f"{caption}<div style='line-height:2;font-family:monospace'>{''.join(spans)}</div>{legend}"

    def __repr__(self) -> str:
        text = " ".join(f"{token.strip() or repr(token)}({_percent(p)})" for token, p, _ in self.rows)
        return f"{self.title}\n{text}" if self.title else text


def _field(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, dict) else getattr(item, name)


def token_heatmap(content: Sequence[Any], title: str = "") -> _Heatmap:
    """The tokens of ``choice.logprobs.content`` colored by probability (exp of each token's logprob).

    Used in: notebooks/03_logprobs.ipynb
    """
    rows = []
    for entry in content:
        alternatives = [
            (_field(alt, "token"), math.exp(_field(alt, "logprob"))) for alt in (_field(entry, "top_logprobs") or [])
        ]
        rows.append((_field(entry, "token"), math.exp(_field(entry, "logprob")), alternatives))
    return _Heatmap(rows, title)
