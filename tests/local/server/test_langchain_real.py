"""LangChain's ChatOpenAI on the real local model: the fast part of the standard suite that CI guards.

``benchmarks/langchain_standard.py`` runs LangChain's whole standard suite
(``langchain-tests``); it takes too long for CI. These are the paths of it a
learner of lesson 06 takes, with a request OpenAI would accept for the
course's default model (gpt-6-luna at effort ``none``). The schema bounds every
value, so the grammar keeps the small model's reply short and valid.
"""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, Field

from .conftest import API_KEY

# langchain-openai's streamed structured output dumps the SDK's events with model_dump(), whose `parsed`
# field the SDK types as None (a TypeVar never bound) while it holds the user's model: pydantic warns.
# The server's reply is not involved (`parsed` is filled in by the client; openai-python issue 2872;
# langchain-openai silences the same warning in its non-streamed path).
LANGCHAIN_PARSED_DUMP = r"ignore:(?s)Pydantic serializer warnings\x3a.*field_name='parsed':UserWarning"


class Pet(BaseModel):
    """A pet named in the message."""

    name: str = Field(pattern=r"^[A-Za-z]{1,12}$")
    species: Literal["cat", "dog", "bird", "other"]
    age: int = Field(ge=0, le=40)


@pytest.fixture
def chat(real_server):
    from langchain_openai import ChatOpenAI  # a declared dependency (lesson 06)

    return ChatOpenAI(
        base_url=real_server.base_url,
        api_key=API_KEY,
        model="gpt-6-luna",
        reasoning_effort="none",
        temperature=0,
        max_tokens=60,
        stream_usage=True,
        max_retries=0,
    )


PROMPT = "Extract the pet: my cat Tom is 4 years old."


@pytest.mark.filterwarnings(LANGCHAIN_PARSED_DUMP)
def test_with_structured_output_gives_the_model_invoked_and_streamed(chat):
    structured = chat.with_structured_output(Pet, method="json_schema")
    assert isinstance(structured.invoke(PROMPT), Pet)
    chunks = list(structured.stream(PROMPT))
    assert chunks and isinstance(chunks[-1], Pet)


def test_json_mode_gives_a_dict(chat):
    structured = chat.with_structured_output(method="json_mode")
    assert isinstance(structured.invoke(PROMPT + " Answer in JSON with the keys name and species."), dict)


def test_streamed_usage_arrives(chat):
    chunks = list(chat.stream("Say hi."))
    usage = [chunk.usage_metadata for chunk in chunks if chunk.usage_metadata]
    assert len(usage) == 1 and usage[0]["output_tokens"] > 0
    assert usage[0]["total_tokens"] == usage[0]["input_tokens"] + usage[0]["output_tokens"]
