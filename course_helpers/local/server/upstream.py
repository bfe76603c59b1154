"""The engine behind ``serve --upstream URL``: an OpenAI-compatible server the course's server forwards to.

A room that outgrows one CPU runs a real serving engine (vLLM, Ollama,
llama.cpp's server) and puts the course's server in front of it: chat goes
to the engine, moderation and audio stay with the local models, learners
keep one address and one key. :class:`Upstream` is that engine as the
server sees it:

- one pooled ``httpx.AsyncClient`` for every forwarded request (keep-alive
  connections, bounded), with timeouts, so a dead engine costs a request a
  bounded wait, never a hang;
- the engine's key, read from an environment variable, goes only into the
  ``Authorization`` header of forwarded requests: never into a response,
  an error message, a log line or ``repr``. Learners' own keys stay with
  the course's server (they are checked there and never forwarded);
- ``model``: with ``--upstream-model NAME`` every chat, Responses and
  tokenizer request is sent for NAME, whatever model the learner named,
  as the built-in backend answers any model name with its own model;
- failures to reach the engine become OpenAI-shaped 502/503/504 errors
  with ``x-should-retry: true`` (the SDK retries those by itself), and an
  error the engine answers keeps its status and its OpenAI error body.

Tests pass an ``httpx`` transport (``transport=httpx.MockTransport(...)``),
the seam httpx gives every client.

>>> upstream = Upstream("http://gpu-box:8000/v1/", api_key="sk-secret-upstream-key")
>>> upstream.base_url, upstream.root_url
('http://gpu-box:8000/v1', 'http://gpu-box:8000')
>>> "sk-secret" in repr(upstream)
False

Used in: course_helpers/local/server/upstream_routes.py, ``python -m course_helpers serve --upstream``
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import httpx
from starlette.responses import Response

from .errors import APIError

__all__ = [
    "DEFAULT_TIMEOUT",
    "Upstream",
    "UpstreamKeyMissing",
    "passed_headers",
    "unavailable",
    "whole_response",
]

#: Seconds to wait for the engine's next bytes (a non-streamed reply comes whole, at its end).
DEFAULT_TIMEOUT = 120.0
_CONNECT_TIMEOUT = 5.0
_POOL_TIMEOUT = 10.0  # waiting for a free connection: past it, the engine is saturated (a 503)
_LIMITS = httpx.Limits(max_connections=256, max_keepalive_connections=64)
# Headers of the engine's answer worth passing on; the rest (server, date, lengths, encodings) are hop-specific.
_PASSED_HEADERS = ("content-type", "retry-after", "x-should-retry")
_PASSED_PREFIXES = ("x-ratelimit-",)

_log = logging.getLogger(__name__)


class UpstreamKeyMissing(ValueError):
    """``--upstream-key-env VAR`` names a variable that is not set."""


def _without_credentials(url: str) -> str:
    """``url`` without a ``user:password@`` part, for messages and logs."""
    parsed = httpx.URL(url)
    return str(parsed.copy_with(userinfo=b"")) if parsed.userinfo else url


class Upstream:
    """An OpenAI-compatible engine at ``base_url`` (ending in ``/v1``) and how to reach it.

    ``api_key``: the engine's key (None: send none). ``model``: the engine's model that answers every
    chat request (None: the model the learner named). ``timeout``: seconds to wait for the engine's next
    bytes. ``transport``: an httpx transport (tests); None for the network.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        model: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.root_url = self.base_url.removesuffix("/v1")  # vLLM's /tokenize and /detokenize live at the root
        self.model = model
        self._api_key = api_key
        self.has_responses: bool | None = None  # unknown until the first /v1/responses request (see upstream_routes)
        timeouts = httpx.Timeout(timeout, connect=_CONNECT_TIMEOUT, pool=_POOL_TIMEOUT)
        self._client = httpx.AsyncClient(timeout=timeouts, limits=_LIMITS, transport=transport)

    @classmethod
    def from_env(cls, base_url: str, key_env: str | None = None, **options: Any) -> Upstream:
        """An Upstream whose key is in the environment variable ``key_env`` (None: no key).

        Raises UpstreamKeyMissing when the variable is not set (the message names it, never a value).
        """
        key = None
        if key_env:
            key = os.environ.get(key_env, "").strip()
            if not key:
                raise UpstreamKeyMissing(
                    f"--upstream-key-env {key_env}: the environment variable {key_env} is not set. "
                    f"Set it to the engine's key (export {key_env}=...), or leave the option out "
                    "if the engine needs no key."
                )
        return cls(base_url, api_key=key, **options)

    def __repr__(self) -> str:
        key_note = "with a key" if self._api_key else "no key"
        model_note = f", model {self.model!r}" if self.model else ""
        return f"Upstream({_without_credentials(self.base_url)!r}, {key_note}{model_note})"

    @property
    def display_url(self) -> str:
        """The engine's address without credentials, for the instructor's console."""
        return _without_credentials(self.base_url)

    def _headers(self, accept: str | None) -> dict[str, str]:
        # Only what the engine needs: the learner's Authorization and other headers stay here.
        headers = {"accept-encoding": "identity"}  # passed on as they come, chunk by chunk: no gzip to undo
        if accept:
            headers["accept"] = accept
        if self._api_key:
            headers["authorization"] = f"Bearer {self._api_key}"
        return headers

    def headers_for_check(self) -> dict[str, str]:
        """The headers of a request to the engine, for the start-up check made outside the event loop."""
        return self._headers("application/json")

    def mapped(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` with its ``model`` replaced by the engine's model, when one was set.

        >>> Upstream("http://e/v1", model="qwen2.5").mapped({"model": "gpt-6-luna", "input": "Hi"})
        {'model': 'qwen2.5', 'input': 'Hi'}
        >>> Upstream("http://e/v1").mapped({"model": "gpt-6-luna"})
        {'model': 'gpt-6-luna'}
        """
        return {**body, "model": self.model} if self.model else body

    async def open(
        self, method: str, url: str, body: dict[str, Any] | None = None, accept: str | None = None
    ) -> httpx.Response:
        """Send a request to the engine and return its response with the body still unread (close it!).

        Raises :class:`APIError` (502/503/504, ``x-should-retry: true``) when the engine cannot be reached.
        """
        content = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = self._headers(accept)
        if content is not None:
            headers["content-type"] = "application/json"
        request = self._client.build_request(method, url, content=content, headers=headers)
        try:
            return await self._client.send(request, stream=True)
        except httpx.HTTPError as error:
            raise unavailable(error, self.display_url) from None

    def error_from(self, response: httpx.Response, raw: bytes) -> APIError:
        """The engine's error answer (``raw``, its body) as an OpenAI-shaped error, its status kept (a refused key: a 502).

        Engines word errors their own way (vLLM's ``{"object": "error", "message": ...}``, FastAPI's
        ``{"detail": ...}``, plain text): each becomes ``{"error": {"message", "type", "param", "code"}}``.
        Its retry hints (``retry-after``, ``x-should-retry``, rate limits) come along.
        """
        status = response.status_code
        hints = {name: value for name, value in passed_headers(response).items() if name != "content-type"}
        raw = self._redacted(raw)
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace").strip()
        error = body.get("error") if isinstance(body, dict) else None
        fields = error if isinstance(error, dict) else body if isinstance(body, dict) else {}
        message = fields.get("message") or fields.get("detail") or error or body or f"HTTP {status}"
        code = fields.get("code")
        if status in (401, 403):
            # The learner's key was accepted here: the engine refused the course server's own key.
            _log.error("the upstream engine at %s refused the course server's key (%d)", self.display_url, status)
            return APIError(
                502,
                f"The course server's engine refused the server's own key (HTTP {status}). This is for the "
                "instructor to fix (--upstream-key-env); your key is fine.",
                type="server_error",
                code="upstream_unauthorized",
                headers={"x-should-retry": "false"},
            )
        return APIError(
            status,
            message if isinstance(message, str) else json.dumps(message),
            type=str(fields.get("type") or _type_for(status)),
            param=fields.get("param") if isinstance(fields.get("param"), str) else None,
            code=code if isinstance(code, str) or code is None else str(code),
            headers=hints,
        )

    def _redacted(self, raw: bytes) -> bytes:
        """``raw`` without the engine's key in it (an engine that quotes the key it was sent stays quiet)."""
        if self._api_key and self._api_key.encode() in raw:
            return raw.replace(self._api_key.encode(), b"[upstream key]")
        return raw

    async def aclose(self) -> None:
        """Close the pooled connections (the server's shutdown)."""
        await self._client.aclose()


def _type_for(status: int) -> str:
    return "server_error" if status >= 500 else "invalid_request_error"


def unavailable(error: httpx.HTTPError, where: str) -> APIError:
    """The error a learner gets when the engine cannot answer: 504 timed out, 503 saturated, 502 otherwise.

    The message says what happened in a learner's words; the engine's address and the exception go to the
    instructor's log only.

    >>> unavailable(httpx.ConnectError("refused"), "http://e/v1").status
    502
    >>> unavailable(httpx.ReadTimeout("slow"), "http://e/v1").headers["x-should-retry"]
    'true'
    """
    _log.warning("upstream engine %s: %s: %s", where, type(error).__name__, error)
    if isinstance(error, httpx.PoolTimeout):
        status, what = 503, "is busy: every connection to it is in use"
    elif isinstance(error, httpx.TimeoutException):
        status, what = 504, "did not answer in time"
    elif isinstance(error, httpx.ConnectError):
        status, what = 502, "cannot be reached (it may be down or restarting)"
    else:
        status, what = 502, f"broke the connection ({type(error).__name__})"
    return APIError(
        status,
        f"The course server's chat engine {what}. Try again in a moment; if it keeps failing, tell the instructor.",
        type="server_error",
        code="upstream_unavailable",
        headers={"x-should-retry": "true"},
    )


def passed_headers(response: httpx.Response) -> dict[str, str]:
    """The engine's response headers a learner's client should see (content type, rate limits, retry hints)."""
    return {
        name: value
        for name, value in response.headers.items()
        if name in _PASSED_HEADERS or name.startswith(_PASSED_PREFIXES)
    }


def whole_response(response: httpx.Response, raw: bytes) -> Response:
    """A whole (not streamed) answer of the engine, passed on as it came: its bytes, status and passed headers."""
    return Response(raw, status_code=response.status_code, headers=passed_headers(response))
