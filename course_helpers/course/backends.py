"""``setup()``: the one line at the top of every lesson, and the backend it picks.

``setup()`` loads ``.env``, picks a backend and leaves ``os.environ`` so that a
plain ``OpenAI()`` (or LangChain's ``ChatOpenAI``, or curl) talks to it:

- ``openai``: the OpenAI API, with the key from ``OPENAI_API_KEY``;
- ``local``: the built-in local server, started in a background thread on
  127.0.0.1 with a free port and a random key (``OPENAI_BASE_URL`` and
  ``OPENAI_API_KEY`` are set to reach it);
- ``server``: any OpenAI-compatible server at ``OPENAI_BASE_URL`` (Ollama,
  vLLM, a classroom's ``python -m course_helpers serve``), used as it is.

It prints exactly one line and returns a :class:`BackendInfo`. Calling it again
starts nothing new. The key is never printed: at most its last 4 characters.

Used in: notebooks/00_setup.ipynb (and the first cell of every lesson)
"""

from __future__ import annotations

import json
import os
import secrets
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from openai import NotGiven

from ..checks import hints
from .models import Choices, ModelChoice, describe_choices, server_choices
from .settings import Settings, load_env_file, mask_key, read_settings

__all__ = ["BackendInfo", "SetupError", "setup", "describe_backend"]

# Server implementations ignore the key but the OpenAI SDK refuses to start without one.
PLACEHOLDER_KEY = "no-key-needed"


class SetupError(RuntimeError):
    """``setup()`` cannot give a working backend; the message says how to fix it."""


@dataclass(frozen=True)
class BackendInfo:
    """What ``setup()`` chose: the backend, the model to pass as ``model=``, where it answers.

    A lesson sends ``model=info.model, reasoning_effort=info.effort``; where sampling
    parameters (temperature, logprobs) matter, ``info.sampling.model`` and
    ``info.sampling.effort``; for the lesson on reasoning, ``info.reasoning``.
    An effort the backend should not get is the SDK's ``NOT_GIVEN``, which it leaves out.

    >>> info = BackendInfo("openai", "gpt-6-luna", "https://api.openai.com/v1", "…WXYZ", None)
    >>> print(info)
    Backend: OpenAI API · model gpt-6-luna · https://api.openai.com/v1 · key …WXYZ
    >>> info.effort
    NOT_GIVEN
    """

    backend: str  # "openai", "local" or "server"
    model: str  # what lessons pass as model=
    base_url: str  # where requests go
    key: str  # the key, masked (at most its last 4 characters)
    env_file: Path | None  # the .env that was loaded, if any
    answered_by: str = ""  # for the local backend: the model that really answers
    models: Choices | None = None  # the model per purpose (course_helpers.course.models)

    def _choice(self, purpose: str) -> ModelChoice:
        if self.models is None:
            return ModelChoice(self.model)
        return getattr(self.models, purpose)

    @property
    def effort(self) -> str | NotGiven:
        """The ``reasoning_effort`` to send with ``info.model`` (``NOT_GIVEN``: none)."""
        return self._choice("chat").effort

    @property
    def sampling(self) -> ModelChoice:
        """The model and effort that accept temperature, top_p, logprobs and top_logprobs."""
        return self._choice("sampling")

    @property
    def reasoning(self) -> ModelChoice:
        """The model and effort for the lesson on reasoning."""
        return self._choice("reasoning")

    def __str__(self) -> str:
        if self.backend == "local":
            return (
                f"Backend: built-in local model {self.answered_by}, answering requests for "
                f"{describe_choices(self.models) if self.models else 'model ' + self.model} "
                f"· {self.base_url}"
            )
        where = "OpenAI API" if self.backend == "openai" else "OpenAI-compatible server"
        model = describe_choices(self.models) if self.models else f"model {self.model}"
        return f"Backend: {where} · {model} · {self.base_url} · key {self.key}"


# The running local server (one per process) and the environment values setup() wrote.
_local_server = None
_written: dict[str, tuple[str, str | None]] = {}  # name -> (value written, value before)


def _forget_own_values() -> None:
    """Take back the variables setup() set earlier (unless someone changed them since)."""
    for name, (value, before) in list(_written.items()):
        if os.environ.get(name) == value:
            if before is None:
                del os.environ[name]
            else:
                os.environ[name] = before
        del _written[name]


def _write(name: str, value: str) -> None:
    _written[name] = (value, os.environ.get(name))
    os.environ[name] = value


