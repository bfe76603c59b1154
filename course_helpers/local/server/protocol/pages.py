"""The query of a list endpoint (``?after=...&limit=...&order=...``), declared once.

Stored items are listed a page at a time, as OpenAI lists them: at most
``limit`` items (1 to 100, default 20), newest first unless ``order=asc``,
starting after the item whose id is ``after``. Query values arrive as text,
so a ``limit`` of digits is read as the integer it spells.

>>> parse_list_query({"limit": "2", "order": "asc"})
ListQuery(after=None, limit=2, order='asc')
>>> parse_list_query({}).order
'desc'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field

from .base import Integer, RequestModel
from .errors import parse

__all__ = [
    "ListQuery",
    "parse_list_query",
]


class ListQuery(RequestModel, extra="ignore"):
    """Which page of a list: after which item, how many, in which order (``include`` and others are ignored)."""

    after: str | None = None
    limit: Integer = Field(20, ge=1, le=100)
    order: Literal["asc", "desc"] = "desc"


def parse_list_query(query: Mapping[str, str]) -> ListQuery:
    """A list endpoint's query checked as OpenAI checks it; raise APIError if invalid."""
    values: dict[str, object] = dict(query)
    limit = query.get("limit")
    if limit is not None and limit.strip().lstrip("-").isdigit():
        values["limit"] = int(limit)
    return parse(ListQuery, values)
