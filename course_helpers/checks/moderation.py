"""Checks for the exercises of lesson 04 (moderation: scores, thresholds, batches, guardrails, the ``moderation`` parameter).

Each prints one line, ✅ / ❌ with a hint / ⏳ not done, and never raises (see
:mod:`course_helpers.checks`). The computation exercises are checked exactly
on made-up scores (written here, not model output); the API exercises on the
request and the response's structure, never on a score's value.

>>> check_top_category(lambda scores: max(scores.values()))
❌ top_category returned 0.82, a score: return the category's name, the key with the highest score.
>>> check_flagged_categories(...)
⏳ Not done yet: replace the ... with your code, then run this cell again.

Used in: solutions/04_moderation.ipynb (and exercises/04_moderation.ipynb)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..course.models import read_choices
from ..local.moderation.categories import CATEGORIES, attribute_name
from . import Hint, NotDone, _still_a_stub, call, checker, describe, expect, fail, is_stub, refused

__all__ = [
    "ADULT_THRESHOLDS",
    "EXAMPLE_SCORES",
    "INPUT_REFUSAL",
    "OUTPUT_REFUSAL",
    "check_batch_request",
    "check_child_thresholds",
    "check_flagged_categories",
    "check_guarded_reply",
    "check_input_flagged",
    "check_moderated_request",
    "check_scores_by_name",
    "check_top_category",
]

#: A made-up moderation result's scores (not model output), keyed by the API's names.
EXAMPLE_SCORES: dict[str, float] = {
    "harassment": 0.41,
    "harassment/threatening": 0.82,
    "hate": 0.03,
    "hate/threatening": 0.01,
    "illicit": 0.12,
    "illicit/violent": 0.09,
    "self-harm": 0.002,
    "self-harm/intent": 0.001,
    "self-harm/instructions": 0.0005,
    "sexual": 0.004,
    "sexual/minors": 0.0002,
    "violence": 0.6,
    "violence/graphic": 0.05,
}

#: Thresholds of a made-up general-audience app: a category is flagged when its score is at or above.
ADULT_THRESHOLDS: dict[str, float] = {
    "harassment": 0.5,
    "harassment/threatening": 0.4,
    "hate": 0.4,
    "hate/threatening": 0.3,
    "illicit": 0.5,
    "illicit/violent": 0.4,
    "self-harm": 0.3,
    "self-harm/intent": 0.2,
    "self-harm/instructions": 0.2,
    "sexual": 0.5,
    "sexual/minors": 0.05,
    "violence": 0.6,
    "violence/graphic": 0.5,
}

#: What the guardrail exercise returns instead of a reply.
INPUT_REFUSAL = "Sorry, I can't help with that request."
OUTPUT_REFUSAL = "Sorry, I can't share the reply I wrote."

_CHILD_FAMILIES = ("sexual", "self-harm", "violence")
_CHILD_LIMIT = 0.1


def _moderation_model() -> str:
    """The course's moderation model (``course_helpers.course.models``, purpose ``moderation``)."""
    return read_choices().moderation.model


def _is_moderation_model(model: object) -> bool:
    return isinstance(model, str) and (model == _moderation_model() or model.startswith("omni-moderation"))


