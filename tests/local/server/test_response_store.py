"""Stored responses through the real openai SDK: store, retrieve, delete, input_items, previous_response_id.

Each test gets a new app (``app_client``), so its store starts empty. The
stand-in engine echoes the last message, and ``engine.prompt_text()`` shows
what the model was asked, so a test can see what a chain puts before the input.
"""

from __future__ import annotations

import openai
import pytest

from course_helpers.local.server.response_store import ResponseStore

MODEL = "gpt-4o-mini"


@pytest.fixture
def client(app_client):
    return app_client()


def _texts(items) -> list[tuple[str, str]]:
    return [(item.role, "".join(part.text for part in item.content)) for item in items]


def test_a_response_is_stored_by_default_and_retrieved_as_it_was_returned(client):
    response = client.responses.create(model=MODEL, input="one two")
    assert response.model_extra["store"] is True  # the API sends it; the SDK's Response has no field for it
    assert client.responses.retrieve(response.id).to_dict() == response.to_dict()


def test_store_false_is_reported_and_not_kept(client):
    response = client.responses.create(model=MODEL, input="one two", store=False)
    assert response.model_extra["store"] is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="more", previous_response_id=response.id)
    assert caught.value.code == "previous_response_not_found"


def test_delete_answers_the_deletion_object_and_forgets_the_response(client):
    response = client.responses.create(model=MODEL, input="one two")
    raw = client.responses.with_raw_response.delete(response.id)
    assert raw.http_response.json() == {"id": response.id, "object": "response", "deleted": True}
    assert raw.parse() is None  # what client.responses.delete returns
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(response.id)


def test_input_items_are_listed_newest_first_a_page_at_a_time(client):
    given = [
        {"role": "developer", "content": "Answer briefly."},
        {"role": "user", "content": [{"type": "input_text", "text": "first"}]},
        {"role": "assistant", "content": "reply"},
        {"role": "user", "content": "last words"},
    ]
    response = client.responses.create(model=MODEL, input=given)
    expected = [("developer", "Answer briefly."), ("user", "first"), ("assistant", "reply"), ("user", "last words")]
    assert _texts(client.responses.input_items.list(response.id).data) == expected[::-1]
    assert _texts(client.responses.input_items.list(response.id, order="asc").data) == expected
    first_page = client.responses.input_items.list(response.id, order="asc", limit=3)
    assert (len(first_page.data), first_page.has_more) == (3, True)
    assert _texts(client.responses.input_items.list(response.id, order="asc", limit=3)) == expected  # auto-paging
    assert all(item.id.startswith("msg_") and item.status == "completed" for item in first_page.data)


def test_previous_response_id_puts_the_first_turn_before_the_second(client, engine):
    first = client.responses.create(model=MODEL, input="hello there")
    second = client.responses.create(model=MODEL, input="second turn", previous_response_id=first.id)
    assert engine.prompt_text() == "<role> hello there <role> hello there <role> second turn"
    assert second.previous_response_id == first.id
    assert second.output_text == "second turn "
    expected = [("user", "hello there"), ("assistant", "hello there "), ("user", "second turn")]
    assert _texts(client.responses.input_items.list(second.id, order="asc")) == expected


def test_the_previous_responses_instructions_are_not_carried_over(client, engine):
    first = client.responses.create(model=MODEL, input="hello", instructions="Be brief.")
    assert engine.prompt_text() == "<role> Be brief. <role> hello"
    second = client.responses.create(model=MODEL, input="again", previous_response_id=first.id)
    assert engine.prompt_text() == "<role> hello <role> hello <role> again"
    assert second.instructions is None
    client.responses.create(model=MODEL, input="more", previous_response_id=second.id, instructions="Say more.")
    assert engine.prompt_text() == "<role> Say more. <role> hello <role> hello <role> again <role> again <role> more"


def test_a_chain_keeps_working_when_its_first_response_is_deleted(client, engine):
    first = client.responses.create(model=MODEL, input="alpha")
    second = client.responses.create(model=MODEL, input="beta", previous_response_id=first.id)
    client.responses.delete(first.id)
    client.responses.create(model=MODEL, input="gamma", previous_response_id=second.id)
    assert engine.prompt_text() == "<role> alpha <role> alpha <role> beta <role> beta <role> gamma"


def test_an_unknown_previous_response_is_openais_400(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="hi", previous_response_id="resp_does_not_exist")
    error = caught.value
    assert (error.param, error.code, error.type) == (
        "previous_response_id",
        "previous_response_not_found",
        "invalid_request_error",
    )
    assert error.body["message"] == "Previous response with id 'resp_does_not_exist' not found."


def test_an_id_that_is_not_a_response_id_is_a_400(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="hi", previous_response_id="msg_123")
    assert (caught.value.param, caught.value.code) == ("previous_response_id", "invalid_value")
    assert (
        caught.value.body["message"]
        == "Invalid 'previous_response_id': 'msg_123'. Expected an ID that begins with 'resp'."
    )


@pytest.mark.parametrize("call", ["retrieve", "delete", "input_items"])
def test_an_unknown_response_is_a_404(client, call):
    method = {
        "retrieve": client.responses.retrieve,
        "delete": client.responses.delete,
        "input_items": client.responses.input_items.list,
    }[call]
    with pytest.raises(openai.NotFoundError) as caught:
        method("resp_unknown")
    assert caught.value.body["message"] == "Response with id 'resp_unknown' not found."


def test_a_streamed_response_is_stored_when_its_stream_ends(client, engine):
    events = list(client.responses.create(model=MODEL, input="one two", stream=True))
    assert events[0].response.model_extra["store"] is True
    final = events[-1].response
    assert client.responses.retrieve(final.id).to_dict() == final.to_dict()
    client.responses.create(model=MODEL, input="three", previous_response_id=final.id)
    assert engine.prompt_text() == "<role> one two <role> one two <role> three"


def test_a_stream_cut_by_the_token_limit_is_stored_as_incomplete(client):
    words = " ".join(f"w{i}" for i in range(20))
    final = list(client.responses.create(model=MODEL, input=words, stream=True, max_output_tokens=16))[-1]
    assert client.responses.retrieve(final.response.id).status == "incomplete"


def test_retrieving_as_a_stream_is_refused_by_name(client):
    response = client.responses.create(model=MODEL, input="one")
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.retrieve(response.id, stream=True)
    assert caught.value.param == "stream"


def test_the_store_keeps_only_the_most_recent_responses(app_client):
    client = app_client(max_stored_responses=3)
    ids = [client.responses.create(model=MODEL, input=f"turn {n}").id for n in range(5)]
    for forgotten in ids[:2]:
        with pytest.raises(openai.NotFoundError):
            client.responses.retrieve(forgotten)
    assert [client.responses.retrieve(kept).id for kept in ids[2:]] == ids[2:]
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model=MODEL, input="more", previous_response_id=ids[0])


def test_storing_one_more_forgets_the_oldest_first():
    store = ResponseStore(limit=2)
    for n in range(3):
        store.add({"id": f"resp_{n}", "output": []}, input_items=[])
    store.delete("resp_1")
    store.add({"id": "resp_3", "output": []}, input_items=[])
    assert ["resp_0" in store, "resp_2" in store, "resp_3" in store, len(store)] == [False, True, True, 2]
