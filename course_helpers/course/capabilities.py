"""What the configured backend can do: probed once per backend and process, asked by lessons with ``needs()``.

Engines such as vLLM, Ollama and llama.cpp's server answer chat, but several
lack ``/v1/moderations``, the ``moderation=`` request parameter, audio (the
Speech API, the Realtime WebSocket, transcription), ``n > 1``, ``seed``,
logprobs, the ``developer`` role or the Responses API, and a Responses API may
keep nothing (Ollama's; vLLM's unless its store is switched on). :func:`probe`
sends one tiny request per feature (in parallel, ``max_completion_tokens=1``, a
timeout each; for ``realtime``: connect, ``session.update``, close; stored
responses take two: one, then one continuing it) and reports each of
:data:`FEATURES` as yes / no / not checked; a "no" carries the server's HTTP
status and error message (for ``realtime``, the status of the refused
WebSocket upgrade), or what was missing from a 200 answer (an engine that
ignores ``n``, ``logprobs``, ``moderation=`` or ``previous_response_id``
instead of refusing it).

Which backends are probed:

- ``server`` (any ``OPENAI_BASE_URL``): probed, because that is where features go missing;
- ``local`` (the built-in server) and ``openai``: not probed, every feature "not checked".
  The built-in server implements them all (its tests say so), and probing the OpenAI API
  would spend the learner's money on a dozen requests (speech is billed per character)
  for what the API reference documents anyway. "Not checked" never blocks a lesson.

Each feature is probed at most once per backend (base URL + model) and process, and only when
asked: ``setup()`` probes the endpoints bare engines lack (:data:`SETUP_FEATURES`, a 404 at once
there), a lesson's ``needs("seed")`` the parameter it names, ``doctor`` everything. There is no on-disk cache: a room server can be restarted with
another engine behind it between two lessons, and a stale "no" would hide a
feature the learner has; the probe costs a few seconds once per kernel.

A lesson cell asks before it uses a feature, a one-line change::

    from course_helpers import needs
    if needs("moderations"):
        result = client.moderations.create(model="omni-moderation-latest", input=text)

``needs()`` returns True, or prints one note (what is missing and where to get
it) and returns False. A check cell does the same with
:func:`course_helpers.checks.requires` (it prints "skipped on this backend").
The key is never printed or logged: error messages are the server's, and the
probe never puts the key in one.

Used in: ``python -m course_helpers doctor``, ``course_helpers.setup()``, lesson cells
"""

from __future__ import annotations

import io
import json
import os
import struct
import wave
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

__all__ = ["FEATURES", "Capabilities", "Finding", "capabilities", "needs", "probe"]

FEATURES = (
    "chat",
    "streaming",
    "n",
    "seed",
    "logprobs",
    "developer",
    "json_mode",
    "json_schema",
    "tools",
    "responses",
    "stored_responses",
    "conversations",
    "moderations",
    "request_moderation",
    "speech",
    "realtime",
    "transcription",
    "tokenize",
)
YES, NO, NOT_CHECKED = "yes", "no", "not checked"
TITLES = {
    "chat": "chat completions",
    "streaming": "streaming (stream=True)",
    "n": "n > 1",
    "seed": "seed",
    "logprobs": "logprobs / top_logprobs",
    "developer": "developer role",
    "json_mode": "JSON mode (response_format json_object)",
    "json_schema": "structured outputs (json_schema)",
    "tools": "tools (function calling)",
    "responses": "Responses API (/v1/responses)",
    "stored_responses": "stored responses (previous_response_id)",
    "conversations": "conversations (/v1/conversations)",
    "moderations": "/v1/moderations",
    "request_moderation": "request moderation (the moderation= parameter of chat completions)",
    "speech": "speech (/v1/audio/speech)",
    "realtime": "Realtime API (/v1/realtime)",
    "transcription": "transcription (/v1/audio/transcriptions)",
    "tokenize": "token ids (/tokenize)",
}
_SERVED = (  # what the course's server adds in front of an engine
    "run `python -m course_helpers serve --upstream URL` in front of it "
    "(it serves this itself), or use the built-in backend (COURSE_BACKEND=local in .env)"
)
_PASSED_ON = (  # parameters the course's server passes to the engine: only another backend has them
    "the built-in backend (COURSE_BACKEND=local in .env) and the OpenAI API have it"
)
WHERE = {
    "responses": _SERVED,
    "stored_responses": _SERVED,
    "conversations": _SERVED,
    "moderations": _SERVED,
    "request_moderation": _SERVED,
    "speech": _SERVED,
    "realtime": _SERVED,
    "transcription": _SERVED,
    "n": "one request per reply, each with its own seed, works everywhere (lesson 02; gpt-6-luna refuses n too)",
    "tokenize": "the built-in backend and vLLM's server have it (the OpenAI API has none: lessons use tiktoken there)",
}
PROBE_TIMEOUT = 30.0  # seconds per probe: a room server may be loading a model