def _reference_flagged(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> set[str]:
    return {name for name, score in scores.items() if score >= thresholds[name]}


def _reference_child(thresholds: Mapping[str, float]) -> dict[str, float]:
    return {
        name: min(limit, _CHILD_LIMIT) if name.split("/")[0] in _CHILD_FAMILIES else limit
        for name, limit in thresholds.items()
    }


@checker
def check_top_category(function):
    """Check ``top_category(scores)``: the name of the highest-scoring category."""
    cases = [
        EXAMPLE_SCORES,
        {"hate": 0.2, "sexual": 0.7, "violence": 0.1},
        {"self-harm/intent": 0.0001, "harassment": 0.00005},
    ]
    for scores in cases:
        expected = max(scores, key=scores.get)
        got = call(function, dict(scores))
        if isinstance(got, (int, float)) and not isinstance(got, bool):
            fail(f"top_category returned {got}, a score: return the category's name, the key with the highest score.")
        if isinstance(got, tuple) and len(got) == 2 and got[0] == expected:
            fail(f"top_category returned the pair {got}: return only the name, {expected!r}.")
        expect(
            isinstance(got, str),
            f"top_category should return a category name (a str), but it returned {describe(got)}.",
        )
        if got == min(scores, key=scores.get):
            fail(f"top_category returned {got!r}, the category with the lowest score: take the maximum.")
        expect(
            got == expected,
            f"On {scores} top_category returned {got!r}; expected {expected!r}. Use max(scores, key=scores.get).",
        )
    return "max(scores, key=scores.get) picks the key whose value is largest."


@checker
def check_flagged_categories(function):
    """Check ``flagged_categories(scores, thresholds)``: the categories at or above their threshold."""
    exact = dict(EXAMPLE_SCORES, violence=ADULT_THRESHOLDS["violence"])  # a score exactly on its threshold
    low = dict(EXAMPLE_SCORES, **{"self-harm/intent": 0.25, "sexual/minors": 0.06})  # flagged below 0.5
    cases = [EXAMPLE_SCORES, exact, low, {name: 0.0 for name in CATEGORIES}]
    for scores in cases:
        expected = _reference_flagged(scores, ADULT_THRESHOLDS)
        try:
            got = call(function, dict(scores), dict(ADULT_THRESHOLDS))
        except Hint as hint:
            if not expected and "did you forget `return`" in str(hint):
                fail(
                    "When nothing is flagged (every score 0.0), flagged_categories returned None: return an empty "
                    "list, [], so the caller can still loop over it and test it with len() or `if`."
                )
            raise
        if isinstance(got, dict):
            fail("flagged_categories returned a dict: return a list of the flagged categories' names.")
        expect(
            isinstance(got, list), f"flagged_categories should return a list of names, but it returned {describe(got)}."
        )
        expect(
            all(isinstance(name, str) for name in got),
            f"The list should hold category names, but it holds {describe(got)}.",
        )
        if set(got) == expected:
            expect(len(got) == len(set(got)), f"Your list has repeated names: {got}.")
            continue
        if set(got) == expected - {name for name in scores if scores[name] == ADULT_THRESHOLDS[name]}:
            fail(
                f"A score exactly equal to its threshold counts as flagged (violence = {exact['violence']} "
                f"with threshold {ADULT_THRESHOLDS['violence']}): use >=, not >."
            )
        if set(got) == set(scores) - expected:
            fail("You returned the categories below their threshold: keep those at or above it.")
        if set(got) == {name for name, score in scores.items() if score >= 0.5}:
            fail("Each category has its own threshold: compare scores[name] with thresholds[name], not with 0.5.")
        fail(f"flagged_categories returned {sorted(got)}; expected {sorted(expected)}.")
    return "each score is compared with its own category's threshold, a tie counts as flagged."


@checker
def check_child_thresholds(function):
    """Check ``child_thresholds(thresholds)``: the sexual, self-harm and violence families at most 0.1."""
    original = dict(ADULT_THRESHOLDS)
    given = dict(ADULT_THRESHOLDS)
    got = call(function, given)
    expect(
        given == original,
        "child_thresholds changed the dict it was given: build a new dict (or copy "
        "it first), so the general-audience thresholds stay as they were.",
    )
    expect(isinstance(got, dict), f"child_thresholds should return a dict, but it returned {describe(got)}.")
    expected = _reference_child(original)
    expect(
        set(got) == set(expected),
        f"Keep all 13 categories; missing: {sorted(set(expected) - set(got))}, "
        f"extra: {sorted(set(got) - set(expected))}.",
    )
    wrong = [name for name in expected if not math.isclose(float(got[name]), expected[name], abs_tol=1e-12)]
    if not wrong:
        return "stricter for sexual, self-harm and violence (and their sub-categories), never looser."
    if "sexual/minors" in wrong and math.isclose(float(got["sexual/minors"]), _CHILD_LIMIT):
        fail(
            "sexual/minors went from 0.05 up to 0.1: a children's app must never be looser. "
            "Take the smaller of the two, min(threshold, 0.1)."
        )
    sub = [name for name in wrong if "/" in name and name.split("/")[0] in _CHILD_FAMILIES]
    if sub and not [name for name in wrong if name not in sub]:
        fail(
            f"Not stricter yet: {sub}. A sub-category belongs to the family before its slash; "
            "name.split('/')[0] gives it."
        )
    if any(name.split("/")[0] not in _CHILD_FAMILIES for name in wrong):
        fail(
            f"Only the sexual, self-harm and violence families change; these should keep their value: "
            f"{[name for name in wrong if name.split('/')[0] not in _CHILD_FAMILIES]}."
        )
    fail(
        f"These thresholds are not right: { {name: got[name] for name in wrong} }; expected "
        f"{ {name: expected[name] for name in wrong} }."
    )


def _is_moderation_response(response: Any) -> bool:
    return hasattr(response, "results") and hasattr(response, "model") and not isinstance(response, str)


@checker(needs=("moderations",))
def check_batch_request(request, response, texts):
    """Check a moderation request for a list of texts, and its response: one result per text, 13 scores each."""
    expect(
        isinstance(request, dict),
        f"`request` should be a dict of the arguments for "
        f"client.moderations.create(**request), but it is {describe(request)}.",
    )
    model = request.get("model")
    expect(
        _is_moderation_model(model),
        f"Ask for the moderation model MODERATION_MODEL, {_moderation_model()!r} (yours: {model!r}).",
    )
    given = request.get("input")
    if isinstance(given, str):
        fail(
            "`input` is one string, so the texts are scored as one message: pass the list itself, "
            "input=texts, for one result per text."
        )
    if isinstance(given, list) and given and all(isinstance(part, dict) for part in given):
        fail(
            "`input` is a list of content parts ({'type': 'text', 'text': ...}): the API moderates such a list "
            "as ONE input, its parts together (a text and its image, say), with one result for all of them. "
            "Pass the strings themselves, input=texts, for one result per text."
        )
    expect(isinstance(given, list), f"`input` should be the list `texts`, but it is {describe(given)}.")
    expect(
        len(given) == len(texts),
        f"`input` has {len(given)} item{'s' if len(given) != 1 else ''}; pass all {len(texts)} texts in one "
        "request, input=texts.",
    )
    expect(
        sorted(map(str, given)) != sorted(texts) or list(given) == list(texts),
        "`input` holds the texts in another order: keep the order of `texts`, since result i belongs to text i.",
    )
    expect(
        list(given) == list(texts),
        f"`input` should be the list `texts` itself, but it is {describe(given)}: pass input=texts.",
    )
    expect(
        _is_moderation_response(response),
        f"`response` should be what client.moderations.create(**request) returned, but it is {describe(response)}.",
    )
    results = response.results
    expect(
        len(results) == len(texts),
        f"The response has {len(results)} result{'s' if len(results) != 1 else ''} "
        f"for {len(texts)} texts: "
        "is it the response to this request?",
    )
    for number, result in enumerate(results):
        scores = result.category_scores.model_dump(by_alias=True)
        expect(
            set(CATEGORIES) <= set(scores),
            f"Result {number} lacks categories: {sorted(set(CATEGORIES) - set(scores))}.",
        )
        expect(all(0.0 <= scores[name] <= 1.0 for name in CATEGORIES), f"Result {number} has a score outside 0-1.")
        expect(isinstance(result.flagged, bool), f"Result {number} has no flagged verdict.")
    return f"{len(texts)} texts in one request, one result each, in the same order."


@checker(needs=("moderations",))
def check_scores_by_name(function, response):
    """Check ``scores_by_name(result)``: a dict of the 13 scores keyed by the API's names ("self-harm/intent")."""
    expect(
        _is_moderation_response(response),
        f"`response` should be the moderation response of the previous exercise, but it is {describe(response)}.",
    )
    result = response.results[0]
    got = call(function, result)
    expect(isinstance(got, dict), f"scores_by_name should return a dict, but it returned {describe(got)}.")
    if "self_harm_intent" in got:
        fail(
            "Your keys are the SDK's attribute names (self_harm_intent). The API's names have slashes and "
            "hyphens: result.category_scores.model_dump(by_alias=True)."
        )
    if set(got) == set(CATEGORIES) | {"category_scores", "categories", "flagged"} or "flagged" in got:
        fail("You returned the whole result: take its category_scores.")
    extra = sorted(map(str, set(got) - set(CATEGORIES)))
    if any("-" in name and "/" not in name and name.replace("-", "_") != name for name in extra):
        fail(
            f"Your dict has {len(got)} keys, not 13: extra ones such as {extra[:3]}. model_dump() alone holds 21 "
            "(the 13 attribute names, and the 8 JSON names that differ from them, such as 'self-harm/intent', which the SDK keeps as extras), "
            "and replacing '_' with '-' turns self_harm_intent into 'self-harm-intent', not the API's "
            "'self-harm/intent'. Use model_dump(by_alias=True): exactly the 13 JSON names."
        )
    missing = sorted(set(CATEGORIES) - set(got))
    expect(not missing, f"Missing categories: {missing}.")
    expect(
        not extra,
        f"Your dict has {len(got)} keys, not 13: these are not category names: {extra[:5]}. "
        "Return exactly the 13 scores, keyed by the API's names: model_dump(by_alias=True).",
    )
    for name in CATEGORIES:
        expected = getattr(result.category_scores, attribute_name(name))
        expect(
            isinstance(got[name], float)
            and not isinstance(got[name], bool)
            and math.isclose(got[name], expected, abs_tol=1e-12),
            f"scores_by_name(result)[{name!r}] is {describe(got[name])}; expected the score "
            f"result.category_scores.{attribute_name(name)}.",
        )
    return "model_dump(by_alias=True) gives the JSON names; the attributes are the same numbers."


# --- The guardrail exercise: a scripted client -------------------------------------------------------------
#
# The guardrail's logic (moderate the input, chat only if it passes, moderate the reply) is checked on a
# client whose answers are written here, so every path can be tried: a flagged input, a flagged reply,
# neither. The answers are real SDK objects built from made-up JSON, labeled as such; no model is involved.


def _made_up_moderation(flagged: bool) -> Any:
    from openai.types import ModerationCreateResponse

    # The verdict and the scores disagree with a 0.5 cut-off on purpose (flagged at 0.45, passed at 0.55): the
    # provider's thresholds are its own, so only `flagged` says what it decided.
    score = 0.45 if flagged else 0.55
    return ModerationCreateResponse.model_validate(
        {
            "id": "modr-made-up",
            "model": "omni-moderation-latest",
            "results": [
                {
                    "flagged": flagged,
                    "categories": {name: flagged and name == "violence" for name in CATEGORIES},
                    "category_scores": {name: score if name == "violence" else 0.001 for name in CATEGORIES},
                    "category_applied_input_types": {name: ["text"] for name in CATEGORIES},
                }
            ],
        }
    )


def _made_up_completion(text: str) -> Any:
    from openai.types.chat import ChatCompletion

    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-made-up",
            "object": "chat.completion",
            "created": 0,
            "model": "made-up",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
        }
    )


