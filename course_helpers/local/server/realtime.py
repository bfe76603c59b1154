"""``/v1/realtime``: text to speech through the Realtime API, on a WebSocket, with the local Piper voice.

This is what ``client.realtime.connect(model="gpt-realtime-2.1-mini")`` talks
to (OpenAI's replacement for the deprecated Speech endpoint). A session runs:

1. on connect, ``session.created`` (the defaults: voice ``alloy``, PCM16 at 24 kHz);
2. ``session.update`` (voice, format, speed, instructions) answered by ``session.updated``;
3. ``response.create`` with ``conversation: "none"`` and the text in ``input``:
   ``response.created``, ``response.output_item.added``,
   ``response.content_part.added``, then, sentence by sentence as Piper
   synthesizes it, the sentence's ``response.output_audio_transcript.delta``
   and its audio as ``response.output_audio.delta`` events (base64 PCM16,
   24 kHz mono, at most 0.2 s each), then ``response.output_audio.done``,
   ``response.output_audio_transcript.done``, ``response.content_part.done``,
   ``response.output_item.done`` and ``response.done`` (with its usage: zero).

Errors are ``error`` events and the socket stays open (see
:mod:`.protocol.realtime`); only a bad API key (close code 3000, checked by
the app on the handshake) or a bad model (4000) ends the connection, as on
OpenAI. One failure costs one response: a synthesis that fails ends its
response with status ``failed`` and the session goes on. A client that
cancels (``response.cancel``) or disconnects stops the synthesis after the
sentence being synthesized.

The local voice reads the text as written (OpenAI's voice model may reword
it), ignores ``instructions`` and sends PCM16 only (no G.711).

>>> [route.path for route in routes]
['/v1/realtime']
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
from collections.abc import Callable, Generator, Iterator
from typing import Any

import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketState

from course_helpers.local.audio import speech

from .errors import APIError, invalid_request
from .protocol.realtime import (
    ClientEventError,
    ResponseCancel,
    ResponseCreate,
    SessionClose,
    SessionUpdate,
    check_realtime_model,
    error_event,
    local_limit,
    parse_client_event,
    spoken_text,
)
from .realtime_session import Session, item_object, new_id, response_object

__all__ = [
    "CLOSE_AUTHENTICATION",
    "CLOSE_REQUEST",
    "DELTA_SAMPLES",
    "refuse",
    "routes",
    "sentences",
]

CLOSE_AUTHENTICATION = 3000  # OpenAI's close codes after a fatal error event (live capture, probes 10-11)
CLOSE_REQUEST = 4000
DELTA_SAMPLES = 4800  # 0.2 s of 24 kHz audio per response.output_audio.delta
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_log = logging.getLogger(__name__)

Synthesize = Callable[..., Iterator[np.ndarray]]  # speech.synthesize's signature: (text, voice=, speed=)


def sentences(text: str) -> list[str]:
    """``text`` cut after each sentence's end mark, the pieces a response speaks (and transcribes) in turn.

    >>> sentences("Hello there. How are you?  Fine!")
    ['Hello there.', 'How are you?', 'Fine!']
    """
    return [piece for piece in _SENTENCE_END.split(text.strip()) if piece]


def _pieces(synthesize: Synthesize, text: str, voice: str, speed: float) -> Generator[tuple[str, np.ndarray]]:
    """``(transcript delta, int16 block)`` pairs as they are synthesized; the delta comes with its first block."""
    for index, sentence in enumerate(sentences(text)):
        delta = sentence if index == 0 else " " + sentence
        blocks = synthesize(sentence, voice=voice, speed=speed)
        try:
            for block in blocks:
                yield delta, block
                delta = ""
        finally:
            close = getattr(blocks, "close", None)
            if close is not None:
                close()  # the generator of a sentence stopped halfway: Piper stops too
        if delta:  # nothing to pronounce: the words still belong to the transcript
            yield delta, np.zeros(0, dtype=np.int16)


async def refuse(websocket: WebSocket, error: APIError, close_code: int) -> None:
    """Accept, send ``error`` as an error event and close, as OpenAI refuses a key or a model after the upgrade."""
    if websocket.client_state == WebSocketState.CONNECTING:
        await websocket.accept()
    await websocket.send_text(json.dumps(error_event(error, new_id("event"))))
    reason = f"{error.type}.{error.code}" if error.code else error.type
    await websocket.close(code=close_code, reason=reason)


class _Response:
    """One response being spoken; its task sends its events and stops when told (cancel, disconnect)."""

    def __init__(self, connection: _Connection, text: str, voice: str, speed: float, event: ResponseCreate) -> None:
        self.connection = connection
        self.text, self.voice, self.speed = text, voice, speed
        self.metadata = event.response.metadata
        self.max_output_tokens = event.response.max_output_tokens or connection.session.max_output_tokens
        self.id = new_id("resp")
        self.item_id = new_id("item")
        self.stop_reason: str | None = None
        self.task = asyncio.create_task(self.run())

    def stop(self, reason: str) -> None:
        """Stop after the sentence being synthesized (``reason``: client_cancelled, disconnected, closed)."""
        self.stop_reason = self.stop_reason or reason

    def _object(self, status: str, **fields: Any) -> dict[str, Any]:
        return response_object(
            self.id, status=status, voice=self.voice, max_output_tokens=self.max_output_tokens,
            metadata=self.metadata, **fields,
        )  # fmt: skip

    def _where(self) -> dict[str, Any]:
        return {"response_id": self.id, "item_id": self.item_id, "output_index": 0, "content_index": 0}

    async def run(self) -> None:
        send = self.connection.send
        await send({"type": "response.created", "response": self._object("in_progress")})
        added = {"response_id": self.id, "output_index": 0, "item": item_object(self.item_id, "in_progress", None)}
        await send({"type": "response.output_item.added", **added})
        await send(
            {"type": "response.content_part.added", **self._where(), "part": {"type": "audio", "transcript": ""}}
        )
        spoken, failure = await self._speak()
        transcript = "".join(spoken)
        if failure is not None:
            status, details = "failed", {"type": "failed", "error": failure}
        elif self.stop_reason is not None:
            status, details = "cancelled", {"type": "cancelled", "reason": "client_cancelled"}
        else:
            status, details = "completed", None
        item = item_object(self.item_id, "completed" if status == "completed" else "incomplete", transcript)
        await send({"type": "response.output_audio.done", **self._where()})
        await send({"type": "response.output_audio_transcript.done", **self._where(), "transcript": transcript})
        await send(
            {"type": "response.content_part.done", **self._where(), "part": {"type": "audio", "transcript": transcript}}
        )
        await send({"type": "response.output_item.done", "response_id": self.id, "output_index": 0, "item": item})
        done = self._object(status, output=[item], status_details=details)
        await send({"type": "response.done", "response": done})

    async def _speak(self) -> tuple[list[str], dict[str, Any] | None]:
        """Synthesize and send, piece by piece, until done or stopped; the transcript pieces sent, and a failure."""
        send, session = self.connection.send, self.connection.session
        pieces = _pieces(self.connection.synthesize, self.text, self.voice, self.speed)
        spoken: list[str] = []
        try:
            while self.stop_reason is None:
                piece = await run_in_threadpool(next, pieces, None)  # Piper runs on a worker thread
                if piece is None:
                    break
                delta, block = piece
                if delta:
                    spoken.append(delta)
                    await send({"type": "response.output_audio_transcript.delta", **self._where(), "delta": delta})
                for start in range(0, len(block), DELTA_SAMPLES):
                    audio = block[start : start + DELTA_SAMPLES].astype("<i2").tobytes()
                    await send({"type": "response.output_audio.delta", **self._where(),
                                "delta": base64.b64encode(audio).decode("ascii")})  # fmt: skip
                    session.spoke = True
        except Exception as error:  # a failing voice costs this response only; the session goes on
            _log.exception("local Realtime synthesis failed")
            message = f"The local voice failed: {type(error).__name__}: {error}"
            await send(error_event(APIError(500, message, type="server_error"), new_id("event")))
            return spoken, {"type": "server_error", "code": None, "message": message}
        finally:
            try:
                pieces.close()  # frees Piper's generator (and its sentence) now
            except ValueError:  # still running on its thread (the task was cancelled): it ends with that piece
                pass
        return spoken, None


class _Connection:
    """One client's socket: reads its events, answers them, runs at most one response at a time."""

    def __init__(self, websocket: WebSocket, session: Session, synthesize: Synthesize) -> None:
        self.websocket = websocket
        self.session = session
        self.synthesize = synthesize
        self.active: _Response | None = None
        self.closed = False
        self._send_lock = asyncio.Lock()

    async def send(self, event: dict[str, Any]) -> None:
        """Send a server event with a fresh ``event_id``; after a disconnect, nothing (the response stops)."""
        if self.closed:
            return
        if "event_id" not in event:
            event = {"type": event["type"], "event_id": new_id("event"), **event}
        async with self._send_lock:
            try:
                await self.websocket.send_text(json.dumps(event))
            except Exception:  # the client went away mid-send (uvicorn and Starlette raise several kinds)
                self._gone("disconnected")

    def _gone(self, reason: str) -> None:
        self.closed = True
        if self.active is not None:
            self.active.stop(reason)

    async def run(self) -> None:
        """Serve events until the client disconnects or sends ``session.close``."""
        await self.send({"type": "session.created", "session": self.session.as_object()})
        try:
            while not self.closed:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text, data = message.get("text"), message.get("bytes")
                if await self._handle(text if text is not None else data or b""):
                    break
        finally:
            self._gone("disconnected")
            if self.active is not None:
                await self.active.task  # its synthesis has stopped (at most one sentence more): no work left behind

    async def _handle(self, message: str | bytes) -> bool:
        """Answer one client event; True once the session is closed."""
        event_id = None
        try:
            event = parse_client_event(message)
            event_id = event.event_id
            if isinstance(event, SessionUpdate):
                self.session.update(event.session)
                await self.send({"type": "session.updated", "session": self.session.as_object()})
            elif isinstance(event, ResponseCreate):
                self._start(event)
            elif isinstance(event, ResponseCancel):
                self._cancel(event)
            elif isinstance(event, SessionClose):
                await self._close()
                return True
        except ClientEventError as error:
            await self.send(error_event(error, new_id("event"), error.client_event_id))
        except APIError as error:
            await self.send(error_event(error, new_id("event"), event_id))
        return False

    def _start(self, event: ResponseCreate) -> None:
        if self.active is not None and not self.active.task.done():
            raise invalid_request(  # OpenAI's wording, reported by several clients (3p)
                f"Conversation already has an active response in progress: {self.active.id}. "
                "Wait until the response is finished before creating a new one.",
                code="conversation_already_has_active_response",
            )
        text = spoken_text(event.response.input)
        if len(text) > speech.MAX_INPUT_CHARS:
            raise local_limit("response.input", f"The local voice reads at most {speech.MAX_INPUT_CHARS} characters.")
        output = event.response.audio.output if event.response.audio is not None else None
        voice = output.voice if output is not None and output.voice else self.session.voice
        speed = output.speed if output is not None and output.speed is not None else self.session.speed
        self.active = _Response(self, text, voice, speed, event)

    def _cancel(self, event: ResponseCancel) -> None:
        active = self.active
        if active is None or active.task.done() or (event.response_id and event.response_id != active.id):
            raise invalid_request(  # OpenAI's code, reported by many clients (3p); the message as they quote it
                "Cancellation failed: no active response found.", code="response_cancel_not_active"
            )
        active.stop("client_cancelled")

    async def _close(self) -> None:
        if self.active is not None:
            self.active.stop("closed")
            await self.active.task
        self.closed = True
        await self.websocket.close(code=1000)


async def realtime(websocket: WebSocket) -> None:
    """``/v1/realtime?model=...`` (the API key is checked by the app before this runs)."""
    try:
        if websocket.query_params.get("intent") == "transcription":
            raise local_limit("intent", "Transcription sessions are not available locally.")
        model = check_realtime_model(websocket.query_params.get("model"), websocket.app.state.today())
    except APIError as error:
        await refuse(websocket, error, CLOSE_REQUEST)
        return
    await websocket.accept()
    synthesize = websocket.app.state.synthesize or speech.synthesize
    await _Connection(websocket, Session(model), synthesize).run()


routes = [WebSocketRoute("/v1/realtime", realtime)]
