"""Running the local server: in a notebook's background thread, or for a whole class.

- :func:`start_in_thread` is what ``course_helpers.setup()`` uses: a real
  uvicorn server on a free loopback port, in a daemon thread of the kernel,
  with the model loaded before it returns so the first request is quick.
- :func:`serve` is ``python -m course_helpers serve``: the same server in the
  foreground, shared by many learners' kernels through ``OPENAI_BASE_URL``.

Safety rule for both: without an API key the server listens on loopback
only. Any other address needs a key (``--api-key``, or the learners' keys of
``--learners FILE``), or :class:`KeylessPublicServerError`.

>>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
(True, True, False)

Used in: course_helpers/course/backends.py (``setup()``), ``python -m course_helpers serve``
"""

from __future__ import annotations

import datetime
import ipaddress
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
import uvicorn
from starlette.applications import Starlette

from .app import create_app
from .chat_engine import ChatEngine, EngineSource
from .room import Room

if TYPE_CHECKING:
    import numpy as np

    from .upstream import Upstream

__all__ = [
    "KeylessPublicServerError",
    "ServerHandle",
    "is_loopback",
    "serve",
    "start_in_thread",
]

# Any non-empty string works as the key of a keyless loopback server; the SDK insists on one.
ANY_KEY = "sk-local-any-key-works"


class KeylessPublicServerError(ValueError):
    """Refusing to listen beyond this machine without an API key."""


