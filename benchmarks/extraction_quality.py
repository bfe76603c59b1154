"""How well the local model extracts fields under a JSON schema: the share of replies that parse, and that are right.

    COURSE_MODEL_CACHE=... python benchmarks/extraction_quality.py [--temperatures 0 1] [--without-grammar]

Runs the 20 prompts of ``extraction_prompts.json`` (written for this course)
through the local server with the unchanged openai SDK, exactly as a lesson
would: ``client.chat.completions.parse(response_format=SomeModel)``, by
default with no token limit of its own (the server's, 1,024). Under the grammar every
reply must parse (a reply cut by the token limit would raise
LengthFinishReasonError, and counts as not parsed); whether it is
*right* depends on a 135M-parameter model, so that share is reported, not
required. ``--without-grammar`` asks the same in plain text (the schema in
the prompt) for comparison: how often the bare model writes JSON that
validates.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import time
from pathlib import Path
from typing import Literal

import openai
from pydantic import BaseModel, ValidationError

from course_helpers.local.server import start_in_thread

PROMPTS = Path(__file__).with_name("extraction_prompts.json")
INSTRUCTIONS = "Extract the information from the user's message as JSON."


class Person(BaseModel):
    name: str
    age: int
    city: str


class Event(BaseModel):
    title: str
    date: datetime.date
    city: str


class Product(BaseModel):
    product: str
    price: float
    currency: Literal["USD", "EUR", "GBP", "JPY"]


class Contact(BaseModel):
    name: str
    email: str
    company: str


class Review(BaseModel):
    sentiment: Literal["positive", "negative", "neutral"]
    topic: str


SCHEMAS: dict[str, type[BaseModel]] = {model.__name__: model for model in (Person, Event, Product, Contact, Review)}


def normalized(value) -> str | float:
    """Strings without case, punctuation, spaces at the ends or a leading "the"; numbers as floats."""
    if isinstance(value, (int, float)):
        return float(value)
    text = re.sub(r"[^\w@.&-]+", " ", str(value).lower()).strip(" .")
    return text.removeprefix("the ").strip()


def right_fields(parsed: BaseModel, expected: dict) -> int:
    got = parsed.model_dump(mode="json")
    return sum(normalized(got[key]) == normalized(value) for key, value in expected.items())


def ask(
    client: openai.OpenAI, item: dict, temperature: float, seed: int, grammar: bool, limit: int | None
) -> BaseModel | None:
    """The parsed reply, or None if it does not parse (or validate)."""
    model = SCHEMAS[item["schema"]]
    messages = [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": item["text"]}]
    common: dict = dict(model="gpt-4o-mini", temperature=temperature, seed=seed)
    if limit is not None:
        common["max_completion_tokens"] = limit
    if grammar:
        try:
            return (
                client.chat.completions.parse(messages=messages, response_format=model, **common)
                .choices[0]
                .message.parsed
            )
        except openai.LengthFinishReasonError:
            return None
    messages[0]["content"] += " Use this JSON schema: " + json.dumps(model.model_json_schema())
    text = client.chat.completions.create(messages=messages, **common).choices[0].message.content or ""
    try:
        return model.model_validate_json(text.strip().removeprefix("```json").removesuffix("```"))
    except ValidationError:
        return None


def _short(value):
    """A value as printed in the list of wrong answers: long strings cut (a looping model fills 500 characters)."""
    return value[:60] + "..." if isinstance(value, str) and len(value) > 60 else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--temperatures", type=float, nargs="+", default=[0.0, 1.0])
    parser.add_argument("--without-grammar", action="store_true", help="also ask without response_format")
    parser.add_argument(
        "--max-tokens", type=int, default=None, help="each reply's limit (default: none, the server's own 1,024)"
    )
    args = parser.parse_args()
    items = json.loads(PROMPTS.read_text())["prompts"]
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; {len(items)} prompts")
    with start_in_thread() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
        for grammar in (True, False) if args.without_grammar else (True,):
            for temperature in args.temperatures:
                started = time.perf_counter()
                parsed = right = fields = all_right = 0
                wrong: list[str] = []
                for seed, item in enumerate(items):
                    reply = ask(client, item, temperature, seed, grammar, args.max_tokens)
                    fields += len(item["expected"])
                    if reply is None:
                        wrong.append(f"{item['text'][:40]}...: did not parse")
                        continue
                    parsed += 1
                    good = right_fields(reply, item["expected"])
                    right += good
                    all_right += good == len(item["expected"])
                    if good < len(item["expected"]):
                        got = {key: _short(value) for key, value in reply.model_dump(mode="json").items()}
                        wrong.append(f"{item['text'][:40]}...: {got}")
                how = "under the schema (parse)" if grammar else "without a grammar (schema in the prompt)"
                print(
                    f"{how}, temperature {temperature:g}: {parsed}/{len(items)} parse ({100 * parsed / len(items):.0f}%), "
                    f"{all_right}/{len(items)} entirely right, {right}/{fields} fields right "
                    f"({100 * right / fields:.0f}%) [{time.perf_counter() - started:.0f} s]"
                )
                for line in wrong:
                    print("   ", line)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
