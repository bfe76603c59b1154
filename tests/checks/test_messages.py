"""Tests for course_helpers/checks/messages.py: right answers pass, wrong ones get the hint that teaches."""

from __future__ import annotations

import doctest
import re
from types import SimpleNamespace

import httpx2
import openai
import pytest
from openai.types.chat import ChatCompletion

from course_helpers.checks import hints, send
from course_helpers.checks import messages as checks


def one_line(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out.strip()


def completion(content="Sure.", prompt_tokens=9, id="chatcmpl-1") -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": id,
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
        {"role": "developer", "content": f"Translate English into {language}. Reply with the translation only."},
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
                {"role": "developer", "content": f"To {language}: {text}"},
                {"role": "user", "content": text},
            ],
            "Keep instructions and data apart",
        ),
        (
            lambda text, language: [{"role": "developer", "text": language}, {"role": "user", "content": text}],
            "needs exactly 'role' and 'content'",
        ),
        (
            lambda text, language: [
                {"role": "developer", "content": f"You translate English into {language}."},
                {"role": "user", "content": text},
            ],
            "does not ask for the translation only",
        ),
        (
            lambda text, language: [
                {"role": "developer", "content": f"Translate the user's English text into {language}. Be accurate."},
                {"role": "user", "content": text},
            ],
            "does not ask for the translation only",
        ),
        (
            lambda text, language: [
                {"role": "developer", "content": f"Translate English into {language}, the translation only."},
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
        "Translate the user's English text into {language} and reply with nothing else.",
        "You translate English to {language}. Output just the translation, no explanations.",
    ],
)
def test_check_translation_messages_passes(capsys, instructions):
    def translation_messages(text, language):
        return [
            {"role": "developer", "content": instructions.format(language=language)},
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
        messages = [{"role": "developer", "content": instructions}]
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


def bad_request(param: str, message: str) -> openai.BadRequestError:
    """A 400 as the SDK raises it for gpt-6-luna (made here, no server involved)."""
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    body = {"message": message, "type": "invalid_request_error", "param": param, "code": "unsupported_parameter"}
    return openai.BadRequestError("Error code: 400", response=httpx2.Response(400, request=request), body=body)


def client_raising(error):
    def create(**request):
        raise error

    return SimpleNamespace(chat=SimpleNamespace(completions=SimpleNamespace(create=create)))


MAX_TOKENS_REFUSED = bad_request("max_tokens", "Unsupported parameter: 'max_tokens' is not supported with this model.")
MINIMAL_REFUSED = bad_request("reasoning_effort", "Unsupported value: 'minimal' is not supported with this model.")
INFO = SimpleNamespace(model="gpt-6-luna", effort="none")  # what setup() chose, as the checks read it
FACT = [{"role": "user", "content": "My favourite colour is green."}]
QUESTION = {"role": "user", "content": "What is my favourite colour?"}


@pytest.fixture
def course_info(monkeypatch):
    monkeypatch.setattr(hints, "_info", INFO)


class CountingClient:
    """Stands in for OpenAI(): a fixed reply, each response with its own id (as send() needs to tell them apart)."""

    def __init__(self, reply="Noted!") -> None:
        self.reply = reply
        self.count = 0
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self.create))

    def create(self, **request):
        self.count += 1
        return completion(
            self.reply, prompt_tokens=10 * len(request["messages"]), id=f"chatcmpl-{id(self)}-{self.count}"
        )


def follow_up_request(messages, **changes):
    """The exercise's request for ``messages``; a change to None leaves that parameter out."""
    request = {"model": INFO.model, "reasoning_effort": INFO.effort, "messages": messages, "max_completion_tokens": 30}
    request.update(changes)
    return {name: value for name, value in request.items() if value is not None}


def conversation(first_changes=None, second_changes=None):
    """The four values of exercise 5, sent through send() as the exercise asks."""
    client = CountingClient()
    first = send(client, follow_up_request(FACT, **(first_changes or {})))
    second_messages = FACT + [{"role": "assistant", "content": first.choices[0].message.content}, QUESTION]
    second = send(client, follow_up_request(second_messages, **(second_changes or {})))
    return FACT, first, second_messages, second


def test_check_follow_up_passes(capsys, course_info):
    checks.check_follow_up(*conversation())
    assert one_line(capsys).startswith("✅")


