"""The local OpenAI-compatible HTTP server (Starlette app, served by uvicorn).

A real server that speaks the OpenAI API, so learners' code (``OpenAI()``,
LangChain's ``ChatOpenAI``, curl) talks to it exactly as to OpenAI:

- :func:`create_app` builds the ASGI app (routes listed in ``app.py``);
- :func:`start_in_thread` runs it inside a notebook kernel (``setup()`` uses it);
- :func:`serve` runs it for a class (``python -m course_helpers serve``);
- :class:`Upstream` is an engine it forwards chat to (``serve --upstream URL``).

Endpoints raise :class:`APIError` (see ``errors.py``) to answer in the API's
error shape.
"""

from .app import create_app
from .errors import APIError, error_response
from .serving import KeylessPublicServerError, ServerHandle, serve, start_in_thread
from .upstream import Upstream

__all__ = [
    "APIError",
    "KeylessPublicServerError",
    "ServerHandle",
    "Upstream",
    "create_app",
    "error_response",
    "serve",
    "start_in_thread",
]