def is_loopback(host: str) -> bool:
    """True when ``host`` is only reachable from this machine (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it could resolve to anything
        return False


def _check_exposure(host: str, api_key: str | None, room: Room | None = None) -> None:
    if api_key is None and room is None and not is_loopback(host):
        raise KeylessPublicServerError(
            f"Refusing to serve on {host!r} without an API key: anyone who can reach this machine "
            "could use it. Pass --learners FILE (a key per learner) or --api-key KEY "
            "(learners put their key in OPENAI_API_KEY), or serve on 127.0.0.1."
        )


def _warm_engine(app: Starlette) -> str:
    """Load the app's chat engine now (memory-maps the weights) and return its model's name."""
    source: EngineSource = app.state.engine
    return source.get().model_name


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it, a response's headers and body go in two packets
    # and the body waits for the client's delayed ACK, 40 ms on every keep-alive request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _url_host(host: str) -> str:
    return f"[{host.strip('[]')}]" if ":" in host else host


@dataclass
class ServerHandle:
    """A running background server: where it is, its key, and how to stop it."""

    host: str
    port: int
    api_key: str
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def base_url(self) -> str:
        """The ``OPENAI_BASE_URL`` for this server, ending in ``/v1``."""
        return f"http://{_url_host(self.host)}:{self.port}/v1"

    def stop(self, timeout: float = 10.0) -> None:
        """Shut the server down and wait for its thread to end."""
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_in_thread(
    host: str = "127.0.0.1",
    port: int = 0,
    api_key: str | None = None,
    *,
    warm: bool = True,
    timeout: float = 60.0,
    engine: ChatEngine | Callable[[], ChatEngine] | None = None,
    today: Callable[[], datetime.date] = datetime.date.today,
    synthesize: Callable[..., Iterator[np.ndarray]] | None = None,
    upstream: Upstream | None = None,
    without: frozenset[str] = frozenset(),
    room: Room | None = None,
) -> ServerHandle:
    """Start the server in a daemon thread; return once it accepts connections.

    ``port=0`` picks a free port. ``warm=True`` loads the model first, so the
    first request does not pay for it. With ``api_key=None`` any key is
    accepted and ``handle.api_key`` is a placeholder a client can send.
    ``engine``, ``today``, ``synthesize`` and ``upstream`` go to :func:`.create_app` (None: the local
    SmolLM2 engine; the date a model's shutdown is judged on; the Realtime voice, None: Piper;
    an engine to forward chat to, None: none), ``without`` (features answered as missing, for tests) and
    ``room`` (learners' keys, see :mod:`.room`). With an upstream, nothing is warmed here.
    """
    _check_exposure(host, api_key, room)
    app = create_app(
        api_key=api_key,
        engine=engine,
        today=today,
        synthesize=synthesize,
        upstream=upstream,
        without=without,
        room=room,
    )
    if warm and upstream is None:
        _warm_engine(app)
    sock = _bind(host, port)
    # The lifespan closes an upstream's pooled connections at shutdown; without one there is nothing to run.
    config = uvicorn.Config(app, log_level="warning", lifespan="on" if upstream else "off", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="course-helpers-server")
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("The local server thread stopped while starting; see the log above.")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError(f"The local server did not start within {timeout:.0f} s.")
        time.sleep(0.01)
    port = sock.getsockname()[1]
    return ServerHandle(host=host, port=port, api_key=api_key or ANY_KEY, _server=server, _thread=thread)


def _describe_upstream(upstream: Upstream) -> str:
    """A line for the instructor: where chat goes and which models the engine lists (or why it does not answer)."""
    try:
        response = httpx.get(upstream.base_url + "/models", headers=upstream.headers_for_check(), timeout=5)
        models = [model.get("id") for model in response.json().get("data", [])] if response.is_success else None
        seen = ", ".join(map(str, models)) if models else f"HTTP {response.status_code} on /models"
    except (httpx.HTTPError, ValueError) as error:
        seen = f"not answering yet ({type(error).__name__}); requests get a 502 until it does"
    model = f", every chat request sent for {upstream.model}" if upstream.model else ""
    return f"chat, Responses and /tokenize go to {upstream.display_url} ({seen}){model}"


def _room_signals(room: Room) -> None:
    """SIGHUP rereads the learners file; SIGUSR1 prints the usage summary (where the OS has them)."""
    if not hasattr(signal, "SIGHUP"):  # Windows: the file is still reread when it changes
        return
    signal.signal(signal.SIGHUP, lambda *_: room.roster.reload())
    signal.signal(signal.SIGUSR1, lambda *_: print(room.summary(), file=sys.stderr, flush=True))


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    api_key: str | None = None,
    upstream: Upstream | None = None,
    without: frozenset[str] = frozenset(),
    room: Room | None = None,
) -> None:
    """Serve in the foreground until Ctrl+C (``python -m course_helpers serve``).

    ``upstream``: an engine that answers chat and Responses requests (``--upstream URL``); moderation,
    audio and Realtime speech stay with the local models. ``room``: the learners' keys (``--learners``),
    with ``api_key`` then the instructor's; the usage summary is printed at shutdown and on SIGUSR1.
    Raises KeylessPublicServerError for a non-loopback host without ``api_key`` or ``room``.
    ``without``: features answered as a bare engine lacking them (``--without``, for testing the
    capability probe; see :mod:`.without`).
    """
    _check_exposure(host, api_key, room)
    app = create_app(api_key=api_key, upstream=upstream, without=without, room=room)
    key_note = "any API key accepted" if api_key is None else "API key required"
    if room is not None:
        instructor = ", the instructor's --api-key too" if api_key is not None else ""
        key_note = f"{len(room.roster.names)} learners' keys from {room.roster.path}{instructor}"
    address = f"http://{_url_host(host)}:{port}/v1"
    if upstream is None:
        print(f"Serving {_warm_engine(app)} at {address} ({key_note}).", flush=True)
    else:
        print(
            f"Serving at {address} ({key_note}): {_describe_upstream(upstream)}; moderation and audio here.", flush=True
        )
    if without:
        print(f"Answering as an engine without: {', '.join(sorted(without))} (--without).", flush=True)
    print("Learners set OPENAI_BASE_URL to that address. Ctrl+C stops.", flush=True)
    if room is not None:
        _room_signals(room)
    try:
        uvicorn.run(app, host=host.strip("[]"), port=port, log_level="info", timeout_graceful_shutdown=5)
    finally:
        if room is not None:
            print(room.summary(), file=sys.stderr, flush=True)