@pytest.mark.parametrize("turn", ["first", "second"])
@pytest.mark.parametrize(
    ("changes", "hint"),
    [
        ({"reasoning_effort": None}, "has no reasoning_effort: add reasoning_effort=info.effort"),
        ({"reasoning_effort": "medium"}, "send reasoning_effort=info.effort ('none')"),
        ({"max_completion_tokens": 100}, "max_completion_tokens=30 on both requests"),
        ({"max_completion_tokens": None}, "max_completion_tokens=30 on both requests"),
        ({"max_completion_tokens": None, "max_tokens": 30}, "Use max_completion_tokens, not max_tokens"),
        ({"model": "gpt-5-mini"}, "send model=info.model"),  # aging: allow
    ],
)
def test_check_follow_up_checks_both_requests_sent(capsys, course_info, turn, changes, hint):
    checks.check_follow_up(*conversation(**{f"{turn}_changes": changes}))
    line = one_line(capsys)
    assert line.startswith("❌") and f"`{turn}`" in line and hint in line


def test_check_follow_up_refuses_responses_not_sent_by_send(capsys, course_info):
    """A response made by create() directly (or left over from another run) shows no request to check."""
    first_messages, _, second_messages, second = conversation()
    checks.check_follow_up(first_messages, completion("Noted!", id="made-elsewhere"), second_messages, second)
    line = one_line(capsys)
    assert line.startswith("❌") and "`first` was not sent by send(client, ...)" in line


def test_check_follow_up_a_refused_second_request_beats_leftover_values(capsys, course_info):
    """An earlier run left right values; this run's second request got a 400: send() returned the error."""
    first_messages, first, second_messages, _ = conversation()
    refused = send(client_raising(MAX_TOKENS_REFUSED), follow_up_request(second_messages, max_tokens=30))
    checks.check_follow_up(first_messages, first, second_messages, refused)
    line = one_line(capsys)
    assert line.startswith("❌") and "`second`" in line and "Use max_completion_tokens, not max_tokens" in line


def test_check_follow_up_a_refused_first_request_in_a_fresh_kernel_is_not_a_stub(capsys, course_info):
    """The learner's cell stopped at first.choices, so second_messages and second are still the sheet's stubs."""
    refused = send(client_raising(MINIMAL_REFUSED), follow_up_request(FACT, reasoning_effort="minimal"))
    checks.check_follow_up(FACT, refused, ..., ...)
    line = one_line(capsys)
    assert line.startswith("❌") and "`first`: the API refused your request (400" in line and "'minimal'" in line


def test_check_follow_up_sees_messages_changed_after_sending(capsys, course_info):
    first_messages, first, second_messages, second = conversation()
    changed = [*second_messages[:-1], {"role": "user", "content": "And my favourite food?"}]
    checks.check_follow_up(first_messages, first, changed, second)
    assert "did not send `second_messages` as it is now" in one_line(capsys)


@pytest.mark.parametrize(
    ("mistake", "hint"),
    [
        (
            lambda f, first, s, second: (f, first, [*f, {"role": "assistant", "content": "Else"}, QUESTION], second),
            "not the reply the model gave",
        ),
        (lambda f, first, s, second: (f, first, [QUESTION], second), "has 1 message; expected 3: the 1 message of"),
        (lambda f, first, s, second: (f, "Noted!", s, second), "should be the ChatCompletion"),
        (lambda f, first, s, second: (s, first, s, second), "the very same list"),
    ],
)
def test_check_follow_up_hints_on_the_history(capsys, course_info, mistake, hint):
    checks.check_follow_up(*mistake(*conversation()))
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


def test_check_follow_up_waits_for_the_stubs(capsys):
    checks.check_follow_up(..., ..., ..., ...)
    assert one_line(capsys).startswith("⏳")


