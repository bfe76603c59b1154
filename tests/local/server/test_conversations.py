"""Conversations through the real openai SDK: create, retrieve, update, delete, items, and responses in one.

Each test gets a new app (``app_client``); the stand-in engine echoes the
last message, and ``engine.prompt_text()`` shows what the model was asked.
"""

from __future__ import annotations

import openai
import pytest

MODEL = "gpt-4o-mini"


@pytest.fixture
def client(app_client):
    return app_client()


def _texts(items) -> list[tuple[str, str]]:
    return [(item.role, "".join(part.text for part in item.content)) for item in items]


def test_create_retrieve_update_delete(client):
    conversation = client.conversations.create(metadata={"topic": "demo"})
    assert conversation.id.startswith("conv_") and conversation.object == "conversation"
    assert client.conversations.retrieve(conversation.id).to_dict() == conversation.to_dict()
    updated = client.conversations.update(conversation.id, metadata={"topic": "other"})
    assert updated.metadata == {"topic": "other"} == client.conversations.retrieve(conversation.id).metadata
    deleted = client.conversations.delete(conversation.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (conversation.id, True, "conversation.deleted")
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(conversation.id)


def test_two_responses_leave_four_items_in_order(client, engine):
    conversation = client.conversations.create()
    first = client.responses.create(model=MODEL, input="one two", conversation=conversation.id)
    second = client.responses.create(model=MODEL, input="three four", conversation={"id": conversation.id})
    assert engine.prompt_text() == "<role> one two <role> one two <role> three four"
    assert first.conversation.id == second.conversation.id == conversation.id
    expected = [("user", "one two"), ("assistant", "one two "), ("user", "three four"), ("assistant", "three four ")]
    assert _texts(client.conversations.items.list(conversation.id, order="asc")) == expected
    newest_first = client.conversations.items.list(conversation.id)
    assert _texts(newest_first.data) == expected[::-1]
    assert newest_first.data[0].id == second.output[0].id  # the output message itself, with its id


def test_a_conversations_first_items_come_before_the_input(client, engine):
    given = [{"role": "developer", "content": "Answer briefly."}, {"role": "user", "content": "first question"}]
    conversation = client.conversations.create(items=given)
    client.responses.create(model=MODEL, input="and now", conversation=conversation.id, instructions="Be kind.")
    assert engine.prompt_text() == "<role> Be kind. <role> Answer briefly. <role> first question <role> and now"


def test_a_streamed_response_extends_its_conversation(client):
    conversation = client.conversations.create()
    events = list(client.responses.create(model=MODEL, input="one", conversation=conversation.id, stream=True))
    assert events[-1].type == "response.completed"
    assert _texts(client.conversations.items.list(conversation.id, order="asc")) == [
        ("user", "one"),
        ("assistant", "one "),
    ]


def test_items_are_added_retrieved_and_deleted(client):
    conversation = client.conversations.create(items=[{"role": "user", "content": "first"}])
    added = client.conversations.items.create(
        conversation.id,
        items=[{"role": "assistant", "content": "a reply"}, {"type": "message", "role": "user", "content": "second"}],
    )
    assert _texts(added.data) == [("assistant", "a reply"), ("user", "second")]
    assert (added.first_id, added.last_id, added.has_more) == (added.data[0].id, added.data[1].id, False)
    reply = client.conversations.items.retrieve(added.first_id, conversation_id=conversation.id)
    assert reply.to_dict() == added.data[0].to_dict()
    after = client.conversations.items.delete(added.first_id, conversation_id=conversation.id)
    assert after.id == conversation.id
    assert _texts(client.conversations.items.list(conversation.id, order="asc")) == [
        ("user", "first"),
        ("user", "second"),
    ]
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.retrieve(added.first_id, conversation_id=conversation.id)


def test_at_most_twenty_items_at_a_time(client):
    items = [{"role": "user", "content": f"item {n}"} for n in range(21)]
    with pytest.raises(openai.BadRequestError) as caught:
        client.conversations.create(items=items)
    assert (caught.value.param, caught.value.code) == ("items", "array_above_max_length")
    conversation = client.conversations.create(items=items[:20])
    assert len(client.conversations.items.list(conversation.id, limit=100).data) == 20


def test_a_conversation_and_a_previous_response_together_are_a_400(client):
    conversation = client.conversations.create()
    first = client.responses.create(model=MODEL, input="one", conversation=conversation.id)
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="two", conversation=conversation.id, previous_response_id=first.id)
    assert (caught.value.param, caught.value.code) == (None, "mutually_exclusive_parameters")
    assert len(client.conversations.items.list(conversation.id).data) == 2  # the refused request added nothing


def test_an_unknown_conversation_is_a_404(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model=MODEL, input="hi", conversation="conv_unknown")
    assert caught.value.param == "conversation"
    assert caught.value.body["message"] == "Conversation with id 'conv_unknown' not found."
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.list("conv_unknown")
    with pytest.raises(openai.NotFoundError):
        client.conversations.update("conv_unknown", metadata=None)


def test_an_id_that_is_not_a_conversation_id_is_a_400(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="hi", conversation="resp_123")
    assert (caught.value.param, caught.value.code) == ("conversation", "invalid_value")


def test_only_the_most_recent_conversations_are_kept(app_client):
    client = app_client(max_conversations=2)
    ids = [client.conversations.create().id for _ in range(3)]
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(ids[0])
    assert [client.conversations.retrieve(kept).id for kept in ids[1:]] == ids[1:]
