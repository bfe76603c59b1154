"""Settings: the ``.env`` file, the environment variables the course reads, and key masking.

The course reads a handful of environment variables (all documented in
``.env.example``). A learner puts them in a ``.env`` file, found from the
current folder upward, so a notebook in ``my_work/`` or ``notebooks/`` finds
the ``.env`` at the repository's root.

A variable set in the real environment (the shell, the Jupyter server) wins
over ``.env``, as with python-dotenv's default. But a value that came from
``.env`` is replaced when ``.env`` changes and is loaded again, so a learner who
fixes a key in ``.env`` and re-runs ``setup()`` gets the fixed key without
restarting the kernel.

>>> mask_key("sk-proj-abcdefghijklmnop1234")
'…1234'
>>> mask_key("")
'(none)'

Used in: notebooks/00_setup.ipynb
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from .models import DEFAULTS, Choices, read_choices

__all__ = [
    "BACKENDS",
    "DEFAULT_OPENAI_MODEL",
    "Settings",
    "find_env_file",
    "load_env_file",
    "mask_key",
    "read_settings",
]

#: The values ``COURSE_BACKEND`` accepts.
BACKENDS = ("auto", "openai", "local")

#: The chat model lessons use with the OpenAI API unless ``COURSE_MODEL`` says otherwise
#: (kept for code that imports it; the course's model choices live in :mod:`course_helpers.course.models`).
DEFAULT_OPENAI_MODEL = DEFAULTS.chat.model

# Values this module copied from a .env file into os.environ, so a later load can
# replace them (and only them) when the file changed.
_loaded_from_env_file: dict[str, str] = {}


def mask_key(key: str | None) -> str:
    """Show at most the last 4 characters of a secret, never more.

    Short secrets (under 12 characters) show nothing at all: 4 characters of an
    8-character token would be half of it.

    >>> mask_key("sk-abc")
    '…'
    >>> mask_key("sk-proj-0123456789abcdefwxyz")
    '…wxyz'
    """
    if not key:
        return "(none)"
    return "…" + key[-4:] if len(key) >= 12 else "…"


def find_env_file(start: str | os.PathLike | None = None) -> Path | None:
    """The ``.env`` file in ``start`` (default: the current folder) or the nearest folder above it.

    >>> find_env_file("/") is None or find_env_file("/").name == ".env"
    True
    """
    folder = Path(start or os.getcwd()).resolve()
    for candidate in [folder, *folder.parents]:
        path = candidate / ".env"
        if path.is_file():
            return path
    return None


def load_env_file(start: str | os.PathLike | None = None) -> Path | None:
    """Load the ``.env`` found from ``start`` upward into ``os.environ``; return its path.

    Real environment variables win; values an earlier call loaded from a
    ``.env`` are refreshed (or removed when the file no longer sets them).
    Nothing is printed: the file holds secrets.
    """
    path = find_env_file(start)
    values = {k: v for k, v in (dotenv_values(path) if path else {}).items() if v is not None}
    for name, old in list(_loaded_from_env_file.items()):
        if os.environ.get(name) == old and name not in values:
            del os.environ[name]  # the learner removed the line from .env
        if os.environ.get(name) != old or name not in values:
            del _loaded_from_env_file[name]
    for name, value in values.items():
        ours = name in _loaded_from_env_file
        if name not in os.environ or ours:
            os.environ[name] = value
            _loaded_from_env_file[name] = value
    return path


@dataclass(frozen=True)
class Settings:
    """The course's settings as read from the environment (after ``.env`` is loaded).

    >>> s = Settings(backend="auto", api_key="", base_url="", model="", env_file=None)
    >>> s.wants_backend()
    'local'
    """

    backend: str  # COURSE_BACKEND: auto, openai or local
    api_key: str  # OPENAI_API_KEY ("" when unset)
    base_url: str  # OPENAI_BASE_URL ("" when unset)
    model: str  # COURSE_MODEL ("" when unset)
    env_file: Path | None  # the .env that was loaded, if any
    models: Choices = DEFAULTS  # the model per purpose (COURSE_MODEL, COURSE_SAMPLING_MODEL, ...)

    def __repr__(self) -> str:  # never show the key, even in a traceback or a debugger
        return (
            f"Settings(backend={self.backend!r}, api_key={mask_key(self.api_key)!r}, "
            f"base_url={self.base_url!r}, model={self.model!r}, env_file={self.env_file!r})"
        )

    def wants_backend(self) -> str:
        """Which backend these settings ask for: ``openai``, ``local`` or ``server``.

        ``server`` is any OpenAI-compatible server at ``OPENAI_BASE_URL`` (Ollama,
        vLLM, a classroom's ``serve``), used as it is. ``COURSE_BACKEND=local``
        wins over everything; an explicit base URL wins over a key; in ``auto``
        mode a key means OpenAI and no key means the built-in local backend.

        >>> Settings("auto", "sk-x", "", "", None).wants_backend()
        'openai'
        >>> Settings("auto", "", "http://localhost:11434/v1", "", None).wants_backend()
        'server'
        """
        if self.backend == "local":
            return "local"
        if self.base_url and "api.openai.com" not in self.base_url:
            return "server"
        if self.backend == "openai" or self.api_key:
            return "openai"
        return "local"


def read_settings(env: Mapping[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Read the course's settings from ``env`` (default ``os.environ``).

    Raises ValueError with the accepted values when ``COURSE_BACKEND`` or a reasoning effort is misspelled.

    >>> read_settings({"COURSE_BACKEND": "LOCAL"}).backend
    'local'
    """
    env = os.environ if env is None else env  # a Mapping: os.environ is not a dict
    backend = env.get("COURSE_BACKEND", "").strip().lower() or "auto"
    if backend not in BACKENDS:
        raise ValueError(
            f"COURSE_BACKEND={env.get('COURSE_BACKEND')!r} is not one of {', '.join(BACKENDS)}. "
            "Fix it in your .env file (see .env.example)."
        )
    return Settings(
        backend=backend,
        api_key=env.get("OPENAI_API_KEY", "").strip(),
        base_url=env.get("OPENAI_BASE_URL", "").strip().rstrip("/"),
        model=env.get("COURSE_MODEL", "").strip(),
        env_file=env_file,
        models=read_choices(env),
    )
