"""Stored responses: what ``POST /v1/responses`` keeps, and the endpoints that read it.

As on OpenAI, a response is stored unless its request says ``store=false``,
so that a later request can continue it (``previous_response_id``) and a
client can read it again:

- ``GET /v1/responses/{id}``: the Response, as it was returned;
- ``GET /v1/responses/{id}/input_items``: the items it was generated from, a page at a time;
- ``DELETE /v1/responses/{id}``: forget it.

OpenAI keeps a stored response for at least 30 days. This server keeps it in
memory for as long as the server runs (a kernel restart, or stopping
``python -m course_helpers serve``, forgets them all), and only the most
recent :data:`MAX_STORED_RESPONSES`: storing one more forgets the oldest.

A stored response holds its whole context: its input items (the previous
response's input items and output, or its conversation's items, then its
own input). A chain therefore keeps working when an earlier response in it
is forgotten or deleted. The items are shared between the responses holding
them, not copied, so a long chain costs little memory.

>>> store = ResponseStore(limit=2)
>>> for n in range(3):
...     store.add({"id": f"resp_{n}", "output": []}, input_items=[])
>>> "resp_0" in store, "resp_2" in store, len(store)
(False, True, 2)

Used in: notebooks/06_beyond.ipynb
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .errors import APIError, invalid_request, not_found
from .items import list_page
from .protocol.pages import parse_list_query

__all__ = [
    "MAX_STORED_RESPONSES",
    "ResponseStore",
    "StoredResponse",
    "routes",
]

MAX_STORED_RESPONSES = 1_000  # a class of 30 learners sends far fewer in a lesson; the oldest are forgotten first


@dataclass(frozen=True)
class StoredResponse:
    """A Response object as it was returned, and the items it was generated from."""

    response: dict[str, Any]
    input_items: list[dict[str, Any]]

    @property
    def context(self) -> list[dict[str, Any]]:
        """What a response continuing this one starts from: these input items, then this output."""
        return [*self.input_items, *self.response["output"]]


class ResponseStore:
    """The stored responses of one server, the most recent ``limit`` of them, by id."""

    def __init__(self, limit: int = MAX_STORED_RESPONSES) -> None:
        self.limit = limit
        self._responses: OrderedDict[str, StoredResponse] = OrderedDict()

    def __contains__(self, response_id: object) -> bool:
        return response_id in self._responses

    def __len__(self) -> int:
        return len(self._responses)

    def add(self, response: dict[str, Any], input_items: list[dict[str, Any]]) -> None:
        """Keep ``response`` (generated from ``input_items``); past the limit, forget the oldest."""
        self._responses[response["id"]] = StoredResponse(response, list(input_items))
        while len(self._responses) > self.limit:
            self._responses.popitem(last=False)

    def get(self, response_id: str) -> StoredResponse:
        """The stored response with this id, or the 404 OpenAI answers for an unknown one."""
        if response_id not in self._responses:
            # NOT CONFIRMED: OpenAI's wording for an unknown id here; this follows its words for
            # previous_response_id and for items ("Item with id '...' not found.").
            raise not_found(f"Response with id '{response_id}' not found.")
        return self._responses[response_id]

    def previous(self, response_id: str) -> StoredResponse:
        """The response a request continues (``previous_response_id``), or OpenAI's 400 for an unknown one.

        The error as OpenAI sends it: its note on Responses websocket mode (2026-02-06) quotes the body,
        and a bug report (maximhq/bifrost#2441) shows the status, 400.
        """
        if response_id not in self._responses:
            raise APIError(
                400,
                f"Previous response with id '{response_id}' not found.",
                param="previous_response_id",
                code="previous_response_not_found",
            )
        return self._responses[response_id]

    def delete(self, response_id: str) -> None:
        """Forget a stored response (the 404 if there is none)."""
        self.get(response_id)
        del self._responses[response_id]


def _store(request: Request) -> ResponseStore:
    return request.app.state.responses


async def retrieve_response(request: Request) -> JSONResponse:
    """``GET /v1/responses/{id}``: the stored Response (``include`` has nothing to add locally)."""
    if request.query_params.get("stream", "false").lower() == "true":
        raise invalid_request(
            "Unsupported value: 'stream'. The local server does not replay a stored response as a stream "
            "(OpenAI streams only background responses); retrieve it without 'stream'.",
            param="stream",
            code="unsupported_value",
        )
    return JSONResponse(_store(request).get(request.path_params["response_id"]).response)


async def delete_response(request: Request) -> JSONResponse:
    """``DELETE /v1/responses/{id}``: forget it; the deletion object OpenAI returns (the SDK returns None)."""
    response_id = request.path_params["response_id"]
    _store(request).delete(response_id)
    return JSONResponse({"id": response_id, "object": "response", "deleted": True})


async def list_input_items(request: Request) -> JSONResponse:
    """``GET /v1/responses/{id}/input_items``: the items the response was generated from, a page at a time."""
    query = parse_list_query(request.query_params)
    stored = _store(request).get(request.path_params["response_id"])
    return JSONResponse(list_page(stored.input_items, query))


routes = [
    Route("/v1/responses/{response_id}", retrieve_response, methods=["GET"]),
    Route("/v1/responses/{response_id}", delete_response, methods=["DELETE"]),
    Route("/v1/responses/{response_id}/input_items", list_input_items, methods=["GET"]),
]
