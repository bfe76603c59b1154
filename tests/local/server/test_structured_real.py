"""Structured outputs, logit_bias and /tokenize on the real SmolLM2 model, through the unchanged openai SDK.

A reply under a grammar must validate whatever the sampling: the schema here
bounds every value (an enum, a pattern, integers, booleans), so even at
temperature 1.5 a reply ends well inside its token limit. Model text is never
compared, except with itself (seed, streaming).
"""

from __future__ import annotations

import json
from typing import Literal

import httpx
import pytest
from pydantic import BaseModel, Field

from .conftest import API_KEY

EXTRACT = [
    {"role": "system", "content": "Extract the pet from the message."},
    {"role": "user", "content": "My cat Tom is 4 years old and he is friendly."},
]


class Pet(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z]{1,12}$")
    species: Literal["cat", "dog", "bird", "other"]
    age: int
    friendly: bool


@pytest.mark.parametrize(("temperature", "seed"), [(0, None), (0.7, 1), (1.5, 2), (1.5, 3)])
def test_a_parsed_reply_validates_whatever_the_temperature(real_client, temperature, seed):
    reply = real_client.chat.completions.parse(
        model="gpt-4o-mini",
        messages=EXTRACT,
        response_format=Pet,
        temperature=temperature,
        seed=seed,
        max_completion_tokens=60,
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "stop"
    assert isinstance(choice.message.parsed, Pet) and choice.message.refusal is None


def test_the_streamed_parse_equals_the_unstreamed_one_for_a_seed(real_client):
    ask = dict(model="gpt-4o-mini", messages=EXTRACT, response_format=Pet, temperature=1.0, seed=7)
    plain = real_client.chat.completions.parse(**ask).choices[0].message
    with real_client.chat.completions.stream(**ask) as stream:
        for _ in stream:
            pass
        streamed = stream.get_final_completion().choices[0].message
    assert streamed.content == plain.content and streamed.parsed == plain.parsed


def test_json_mode_gives_one_object_with_logprobs_of_the_masked_distribution(real_client):
    reply = real_client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Give the capital of France as JSON with the key 'capital'."}],
        response_format={"type": "json_object"},
        temperature=0,
        max_completion_tokens=30,
        logprobs=True,
        top_logprobs=3,
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "stop"
    assert isinstance(json.loads(choice.message.content), dict)
    entries = choice.logprobs.content
    assert len(entries) == reply.usage.completion_tokens
    assert all(top.token.startswith("{") for top in entries[0].top_logprobs)  # the grammar allows nothing else
    assert all(entry.token == entry.top_logprobs[0].token for entry in entries)  # greedy: the likeliest allowed


def test_responses_parse_gives_output_parsed(real_client):
    response = real_client.responses.parse(
        model="gpt-4o-mini",
        instructions=EXTRACT[0]["content"],
        input=EXTRACT[1]["content"],
        text_format=Pet,
        temperature=0,
        max_output_tokens=60,
    )
    assert response.status == "completed" and isinstance(response.output_parsed, Pet)


CAPITAL = [{"role": "user", "content": "What is the capital of France?"}]


def tokens_of(reply) -> list[str]:
    return [entry.token for entry in reply.choices[0].logprobs.content]


def test_logit_bias_bans_and_forces_tokens(real_client):
    root = real_client.base_url.copy_with(path="/tokenize")
    paris = httpx.post(str(root), json={"prompt": " Paris"}, headers={"Authorization": f"Bearer {API_KEY}"}).json()
    (paris_id,) = paris["tokens"]
    ask = dict(model="gpt-4o-mini", messages=CAPITAL, temperature=0, max_completion_tokens=12, logprobs=True)
    assert " Paris" in tokens_of(real_client.chat.completions.create(**ask))
    banned = real_client.chat.completions.create(**ask, logit_bias={str(paris_id): -100})
    assert " Paris" not in tokens_of(banned)
    forced = real_client.chat.completions.create(**{**ask, "max_completion_tokens": 3}, logit_bias={str(paris_id): 100})
    assert tokens_of(forced) == [" Paris"] * 3


def test_tokenize_and_detokenize_round_trip_with_the_model_s_ids(real_server):
    root = real_server.base_url.removesuffix("/v1")
    headers = {"Authorization": f"Bearer {API_KEY}"}
    got = httpx.post(root + "/tokenize", json={"prompt": "The capital of France"}, headers=headers).json()
    assert got["count"] == len(got["tokens"]) and got["max_model_len"] == 8192
    back = httpx.post(root + "/detokenize", json={"tokens": got["tokens"]}, headers=headers).json()
    assert back == {"prompt": "The capital of France"}
    chat = httpx.post(root + "/tokenize", json={"messages": CAPITAL}, headers=headers).json()
    text = httpx.post(root + "/detokenize", json={"tokens": chat["tokens"]}, headers=headers).json()["prompt"]
    assert text.endswith("What is the capital of France?<|im_end|>\n<|im_start|>assistant\n")
