"""The capability probe against real servers started with ``--without``: its yes/no and reasons, ``needs()``'s
note, and a check that skips on a backend without what its exercise needs.

The servers run the echoing stand-in engine. Tools are not probed here: the stand-in's 64-token context is
too small for a tool's schema (the probe reports that 400 as a no, rightly for such an engine). Speech and
transcription are probed only where they are switched off (a 404 before any model loads), to keep these
tests light on 2 cores.
"""

from __future__ import annotations

import itertools
import re

import httpx
import openai
import pytest
from openai import OpenAI

from course_helpers import checks
from course_helpers.course import capabilities
from course_helpers.course.backends import BackendInfo
from course_helpers.course.capabilities import FEATURES, NO, NOT_CHECKED, YES, needs, probe
from course_helpers.local.server import start_in_thread
from course_helpers.local.server.upstream import Upstream
from course_helpers.local.server.without import parse_without

from .conftest import API_KEY, TEST_DAY
from .fake_engine import FakeEngine

# What the fake engine answers at once; the others load a model (moderation, audio), open a WebSocket or
# build a tool grammar, and have tests of their own below.
HEAVY = ("tools", "moderations", "request_moderation", "speech", "realtime", "transcription", "tokenize")
LIGHT = tuple(name for name in FEATURES if name not in HEAVY)
MODEL = "gpt-4o-mini"  # as the other server tests, on their TEST_DAY (aging: allow)


def _server(without: str, **options):
    return start_in_thread(
        api_key=API_KEY, engine=FakeEngine(), today=lambda: TEST_DAY, without=parse_without(without), **options
    )


def test_a_full_server_has_every_probed_feature():
    with _server("") as handle:
        found = probe(handle.base_url, API_KEY, MODEL, features=(*LIGHT, "moderations"))
    assert {name: found.status(name) for name in (*LIGHT, "moderations")} == dict.fromkeys((*LIGHT, "moderations"), YES)
    assert found.status("speech") == NOT_CHECKED  # not in features: never guessed
    assert found.tail() == ""


def test_missing_endpoints_are_no_with_the_404():
    with _server("moderations,audio,responses") as handle:
        found = probe(
            handle.base_url, API_KEY, MODEL, features=("chat", "responses", "moderations", "speech", "transcription")
        )
    assert found.lacks() == ["responses", "moderations", "speech", "transcription"]
    assert found.findings["moderations"].reason == "HTTP 404: Not Found"
    assert found.status("chat") == YES
    assert found.tail() == " · lacks: responses, moderations, speech, transcription"


def test_refused_parameters_are_no_with_the_servers_message():
    with _server("n,seed,logprobs,developer,json_mode,json_schema,streaming") as handle:
        found = probe(handle.base_url, API_KEY, MODEL, features=LIGHT)
    assert found.lacks() == ["streaming", "n", "seed", "logprobs", "developer", "json_mode", "json_schema"]
    assert found.findings["n"].reason == "HTTP 400: n > 1 is not supported (this server runs with --without n)."
    assert found.findings["developer"].reason.startswith("HTTP 400: Unknown role: developer")
    assert found.status("chat") == YES and found.status("responses") == YES


def test_a_stateless_responses_api_is_no_stored_responses_with_vllms_404():
    with _server("stored_responses,conversations") as handle:
        found = probe(
            handle.base_url, API_KEY, MODEL, features=("chat", "responses", "stored_responses", "conversations")
        )
    assert found.status("responses") == YES  # plain Responses requests still work
    assert found.lacks() == ["stored_responses", "conversations"]
    assert re.fullmatch(r"HTTP 404: Response with id 'resp_\w+' not found\.", found.findings["stored_responses"].reason)
    assert found.findings["conversations"].reason == "HTTP 404: Not Found"