class _ScriptedClient:
    """Looks like ``OpenAI()`` for moderations and chat completions; records every call."""

    REPLY = "A made-up reply from the scripted client."

    def __init__(self, flag_input: bool, flag_reply: bool) -> None:
        self.flag_input, self.flag_reply = flag_input, flag_reply
        self.calls: list[tuple[str, dict]] = []
        self.moderations = _Namespace(create=self._moderate)
        self.chat = _Namespace(completions=_Namespace(create=self._complete))

    def _moderate(self, **kwargs) -> Any:
        self.calls.append(("moderations", kwargs))
        text = kwargs.get("input")
        return _made_up_moderation(self.flag_reply if text == self.REPLY else self.flag_input)

    def _complete(self, **kwargs) -> Any:
        self.calls.append(("chat", kwargs))
        return _made_up_completion(self.REPLY)


class _Namespace:
    def __init__(self, **attributes: Any) -> None:
        self.__dict__.update(attributes)


def _chat_mentions(kwargs: dict, text: str) -> bool:
    return any(isinstance(m, dict) and text in str(m.get("content", "")) for m in kwargs.get("messages", []))


def _course_chat() -> tuple[str, str]:
    """The chat model and effort the guardrail check passes through (an effort always, to see it is passed on)."""
    chat = read_choices().chat
    return chat.model, chat.effort if isinstance(chat.effort, str) else "none"


