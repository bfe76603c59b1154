"""Tests for course_helpers/conversation.py: message tables, a chat's memory, the chat widget."""

from __future__ import annotations

from types import SimpleNamespace

import openai
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessage

from conftest import GOOD_KEY
from course_helpers.conversation import ChatApp, Conversation, chat_app, show_messages
from course_helpers.local import store


class RecordingClient:
    """Stands in for OpenAI(): records each request, answers "reply 1", "reply 2", ... or raises."""

    def __init__(self, error: Exception | None = None, finish_reason: str = "stop") -> None:
        self.requests: list[dict] = []
        self.error = error
        self.finish_reason = finish_reason
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self._create))

    def _create(self, **request):
        self.requests.append({**request, "messages": [dict(m) for m in request["messages"]]})
        if self.error:
            raise self.error
        message = SimpleNamespace(role="assistant", content=f"reply {len(self.requests)}")
        usage = SimpleNamespace(prompt_tokens=10 * len(self.requests), completion_tokens=2)
        return SimpleNamespace(
            choices=[SimpleNamespace(message=message, finish_reason=self.finish_reason)], usage=usage
        )


def test_show_messages_takes_dicts_and_sdk_messages():
    table = show_messages(
        [{"role": "user", "content": "Hi <there>"}, ChatCompletionMessage(role="assistant", content="Hello")]
    )
    assert table.rows == [("user", "Hi <there>"), ("assistant", "Hello")]
    html = table._repr_html_()
    assert "Hi &lt;there&gt;" in html and "🤖" in html


def test_show_messages_joins_text_parts():
    table = show_messages([{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}])
    assert table.rows == [("user", "ab")]


def test_every_request_sends_the_whole_history():
    client = RecordingClient()
    chat = Conversation(client, "m", system="Be brief.", max_completion_tokens=5)
    assert chat.ask("first") == "reply 1"
    assert chat.ask("second") == "reply 2"
    assert [m["role"] for m in client.requests[1]["messages"]] == ["system", "user", "assistant", "user"]
    assert client.requests[1]["messages"][2]["content"] == "reply 1"
    assert client.requests[1]["max_completion_tokens"] == 5 and client.requests[1]["model"] == "m"
    assert chat.messages[-1] == {"role": "assistant", "content": "reply 2"}
    assert chat.last_sent == client.requests[1]["messages"]


def test_reset_keeps_only_the_system_message():
    chat = Conversation(RecordingClient(), "m", system="S")
    chat.ask("hello")
    chat.reset()
    assert chat.messages == [{"role": "system", "content": "S"}]
    assert Conversation(RecordingClient(), "m").messages == []


@pytest.mark.parametrize(("max_turns", "sent"), [(None, 6), (2, 6), (1, 4), (0, 2)])
def test_max_turns_keeps_the_system_message_and_the_latest_turns(max_turns, sent):
    client = RecordingClient()
    chat = Conversation(client, "m", system="S", max_turns=max_turns)
    for text in ["a", "b", "c"]:
        chat.ask(text)
    last = client.requests[-1]["messages"]
    assert len(last) == sent
    assert last[0]["role"] == "system" and last[-1] == {"role": "user", "content": "c"}
    assert len(chat.messages) == 7  # the full history is kept; only what is sent is trimmed


def test_a_failed_request_does_not_leave_an_unanswered_question():
    chat = Conversation(RecordingClient(error=RuntimeError("down")), "m", system="S")
    with pytest.raises(RuntimeError):
        chat.ask("hello")
    assert chat.messages == [{"role": "system", "content": "S"}]


def test_chat_app_answers_from_code_over_http(fake_api):
    client = OpenAI(base_url=fake_api, api_key=GOOD_KEY, max_retries=0)
    app = chat_app(client, "fake-model", system="Be kind.", max_completion_tokens=8)
    assert isinstance(app, ChatApp)
    assert app.send("Hello") == "Hi"
    assert "Hello" in app.transcript.value and "Hi" in app.transcript.value
    assert "sent 2 messages" in app.status.value
    app.reset()
    assert app.conversation.messages == [{"role": "system", "content": "Be kind."}]


def test_chat_app_shows_an_api_error_instead_of_raising(refused_url):
    client = OpenAI(base_url=refused_url, api_key="k", max_retries=0, timeout=2)
    app = chat_app(client, "m")
    assert app.send("Hello") is None
    assert "APIConnectionError" in app.status.value
    assert app.conversation.messages == []
    assert not app.send_button.disabled


def test_pressing_enter_sends_and_clears_the_text_box():
    app = ChatApp(Conversation(RecordingClient(), "m"))
    app.text.value = "  typed  "
    assert app.text.value == ""
    assert app.conversation.messages[0] == {"role": "user", "content": "typed"}
    assert isinstance(openai.APIError, type)


def test_local_prompt_text_explains_when_the_model_is_missing(monkeypatch, tmp_path):
    from course_helpers.conversation import local_prompt_text

    monkeypatch.setattr(store, "is_cached", lambda name: False)
    assert "python -m course_helpers pull" in local_prompt_text([{"role": "user", "content": "Hi"}])


@pytest.mark.skipif(
    not store.is_cached(store.CHAT_MODEL),
    reason="the local model is not downloaded (python -m course_helpers pull)",
)
def test_local_prompt_text_renders_the_real_template_with_developer_as_system():
    from course_helpers.conversation import local_prompt_text

    text = local_prompt_text([{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    assert text.index("system\nBe brief.") < text.index("user\nHi")
    assert text.rstrip().endswith("assistant")


def test_the_chat_window_reads_as_a_transcript_where_widgets_do_not_render():
    """GitHub shows text/html or text/plain: the conversation so far, not a raw ``VBox(children=...)``."""
    bundle = ChatApp(Conversation(RecordingClient(), "m", system="You are a tutor.")).mimebundle()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # Jupyter still gets the live window
    for fallback in (bundle["text/html"], bundle["text/plain"]):
        assert "You are a tutor." in fallback and "run this cell in Jupyter" in fallback
        assert "VBox" not in fallback


@pytest.mark.parametrize("finish_reason", ["length", "stop"])
def test_the_chat_window_says_when_a_reply_was_cut_by_the_token_limit(finish_reason):
    """A reply cut mid-sentence by max_completion_tokens must not look like the model's whole answer."""
    app = ChatApp(Conversation(RecordingClient(finish_reason=finish_reason), "m"))
    app.send("Tell me everything.")
    assert ("cut by the token limit" in app.status.value) == (finish_reason == "length")