def test_without_stored_responses_nothing_is_kept():
    with _server("stored_responses") as handle:
        client = OpenAI(base_url=handle.base_url, api_key=API_KEY, max_retries=0)
        response = client.responses.create(model=MODEL, input="Hi", max_output_tokens=16)
        assert response.store is False  # asked for the default, store=true: turned off, as vLLM does
        with pytest.raises(openai.NotFoundError):
            client.responses.retrieve(response.id)


_RESPONSE_NUMBERS = itertools.count(1)


def _ollama_like(request: httpx.Request) -> httpx.Response:
    """/v1/responses as Ollama answers it (openai/responses.go, ToResponse): a 200 that ignores
    previous_response_id (null in the answer) and says store false."""
    number = next(_RESPONSE_NUMBERS)
    text = {"type": "output_text", "text": "Hello", "annotations": [], "logprobs": []}
    message = {"id": "msg_1", "type": "message", "status": "completed", "role": "assistant", "content": [text]}
    body = {
        "id": f"resp_{number}",
        "object": "response",
        "created_at": 0,
        "status": "completed",
        "model": MODEL,
        "previous_response_id": None,
        "output": [message],
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "store": False,
    }
    return httpx.Response(200, json=body)


def test_a_server_that_ignores_previous_response_id_is_no_stored_responses():
    transport = httpx.MockTransport(_ollama_like)
    client = OpenAI(base_url="http://ollama.test/v1", api_key="ollama", http_client=httpx.Client(transport=transport))
    missing = capabilities._probes(client, {"model": MODEL}, "omni-moderation-latest", 5.0)["stored_responses"]()
    assert missing == (
        "answered without continuing the earlier response: the server ignores previous_response_id "
        "and keeps no responses (store=false)"
    )


def test_behind_upstream_the_switch_works_the_same():
    with start_in_thread(api_key="sk-upstream-key", engine=FakeEngine(), today=lambda: TEST_DAY) as engine:
        upstream = Upstream(engine.base_url, api_key="sk-upstream-key")
        with _server("n,moderations,request_moderation", upstream=upstream) as front:
            features = ("chat", "n", "seed", "moderations", "request_moderation")
            found = probe(front.base_url, API_KEY, MODEL, features=features)
    assert found.status("chat") == YES and found.status("seed") == YES
    assert found.lacks() == ["n", "moderations", "request_moderation"]


def test_no_chat_means_nothing_else_is_guessed():
    with _server("chat") as handle:
        found = probe(handle.base_url, API_KEY, MODEL, features=("chat", "n", "moderations"))
    assert found.findings["chat"].reason == "HTTP 404: Not Found"
    assert found.status("n") == NOT_CHECKED
    assert found.findings["n"].reason == "chat did not answer (HTTP 404: Not Found)"


def test_a_wrong_key_is_no_chat_and_the_key_is_not_in_any_reason():
    with _server("") as handle:
        found = probe(handle.base_url, "sk-wrong-secret-0123456789", MODEL, features=("chat", "n"))
    assert found.findings["chat"].reason.startswith("HTTP 401")
    assert all("sk-wrong-secret-0123456789" not in f.reason for f in found.findings.values())


def test_unknown_without_feature_is_refused():
    with pytest.raises(ValueError, match="unknown feature 'moderation'"):
        parse_without("moderation")


@pytest.fixture
def server_backend(monkeypatch):
    """A server backend without moderations and n, as setup() would describe it, probed for the tests below."""
    monkeypatch.setattr(capabilities, "_cache", {})
    with _server("moderations,n") as handle:
        info = BackendInfo("server", MODEL, handle.base_url, "…", None)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        monkeypatch.setattr(capabilities, "FEATURES", ("chat", "n", "seed", "moderations"))
        monkeypatch.setattr("course_helpers.checks.hints._info", info)
        yield info


def test_needs_prints_one_note_and_returns_false(server_backend, capsys):
    assert needs("seed") is True
    assert capsys.readouterr().out == ""
    assert needs("moderations") is False
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"⚠️ Skipped: this backend ({server_backend.base_url}) has no /v1/moderations (HTTP 404")
    assert "serve --upstream URL" in lines[0]


