"""Checks for the exercises of lesson 01 (message lists, roles, history, few-shot, a classifier).

Each prints one line, ✅ / ❌ with a hint / ⏳ not done, and never raises (see
:mod:`course_helpers.checks`). Functions that build messages are compared
exactly; API exercises are checked on the requests you sent (a recording
client passes them on to the real one) and on the structure of the
responses, never on the model's wording.

>>> check_parse_label(lambda reply: reply.lower())
❌ parse_label('Positive.') returned 'positive.'; expected 'positive'. Strip punctuation and spaces around the word.
>>> check_parse_label(...)
⏳ Not done yet: replace the ... with your code, then run this cell again.

Used in: solutions/01_messages_and_roles.ipynb (and exercises/01_messages_and_roles.ipynb)
"""

from __future__ import annotations

import copy
import re
from typing import Any

from openai import NOT_GIVEN

from . import Hint, NotDone, call, checker, counted, describe, expect, fail, is_stub, refused, sent_request

__all__ = [
    "LABELS",
    "check_add_exchange",
    "check_classifier",
    "check_few_shot_messages",
    "check_follow_up",
    "check_parse_label",
    "check_translation_messages",
]

#: The labels of the lesson's sentiment classifier.
LABELS = ("positive", "negative", "neutral")
MAX_TOKENS_HINT = (
    "Use max_completion_tokens, not max_tokens: max_tokens is the old name of the limit, and today's models "
    "(gpt-6-luna among them) reject it with a 400 unsupported_parameter error."
)
# Ways to ask for the translation and nothing around it ("Reply with the translation only.").
_NOTHING_ELSE = re.compile(
    r"\bonly\b|\bnothing (?:else|but)\b|\bjust the translation\b|\bno (?:other text|explanations?|comments?|notes?)\b",
    re.IGNORECASE,
)


def _expect_developer(role: Any, where: str) -> None:
    """Fail with a hint unless the instructions' ``role`` is 'developer' (naming 'system' as its older name)."""
    if role == "system":
        fail(
            f"{where}: the first message has role 'system'. system is the older name of the role; the exercise "
            "asks for 'developer', today's name for the same role (lesson, section 2)."
        )
    expect(
        role == "developer",
        f"{where}: the first message has role {role!r}; instructions belong in a 'developer' message, "
        "which comes first.",
    )


def _check_message_list(messages: Any, where: str) -> None:
    """Fail with a hint unless ``messages`` is a list of ``{"role", "content"}`` dicts with string content."""
    expect(
        isinstance(messages, list),
        f"{where} should return a list of message dicts, but it returned {describe(messages)}.",
    )
    for number, message in enumerate(messages):
        expect(
            isinstance(message, dict),
            f"{where}: message {number} should be a dict like "
            f"{{'role': 'user', 'content': '...'}}, but it is {describe(message)}.",
        )
        expect(
            set(message) == {"role", "content"},
            f"{where}: message {number} has the keys {sorted(message)}; a message needs exactly 'role' and 'content'.",
        )
        expect(
            isinstance(message["content"], str),
            f"{where}: the content of message {number} should be a str, but it is {describe(message['content'])}.",
        )


@checker
def check_translation_messages(translation_messages):
    """Check ``translation_messages(text, language)``: instructions in a developer message, the text alone as the user's."""
    for text, language in [("Good night, and thank you.", "Italian"), ("Where is the museum?", "Japanese")]:
        where = f"translation_messages({text!r}, {language!r})"
        messages = call(translation_messages, text, language)
        _check_message_list(messages, where)
        roles = [m["role"] for m in messages]
        expect(
            len(messages) == 2,
            f"{where} returned {counted(len(messages), 'message')} ({', '.join(roles)}); "
            "expected 2: the instructions, then the text.",
        )
        _expect_developer(roles[0], where)
        expect(
            roles[1] == "user",
            f"{where}: the second message has role {roles[1]!r}; the text to translate comes from the user.",
        )
        expect(
            language in messages[0]["content"],
            f"{where}: the developer message does not mention {language!r}. "
            "Use the `language` argument in it (an f-string), so one function serves every language.",
        )
        expect(
            text not in messages[0]["content"],
            f"{where}: the text to translate is in the developer message. "
            "Keep instructions and data apart: the text goes in the user message only.",
        )
        expect(
            re.search(r"\benglish\b", messages[0]["content"], re.IGNORECASE),
            f"{where}: the developer message does not say the text is English. Name both languages, as the "
            f"exercise asks ('Translate the user's English text into {language}.'), so the model need not guess "
            "what it is translating from.",
        )
        expect(
            _NOTHING_ELSE.search(messages[0]["content"]),
            f"{where}: the developer message does not ask for the translation only. Without that, a model may wrap "
            "it in a greeting, notes or the original text ('Sure! Here is the translation: ...'), and a program "
            "using the reply gets all of it: add 'Reply with the translation only.'",
        )
        expect(
            messages[1]["content"] == text,
            f"{where}: the user message is {messages[1]['content']!r}; "
            f"it should be exactly the text, {text!r}, with no instructions around it.",
        )
    return "instructions in the developer message, the text alone in the user message."