@dataclass(frozen=True)
class Finding:
    """One feature: ``status`` is yes, no or not checked; ``reason`` says why (status and message for a no)."""

    feature: str
    status: str
    reason: str = ""

    def __str__(self) -> str:
        mark = {YES: "✅", NO: "❌"}.get(self.status, "·")
        why = f": {self.reason}" if self.reason else ""
        return f"{mark} {TITLES[self.feature]}: {self.status}{why}"


@dataclass(frozen=True)
class Capabilities:
    """What one backend (``base_url`` + ``model``) can do, feature by feature."""

    base_url: str
    model: str
    findings: dict[str, Finding] = field(default_factory=dict)

    def status(self, feature: str) -> str:
        if feature not in FEATURES:
            raise ValueError(f"unknown feature {feature!r}; the features are {', '.join(FEATURES)}")
        found = self.findings.get(feature)
        return found.status if found else NOT_CHECKED

    def lacks(self) -> list[str]:
        """The features probed and found missing, in :data:`FEATURES` order."""
        return [name for name in FEATURES if self.status(name) == NO]

    def tail(self) -> str:
        """The short addition to ``setup()``'s line: ``" · lacks: moderations, speech"`` or ``""``.

        >>> Capabilities("http://x/v1", "m", {"seed": Finding("seed", NO, "HTTP 400")}).tail()
        ' · lacks: seed'
        """
        missing = self.lacks()
        return f" · lacks: {', '.join(missing)}" if missing else ""

    def table(self) -> str:
        """One line per feature, for ``doctor``."""
        return "\n".join(str(self.findings.get(name, Finding(name, NOT_CHECKED))) for name in FEATURES)

    def note(self, feature: str) -> str:
        """The one note a lesson prints when ``feature`` is missing."""
        found = self.findings[feature]
        where = WHERE.get(feature, _PASSED_ON)
        return f"⚠️ Skipped: this backend ({self.base_url}) has no {TITLES[feature]} ({found.reason}); {where}."


def _reason(error: Exception) -> tuple[str, str]:
    """(status, reason) for a failed probe: a refusal is a no, a timeout or dropped connection not checked."""
    import openai
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    if isinstance(error, openai.APIStatusError):
        body = error.body
        message = None
        if isinstance(body, dict):
            message = body.get("message") or body.get("detail") or body.get("error")
        text = " ".join(str(message or error.message).split())
        return NO, f"HTTP {error.status_code}: {text[:200]}"
    if isinstance(error, openai.APITimeoutError):
        return NOT_CHECKED, "no answer within the probe's timeout"
    if isinstance(error, InvalidStatus):  # a WebSocket upgrade refused: the server has no such route
        text = " ".join(error.response.body.decode("utf-8", "replace").split()) if error.response.body else ""
        return NO, f"HTTP {error.response.status_code} on the WebSocket upgrade{': ' + text[:200] if text else ''}"
    if isinstance(error, ConnectionClosed):  # accepted, then closed: a refused key (3000) or model (4000)
        closed = error.rcvd
        return NO, f"the server closed the WebSocket ({closed.code}: {closed.reason})" if closed else str(error)
    if isinstance(error, TimeoutError):
        return NOT_CHECKED, "no answer within the probe's timeout"
    if isinstance(error, OSError):  # the WebSocket could not connect
        return NOT_CHECKED, f"could not connect ({type(error).__name__})"
    if isinstance(error, openai.APIConnectionError):
        return NOT_CHECKED, f"could not connect ({type(error.__cause__).__name__ if error.__cause__ else 'no answer'})"
    return NOT_CHECKED, f"{type(error).__name__}: {error}"