@checker
def check_guarded_reply(function, model: str | None = None, effort: str | None = None):
    """Check ``guarded_reply(client, model, effort, user_text)`` on a scripted client: every path of the guardrail.

    ``model`` and ``effort`` default to the course's chat model and its effort (:mod:`course_helpers.course.models`;
    ``"none"`` when the course sends no effort); the client is scripted, so they are only passed through.
    """
    default_model, default_effort = _course_chat()
    model, effort = model or default_model, effort or default_effort
    user_text = "Tell me a story about a dragon."
    # 1. Both checks pass: the reply comes through, after three calls in order.
    client = _ScriptedClient(flag_input=False, flag_reply=False)
    got = call(function, client, model, effort, user_text)
    kinds = [kind for kind, _ in client.calls]
    if kinds == ["moderations"] and got == INPUT_REFUSAL:
        fail(
            "The input's result says flagged=False (its violence score, 0.55, is below the provider's threshold), "
            "yet your function refused it: decide on results[0].flagged, the provider's verdict, not on a "
            "threshold of your own such as 0.5."
        )
    expect(
        kinds,
        "Your function made no calls through the `client` it was given: use that argument, not the notebook's "
        "own `client`, so the function works with any client (the check passes a scripted one to try every path).",
    )
    expect(
        kinds[0] == "moderations",
        f"The first call should moderate the user's text, before the chat model sees it; your calls: {kinds}.",
    )
    first = client.calls[0][1]
    expect(first.get("input") == user_text, f"Moderate the user's text itself: input={first.get('input')!r}.")
    expect(
        _is_moderation_model(first.get("model")),
        f"Pass model=MODERATION_MODEL ({_moderation_model()!r}) to client.moderations.create.",
    )
    expect("chat" in kinds, "When the input passes, ask the chat model (client.chat.completions.create).")
    chat = next(kwargs for kind, kwargs in client.calls if kind == "chat")
    expect(
        chat.get("model") == model, f"Call the chat model given as `model` ({model!r}); yours: {chat.get('model')!r}."
    )
    expect(
        chat.get("reasoning_effort") == effort,
        f"The chat request has reasoning_effort={chat.get('reasoning_effort')!r}: pass the effort you are given, "
        f"reasoning_effort=effort ({effort!r} here). Left out, gpt-6-luna reasons at its default, medium.",
    )
    expect(_chat_mentions(chat, user_text), "The chat request's messages should contain the user's text.")
    roles = [m.get("role") if isinstance(m, dict) else type(m).__name__ for m in chat.get("messages", [])]
    expect(
        roles == ["user"],
        f"The chat request's messages have the roles {roles}: the task asks for one user message, "
        "[{'role': 'user', 'content': user_text}], nothing else.",
    )
    limit = chat.get("max_completion_tokens", chat.get("max_tokens"))
    expect(
        isinstance(limit, int) and not isinstance(limit, bool) and 1 <= limit <= 60,
        f"The chat request has max_completion_tokens={limit!r}: cap the reply at 60 tokens, as the task says "
        "(max_completion_tokens=60). Every token is paid for, and moderated, before the user sees it.",
    )
    expect(
        "max_tokens" not in chat,
        "The chat request sends max_tokens: older models took it, today's reject it. Use max_completion_tokens=60.",
    )
    expect(
        kinds == ["moderations", "chat", "moderations"],
        f"Expected three calls: moderate the input, chat, moderate the reply; yours: {kinds}.",
    )
    expect(
        client.calls[2][1].get("input") == _ScriptedClient.REPLY,
        "The second moderation should check the chat model's reply (choices[0].message.content).",
    )
    expect(
        got == _ScriptedClient.REPLY, f"When both checks pass, return the reply's text; yours returned {describe(got)}."
    )
    # 2. A flagged input: refuse, and never send it to the chat model.
    client = _ScriptedClient(flag_input=True, flag_reply=False)
    got = call(function, client, model, effort, user_text)
    expect(
        "chat" not in [kind for kind, _ in client.calls],
        "The input was flagged (results[0].flagged is True, with a violence score of 0.45), yet your function "
        "still called the chat model: stop after the first moderation. Decide on flagged, the provider's "
        "verdict, not on a threshold of your own such as 0.5.",
    )
    expect(got == INPUT_REFUSAL, f"A flagged input should return INPUT_REFUSAL; yours returned {describe(got)}.")
    # 3. A harmless input whose reply is flagged: do not show the reply.
    client = _ScriptedClient(flag_input=False, flag_reply=True)
    got = call(function, client, model, effort, user_text)
    expect(
        got != _ScriptedClient.REPLY,
        "The reply was flagged, yet your function returned it: check results[0].flagged of the reply's moderation.",
    )
    expect(got == OUTPUT_REFUSAL, f"A flagged reply should return OUTPUT_REFUSAL; yours returned {describe(got)}.")
    # 4. Other model and effort: the function sends those it is given, not the notebook's info.model/info.effort.
    other_model, other_effort = "scripted-chat-model", "low" if effort != "low" else "high"
    client = _ScriptedClient(flag_input=False, flag_reply=False)
    call(function, client, other_model, other_effort, user_text)
    sent = next((kwargs for kind, kwargs in client.calls if kind == "chat"), {})
    expect(
        sent.get("model") == other_model and sent.get("reasoning_effort") == other_effort,
        f"Called with model={other_model!r} and effort={other_effort!r}, your function sent "
        f"model={sent.get('model')!r}, reasoning_effort={sent.get('reasoning_effort')!r}: use the function's "
        "`model` and `effort` arguments, not the notebook's info.model and info.effort.",
    )
    return "the input is checked before the model sees it, and the reply before the user does."


