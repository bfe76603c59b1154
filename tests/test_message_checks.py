"""Tests for course_helpers/message_checks.py: right answers pass, wrong ones get the hint that teaches."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from openai.types.chat import ChatCompletion

from course_helpers import message_checks as checks


def one_line(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out.strip()


def completion(content="Sure.", prompt_tokens=9) -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 2, "total_tokens": prompt_tokens + 2},
        }
    )


class EchoClient:
    """Stands in for OpenAI(): answers every request with a fixed reply, longer prompts more tokens."""

    def __init__(self, reply="positive") -> None:
        self.reply = reply
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self.create))

    def create(self, **request):
        return completion(self.reply, prompt_tokens=10 * len(request["messages"]))


def translation(text, language):
    return [
        {"role": "system", "content": f"Translate English into {language}. Reply with the translation only."},
        {"role": "user", "content": text},
    ]


@pytest.mark.parametrize(
    ("function", "hint"),
    [
        (lambda text, language: [{"role": "user", "content": f"Translate into {language}: {text}"}], "expected 2"),
        (lambda text, language: translation(text, language)[::-1], "instructions belong in a 'developer' message"),
        (lambda text, language: translation(text, "Italian"), "does not mention 'Japanese'"),
        (
            lambda text, language: [translation(text, language)[0], {"role": "user", "content": f"Translate: {text}"}],
            "exactly the text",
        ),
        (
            lambda text, language: [
                {"role": "system", "content": f"To {language}: {text}"},
                {"role": "user", "content": text},
            ],
            "Keep instructions and data apart",
        ),
        (
            lambda text, language: [{"role": "system", "text": language}, {"role": "user", "content": text}],
            "needs exactly 'role' and 'content'",
        ),
        (
            lambda text, language: [
                {"role": "system", "content": f"You translate English into {language}."},
                {"role": "user", "content": text},
            ],
            "does not ask for the translation only",
        ),
        (
            lambda text, language: [
                {"role": "system", "content": f"Translate the user's text into {language}. Be accurate."},
                {"role": "user", "content": text},
            ],
            "does not ask for the translation only",
        ),
        (
            lambda text, language: [
                {"role": "developer", "content": f"Translate into {language}, the translation only."},
                {"role": "user", "content": f"Translate: <<{text}>>"},
            ],
            "with no instructions around it",
        ),
    ],
)
def test_check_translation_messages_hints(capsys, function, hint):
    checks.check_translation_messages(function)
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


@pytest.mark.parametrize(
    "instructions",
    [
        "Translate English into {language}. Reply with the translation only.",
        "Translate the user's text into {language} and reply with nothing else.",
        "You translate English to {language}. Output just the translation, no explanations.",
    ],
)
def test_check_translation_messages_passes(capsys, instructions):
    def translation_messages(text, language):
        return [
            {"role": "system", "content": instructions.format(language=language)},
            {"role": "user", "content": text},
        ]

    checks.check_translation_messages(translation_messages)
    assert one_line(capsys).startswith("✅")


def add_exchange(history, question, answer):
    return history + [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


def mutating(history, question, answer):
    history.append({"role": "user", "content": question})
    history.append({"role": "assistant", "content": answer})
    return history


@pytest.mark.parametrize(
    ("function", "hint"),
    [
        (mutating, "changed the `history`"),
        (lambda h, q, a: h + [{"role": "assistant", "content": a}, {"role": "user", "content": q}], "wrong order"),
        (lambda h, q, a: h + [{"role": "user", "content": q}], "expected 5"),
        (lambda h, q, a: [{"role": "user", "content": q}, {"role": "assistant", "content": a}], "expected 5"),
    ],
)
def test_check_add_exchange_hints(capsys, function, hint):
    checks.check_add_exchange(function)
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


def test_check_add_exchange_passes(capsys):
    checks.check_add_exchange(add_exchange)
    assert one_line(capsys).startswith("✅")


def test_check_few_shot_messages(capsys):
    checks.check_few_shot_messages(checks._reference_few_shot)
    assert one_line(capsys).startswith("✅")

    def swapped(instructions, examples, text):
        messages = [{"role": "system", "content": instructions}]
        for example_input, example_output in examples:
            messages += [{"role": "assistant", "content": example_output}, {"role": "user", "content": example_input}]
        return messages + [{"role": "user", "content": text}]

    checks.check_few_shot_messages(swapped)
    assert "Each example is a user message (its input) followed by an assistant message" in one_line(capsys)

    checks.check_few_shot_messages(lambda instructions, examples, text: [{"role": "user", "content": text}])
    assert "expected 6" in one_line(capsys)


def parse_label(reply):
    words = set(re.findall(r"[a-z]+", reply.lower()))
    found = [label for label in checks.LABELS if label in words]
    return found[0] if len(found) == 1 else "unknown"


@pytest.mark.parametrize(
    ("function", "hint"),
    [
        (lambda reply: reply.strip().lower(), "Strip punctuation"),
        (lambda reply: next((label for label in checks.LABELS if label in reply.lower()), "unknown"), "ambiguous"),
        (lambda reply: next((label for label in checks.LABELS if label in reply.lower()), "positive"), "no label"),
        (
            lambda reply: reply.strip(" .!'\n") if reply.strip(" .!'\n") in checks.LABELS else "unknown",
            "Lower-case the reply",
        ),
        (
            lambda reply: (
                reply.strip(" .!'\n").lower() if reply.strip(" .!'\n").lower() in checks.LABELS else "unknown"
            ),
            "among the reply's words",
        ),
        (
            lambda reply: (
                found[0]
                if len(found := [word for word in re.findall(r"[a-z]+", reply.lower()) if word in checks.LABELS]) == 1
                else "unknown"
            ),
            "one label, not several",
        ),
        (lambda reply: None, "forget `return`"),
    ],
)
def test_check_parse_label_hints(capsys, function, hint):
    checks.check_parse_label(function)
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


def test_check_parse_label_passes(capsys):
    checks.check_parse_label(parse_label)
    assert one_line(capsys).startswith("✅")


def test_check_follow_up(capsys):
    first_messages = [{"role": "user", "content": "My favourite colour is green."}]
    first = completion("Noted!", prompt_tokens=12)
    second_messages = first_messages + [
        {"role": "assistant", "content": "Noted!"},
        {"role": "user", "content": "What is my favourite colour?"},
    ]
    second = completion("Green.", prompt_tokens=30)
    checks.check_follow_up(first_messages, first, second_messages, second)
    assert one_line(capsys).startswith("✅")

    made_up = first_messages + [{"role": "assistant", "content": "Something else"}, second_messages[-1]]
    checks.check_follow_up(first_messages, first, made_up, second)
    assert "not the reply the model gave" in one_line(capsys)

    checks.check_follow_up(first_messages, first, [second_messages[-1]], second)
    assert "expected 3" in one_line(capsys)

    checks.check_follow_up(first_messages, first, second_messages, completion(prompt_tokens=12))
    assert "did you pass second_messages" in one_line(capsys)

    checks.check_follow_up(first_messages, "Noted!", second_messages, second)
    assert "should be the ChatCompletion" in one_line(capsys)

    shared = [{"role": "user", "content": "My favourite colour is green."}]
    shared += [{"role": "assistant", "content": "Noted!"}, {"role": "user", "content": "What is my favourite colour?"}]
    checks.check_follow_up(shared, first, shared, second)
    assert "the very same list" in one_line(capsys)

    checks.check_follow_up(..., ..., ..., ...)
    assert one_line(capsys).startswith("⏳")


def classify(client, model, effort, review):
    response = client.chat.completions.create(
        model=model,
        reasoning_effort=effort,
        messages=[
            {"role": "system", "content": "Label the review: positive, negative or neutral."},
            {"role": "user", "content": f"'''{review}'''"},
        ],
        temperature=0,
        max_completion_tokens=3,
    )
    return parse_label(response.choices[0].message.content)


def test_check_classifier_passes_and_records_the_real_request(capsys):
    checks.check_classifier(classify, EchoClient("Positive."), "m", "none")
    assert one_line(capsys).startswith("✅")


def test_check_classifier_hints(capsys):
    def hot(client, model, effort, review):
        response = client.chat.completions.create(
            model=model,
            reasoning_effort=effort,
            messages=[
                {"role": "system", "content": "positive, negative or neutral?"},
                {"role": "user", "content": review},
            ],
            temperature=1,
            max_completion_tokens=3,
        )
        return parse_label(response.choices[0].message.content)

    checks.check_classifier(hot, EchoClient(), "m", "none")
    assert "use temperature=0" in one_line(capsys)

    def long(client, model, effort, review):
        client.chat.completions.create(
            model=model,
            reasoning_effort=effort,
            messages=[
                {"role": "system", "content": "positive, negative or neutral?"},
                {"role": "user", "content": review},
            ],
            temperature=0,
            max_completion_tokens=200,
        )
        return "positive"

    checks.check_classifier(long, EchoClient(), "m", "none")
    assert "at most 10" in one_line(capsys)

    def no_labels(client, model, effort, review):
        client.chat.completions.create(
            model=model,
            reasoning_effort=effort,
            messages=[{"role": "system", "content": "Classify the sentiment."}, {"role": "user", "content": review}],
            temperature=0,
            max_completion_tokens=3,
        )
        return "positive"

    checks.check_classifier(no_labels, EchoClient(), "m", "none")
    assert "does not name the label(s) positive, negative, neutral" in one_line(capsys)

    def raw_reply(client, model, effort, review):
        response = client.chat.completions.create(
            model=model,
            reasoning_effort=effort,
            messages=[
                {"role": "system", "content": "positive, negative or neutral?"},
                {"role": "user", "content": f"'''{review}'''"},
            ],
            temperature=0,
            max_completion_tokens=3,
        )
        return response.choices[0].message.content

    checks.check_classifier(raw_reply, EchoClient("Positive."), "m", "none")
    assert "pass the reply through your parse_label" in one_line(capsys)

    def no_delimiters(client, model, effort, review):
        client.chat.completions.create(
            model=model,
            reasoning_effort=effort,
            messages=[
                {"role": "system", "content": "positive, negative or neutral?"},
                {"role": "user", "content": review},
            ],
            temperature=0,
            max_completion_tokens=3,
        )
        return "positive"

    checks.check_classifier(no_delimiters, EchoClient(), "m", "none")
    assert "between triple quotes" in one_line(capsys)

    def global_client(client, model, effort, review):
        return "positive"

    checks.check_classifier(global_client, EchoClient(), "m", "none")
    assert "made 0 requests" in one_line(capsys)


def test_check_classifier_waits_for_a_stub(capsys):
    def classify(client, model, effort, review): ...  # YOUR CODE HERE

    checks.check_classifier(classify, EchoClient(), "m", "none")
    assert one_line(capsys).startswith("⏳")


def test_check_classifier_passes_without_an_effort(capsys):
    """Under a model without efforts (NOT_GIVEN), classify passes effort on and the SDK leaves it out."""
    checks.check_classifier(classify, EchoClient("Positive."), "m")
    assert one_line(capsys).startswith("✅")


def _request(max_tokens_name="max_completion_tokens", **extra):
    def classify(client, model, effort, review):
        request = {
            "model": model,
            "reasoning_effort": effort,
            "messages": [
                {"role": "system", "content": "positive, negative or neutral?"},
                {"role": "user", "content": f"'''{review}'''"},
            ],
            "temperature": 0,
            max_tokens_name: 3,
        }
        request.update(extra)
        request = {key: value for key, value in request.items() if value is not None}
        return parse_label(client.chat.completions.create(**request).choices[0].message.content)

    return classify


class RefusingClient(EchoClient):
    """Like gpt-6-luna on the local server: a request with max_tokens gets a 400."""

    def create(self, **request):
        if "max_tokens" in request:
            raise RuntimeError("Error code: 400 - unsupported_parameter: max_tokens")
        return super().create(**request)


@pytest.mark.parametrize(
    ("classify", "hint"),
    [
        (_request("max_tokens"), "Use max_completion_tokens, not max_tokens"),
        (_request(reasoning_effort=None), "send the effort classify receives"),
        (_request(reasoning_effort="medium"), "send the effort classify receives"),
        (_request(model="gpt-4o-mini"), "send the model classify receives"),  # aging: allow
    ],
)
def test_check_classifier_names_todays_parameters(capsys, classify, hint):
    checks.check_classifier(classify, EchoClient(), "m", "none")
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


def test_a_refused_max_tokens_request_gets_the_hint_not_the_api_error(capsys):
    checks.check_classifier(_request("max_tokens"), RefusingClient(), "m", "none")
    line = one_line(capsys)
    assert line.startswith("❌") and "Use max_completion_tokens, not max_tokens" in line


@pytest.mark.parametrize("role", ["developer", "system"])
def test_check_few_shot_messages_takes_either_name_for_the_instructions(capsys, role):
    checks.check_few_shot_messages(
        lambda instructions, examples, text: checks._reference_few_shot(instructions, examples, text, role)
    )
    assert one_line(capsys).startswith("✅")


def test_check_few_shot_messages_refuses_instructions_as_a_user_message(capsys):
    checks.check_few_shot_messages(
        lambda instructions, examples, text: checks._reference_few_shot(instructions, examples, text, "user")
    )
    line = one_line(capsys)
    assert line.startswith("❌") and "has the roles" in line