def _start_local_server():
    """Start (once) the embedded server in a background thread; return its handle."""
    global _local_server
    if _local_server is None:
        try:
            from ..local import server

            start_in_thread = server.start_in_thread
        except (ImportError, AttributeError) as error:
            raise SetupError(
                "The built-in local backend is not available in this version of the course "
                f"({error}). Use an OpenAI key (OPENAI_API_KEY in .env) or an OpenAI-compatible "
                "server (OPENAI_BASE_URL in .env) for now."
            ) from error
        _local_server = start_in_thread(host="127.0.0.1", port=0, api_key=secrets.token_urlsafe(24))
    return _local_server


def _stop_local_server() -> None:
    global _local_server
    if _local_server is not None:
        _local_server.stop()
        _local_server = None


def _local_title() -> str:
    from ..local.store import CHAT_MODEL, MODELS

    return MODELS[CHAT_MODEL].title


def _first_server_model(base_url: str, api_key: str) -> str | None:
    """The first model a compatible server lists at ``/models`` (None if it does not answer)."""
    request = urllib.request.Request(f"{base_url}/models", headers={"Authorization": f"Bearer {api_key}"})
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            models = json.load(response).get("data", [])
    except (OSError, ValueError):
        return None
    return models[0].get("id") if models else None


def describe_backend(settings: Settings) -> BackendInfo:
    """What ``setup()`` would choose for ``settings``, without starting or changing anything.

    >>> from course_helpers.course.settings import Settings
    >>> describe_backend(Settings("openai", "sk-test-0123456789", "", "", None)).model
    'gpt-6-luna'
    """
    backend = settings.wants_backend()
    key = mask_key(settings.api_key)
    if backend == "openai":
        return BackendInfo(
            "openai",
            settings.models.chat.model,
            settings.base_url or "https://api.openai.com/v1",
            key,
            settings.env_file,
            models=settings.models,
        )
    if backend == "server":
        models = server_choices(settings.model) if settings.model else None
        return BackendInfo("server", settings.model, settings.base_url, key, settings.env_file, models=models)
    return BackendInfo(
        "local",
        settings.models.chat.model,
        "(starts on 127.0.0.1)",
        "(random, set by setup)",
        settings.env_file,
        answered_by=_local_title(),
        models=settings.models,
    )


def setup(*, quiet: bool = False) -> BackendInfo:
    """Load ``.env``, pick and prepare the backend, print one line, return a :class:`BackendInfo`.

    After it, ``from openai import OpenAI; client = OpenAI()`` reaches the chosen
    backend, and ``info.model`` is the name to pass as ``model=``. Raises
    :class:`SetupError` with a fix when the settings cannot work.

    Example (with a key in ``.env``; the local backend prints its own address)::

        >>> info = course_helpers.setup()                       # doctest: +SKIP
        Backend: OpenAI API · chat model gpt-6-luna, reasoning_effort none (reasoning demos: reasoning_effort medium) · https://api.openai.com/v1 · key …WXYZ
    """
    _forget_own_values()
    env_file = load_env_file()
    try:
        settings = read_settings(env_file=env_file)
    except ValueError as error:
        raise SetupError(str(error)) from None
    info = describe_backend(settings)
    if info.backend == "openai":
        _stop_local_server()
        if not settings.api_key:
            raise SetupError(
                "COURSE_BACKEND=openai but OPENAI_API_KEY is not set. Put the line "
                "OPENAI_API_KEY=sk-... in the .env file at the course's root "
                f"({'found: ' + str(env_file) if env_file else 'no .env found from ' + os.getcwd() + ' upward'}), "
                "or set COURSE_BACKEND=local to use the built-in model."
            )
    elif info.backend == "server":
        _stop_local_server()
        if not settings.api_key:
            _write("OPENAI_API_KEY", PLACEHOLDER_KEY)
        if not info.model:
            model = _first_server_model(settings.base_url, settings.api_key or PLACEHOLDER_KEY)
            model = model or settings.models.chat.model
            info = BackendInfo("server", model, info.base_url, info.key, env_file, models=server_choices(model))
    else:
        handle = _start_local_server()
        _write("OPENAI_BASE_URL", handle.base_url)
        _write("OPENAI_API_KEY", handle.api_key)
        info = BackendInfo(
            "local",
            info.model,
            handle.base_url,
            mask_key(handle.api_key),
            env_file,
            answered_by=info.answered_by,
            models=info.models,
        )
    hints.install(info)
    if not quiet:
        print(info)
    return info