# --- The moderation parameter: one request that moderates its own input and output -------------------------
#
# ``moderation={"model": ..., "policy": {"input": {"mode": ...}, "output": {"mode": ...}}}`` on Chat Completions
# (SDK 3.60, types/chat/completion_create_params.py). The verdicts come back in ``completion.moderation.input``
# and ``.output``: each ``{"type": "moderation_results", "results": [...]}`` or ``{"type": "error", ...}``
# (types/chat/chat_completion.py). What OpenAI does on "block" is not documented; no check relies on it.

_MODES = ("score", "block")


def _side_mode(policy: Mapping, side: str) -> str:
    """The mode of one side of a learner's policy, or a hint about its shape."""
    value = policy.get(side)
    if value is None:
        if side == "output":
            fail(
                "The policy says nothing about the reply: add 'output': {'mode': 'score'}, so the reply's scores "
                "come back for the teacher to review (say it, rather than rely on a default)."
            )
        fail("The policy says nothing about the question: add 'input': {'mode': 'block'}.")
    if isinstance(value, str):
        fail(f"Each side of the policy is a dict with a mode: {side!r}: {{'mode': {value!r}}}, not {value!r} alone.")
    expect(
        isinstance(value, Mapping) and "mode" in value,
        f"policy[{side!r}] should be a dict like {{'mode': 'score'}}, but it is {describe(value)}.",
    )
    assert isinstance(value, Mapping)  # for the type checker: expect() stopped otherwise
    mode = value["mode"]
    expect(
        mode in _MODES,
        f"policy[{side!r}]['mode'] is {mode!r}; the modes are 'score' (report the verdict) and 'block'.",
    )
    return str(mode)


