"""``POST /tokenize`` and ``POST /detokenize``: the serving model's token ids, as vLLM's server gives them.

``logit_bias`` maps token ids to biases, and ids are the serving model's: a
learner finds them here (SmolLM2's ``" Paris"`` is not gpt-6-luna's). The shapes
are vLLM's, at the server's root as in vLLM (:mod:`.protocol.tokenize`);
unlike vLLM, this server asks for its API key there too, as on ``/v1``
(a room server's tokenizer is not for the whole network)::

    >>> import httpx  # doctest: +SKIP
    >>> root = os.environ["OPENAI_BASE_URL"].removesuffix("/v1")  # doctest: +SKIP
    >>> httpx.post(root + "/tokenize", json={"model": "gpt-6-luna", "prompt": " Paris"},
    ...            headers={"Authorization": f"Bearer {os.environ['OPENAI_API_KEY']}"}).json()  # doctest: +SKIP
    {'count': 1, 'max_model_len': 8192, 'tokens': [7042], 'token_strs': None}

Used in: course_helpers/local/server/app.py (its routes); the lesson on structured outputs (logit_bias)
"""

from __future__ import annotations

from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..tool_calls import render_tool_messages
from .chat_engine import ChatEngine, engine_for
from .chat_request import plain_message
from .protocol.tokenize import TokenizeChatRequest, check_ids, parse_detokenize, parse_tokenize
from .protocol.tools import function_specs
from .validation import read_json_object

__all__ = ["detokenize", "routes", "tokenize"]


def _tokens(engine: ChatEngine, request: Any) -> list[int]:
    if isinstance(request, TokenizeChatRequest):
        tools = function_specs([tool.function for tool in request.tools or []], "tools[{index}].function.parameters")
        messages = render_tool_messages([plain_message(message) for message in request.messages], tools)
        return engine.encode_chat(messages, add_generation_prompt=request.add_generation_prompt)
    return engine.encode(request.prompt)


async def tokenize(request: Request) -> JSONResponse:
    """``POST /tokenize``: ``{"count", "max_model_len", "tokens", "token_strs"}`` for a prompt or chat messages."""
    parsed = parse_tokenize(await read_json_object(request))
    engine = await engine_for(request)
    tokens = await anyio.to_thread.run_sync(_tokens, engine, parsed)
    strings = [engine.decode([token]) for token in tokens] if parsed.return_token_strs else None
    return JSONResponse(
        {"count": len(tokens), "max_model_len": engine.context_length, "tokens": tokens, "token_strs": strings}
    )


async def detokenize(request: Request) -> JSONResponse:
    """``POST /detokenize``: ``{"prompt": text}`` for token ids."""
    parsed = parse_detokenize(await read_json_object(request))
    engine = await engine_for(request)
    check_ids(parsed.tokens, engine.vocab_size)
    return JSONResponse({"prompt": engine.decode(parsed.tokens)})


routes = [
    Route("/tokenize", tokenize, methods=["POST"]),
    Route("/detokenize", detokenize, methods=["POST"]),
]
