"""Errors in the OpenAI API's own shape, so the SDK raises the same exceptions.

Every error the OpenAI API returns is a status code and a JSON body

    {"error": {"message": ..., "type": ..., "param": ..., "code": ...}}

The openai SDK turns the status into an exception class (400 BadRequestError,
401 AuthenticationError, 404 NotFoundError, 429 RateLimitError, ...) and copies
``param`` and ``code`` onto it. Answering in exactly this shape is what lets a
learner's ``except openai.BadRequestError as e: print(e.param)`` work the same
against the local server and against OpenAI.

An endpoint raises :class:`APIError` (or calls :func:`invalid_request`) anywhere
inside its handler; the app turns it into the response.

>>> error = invalid_request("Invalid 'n': too big.", param="n", code="integer_above_max_value")
>>> error.status, error.body()["error"]["param"]
(400, 'n')
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

__all__ = [
    "APIError",
    "error_response",
    "invalid_request",
    "not_found",
]


class APIError(Exception):
    """An OpenAI-shaped error an endpoint raises; the app answers with it.

    ``type`` is the API's error family: ``invalid_request_error`` for anything
    wrong with the request, ``authentication_error`` is *not* used by OpenAI
    (a wrong key is ``invalid_request_error`` with code ``invalid_api_key``),
    ``requests`` for rate limits, ``server_error`` for our own bugs.

    >>> APIError(404, "No such thing", code="model_not_found").body()["error"]["code"]
    'model_not_found'
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict:
        """The JSON body, ``{"error": {"message", "type", "param", "code"}}``."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> JSONResponse:
        """This error as a Starlette response."""
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def error_response(status: int, message: str, **fields: Any) -> JSONResponse:
    """An OpenAI-shaped error response, for code that returns instead of raising.

    ``fields`` are :class:`APIError`'s keywords: ``type``, ``param``, ``code``, ``headers``.

    >>> error_response(401, "Incorrect API key provided.", code="invalid_api_key").status_code
    401
    """
    return APIError(status, message, **fields).response()


def invalid_request(message: str, *, param: str | None = None, code: str | None = None) -> APIError:
    """A 400 ``invalid_request_error`` (the SDK raises ``BadRequestError``), to raise.

    >>> raise invalid_request("Unrecognized request argument supplied: foo")
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: Unrecognized request argument supplied: foo
    """
    return APIError(400, message, param=param, code=code)


def not_found(message: str, *, param: str | None = None, code: str | None = None) -> APIError:
    """A 404 ``invalid_request_error`` (the SDK raises ``NotFoundError``), to raise.

    >>> not_found("The model 'x' does not exist.", code="model_not_found").status
    404
    """
    return APIError(404, message, param=param, code=code)