@checker(needs=("request_moderation",))
def check_moderated_request(request, completion):
    """Check a chat request that moderates itself: the question blocked when flagged, the reply scored."""
    expect(
        isinstance(request, dict),
        "`moderated_request` should be a dict of the arguments for "
        f"client.chat.completions.create(**moderated_request), but it is {describe(request)}.",
    )
    chat_model = request.get("model")
    expect(
        isinstance(chat_model, str) and not _is_moderation_model(chat_model),
        f"The request's model is the chat model, info.model (yours: {chat_model!r}); the moderation model goes "
        "inside the moderation parameter.",
    )
    course_model = read_choices().chat.model
    if "reasoning_effort" not in request and chat_model != course_model:
        fail(
            f"The request names model={chat_model!r} without an effort: the task asks for the course's chat model "
            f"and its effort, model=info.model ({course_model!r} here) and reasoning_effort=info.effort."
        )
    expect(
        "reasoning_effort" in request,
        "Send the course's effort with the chat model, reasoning_effort=info.effort: left out, gpt-6-luna "
        "reasons at its default, medium.",
    )
    expect(
        "max_tokens" not in request,
        "The request sends max_tokens: older models took it, today's reject it. Use max_completion_tokens.",
    )
    limit = request.get("max_completion_tokens")
    expect(
        isinstance(limit, int) and not isinstance(limit, bool) and 1 <= limit <= 60,
        f"Cap the reply with max_completion_tokens (at most 60); yours: {limit!r}.",
    )
    moderation = request.get("moderation")
    expect(
        moderation is not None,
        "The request has no moderation parameter: add moderation={'model': MODERATION_MODEL, 'policy': {...}}.",
    )
    if isinstance(moderation, str):
        fail(
            f"moderation is the string {moderation!r}: it is a dict, "
            "{'model': MODERATION_MODEL, 'policy': {'input': {...}, 'output': {...}}}."
        )
    expect(isinstance(moderation, Mapping), f"moderation should be a dict, but it is {describe(moderation)}.")
    assert isinstance(moderation, Mapping)  # for the type checker: expect() stopped otherwise
    expect("model" in moderation, f"moderation needs its 'model' (it is required): {_moderation_model()!r}.")
    if isinstance(moderation["model"], str) and moderation["model"].startswith("text-moderation"):
        fail(
            f"moderation['model'] is {moderation['model']!r}, a retired text-only moderation model: name the "
            f"course's moderation model, MODERATION_MODEL ({_moderation_model()!r})."
        )
    expect(
        _is_moderation_model(moderation["model"]),
        f"moderation['model'] is {moderation['model']!r}: name the moderation model, MODERATION_MODEL "
        f"({_moderation_model()!r}), not the chat model.",
    )
    policy = moderation.get("policy")
    expect(
        policy is not None,
        "Without a policy nothing says to block a flagged question (the documented use is scores alongside the "
        "reply). Add 'policy': {'input': {'mode': 'block'}, 'output': {'mode': 'score'}}.",
    )
    expect(isinstance(policy, Mapping), f"policy should be a dict, but it is {describe(policy)}.")
    extra = sorted(set(policy) - {"input", "output"})
    expect(not extra, f"A policy has two keys, 'input' and 'output'; yours also has {extra}.")
    input_mode, output_mode = _side_mode(policy, "input"), _side_mode(policy, "output")
    expect(
        input_mode == "block",
        "The input's mode is 'score': the verdict is reported, but a flagged question still reaches the chat "
        "model. The school wants it stopped: 'input': {'mode': 'block'}.",
    )
    expect(
        output_mode == "score",
        "The output's mode is 'block': a flagged reply would be held back. The school wants every reply shown and "
        "its scores kept for review: 'output': {'mode': 'score'}.",
    )
    refused(completion)
    expect(
        getattr(completion, "object", None) == "chat.completion",
        f"`moderated` should be the ChatCompletion that send(client, moderated_request) returned, "
        f"but it is {describe(completion)}.",
    )
    expect(
        completion.moderation is not None,
        "The response has no moderation verdicts (completion.moderation is None): was it sent with this request? "
        "A server without the parameter (Ollama, for one) ignores it.",
    )
    return "one request: the question is checked before the model runs, the reply scored after it."


