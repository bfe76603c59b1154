"""Hints after a failing API call: what went wrong with the set-up, and how to fix ``.env``.

When a request fails because of the set-up (a key OpenAI rejects, no
network, a model the backend does not have, an account without credit), the
traceback alone does not tell a beginner what to do. :func:`install` (called by
``setup()``) arranges for a short hint to follow the traceback:

- in Jupyter/IPython, with a custom exception handler for the openai errors;
- in a plain Python script, by chaining ``sys.excepthook``.

:func:`explain` is the pure part: an exception in, a hint (or None) out.

Used in: notebooks/00_setup.ipynb
"""

from __future__ import annotations

import sys

__all__ = ["explain", "install"]


def _handled() -> tuple[type[BaseException], ...]:
    """The openai exceptions that usually mean "fix your set-up" (imported late: openai is slow to import)."""
    import openai

    return (
        openai.AuthenticationError,
        openai.PermissionDeniedError,
        openai.NotFoundError,
        openai.RateLimitError,
        openai.APIConnectionError,
    )


# The last BackendInfo setup() returned: hints talk about the backend really in use.
_info = None


def _error_code(error: Exception) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return str(inner.get("code") or inner.get("type") or "")
    return str(getattr(error, "code", "") or "")


def explain(error: BaseException, info=None) -> str | None:
    """A hint for a failed API call, or None when the error is not about the set-up.

    ``info`` is the :class:`~course_helpers.course.backends.BackendInfo` in use
    (default: the one from the last ``setup()``).

    >>> import httpx, openai
    >>> from course_helpers.course.backends import BackendInfo
    >>> info = BackendInfo("openai", "gpt-6-luna", "https://api.openai.com/v1", "…WXYZ", None)
    >>> request = httpx.Request("POST", "https://api.openai.com/v1/chat/completions")
    >>> print(explain(openai.APIConnectionError(request=request), info)[:51])
    💡 Could not reach the API server. No internet, or a
    """
    import openai

    info = info if info is not None else _info
    backend = getattr(info, "backend", "openai")
    where = getattr(info, "base_url", "the server")
    env_file = getattr(info, "env_file", None)
    env_name = str(env_file) if env_file else "a .env file at the course's root (copy .env.example)"
    if isinstance(error, openai.AuthenticationError):
        if backend == "openai":
            return (
                f"💡 OpenAI rejected the key (the one ending in {getattr(info, 'key', '…')}). "
                f"Fix the line OPENAI_API_KEY=sk-... in {env_name}: no quotes, no spaces around '=', "
                "a key from https://platform.openai.com/api-keys. Then re-run course_helpers.setup() "
                "and create the client again. No key? Set COURSE_BACKEND=local to use the built-in model."
            )
        if backend == "local":
            return (
                "💡 The built-in server did not accept the key: a client created before the last "
                "setup() keeps the old one. Create the client again after setup()."
            )
        return (
            f"💡 The server at {where} rejected the key. Set OPENAI_API_KEY in {env_name} to the key "
            "it expects (your instructor has it), then re-run setup() and create the client again."
        )
    if isinstance(error, openai.PermissionDeniedError):
        return (
            "💡 The key is valid but not allowed to do this (a project or organization restriction, "
            "or an unsupported country). Check the key's permissions in the OpenAI dashboard."
        )
    if isinstance(error, openai.NotFoundError) and "model" in (_error_code(error) + str(error)).lower():
        return (
            "💡 This backend has no model by that name. Pass the model setup() printed "
            "(info.model), or set COURSE_MODEL in .env to a model your backend has."
        )
    if isinstance(error, openai.RateLimitError):
        if _error_code(error) == "insufficient_quota":
            return (
                "💡 Your OpenAI account has no credit left for this key. Add credit under Billing "
                "in the OpenAI dashboard, or set COURSE_BACKEND=local in .env to use the built-in model."
            )
        return "💡 Too many requests for now: wait a few seconds and run the cell again."
    if isinstance(error, openai.APIConnectionError):
        if backend == "local":
            return (
                "💡 Could not reach the API server: the built-in server is not answering. "
                "Re-run course_helpers.setup() (it starts it again) and create the client again."
            )
        if backend == "server":
            return (
                f"💡 Could not reach the API server at {where}. Is it running (e.g. `ollama serve`)? "
                f"Check OPENAI_BASE_URL in {env_name}, or remove it to use the built-in model."
            )
        return (
            "💡 Could not reach the API server. No internet, or a firewall? "
            f"Set COURSE_BACKEND=local in {env_name} to use the built-in model, which needs no network."
        )
    return None


def _ipython_handler(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler: show the usual traceback, then the hint.

    IPython leaves the display to the handler (it ignores what it returns when
    user code raises), so this shows the traceback itself, the way
    ``showtraceback`` does: in Jupyter it is the cell's error output.
    """
    stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    hint = explain(value)
    if hint:
        stb = [*stb, hint]
    shell._showtraceback(etype, value, stb)
    return stb


def _excepthook(previous):
    def hook(etype, value, tb):
        previous(etype, value, tb)
        hint = explain(value) if isinstance(value, _handled()) else None
        if hint:
            print(hint, file=sys.stderr)

    hook.course_helpers_hint = True
    return hook


def install(info=None) -> str:
    """Make failing API calls end with a hint; return where it was installed.

    Returns ``"ipython"`` inside IPython/Jupyter, ``"excepthook"`` in a plain
    script. Installing twice is harmless.
    """
    global _info
    _info = info
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        shell.set_custom_exc(_handled(), _ipython_handler)
        return "ipython"
    if not getattr(sys.excepthook, "course_helpers_hint", False):
        sys.excepthook = _excepthook(sys.excepthook)
    return "excepthook"