def test_the_probe_runs_once_per_backend(server_backend):
    first = capabilities.capabilities()
    assert capabilities.capabilities() is first
    assert first.status("n") == NO


def test_a_check_needing_a_missing_feature_says_skipped(server_backend, capsys):
    @checks.checker(needs=("moderations",))
    def check_flagged(result):
        checks.expect(result is True, "Not flagged.")

    check_flagged(...)  # a stub: skipped, not "not done", on this backend
    check_flagged(False)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("⏭️ Skipped on this backend: it has no /v1/moderations (HTTP 404") for line in lines)

    @checks.checker(needs=("seed",))
    def check_seeded(value):
        checks.expect(value == 1, "Use seed=1.")

    check_seeded(1)
    assert capsys.readouterr().out == "✅ Correct!\n"


def test_each_feature_is_probed_once_and_only_when_asked(server_backend):
    first = capabilities.capabilities(features=("moderations",))
    assert set(first.findings) == {"moderations"}  # what setup() asks: nothing else was sent
    found_once = first.findings["moderations"]
    later = capabilities.capabilities(features=("moderations", "seed"))
    assert later.findings["moderations"] is found_once
    assert later.status("seed") == YES


def test_doctor_prints_the_probe_one_line_per_feature(course_env, monkeypatch, capsys):
    from course_helpers.course.doctor import doctor

    monkeypatch.setattr(capabilities, "FEATURES", ("chat", "n", "moderations", "speech"))
    with _server("moderations,speech") as handle:
        (course_env / ".env").write_text(
            f"OPENAI_BASE_URL={handle.base_url}\nOPENAI_API_KEY={API_KEY}\nCOURSE_MODEL={MODEL}\n"
        )
        assert doctor() == 0  # a missing feature is a warning: the course runs, those cells skip
    out = capsys.readouterr().out
    assert "✅ chat completions: yes\n✅ n > 1: yes\n⚠️ /v1/moderations: no: HTTP 404: Not Found\n" in out
    assert "⚠️ speech (/v1/audio/speech): no: HTTP 404: Not Found" in out


def test_a_misspelled_feature_is_an_error_before_anything_is_sent(monkeypatch):
    monkeypatch.setattr("course_helpers.checks.hints._info", None)  # would start a backend if it got that far
    with pytest.raises(ValueError, match="unknown feature 'moderation'"):
        needs("moderation")


def test_before_setup_a_check_needing_a_feature_just_checks(monkeypatch, capsys):
    monkeypatch.setattr("course_helpers.checks.hints._info", None)

    @checks.checker(needs=("moderations",))
    def check_flagged(result):
        checks.expect(result is True, "Not flagged.")

    check_flagged(False)
    assert capsys.readouterr().out == "❌ Not flagged.\n"


def test_realtime_is_yes_when_the_session_updates_and_no_with_the_refused_upgrade():
    with _server("") as full, _server("realtime") as bare:
        found = probe(full.base_url, API_KEY, MODEL, features=("realtime",))
        missing = probe(bare.base_url, API_KEY, MODEL, features=("realtime", "speech"))
    assert found.status("realtime") == YES
    assert missing.findings["realtime"].reason == "HTTP 403 on the WebSocket upgrade"
    assert missing.status("speech") == YES  # the Speech API is its own feature: lesson 05's deprecated cell


def test_realtime_with_a_wrong_key_is_no_and_the_key_is_not_in_the_reason():
    with _server("") as handle:
        found = probe(handle.base_url, "sk-wrong-secret-0123456789", MODEL, features=("realtime",))
    assert found.status("realtime") == NO
    assert found.findings["realtime"].reason.startswith("error event: Incorrect API key provided")
    assert "sk-wrong-secret-0123456789" not in found.findings["realtime"].reason