def _says_nothing_of_the_feature(error: Exception) -> bool:
    """A 401/403 (a wrong key, another server on the port) or a 5xx (a server in trouble) is no answer about
    a feature: reported as not checked rather than as the feature missing."""
    import openai

    status = error.status_code if isinstance(error, openai.APIStatusError) else None
    return status is not None and (status in (401, 403) or status >= 500)


def _silence_wav(seconds: float = 0.3, rate: int = 16000) -> bytes:
    """A short silent WAV file, the cheapest thing to transcribe."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack("<h", 0) * int(seconds * rate))
    return buffer.getvalue()


REALTIME_MODEL = "gpt-realtime-2.1-mini"  # lesson 05's voice


def _realtime(client, timeout: float) -> str:
    """Open ``/v1/realtime``, send ``session.update``, wait for ``session.updated``, close; "" when all went well.

    Raises what went wrong (:func:`_reason` turns it into a finding): the upgrade's HTTP status when
    the server has no such route, a timeout when it never answers.
    """
    from websockets.sync.client import connect

    url = str(client.base_url).rstrip("/").replace("http", "ws", 1) + f"/realtime?model={REALTIME_MODEL}"
    headers = {"Authorization": f"Bearer {client.api_key}"}
    update = {"type": "session.update", "session": {"type": "realtime", "output_modalities": ["audio"]}}
    with connect(url, additional_headers=headers, open_timeout=timeout, close_timeout=timeout) as socket:
        sent = False
        while True:  # session.created (or the error a refused key or model gets) first, then session.updated
            event = json.loads(socket.recv(timeout=timeout))
            if event.get("type") == "error":
                return f"error event: {' '.join(str(event.get('error', {}).get('message')).split())[:200]}"
            if event.get("type") == "session.updated":
                return ""
            if not sent:
                socket.send(json.dumps(update))
                sent = True


def _probes(client, chat: dict, moderation_model: str, timeout: float) -> dict[str, Callable[[], str]]:
    """Feature -> a function that sends its tiny request and returns "" (yes) or what was missing."""
    hi = [{"role": "user", "content": "Hi"}]

    def create(**extra):
        return client.chat.completions.create(**{"messages": hi, "max_completion_tokens": 1, **chat, **extra})

    def streaming() -> str:
        chunks = list(create(stream=True))
        return "" if chunks else "the stream ended without a chunk"

    def n() -> str:
        got = len(create(n=2).choices)
        return "" if got == 2 else f"asked for n=2, got {got} choice(s): the server ignores n"

    def logprobs() -> str:
        choice = create(logprobs=True, top_logprobs=2).choices[0]
        return (
            "" if choice.logprobs and choice.logprobs.content else "answered without logprobs: the server ignores them"
        )

    def developer() -> str:
        messages = [{"role": "developer", "content": "Answer briefly."}, *hi]
        client.chat.completions.create(messages=messages, max_completion_tokens=1, **chat)
        return ""

    def json_mode() -> str:
        create(
            messages=[{"role": "user", "content": "Reply with a JSON object."}], response_format={"type": "json_object"}
        )
        return ""

    def json_schema() -> str:
        schema: dict[str, object] = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
        schema["additionalProperties"] = False
        form = {"type": "json_schema", "json_schema": {"name": "probe", "schema": schema, "strict": True}}
        create(response_format=form)
        return ""

    def tools() -> str:
        tool = {
            "type": "function",
            "function": {
                "name": "get_time",
                "description": "The time now.",
                "parameters": {"type": "object", "properties": {}},
            },
        }
        create(tools=[tool])
        return ""

    def respond(**extra):
        kwargs = {"model": chat["model"], "input": "Hi", "max_output_tokens": 16}  # 16: the API's minimum
        if "reasoning_effort" in chat:
            kwargs["reasoning"] = {"effort": chat["reasoning_effort"]}
        return client.responses.create(**kwargs, **extra)

    def stored_responses() -> str:
        # A stateless Responses API refuses the continuation (vLLM without its store: 404, the id not found)
        # or answers as if it had not been asked (Ollama: previous_response_id null, store false).
        first = respond()
        second = respond(previous_response_id=first.id)
        if second.previous_response_id == first.id:
            return ""
        kept = " and keeps no responses (store=false)" if first.store is False else ""
        return f"answered without continuing the earlier response: the server ignores previous_response_id{kept}"

    def conversations() -> str:
        made = client.conversations.create(metadata={"probe": "course_helpers"})
        client.conversations.delete(made.id)
        return ""

    def moderations() -> str:
        client.moderations.create(model=moderation_model, input="Hi")
        return ""

    def request_moderation() -> str:
        # An engine without it refuses the parameter (400) or ignores it (200 and no verdicts): both are a no.
        completion = create(moderation={"model": moderation_model})
        verdicts = getattr(completion, "moderation", None)
        return "" if verdicts is not None else "answered without moderation results: the server ignores moderation="

    def speech() -> str:
        # Only /v1/audio/speech, the deprecated Speech API of lesson 05's last Speech cell; the lesson's
        # voice is the Realtime API, probed by realtime().
        model = "gpt-4o-mini-tts"  # the Speech API's models all shut down 2027-01-06 (aging: allow)
        audio = client.audio.speech.create(model=model, voice="alloy", input="Hi", response_format="wav")
        return "" if audio.content else "answered with no audio"

    def transcription() -> str:
        client.audio.transcriptions.create(model="gpt-transcribe", file=("probe.wav", _silence_wav(), "audio/wav"))
        return ""

    def tokenize() -> str:
        # vLLM's and the course server's /tokenize, at the server's root (not under /v1): token ids of a prompt.
        import httpx

        root = str(client.base_url).removesuffix("/").removesuffix("/v1")
        answer = httpx.post(
            f"{root}/tokenize",
            headers={"Authorization": f"Bearer {client.api_key}"},
            json={"model": chat["model"], "prompt": "Hi"},
            timeout=timeout,
        )
        if answer.status_code != 200:
            try:
                body = answer.json()
            except ValueError:
                body = answer.text
            if isinstance(body, dict):  # {"detail": ...} (FastAPI's 404) or OpenAI's {"error": {"message": ...}}
                error = body.get("error")
                body = body.get("detail") or (error.get("message") if isinstance(error, dict) else error) or body
            return f"HTTP {answer.status_code}: {' '.join(str(body).split())[:200]}"
        tokens = (
            answer.json().get("tokens")
            if answer.headers.get("content-type", "").startswith("application/json")
            else None
        )
        return "" if isinstance(tokens, list) and tokens else "answered without token ids"

    return {
        "chat": lambda: (create(), "")[1],
        "streaming": streaming,
        "n": n,
        "seed": lambda: (create(seed=1), "")[1],
        "logprobs": logprobs,
        "developer": developer,
        "json_mode": json_mode,
        "json_schema": json_schema,
        "tools": tools,
        "responses": lambda: (respond(), "")[1],
        "stored_responses": stored_responses,
        "conversations": conversations,
        "moderations": moderations,
        "request_moderation": request_moderation,
        "speech": speech,
        "realtime": lambda: _realtime(client, timeout),
        "transcription": transcription,
        "tokenize": tokenize,
    }


def probe(
    base_url: str,
    api_key: str,
    model: str,
    *,
    effort: str | None = None,
    moderation_model: str = "omni-moderation-latest",
    features: tuple[str, ...] = FEATURES,
    timeout: float = PROBE_TIMEOUT,
) -> Capabilities:
    """Send one tiny request per feature in ``features`` to ``base_url``; the others are "not checked".

    ``effort`` is sent as ``reasoning_effort`` when given. Chat is probed first: when it fails
    (no server, a wrong key), the rest are "not checked" with that reason instead of a dozen
    copies of the same error.
    """
    from openai import OpenAI

    chat = {"model": model, **({"reasoning_effort": effort} if effort else {})}
    findings: dict[str, Finding] = {}
    with OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=timeout) as client:
        probes = _probes(client, chat, moderation_model, timeout)

        def run(feature: str) -> Finding:
            try:
                missing = probes[feature]()
            except Exception as error:  # the finding itself: a refusal, a timeout, a bad answer
                status, reason = _reason(error)
                if feature != "chat" and _says_nothing_of_the_feature(error):
                    status = NOT_CHECKED  # a wrong key or a server in trouble: chat's finding says so
                return Finding(feature, status, reason)
            return Finding(feature, NO, missing) if missing else Finding(feature, YES)

        if "chat" in features:
            findings["chat"] = run("chat")
            if findings["chat"].status != YES:
                why = f"chat did not answer ({findings['chat'].reason})"
                rest = {name: Finding(name, NOT_CHECKED, why) for name in features if name != "chat"}
                return Capabilities(base_url, model, {**findings, **rest})
        others = [name for name in features if name != "chat"]
        with ThreadPoolExecutor(max_workers=4) as pool:  # a room server serves everyone: not all at once
            findings.update(zip(others, pool.map(run, others)))
    return Capabilities(base_url, model, findings)


_cache: dict[tuple[str, str], Capabilities] = {}
# What setup() probes: the endpoints bare engines lack, a 404 at once there. The parameters cost a
# generation each (30-40 s for all of them on a loaded 2-core room server, measured): a lesson's
# needs() probes the one it asks about, when it asks, and doctor probes them all.
SETUP_FEATURES = ("responses", "moderations", "speech", "realtime", "transcription")


def capabilities(info=None, features: tuple[str, ...] | None = None) -> Capabilities:
    """What the backend ``setup()`` chose (``info``, default: the last ``setup()``) can do.

    Each of ``features`` (default: all of :data:`FEATURES`) is probed at most once per backend and
    process; the result holds every feature probed so far. Only a ``server`` backend is probed
    (see the module's docstring); for the others every feature is "not checked".
    """
    from ..checks import hints

    wanted = FEATURES if features is None else features
    unknown = [name for name in wanted if name not in FEATURES]
    if unknown:
        raise ValueError(f"unknown feature {unknown[0]!r}; the features are {', '.join(FEATURES)}")
    info = info or hints.current_info()
    if info is None:
        from .backends import setup

        info = setup(quiet=True)
    key = (info.base_url, info.model)
    known = _cache.get(key, Capabilities(info.base_url, info.model))
    missing = tuple(name for name in wanted if name not in known.findings)
    if missing and info.backend == "server":
        from .backends import PLACEHOLDER_KEY

        effort = info.models.chat.request_kwargs().get("reasoning_effort") if info.models else None
        moderation = info.models.moderation.model if info.models else "omni-moderation-latest"
        api_key = os.environ.get("OPENAI_API_KEY") or PLACEHOLDER_KEY
        found = probe(info.base_url, api_key, info.model, effort=effort, moderation_model=moderation, features=missing)
        known = Capabilities(info.base_url, info.model, {**known.findings, **found.findings})
    elif missing:
        why = "the built-in server has every feature" if info.backend == "local" else "the OpenAI API, not probed"
        known = Capabilities(
            info.base_url, info.model, {**known.findings, **{n: Finding(n, NOT_CHECKED, why) for n in missing}}
        )
    _cache[key] = known
    return known


def needs(*features: str, info=None) -> bool:
    """True when the backend has every one of ``features`` (or they were not checked); else one note, False.

    The one-line change to a lesson cell that uses a feature some backends lack::

        if needs("moderations"):
            result = client.moderations.create(model="omni-moderation-latest", input=text)

    On a backend without it the cell prints, instead of a traceback::

        ⚠️ Skipped: this backend (http://gpu-box:8000/v1) has no /v1/moderations (HTTP 404: Not Found); run
        `python -m course_helpers serve --upstream URL` in front of it (it serves this itself), or use the
        built-in backend (COURSE_BACKEND=local in .env).
    """
    found = capabilities(info, features)
    for feature in features:
        if found.status(feature) == NO:
            print(found.note(feature))
            return False
    return True