def _made_up_moderated(input_flags: Any, output_flags: Any, finish_reason: str = "stop") -> Any:
    """A ChatCompletion with ``moderation`` verdicts, from made-up JSON (no model involved).

    A side is a list of flags (one result each) or an error code.
    """
    from openai.types.chat import ChatCompletion

    def side(flags: Any) -> dict[str, Any]:
        if isinstance(flags, str):
            return {"type": "error", "code": flags, "message": f"A made-up error: {flags}."}
        results = [
            {
                "type": "moderation_result",
                "model": "omni-moderation-latest",
                "flagged": flagged,
                "categories": {name: flagged and name == "violence" for name in CATEGORIES},
                "category_scores": {name: 0.9 if flagged and name == "violence" else 0.01 for name in CATEGORIES},
                "category_applied_input_types": {name: ["text"] for name in CATEGORIES},
            }
            for flagged in flags
        ]
        return {"type": "moderation_results", "model": "omni-moderation-latest", "results": results}

    content = "" if finish_reason == "content_filter" else "A made-up reply."
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-made-up",
            "object": "chat.completion",
            "created": 0,
            "model": "made-up",
            "choices": [
                {"index": 0, "finish_reason": finish_reason, "message": {"role": "assistant", "content": content}}
            ],
            "moderation": {"input": side(input_flags), "output": side(output_flags)},
        }
    )