def test_realtime_on_a_closed_port_is_not_checked():
    with _server("") as handle:
        base_url = handle.base_url
    found = probe(base_url, API_KEY, MODEL, features=("realtime",), timeout=5)
    assert found.status("realtime") == NOT_CHECKED
    assert found.findings["realtime"].reason.startswith("could not connect")


def test_request_moderation_is_yes_only_with_the_verdicts():
    with _server("") as full, _server("request_moderation") as bare:
        found = probe(full.base_url, API_KEY, MODEL, features=("chat", "request_moderation"))
        ignored = probe(bare.base_url, API_KEY, MODEL, features=("chat", "request_moderation", "moderations"))
    assert found.status("request_moderation") == YES
    assert ignored.findings["request_moderation"].reason == (
        "answered without moderation results: the server ignores moderation="
    )
    assert ignored.status("moderations") == YES  # /v1/moderations is another feature


def test_request_moderation_refused_by_the_engine_is_no_with_its_400():
    import httpx
    from openai import OpenAI

    def engine(request: httpx.Request) -> httpx.Response:  # an engine that validates strictly, as a 400
        error = {"message": "Extra inputs are not permitted: moderation", "type": "BadRequestError", "code": 400}
        return httpx.Response(400, json={"error": error})

    transport = httpx.Client(transport=httpx.MockTransport(engine))
    with OpenAI(base_url="http://engine/v1", api_key=API_KEY, max_retries=0, http_client=transport) as client:
        check = capabilities._probes(client, {"model": MODEL}, "omni-moderation-latest", 5.0)["request_moderation"]
        with pytest.raises(Exception) as refused:
            check()
    assert capabilities._reason(refused.value) == (NO, "HTTP 400: Extra inputs are not permitted: moderation")


def test_the_notes_of_the_new_features_say_where_to_get_them(monkeypatch, capsys):
    monkeypatch.setattr(capabilities, "_cache", {})
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    with _server("realtime,request_moderation") as handle:
        info = BackendInfo("server", MODEL, handle.base_url, "…", None)
        monkeypatch.setattr("course_helpers.checks.hints._info", info)
        assert needs("realtime") is False
        assert needs("request_moderation") is False
    notes = capsys.readouterr().out.splitlines()
    assert notes == [
        f"⚠️ Skipped: this backend ({handle.base_url}) has no Realtime API (/v1/realtime) "
        f"(HTTP 403 on the WebSocket upgrade); {capabilities._SERVED}.",
        f"⚠️ Skipped: this backend ({handle.base_url}) has no request moderation (the moderation= parameter of "
        "chat completions) (answered without moderation results: the server ignores moderation=); "
        f"{capabilities._SERVED}.",
    ]


def test_tokenize_is_yes_with_token_ids_and_no_with_ollamas_404():
    with _server("") as full, _server("tokenize") as bare:
        found = probe(full.base_url, API_KEY, MODEL, features=("tokenize",))
        missing = probe(bare.base_url, API_KEY, MODEL, features=("tokenize",))
        detokenize = httpx.post(
            bare.base_url.removesuffix("/v1") + "/detokenize",
            headers={"Authorization": f"Bearer {API_KEY}"},
            json={"model": MODEL, "tokens": [1]},
        )
    assert found.status("tokenize") == YES
    assert missing.findings["tokenize"].reason == "HTTP 404: Not Found"
    assert detokenize.status_code == 404  # its pair goes with it
    assert "vLLM" in missing.note("tokenize")


def test_a_wrong_key_says_nothing_of_a_feature_asked_alone():
    # needs("seed") probes seed alone: a 401 there is a key problem, not "this backend has no seed"
    with _server("") as handle:
        found = probe(handle.base_url, "sk-wrong-secret-0123456789", MODEL, features=("seed",))
    assert found.status("seed") == NOT_CHECKED
    assert found.findings["seed"].reason.startswith("HTTP 401")
    assert found.lacks() == []
