"""What a request costs: a dated price table and a cost estimate from ``usage``.

OpenAI bills per token, with separate prices for the tokens you send (the
prompt: every message of the list, plus a few tokens of formatting per message)
and the tokens the model writes (the completion). Output tokens cost several
times more than input tokens, because each one needs a full pass through the
model, while the prompt is read in one parallel pass.

Prices change (mostly downwards) and new models appear: the table below is a
snapshot, dated by :data:`PRICES_CHECKED`, each price with its source (OpenAI's
own model page, or a third-party copy: ``Price.official``). Check
https://openai.com/api/pricing before you budget real money.

Reasoning models (gpt-6-luna reasons by default) also write tokens you never see;
they are billed as output, and ``usage.completion_tokens`` already counts them.

>>> round(estimate_cost({"prompt_tokens": 1_000_000, "completion_tokens": 0}, "gpt-6-luna"), 2)
0.1
>>> price_of("gpt-5.4-mini-2026-03-17") == PRICES["gpt-5.4-mini"]
True

Used in: notebooks/00_setup.ipynb
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = [
    "PRICES",
    "PRICES_CHECKED",
    "Price",
    "estimate_cost",
    "price_of",
    "show_prices",
]

#: When the prices below were checked (standard tier, per 1M tokens, prompts up to 272K tokens).
PRICES_CHECKED = "2026-12-04"

_LUNA_PAGE = "https://developers.openai.com/ja-JP/api/docs/models/gpt-6-luna"
_MORPH = "https://www.morphllm.com/openai-api-pricing"
_PROMPTFUEL = "https://github.com/TheKrush/PromptFuel/releases/tag/v1.0.19"


@dataclass(frozen=True)
class Price:
    """US dollars per 1 million tokens: prompt, prompt tokens read from the cache, and completion.

    ``source`` says where the numbers come from; ``official`` is True only for
    OpenAI's own pages (the others are third-party copies of them). ``shutdown``
    is the model's announced shutdown date, if any.

    >>> Price(input=0.10, cached_input=0.01, output=0.50).output
    0.5
    """

    input: float
    cached_input: float
    output: float
    source: str = ""
    official: bool = False
    shutdown: date | None = None


#: Standard-tier list prices in USD per 1M tokens, as of :data:`PRICES_CHECKED`: current models only (none shuts
#: down within 60 days; a model goes from the table when it does, as the API no longer serves it).
PRICES: dict[str, Price] = {
    # The course's default model (course_helpers.course.models).
    "gpt-6-luna": Price(0.10, 0.01, 0.50, _LUNA_PAGE, official=True),
    "gpt-5.6-luna": Price(
        0.20, 0.02, 1.20, "https://developers.openai.com/api/docs/models/gpt-5.6-luna", official=True
    ),
    "gpt-5.4-mini": Price(0.75, 0.075, 4.50, _MORPH),
    "gpt-5.4-nano": Price(0.20, 0.02, 1.25, _MORPH, shutdown=date(2027, 4, 1)),
    "gpt-6.1-terra": Price(
        1.00,
        0.05,
        5.00,
        "https://dev.to/aihubmix/gpt-61-terra-migration-for-api-clients-the-400s-the-silent-no-ops-and-a-working-codex-config-45bk",
    ),
    "gpt-6-sol": Price(2.00, 0.20, 10.00, "https://github.com/merefield/codexometer/releases/tag/v0.18.4"),
    "gpt-5.6-terra": Price(2.00, 0.20, 12.00, _PROMPTFUEL),
    "gpt-5.4": Price(2.50, 0.25, 15.00, _MORPH),
    "gpt-5.5": Price(5.00, 0.50, 30.00, _MORPH),
    "gpt-6-astra": Price(10.00, 1.00, 50.00, _PROMPTFUEL),
}


# The date at the end of a snapshot's name: -2026-03-17, or -MMDD in older names.
_SNAPSHOT_DATE = re.compile(r"-(\d{4}-\d{2}-\d{2}|(0[1-9]|1[0-2])\d{2})$")


def price_of(model: str, prices: Mapping[str, Price] = PRICES) -> Price:
    """The price of ``model``, also for a dated snapshot name such as ``gpt-5.4-mini-2026-03-17``.

    The API answers with the exact snapshot that ran (``response.model``), so a
    snapshot's date is dropped: ``gpt-5.4-mini-2026-03-17`` is ``gpt-5.4-mini``. Any
    other suffix names another model: ``gpt-5.4-pro`` is not ``gpt-5.4``.

    >>> price_of("gpt-5.4-mini-2026-03-17").input
    0.75
    >>> price_of("gpt-5.4-pro")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    KeyError: "No price for model 'gpt-5.4-pro'. ...
    >>> price_of("my-local-model", {"gpt-6-luna": PRICES["gpt-6-luna"]})
    Traceback (most recent call last):
    ...
    KeyError: "No price for model 'my-local-model'. Known: gpt-6-luna. Pass one of these names (the price you want to estimate), or add a Price to the table."
    """
    name = model if model in prices else _SNAPSHOT_DATE.sub("", model)
    if name not in prices:
        raise KeyError(
            f"No price for model {model!r}. Known: {', '.join(prices)}. Pass one of these names "
            "(the price you want to estimate), or add a Price to the table."
        )
    return prices[name]


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
    are billed at the cheaper cached price. Cache writes are not priced: the
    gpt-6-luna page lists a cache-write price ($0.125 per 1M) and the SDK has
    ``prompt_tokens_details.cache_write_tokens``, but how those tokens relate
    to ``prompt_tokens`` on the bill is not confirmed.

    Reasoning tokens are billed as output, and they are already part of
    ``completion_tokens``: ``usage.completion_tokens_details.reasoning_tokens``
    only says how many of them were reasoning (the SDK's ``CompletionTokensDetails``:
    rejected prediction tokens, "like reasoning tokens, ... are still counted in
    the total completion tokens for purposes of billing"). So they are not added
    again: 500 completion tokens of which 400 reasoned cost 500 output tokens.

    >>> estimate_cost({"prompt_tokens": 0, "completion_tokens": 500,
    ...                "completion_tokens_details": {"reasoning_tokens": 400}}, "gpt-6-luna")
    0.00025

    >>> estimate_cost({"prompt_tokens": 2000, "completion_tokens": 500}, "gpt-6-luna")
    0.00045
    >>> estimate_cost({"prompt_tokens": 2000, "completion_tokens": 500,
    ...                "prompt_tokens_details": {"cached_tokens": 1000}}, "gpt-6-luna")
    0.00036
    """
    price = price_of(model, prices)
    prompt = int(_field(usage, "prompt_tokens"))
    completion = int(_field(usage, "completion_tokens"))
    cached = int(_field(_field(usage, "prompt_tokens_details", None), "cached_tokens"))
    dollars = ((prompt - cached) * price.input + cached * price.cached_input + completion * price.output) / 1_000_000
    return round(dollars, 12)  # hide float noise such as 0.0006000000000000001


