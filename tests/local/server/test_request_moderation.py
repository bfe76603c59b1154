"""Tests for course_helpers/local/server/request_moderation.py with the stand-in engine and a stand-in classifier.

The stand-in engine echoes the last message, and the stand-in classifier
flags any text containing "BAD", so every verdict is predictable; the
answers' shapes are checked against the openai SDK's own types.
"""

from __future__ import annotations

import pytest
from openai.types.chat.chat_completion import Moderation as ChatModeration
from openai.types.responses.response import Moderation as ResponsesModeration

from course_helpers.local.moderation import MODEL_NAME
from course_helpers.local.moderation.categories import CATEGORIES
from course_helpers.local.moderation.classifier import ModerationResult
from course_helpers.local.sampling_params import SamplingParams
from course_helpers.local.server.protocol.moderation_param import parse_moderation_param
from course_helpers.local.server.request_moderation import RequestModeration

from .fake_engine import FakeEngine


def flags_bad(texts: list[str]) -> list[ModerationResult]:
    """A classifier that flags violence in any text containing BAD."""
    results = []
    for text in texts:
        score = 0.9 if "BAD" in text else 0.01
        categories = {name: name == "violence" and score > 0.5 for name in CATEGORIES}
        scores = {name: score if name == "violence" else 0.0 for name in CATEGORIES}
        results.append(ModerationResult(flagged=score > 0.5, categories=categories, category_scores=scores))
    return results


def fails(texts: list[str]) -> list[ModerationResult]:
    raise MemoryError("injected fault")


def _moderation(api="chat", input_mode="score", output_mode="score", classify=flags_bad) -> RequestModeration:
    policy = {"input": {"mode": input_mode}, "output": {"mode": output_mode}}
    param = parse_moderation_param({"model": "omni-moderation-latest", "policy": policy})
    return RequestModeration(param, api=api, classify=classify)


def _run(moderation: RequestModeration, text: str, n: int = 1) -> tuple[list[str], list[str | None]]:
    """Each choice's text and finish reason, as the server would collect them."""
    generation = moderation.start(FakeEngine(), [{"role": "user", "content": text}], SamplingParams(), n)
    texts, finishes = [""] * n, [None] * n
    for event in generation:
        texts[event.index] += event.text or ""
        finishes[event.index] = event.finish_reason or finishes[event.index]
    return texts, finishes


def test_score_mode_changes_nothing_and_reports_both_sides_in_the_sdks_chat_shape():
    moderation = _moderation()
    texts, finishes = _run(moderation, "this is BAD news", n=2)
    assert texts[0] == texts[1] != "" and finishes == ["stop", "stop"]
    verdicts = ChatModeration.model_validate(moderation.json(), strict=True)
    assert verdicts.input.type == "moderation_results" and verdicts.input.results[0].flagged
    assert verdicts.input.results[0].model == MODEL_NAME
    assert len(verdicts.output.results) == 2 and verdicts.output.results[0].flagged  # the echo repeats BAD


def test_a_blocked_input_generates_nothing():
    moderation = _moderation(input_mode="block")
    texts, finishes = _run(moderation, "this is BAD news", n=2)
    assert texts == ["", ""] and finishes == ["content_filter", "content_filter"]
    verdicts = ChatModeration.model_validate(moderation.json())
    assert verdicts.input.results[0].flagged
    assert verdicts.output.type == "error" and verdicts.output.code == "input_blocked"


def test_a_clean_input_in_block_mode_is_answered():
    moderation = _moderation(input_mode="block", output_mode="block")
    texts, finishes = _run(moderation, "a fine day")
    assert "fine" in texts[0] and finishes == ["stop"]
    assert not moderation.input_blocked


def test_a_flagged_output_in_block_mode_is_withheld():
    moderation = _moderation(output_mode="block")
    texts, finishes = _run(moderation, "this is BAD news")  # the input is only scored
    assert texts == [""] and finishes == ["content_filter"]
    assert ChatModeration.model_validate(moderation.json()).output.results[0].flagged


def test_responses_get_one_result_per_side():
    moderation = _moderation(api="responses")
    _run(moderation, "this is BAD news")
    verdicts = ResponsesModeration.model_validate(moderation.json(), strict=True)
    assert verdicts.input.type == "moderation_result" and verdicts.input.flagged
    assert verdicts.output.type == "moderation_result" and verdicts.output.flagged


@pytest.mark.parametrize("input_mode", ["score", "block"])
def test_a_failing_classifier_is_reported_and_the_reply_still_comes(input_mode):
    moderation = _moderation(input_mode=input_mode, classify=fails)
    texts, finishes = _run(moderation, "this is BAD news")
    assert texts[0] != "" and finishes == ["stop"]
    verdicts = ChatModeration.model_validate(moderation.json())
    assert verdicts.input.type == verdicts.output.type == "error"
    assert verdicts.input.code == "moderation_failed" and "injected fault" in verdicts.input.message


def test_no_parameter_no_moderation():
    assert RequestModeration.of(None, api="chat") is None