def _verdict(function, completion, case: str) -> Any:
    """``function(completion)``, None allowed (it is an answer here); errors become hints, a stub is "not done"."""
    if is_stub(function):
        raise NotDone()
    expect(callable(function), f"Expected a function, but got {describe(function)}.")
    try:
        got = function(completion)
    except AttributeError as error:
        if "Error" in str(error) and "results" in str(error):
            fail(
                f"On {case} your code raised AttributeError: {error}. A side can be an error instead of results: "
                "check completion.moderation.input.type == 'error' first, and return None then."
            )
        if "flagged" in str(error):
            fail(
                f"Your code raised AttributeError: {error}. completion.moderation.input has no flagged of its own: "
                "its verdicts are in .results, a list of results that each have .flagged."
            )
        raise Hint(f"Your code raised AttributeError: {error} (on {case}).") from error
    except TypeError as error:
        if "not subscriptable" in str(error):
            fail(
                f"Your code raised TypeError: {error} (on {case}). completion.moderation.input and its results are "
                "SDK objects, not dicts: read their attributes, verdict.type, verdict.results, result.flagged."
            )
        raise Hint(f"Your code raised TypeError: {error} (on {case}).") from error
    except Exception as error:  # the learner's code: any error becomes a hint
        raise Hint(f"Your code raised {type(error).__name__}: {error} (on {case}).") from error
    if got is None and _still_a_stub(function):
        raise NotDone()
    return got


@checker
def check_input_flagged(function):
    """Check ``input_flagged(completion)``: True/False for the question's verdict, None when there is none."""
    clean_question = _made_up_moderated([False], [True])
    got = _verdict(function, clean_question, "a completion whose question passed and whose reply was flagged")
    if got is None:
        fail(
            "input_flagged returned None for a question that was checked and passed: return False. "
            "None is only for an input side that is an error (did you forget `return`?)."
        )
    if isinstance(got, list):
        fail(f"input_flagged returned a list, {got}: return one True or False for the whole input, any(...).")
    expect(
        isinstance(got, bool),
        f"input_flagged should return True or False (or None), but it returned {describe(got)}.",
    )
    expect(
        got is False,
        "On a completion whose question passed and whose reply was flagged, input_flagged returned True: that is "
        "the reply's verdict (completion.moderation.output). The question's is completion.moderation.input.",
    )
    flagged_question = _made_up_moderated([True], [False])
    expect(
        _verdict(function, flagged_question, "a completion whose question was flagged") is True,
        "The question was flagged (moderation.input.results[0].flagged is True) and the reply was not, but "
        "input_flagged returned something else. Read completion.moderation.input; finish_reason only changes "
        "when a side is blocked, and this request only asked for scores.",
    )
    blocked = _made_up_moderated([True], "input_blocked", finish_reason="content_filter")
    expect(
        _verdict(function, blocked, "a completion whose flagged question was blocked") is True,
        "On a blocked request (finish_reason 'content_filter', moderation.output an error 'input_blocked') the "
        "question was flagged: input_flagged should return True. Only the input side counts.",
    )
    first_only = _made_up_moderated([True, False], [False])
    got = _verdict(function, first_only, "a completion of two messages, the first flagged")
    if got is False:
        fail(
            "A request with two input results, the first flagged and the second not, got False from input_flagged: "
            "all() asks for every result to be flagged. One flagged message is enough to flag the input: "
            "any(result.flagged for result in completion.moderation.input.results)."
        )
    second = _made_up_moderated([False, True], [False])
    got = _verdict(function, second, "a completion of two messages, the second flagged")
    expect(
        got is True,
        f"A request with a system message and a user message got two input results, the second flagged, and "
        f"input_flagged returned {got!r}: results[0] is only the first. Any flagged result flags the input: "
        "any(result.flagged for result in completion.moderation.input.results).",
    )
    failed = _made_up_moderated("moderation_failed", [False])
    got = _verdict(function, failed, "a completion whose input moderation failed")
    if got is False:
        fail(
            "When the input side is an error (moderation_failed), nobody checked the question: return None, not "
            "False. Unchecked is not the same as safe."
        )
    expect(got is None, f"When the input side is an error, return None; yours returned {describe(got)}.")
    return "any flagged input result flags the question; an error side is no verdict at all."