def _note(price: Price) -> str:
    """Where a price comes from, and when its model shuts down.

    >>> _note(PRICES["gpt-5.4-nano"])
    'shuts down 2027-04-01; third-party'
    >>> _note(PRICES["gpt-6-luna"]), _note(PRICES["gpt-5.4-mini"])
    ('OpenAI', 'third-party')
    """
    where = "OpenAI" if price.official else "third-party"
    return f"shuts down {price.shutdown.isoformat()}; {where}" if price.shutdown else where


def _source_cell(price: Price) -> str:
    note = html.escape(_note(price))
    return f'<a href="{html.escape(price.source)}">{note}</a>' if price.source.startswith("http") else note


class _PriceTable:
    """The price table as HTML in Jupyter (and on GitHub) and as aligned text elsewhere."""

    def __init__(self, rows: list[tuple[str, Price]]) -> None:
        self.rows = rows

    def _repr_html_(self) -> str:
        header = (
            "<tr><th>model</th><th>input $/1M</th><th>cached input $/1M</th>"
            "<th>output $/1M</th><th>output ÷ input</th><th>source</th></tr>"
        )
        body = "".join(
            f"<tr><td><code>{name}</code></td><td>{p.input:.3f}</td><td>{p.cached_input:.3f}</td>"
            f"<td>{p.output:.2f}</td><td>{p.output / p.input:.0f}×</td><td>{_source_cell(p)}</td></tr>"
            for name, p in self.rows
        )
        return (
            f"<table>{header}{body}</table>"
            f"<p><small>List prices in US dollars per 1 million tokens, checked {PRICES_CHECKED}: from OpenAI's "
            "own model pages where the source says OpenAI, else from third-party copies of OpenAI's list. "
            "Prices change: see https://openai.com/api/pricing</small></p>"
        )

    def __repr__(self) -> str:
        lines = [f"{'model':<14}{'input':>8}{'cached':>8}{'output':>8}   (USD per 1M tokens, {PRICES_CHECKED})"]
        lines += [
            f"{name:<14}{p.input:>8.3f}{p.cached_input:>8.3f}{p.output:>8.2f}   {_note(p)}" for name, p in self.rows
        ]
        return "\n".join(lines)


def show_prices(models: Iterable[str] | None = None, prices: Mapping[str, Price] = PRICES) -> _PriceTable:
    """A table of the prices of ``models`` (default: all), shown as HTML in a notebook.

    >>> print(show_prices(["gpt-6-luna", "gpt-5.4-nano"]))  # doctest: +NORMALIZE_WHITESPACE
    model            input  cached  output   (USD per 1M tokens, 2026-12-04)
    gpt-6-luna       0.100   0.010    0.50   OpenAI
    gpt-5.4-nano     0.200   0.020    1.25   shuts down 2027-04-01; third-party
    """
    names = list(prices) if models is None else list(models)
    return _PriceTable([(name, price_of(name, prices)) for name in names])