def classify(client, model, effort, review):
    response = client.chat.completions.create(
        model=model,
        reasoning_effort=effort,
        messages=[
            {"role": "developer", "content": "Label the review: positive, negative or neutral."},
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
                {"role": "developer", "content": "positive, negative or neutral?"},
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
                {"role": "developer", "content": "positive, negative or neutral?"},
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
            messages=[{"role": "developer", "content": "Classify the sentiment."}, {"role": "user", "content": review}],
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
                {"role": "developer", "content": "positive, negative or neutral?"},
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
                {"role": "developer", "content": "positive, negative or neutral?"},
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
                {"role": "developer", "content": "positive, negative or neutral?"},
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


def test_check_few_shot_messages_passes_with_a_developer_message(capsys):
    checks.check_few_shot_messages(checks._reference_few_shot)
    assert one_line(capsys).startswith("✅")


def test_check_few_shot_messages_refuses_instructions_as_a_user_message(capsys):
    checks.check_few_shot_messages(
        lambda instructions, examples, text: checks._reference_few_shot(instructions, examples, text, "user")
    )
    line = one_line(capsys)
    assert line.startswith("❌") and "has the roles" in line


SYSTEM_NOT_DEVELOPER = "system is the older name of the role; the exercise asks for 'developer', today's name"


def test_check_translation_messages_refuses_system_where_the_task_asks_for_developer(capsys):
    checks.check_translation_messages(
        lambda text, language: [
            {"role": "system", "content": translation(text, language)[0]["content"]},
            translation(text, language)[1],
        ]
    )
    line = one_line(capsys)
    assert line.startswith("❌") and SYSTEM_NOT_DEVELOPER in line


def test_check_few_shot_messages_refuses_system_where_the_task_asks_for_developer(capsys):
    checks.check_few_shot_messages(
        lambda instructions, examples, text: checks._reference_few_shot(instructions, examples, text, "system")
    )
    line = one_line(capsys)
    assert line.startswith("❌") and SYSTEM_NOT_DEVELOPER in line


def test_check_classifier_refuses_system_where_the_task_asks_for_developer(capsys):
    def with_system(client, model, effort, review):
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

    checks.check_classifier(with_system, EchoClient("Positive."), "m", "none")
    line = one_line(capsys)
    assert line.startswith("❌") and SYSTEM_NOT_DEVELOPER in line


@pytest.mark.parametrize(
    "instructions",
    ["Translate into {language}. Reply with the translation only.", "Reply in {language}, with the translation only."],
)
def test_check_translation_messages_asks_to_say_the_text_is_english(capsys, instructions):
    checks.check_translation_messages(
        lambda text, language: [
            {"role": "developer", "content": instructions.format(language=language)},
            {"role": "user", "content": text},
        ]
    )
    line = one_line(capsys)
    assert line.startswith("❌") and "does not say the text is English" in line


def substring_labels(reply):
    """A wrong parse_label: finds labels anywhere in the text, inside longer words too."""
    found = [label for label in checks.LABELS if label in reply.lower()]
    return found[0] if len(found) == 1 else "unknown"


def first_substring_label(reply):
    """A wrong parse_label: the first label found anywhere in the text ('neutral' first), 'unknown' for 'or'."""
    if " or " in reply:
        return "unknown"
    return next((label for label in ("neutral", "positive", "negative") if label in reply.lower()), "unknown")


@pytest.mark.parametrize("function", [substring_labels, first_substring_label])
def test_check_parse_label_asks_for_whole_words(capsys, function):
    checks.check_parse_label(function)
    line = one_line(capsys)
    assert line.startswith("❌") and "'neutrality' is a different word that contains 'neutral'" in line


def test_hints_count_one_message_in_the_singular(capsys):
    checks.check_translation_messages(lambda text, language: [{"role": "user", "content": text}])
    line = one_line(capsys)
    assert "returned 1 message (user)" in line and "1 messages" not in line


def test_docstring_examples():
    assert doctest.testmod(checks).failed == 0


def test_check_classifier_is_skipped_on_a_backend_without_the_developer_role(capsys, backend_lacking):
    backend_lacking("developer")

    def classify(client, model, effort, review):
        raise AssertionError("a skipped check must not call the learner's function")

    checks.check_classifier(classify, EchoClient(), "llama3.2")
    checks.check_classifier(..., EchoClient(), "llama3.2")  # not "not done yet" either: the exercise cannot run here
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert line.startswith("⏭️ Skipped on this backend: it has no ")
        assert "developer role (HTTP 400: developer is not supported)" in line
        assert line.endswith("the built-in backend and the OpenAI API have it.")


def test_checks_that_send_nothing_still_check_on_that_backend(capsys, backend_lacking):
    backend_lacking("developer")
    checks.check_translation_messages(translation)
    assert one_line(capsys).startswith("✅ Correct")