@checker
def check_add_exchange(add_exchange):
    """Check ``add_exchange(history, question, answer)``: a new list with the user and assistant messages appended."""
    history = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
    ]
    before = copy.deepcopy(history)
    where = "add_exchange(history, 'What is 2 + 2?', '4')"
    result = call(add_exchange, history, "What is 2 + 2?", "4")
    expect(
        history == before,
        f"{where} changed the `history` it was given: build a new list "
        "(history + [...]) and leave the original alone, so it can still be reused.",
    )
    _check_message_list(result, where)
    expect(result is not history, f"{where} returned the list it was given: return a new list.")
    expected = before + [{"role": "user", "content": "What is 2 + 2?"}, {"role": "assistant", "content": "4"}]
    expect(
        len(result) == len(expected),
        f"{where} returned {counted(len(result), 'message')}; expected {len(expected)}: "
        "all the earlier ones, then the question and the answer.",
    )
    expect(result[: len(before)] == before, f"{where}: the earlier messages should come first, unchanged.")
    if result[-2:] == expected[-2:][::-1]:
        fail(f"{where}: the question and the answer are in the wrong order: the user asks first.")
    expect(
        result[-2] == expected[-2],
        f"{where}: message {len(before)} is {result[-2]}; expected {expected[-2]} (the question, from the user).",
    )
    expect(
        result[-1] == expected[-1],
        f"{where}: the last message is {result[-1]}; expected {expected[-1]} (the answer, from the assistant).",
    )
    empty = call(add_exchange, [], "Hi", "Hello")
    expect(
        empty == [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
        f"add_exchange([], 'Hi', 'Hello') returned {describe(empty)}; expected the two new messages only.",
    )
    return "the history grows by one user and one assistant message, and the original list is untouched."


def _reference_few_shot(
    instructions: str, examples: list[tuple[str, str]], text: str, role: str = "developer"
) -> list[dict[str, str]]:
    messages = [{"role": role, "content": instructions}]
    for example_input, example_output in examples:
        messages += [{"role": "user", "content": example_input}, {"role": "assistant", "content": example_output}]
    return messages + [{"role": "user", "content": text}]


@checker
def check_few_shot_messages(few_shot_messages):
    """Check ``few_shot_messages(instructions, examples, text)`` against the reference layout."""
    instructions = "Give the opposite of the word."
    cases = [([("hot", "cold"), ("early", "late")], "big"), ([("up", "down")], "left"), ([], "open")]
    for examples, text in cases:
        where = f"few_shot_messages(instructions, {examples}, {text!r})"
        got = call(few_shot_messages, instructions, list(examples), text)
        _check_message_list(got, where)
        expected = _reference_few_shot(instructions, examples, text)
        if got == expected:
            continue
        if got and got[0]["role"] == "system":
            _expect_developer("system", where)
        roles = [m["role"] for m in got]
        expected_roles = [m["role"] for m in expected]
        expect(
            len(got) == len(expected),
            f"{where} returned {counted(len(got), 'message')} ({', '.join(roles)}); expected "
            f"{len(expected)}: the developer message, a user and an assistant message per example, then the text.",
        )
        expect(
            roles == expected_roles,
            f"{where} has the roles {roles}; expected {expected_roles}. Each example "
            "is a user message (its input) followed by an assistant message (its output).",
        )
        for number, (mine, theirs) in enumerate(zip(got, expected)):
            expect(mine == theirs, f"{where}: message {number} is {mine}; expected {theirs}.")
    return "a developer message, one user/assistant pair per example, and the new text last."


@checker
def check_parse_label(parse_label):
    """Check ``parse_label(reply)``: the one label a reply names, else ``'unknown'``."""
    cases = [
        ("positive", "positive"),
        ("Positive.", "positive"),
        ("  NEGATIVE\n", "negative"),
        ("Neutral!", "neutral"),
        ("'''negative'''", "negative"),
        ("The sentiment is positive.", "positive"),
        ("Sentiment: neutral", "neutral"),
        ("Positive. The review is positive.", "positive"),
        ("I am not sure.", "unknown"),
        ("", "unknown"),
        ("positive or negative", "unknown"),
        ("Positive: it praises the hotel's neutrality.", "positive"),
    ]
    for reply, expected in cases:
        got = call(parse_label, reply)
        where = f"parse_label({reply!r})"
        expect(
            isinstance(got, str),
            f"{where} returned {describe(got)}; return one of the strings "
            "'positive', 'negative', 'neutral' or 'unknown'.",
        )
        if got == expected:
            continue
        inside = _labels_inside_words(reply)
        if inside and (got in inside or got == "unknown"):
            word, label = inside[got] if got in inside else next(iter(inside.values()))
            fail(
                f"{where} returned {got!r}, but {word!r} is a different word that contains {label!r}: look for "
                'the labels among the reply\'s whole words (re.findall(r"[a-z]+", ...)), not as any part of '
                "the text."
            )
        if expected == "unknown" and " or " in reply:
            fail(
                f"{where} returned {got!r}: a reply that names two labels is ambiguous; return 'unknown' "
                "rather than guess."
            )
        if expected == "unknown":
            fail(
                f"{where} returned {got!r}; a reply that names no label should give 'unknown', so your "
                "program can tell a real label from a failure."
            )
        if got.strip(" .!'\"\n:").lower() == expected:
            fail(f"{where} returned {got!r}; expected {expected!r}. Strip punctuation and spaces around the word.")
        if got == "unknown" and reply.lower().count(expected) > 1:
            fail(
                f"{where} returned 'unknown', but the reply names only {expected!r}, more than once: that is "
                "one label, not several. Count the distinct labels it names."
            )
        bare = reply.strip(" .!'\"\n:")
        if got == "unknown" and bare != expected and bare.lower() == expected:
            fail(
                f"{where} returned 'unknown'; expected {expected!r}. Lower-case the reply before comparing: "
                f"{bare!r} is not {expected!r} to Python."
            )
        if reply.strip().lower() != expected and got == "unknown":
            fail(
                f"{where} returned 'unknown', but the reply does name the label {expected!r}: look for the "
                "label among the reply's words, not only at the whole reply."
            )
        fail(f"{where} returned {got!r}; expected {expected!r}. Lower-case the reply before comparing.")
    return "labels found whatever their case, punctuation or surrounding words; anything else is 'unknown'."


def _labels_inside_words(reply: str) -> dict[str, tuple[str, str]]:
    """The labels that ``reply`` contains only inside longer words, each with (that word, the label).

    >>> _labels_inside_words("Positive: it praises the hotel's neutrality.")
    {'neutral': ('neutrality', 'neutral')}
    """
    words = re.findall(r"[a-z]+", reply.lower())
    return {
        label: (next(word for word in words if label in word), label)
        for label in LABELS
        if label not in words and any(label in word for word in words)
    }


def _is_completion(value: Any) -> bool:
    return getattr(value, "object", None) == "chat.completion" and hasattr(value, "choices")


#: The token limit the conversation exercise asks for, on both requests.
FOLLOW_UP_TOKENS = 30


def check_follow_up(first_messages, first, second_messages, second) -> None:
    """Check a two-turn conversation: the requests ``send`` sent, and that the second carries the first reply.

    A refused request is reported before anything else, even while a later value is still a stub: when the
    first request gets a 400, the learner's cell stops before ``second`` is assigned, and the learner needs
    the API's reason, not ⏳.

    >>> check_follow_up(..., TypeError("create() got an unexpected keyword argument 'max_token'"), ..., ...)
    ❌ `first`: the request was not sent: create() got an unexpected keyword argument 'max_token'. Check the parameter names, then run the request's cell again.
    """
    _check_follow_up(first, first_messages=first_messages, second_messages=second_messages, second=second)


def _refused_request(name: str, response: Any) -> None:
    """Fail with the API's reason (or the max_tokens hint) when ``response`` is an error ``send`` returned."""
    if not isinstance(response, Exception):
        return
    body = getattr(response, "body", None)
    if isinstance(body, dict) and body.get("param") == "max_tokens":
        fail(f"`{name}`: the API refused the request. {MAX_TOKENS_HINT}")
    try:
        refused(response)
    except Hint as hint:
        text = str(hint)
        fail(f"`{name}`: {text[0].lower()}{text[1:]}")


def _check_follow_up_request(name: str, response: Any, messages: list) -> None:
    """Fail with a hint unless ``send`` sent ``response``'s request as the exercise asks."""
    request = sent_request(response)
    expect(
        request is not None,
        f"`{name}` was not sent by send(client, ...) in this run: send each request with "
        f"{name} = send(client, dict(...)), as the exercise shows, so the check can see what you sent "
        "(a response left over from an earlier run does not count).",
    )
    assert request is not None  # for mypy: expect() stopped otherwise
    expect("max_tokens" not in request, f"`{name}`: {MAX_TOKENS_HINT}")
    from . import hints

    info = getattr(hints, "_info", None)  # what setup() chose, if it ran
    model = request.get("model")
    expect(
        model == getattr(info, "model", model),
        f"The request of `{name}` has model={describe(model)}; send model=info.model, the model the course uses.",
    )
    expect(
        "reasoning_effort" in request,
        f"The request of `{name}` has no reasoning_effort: add reasoning_effort=info.effort. Without it, "
        "gpt-6-luna reasons at its default effort, medium, and its hidden reasoning can use up the "
        f"{FOLLOW_UP_TOKENS} tokens before it writes a word.",
    )
    effort, chosen = request["reasoning_effort"], getattr(info, "effort", None)
    expect(
        not isinstance(chosen, str) or effort == chosen,
        f"The request of `{name}` has reasoning_effort={effort!r}; send reasoning_effort=info.effort "
        f"({chosen!r}), the effort setup() picked, rather than typing one.",
    )
    limit = request.get("max_completion_tokens")
    expect(
        limit == FOLLOW_UP_TOKENS,
        f"The request of `{name}` has max_completion_tokens={limit!r}; the exercise asks for "
        f"max_completion_tokens={FOLLOW_UP_TOKENS} on both requests.",
    )
    expect(
        request.get("messages") == messages,
        f"The request of `{name}` did not send `{name}_messages` as it is now: send messages={name}_messages, "
        "and run the whole cell again after changing it.",
    )


@checker
def _check_follow_up(first, *, first_messages, second_messages, second):
    _refused_request("first", first)
    _refused_request("second", second)
    if any(is_stub(value) for value in (first_messages, second_messages, second)):
        raise NotDone()
    for name, value in [("first", first), ("second", second)]:
        expect(
            _is_completion(value),
            f"`{name}` should be the ChatCompletion that send(client, dict(...)) returned, but it is "
            f"{describe(value)}.",
        )
    for name, value in [("first_messages", first_messages), ("second_messages", second_messages)]:
        expect(
            isinstance(value, list) and value and all(isinstance(m, dict) for m in value),
            f"`{name}` should be a list of message dicts, but it is {describe(value)}.",
        )
    expect(
        first_messages[-1].get("role") == "user",
        "The last message of `first_messages` should be the user's (the fact to remember).",
    )
    expect(
        second_messages is not first_messages,
        "`second_messages` is the very same list as `first_messages`: "
        "appending to one also changed the other, so `first_messages` no longer shows what the first request "
        "sent. Build a new list, first_messages + [...], as in Exercise 2.",
    )
    _check_follow_up_request("first", first, first_messages)
    count = len(first_messages)
    expect(
        len(second_messages) == count + 2,
        f"`second_messages` has {counted(len(second_messages), 'message')}; expected "
        f"{count + 2}: the {counted(count, 'message')} of the first request, the model's reply, and the new question.",
    )
    expect(
        second_messages[:count] == first_messages,
        "`second_messages` should start with the messages of "
        "the first request, unchanged: that is the history the model needs.",
    )
    reply = second_messages[count]
    expect(
        reply.get("role") == "assistant",
        f"Message {count} of `second_messages` has role "
        f"{reply.get('role')!r}; the model's reply is an 'assistant' message.",
    )
    expect(
        reply.get("content") == first.choices[0].message.content,
        f"Message {count} of `second_messages` is "
        "not the reply the model gave: use first.choices[0].message.content, so the history is what "
        "really happened.",
    )
    expect(
        second_messages[-1].get("role") == "user",
        "The last message of `second_messages` should be the user's new question.",
    )
    _check_follow_up_request("second", second, second_messages)
    return "the second request sent the whole history, with the model's real first reply as an assistant message."


class _RecordingClient:
    """Looks like OpenAI(): records every ``chat.completions.create`` call, then makes it with the real client."""

    def __init__(self, client: Any) -> None:
        self.requests: list[dict[str, Any]] = []
        self._client = client
        self.chat = self  # so that client.chat.completions.create(...) lands on create()
        self.completions = self

    def create(self, **request: Any) -> Any:
        self.requests.append(copy.deepcopy(request))
        return self._client.chat.completions.create(**request)


def _text_of(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def _check_classifier_request(request: dict[str, Any], model: str, effort: Any, review: str, where: str) -> None:
    messages: Any = request.get("messages")
    expect(
        isinstance(messages, list) and messages and all(isinstance(m, dict) for m in messages),
        f"{where} sent messages={describe(messages)}; send a list of message dicts.",
    )
    _expect_developer(messages[0].get("role"), where)
    instructions = _text_of(messages[0]).lower()
    missing = [label for label in LABELS if label not in instructions]
    expect(
        not missing,
        f"{where}: the developer message does not name the label(s) {', '.join(missing)}. "
        "Name every allowed label, so the model knows exactly which words it may answer with.",
    )
    expect(
        review not in _text_of(messages[0]),
        f"{where}: the review is in the developer message; it belongs "
        "in the user message, so that instructions and data stay apart.",
    )
    expect(
        messages[-1].get("role") == "user" and review in _text_of(messages[-1]),
        f"{where}: the last message should be the user's, containing the review.",
    )
    expect("max_tokens" not in request, f"{where}: {MAX_TOKENS_HINT}")
    budget = request.get("max_completion_tokens")
    expect(
        isinstance(budget, int) and 1 <= budget <= 10,
        f"{where} sent max_completion_tokens={budget!r}; a label is a token or two, so cap the reply with "
        "max_completion_tokens of at most 10 (it is faster and cheaper, and stops a chatty model).",
    )
    sent_effort = request.get("reasoning_effort", NOT_GIVEN)
    expect(
        sent_effort == effort if isinstance(effort, str) else not isinstance(sent_effort, str),
        f"{where} sent reasoning_effort={describe(sent_effort)}; send the effort classify receives, "
        "reasoning_effort=effort (info.sampling.effort): gpt-6-luna takes temperature only at effort 'none'.",
    )
    expect(
        request.get("model") == model,
        f"{where} sent model={describe(request.get('model'))}; send the model classify receives, model=model.",
    )
    expect(
        request.get("temperature") == 0,
        f"{where} sent temperature={request.get('temperature')!r}; "
        "use temperature=0, so the model gives its single most likely label and the same review always "
        "gets the same answer.",
    )
    before, _, after = _text_of(messages[-1]).partition(review)
    expect(
        "'''" in before and "'''" in after,
        f"{where}: the user message is "
        f"{_text_of(messages[-1])!r}; put the review between triple quotes, f\"'''{{review}}'''\", so the model "
        "can tell the text to classify from instructions.",
    )


@checker(needs=("developer",))
def check_classifier(classify, client, model, effort=NOT_GIVEN):
    """Check ``classify(client, model, effort, review)``: the request it sends and that it returns a label."""
    if is_stub(classify):
        raise NotDone()
    for review in ["The staff was friendly and the food was excellent.", "My order arrived broken."]:
        where = f"classify(client, model, effort, {review!r})"
        recorder = _RecordingClient(client)
        try:
            label = call(classify, recorder, model, effort, review)
        except Hint:
            if recorder.requests:  # a refused request: name what was wrong in it rather than the API error
                _check_classifier_request(recorder.requests[0], model, effort, review, where)
            raise
        expect(
            len(recorder.requests) == 1,
            f"{where} made {len(recorder.requests)} requests through the "
            "`client` argument; expected exactly 1. Use the `client` it receives, not a global one.",
        )
        _check_classifier_request(recorder.requests[0], model, effort, review, where)
        expect(
            label in (*LABELS, "unknown"),
            f"{where} returned {describe(label)}; return one of 'positive', "
            "'negative', 'neutral' or 'unknown': pass the reply through your parse_label.",
        )
    return (
        "one request per review, with the labels in the developer message, the review between delimiters, "
        "reasoning_effort, temperature=0 and a small max_completion_tokens."
    )
