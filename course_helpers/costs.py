"""What a request costs: a dated price table and a cost estimate from ``usage``.

OpenAI bills per token, with separate prices for the tokens you send (the
prompt: every message of the list, plus a few tokens of formatting per message)
and the tokens the model writes (the completion). Output tokens cost several
times more than input tokens, because each one needs a full pass through the
model, while the prompt is read in one parallel pass.

Prices change (mostly downwards) and new models appear: the table below is a
snapshot, dated by :data:`PRICES_CHECKED`. Check https://openai.com/api/pricing
before you budget real money.

>>> round(estimate_cost({"prompt_tokens": 1_000_000, "completion_tokens": 0}, "gpt-4o-mini"), 2)
0.15
>>> price_of("gpt-4o-mini-2024-07-18") == PRICES["gpt-4o-mini"]
True

Used in: notebooks/00_setup.ipynb
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PRICES",
    "PRICES_CHECKED",
    "Price",
    "estimate_cost",
    "price_of",
    "show_prices",
]

#: When the prices below were copied from OpenAI's pricing page (standard tier, per 1M tokens).
PRICES_CHECKED = "August 2025"


@dataclass(frozen=True)
class Price:
    """US dollars per 1 million tokens: prompt, prompt tokens read from the cache, and completion.

    >>> Price(input=0.15, cached_input=0.075, output=0.60).output
    0.6
    """

    input: float
    cached_input: float
    output: float


#: Standard-tier list prices in USD per 1M tokens, as of :data:`PRICES_CHECKED`.
PRICES: dict[str, Price] = {
    "gpt-5": Price(input=1.25, cached_input=0.125, output=10.00),
    "gpt-5-mini": Price(input=0.25, cached_input=0.025, output=2.00),
    "gpt-5-nano": Price(input=0.05, cached_input=0.005, output=0.40),
    "gpt-4.1": Price(input=2.00, cached_input=0.50, output=8.00),
    "gpt-4.1-mini": Price(input=0.40, cached_input=0.10, output=1.60),
    "gpt-4.1-nano": Price(input=0.10, cached_input=0.025, output=0.40),
    "gpt-4o": Price(input=2.50, cached_input=1.25, output=10.00),
    "gpt-4o-mini": Price(input=0.15, cached_input=0.075, output=0.60),
}


def price_of(model: str, prices: Mapping[str, Price] = PRICES) -> Price:
    """The price of ``model``, also for a dated snapshot name such as ``gpt-4o-2024-08-06``.

    The API answers with the exact snapshot that ran (``response.model``), so the
    longest table name that the snapshot name starts with wins: ``gpt-4o-mini-2024-07-18``
    is ``gpt-4o-mini``, not ``gpt-4o``.

    >>> price_of("gpt-4o-2024-08-06").input
    2.5
    >>> price_of("my-local-model")
    Traceback (most recent call last):
    ...
    KeyError: "No price for model 'my-local-model'. Known: gpt-5, gpt-5-mini, gpt-5-nano, gpt-4.1, gpt-4.1-mini, gpt-4.1-nano, gpt-4o, gpt-4o-mini. Pass one of these names (the price you want to estimate), or add a Price to the table."
    """
    matches = [name for name in prices if model == name or model.startswith(name + "-")]
    if not matches:
        raise KeyError(
            f"No price for model {model!r}. Known: {', '.join(prices)}. Pass one of these names "
            "(the price you want to estimate), or add a Price to the table."
        )
    return prices[max(matches, key=len)]


def _field(obj: Any, name: str, default: Any = 0) -> Any:
    """``obj.name`` or ``obj[name]``: usage comes as an SDK object or as plain JSON."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        value = obj.get(name, default)
    else:
        value = getattr(obj, name, default)
    return default if value is None else value


def estimate_cost(usage: Any, model: str, prices: Mapping[str, Price] = PRICES) -> float:
    """The cost in US dollars of one request's ``usage`` at ``model``'s list price.

    ``usage`` is ``response.usage`` or the same as a dict. Prompt tokens that
    the API read from its cache (``usage.prompt_tokens_details.cached_tokens``)
    are billed at the cheaper cached price; reasoning tokens are already part of
    ``completion_tokens`` and billed as output.

    >>> estimate_cost({"prompt_tokens": 2000, "completion_tokens": 500}, "gpt-4o-mini")
    0.0006
    >>> estimate_cost({"prompt_tokens": 2000, "completion_tokens": 500,
    ...                "prompt_tokens_details": {"cached_tokens": 1000}}, "gpt-4o-mini")
    0.000525
    """
    price = price_of(model, prices)
    prompt = int(_field(usage, "prompt_tokens"))
    completion = int(_field(usage, "completion_tokens"))
    cached = int(_field(_field(usage, "prompt_tokens_details", None), "cached_tokens"))
    dollars = ((prompt - cached) * price.input + cached * price.cached_input + completion * price.output) / 1_000_000
    return round(dollars, 12)  # hide float noise such as 0.0006000000000000001


class _PriceTable:
    """The price table as HTML in Jupyter (and on GitHub) and as aligned text elsewhere."""

    def __init__(self, rows: list[tuple[str, Price]]) -> None:
        self.rows = rows

    def _repr_html_(self) -> str:
        header = (
            "<tr><th>model</th><th>input $/1M</th><th>cached input $/1M</th>"
            "<th>output $/1M</th><th>output ÷ input</th></tr>"
        )
        body = "".join(
            f"<tr><td><code>{name}</code></td><td>{p.input:.3f}</td><td>{p.cached_input:.3f}</td>"
            f"<td>{p.output:.2f}</td><td>{p.output / p.input:.0f}×</td></tr>"
            for name, p in self.rows
        )
        return (
            f"<table>{header}{body}</table>"
            f"<p><small>OpenAI list prices in US dollars per 1 million tokens, checked {PRICES_CHECKED}. "
            "Prices change: see https://openai.com/api/pricing</small></p>"
        )

    def __repr__(self) -> str:
        lines = [f"{'model':<14}{'input':>8}{'cached':>8}{'output':>8}   (USD per 1M tokens, {PRICES_CHECKED})"]
        lines += [f"{name:<14}{p.input:>8.3f}{p.cached_input:>8.3f}{p.output:>8.2f}" for name, p in self.rows]
        return "\n".join(lines)


def show_prices(models: Iterable[str] | None = None, prices: Mapping[str, Price] = PRICES) -> _PriceTable:
    """A table of the prices of ``models`` (default: all), shown as HTML in a notebook.

    >>> print(show_prices(["gpt-4o-mini"]))  # doctest: +NORMALIZE_WHITESPACE
    model            input  cached  output   (USD per 1M tokens, August 2025)
    gpt-4o-mini      0.150   0.075    0.60
    """
    names = list(prices) if models is None else list(models)
    return _PriceTable([(name, price_of(name, prices)) for name in names])
