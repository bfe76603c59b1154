"""A room: learners' keys from a file (revoked without a restart), per-learner usage, rate limits, fair share.

Real servers on loopback (the stand-in engine), the real openai SDK; behind
``--upstream`` a second server is the engine, as in test_upstream.py.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import openai
import pytest
from openai import OpenAI

from course_helpers.__main__ import main
from course_helpers.local.server import start_in_thread
from course_helpers.local.server.fair_share import FairGate
from course_helpers.local.server.learners import Roster, parse_learners
from course_helpers.local.server.rate_limits import RateLimits
from course_helpers.local.server.room import Room
from course_helpers.local.server.serving import _check_exposure
from course_helpers.local.server.upstream import Upstream

from .conftest import TEST_DAY, wait_for
from .fake_engine import FakeEngine

INSTRUCTOR_KEY = "sk-instructor-test-key"
ADA_KEY = "sk-room-adaadaadaadaadaadaadaada"
BOB_KEY = "sk-room-bobbobbobbobbobbobbobbob"
UPSTREAM_KEY = "sk-engine-test-key"


def _write(path: Path, rows: dict[str, str]) -> None:
    path.write_text("name,key\n" + "".join(f"{name},{key}\n" for name, key in rows.items()))


@pytest.fixture
def learners_file(tmp_path) -> Path:
    path = tmp_path / "learners.csv"
    _write(path, {"ada": ADA_KEY, "bob": BOB_KEY})
    return path


def _serve(learners_file: Path, engine=None, **room_options):
    room = Room(Roster(learners_file), **room_options)
    return start_in_thread(api_key=INSTRUCTOR_KEY, engine=engine or FakeEngine(), today=lambda: TEST_DAY, room=room)


_OPENED: list[OpenAI] = []


@pytest.fixture(autouse=True)
def _close_clients():
    yield
    while _OPENED:
        _OPENED.pop().close()


def _sdk(handle, key: str, **options) -> OpenAI:
    options = {"max_retries": 0, **options}
    client = OpenAI(base_url=handle.base_url, api_key=key, _strict_response_validation=True, **options)
    _OPENED.append(client)
    return client


def _ask(client: OpenAI, text: str = "hello there room", **options):
    return client.chat.completions.create(
        model="gpt-6-luna", messages=[{"role": "user", "content": text}], max_completion_tokens=20, **options
    )


def _usage(handle) -> dict[str, dict]:
    root = handle.base_url.removesuffix("/v1")
    response = httpx.get(root + "/course/usage", headers={"authorization": f"Bearer {INSTRUCTOR_KEY}"})
    response.raise_for_status()
    return {row["name"]: row for row in response.json()["data"]}


def test_new_learners_file_is_what_serve_reads(capsys):
    assert main(["learners", "new", "30"]) == 0
    keys = parse_learners(capsys.readouterr().out)
    assert len(keys) == 30 and sorted(keys.values())[:2] == ["learner01", "learner02"]
    assert all(key.isprintable() and len(key) > 24 for key in keys)


def test_malformed_learners_file_is_refused_at_start_without_printing_keys(tmp_path):
    path = tmp_path / "learners.csv"
    path.write_text(f"name,key\nada,{ADA_KEY}\nbob\n")
    with pytest.raises(ValueError, match="line 3") as caught:
        Roster(path)
    assert ADA_KEY not in str(caught.value)


def test_a_learners_key_works_and_a_revoked_one_gets_401_at_once(learners_file):
    with _serve(learners_file) as handle:
        ada, bob = _sdk(handle, ADA_KEY), _sdk(handle, BOB_KEY)
        assert _ask(ada).choices[0].message.content
        assert _ask(bob).choices[0].message.content
        _write(learners_file, {"ada": ADA_KEY})  # bob's key revoked: no restart
        with pytest.raises(openai.AuthenticationError) as caught:
            _ask(bob)
        assert caught.value.code == "invalid_api_key"
        message = caught.value.body["message"]
        assert message.startswith("Incorrect API key provided: sk-****")
        assert BOB_KEY not in message and BOB_KEY[-4:] in message
        assert _ask(ada).choices[0].message.content  # the others keep working
        assert _ask(_sdk(handle, INSTRUCTOR_KEY)).choices[0].message.content  # and so does the instructor


def test_learners_file_broken_mid_edit_keeps_the_previous_keys(learners_file):
    with _serve(learners_file) as handle:
        learners_file.write_text("name,key\nada\n")
        assert _ask(_sdk(handle, BOB_KEY)).choices[0].message.content


def test_usage_counts_each_learner_streams_included(learners_file, capsys, monkeypatch):
    with _serve(learners_file) as handle:
        ada, bob = _sdk(handle, ADA_KEY), _sdk(handle, BOB_KEY)
        first = _ask(ada, "one two three")
        streamed = list(_ask(ada, "four five", stream=True))  # no usage asked: the engine's counts are used
        with pytest.raises(openai.BadRequestError):
            _ask(ada, temperature=9)
        reply = ada.responses.create(model="gpt-6-luna", input="six seven eight", max_output_tokens=20)
        _ask(bob)
        usage = _usage(handle)
        assert not any(chunk.usage for chunk in streamed)
        assert usage["ada"]["requests"] == 4 and usage["ada"]["errors"] == 1
        assert usage["ada"]["prompt_tokens"] > first.usage.prompt_tokens + reply.usage.input_tokens
        assert usage["ada"]["completion_tokens"] > first.usage.completion_tokens + reply.usage.output_tokens
        assert (usage["bob"]["requests"], usage["bob"]["errors"]) == (1, 0)

        monkeypatch.setenv("OPENAI_API_KEY", INSTRUCTOR_KEY)
        assert main(["usage", "--url", handle.base_url]) == 0
        table = capsys.readouterr().out
        assert "ada" in table and "bob" in table and ADA_KEY not in table
        monkeypatch.setenv("OPENAI_API_KEY", ADA_KEY)  # a learner cannot read the room's usage
        assert main(["usage", "--url", handle.base_url]) == 1


def test_rate_limit_is_openais_429_and_the_sdk_retries_after_it(learners_file):
    limits = RateLimits(requests_per_minute=1, tokens_per_minute=None, window=1.5)
    with _serve(learners_file, limits=limits) as handle:
        ada = _sdk(handle, ADA_KEY)
        answered = ada.chat.completions.with_raw_response.create(
            model="gpt-6-luna", messages=[{"role": "user", "content": "hi"}], max_completion_tokens=5
        )
        assert answered.headers["x-ratelimit-limit-requests"] == "1"
        assert answered.headers["x-ratelimit-remaining-requests"] == "0"
        with pytest.raises(openai.RateLimitError) as caught:
            _ask(ada)
        refusal = caught.value
        assert refusal.code == "rate_limit_exceeded" and refusal.type == "requests"
        assert int(refusal.response.headers["retry-after"]) >= 1
        assert refusal.response.headers["x-ratelimit-remaining-requests"] == "0"
        assert refusal.response.headers["x-ratelimit-reset-requests"].endswith(("ms", "s"))
        assert _ask(_sdk(handle, BOB_KEY)).choices[0].message.content  # a limit is per learner

        assert _ask(_sdk(handle, ADA_KEY, max_retries=2)).choices[0].message.content  # waited retry-after
        usage = _usage(handle)["ada"]
        assert usage["rate_limited"] >= 2 and usage["requests"] - usage["rate_limited"] == 2


def test_token_limit_refuses_with_type_tokens(learners_file):
    with _serve(learners_file, limits=RateLimits(None, tokens_per_minute=5)) as handle:
        ada = _sdk(handle, ADA_KEY)
        _ask(ada, "a reply longer than five tokens in all")
        with pytest.raises(openai.RateLimitError) as caught:
            _ask(ada)
        assert caught.value.type == "tokens" and caught.value.code == "rate_limit_exceeded"
        assert caught.value.response.headers["x-ratelimit-remaining-tokens"] == "0"


def test_greedy_learners_queue_does_not_delay_anothers_first_request_past_one_place():
    async def run() -> list[str]:
        gate, started = FairGate(total=2, per_learner=2), []
        release = anyio.Event()

        async def ask(name: str, number: int) -> None:
            async with gate.place(name):
                started.append(f"{name}{number}")
                if name == "greedy" and number < 2:
                    await release.wait()  # the first two hold the places until ada is queued
                else:
                    await anyio.sleep(0.01)

        async with anyio.create_task_group() as tasks:
            for number in range(10):
                tasks.start_soon(ask, "greedy", number)
            await anyio.sleep(0.05)
            assert gate.waiting("greedy") == 8  # two in the engine, eight queued
            tasks.start_soon(ask, "ada", 0)
            await anyio.sleep(0.05)
            release.set()
        return started

    started = anyio.run(run)
    assert started.index("ada0") <= 3  # greedy0, greedy1 hold the places; at most one greedy request goes first


def test_per_learner_bound_leaves_room_for_others():
    async def run() -> tuple[int, bool]:
        gate = FairGate(total=8, per_learner=2)
        release = anyio.Event()
        admitted = anyio.Event()

        async def greedy() -> None:
            async with gate.place("greedy"):
                await release.wait()

        async def ada() -> None:
            async with gate.place("ada"):
                admitted.set()

        async with anyio.create_task_group() as tasks:
            for _ in range(10):
                tasks.start_soon(greedy)
            await anyio.sleep(0.05)
            running = gate.running["greedy"]
            tasks.start_soon(ada)
            with anyio.fail_after(5):
                await admitted.wait()
            release.set()
        return running, admitted.is_set()

    assert anyio.run(run) == (2, True)


def test_learners_keys_allow_listening_beyond_loopback(learners_file):
    _check_exposure("0.0.0.0", None, Room(Roster(learners_file)))  # the learners' keys are the key
    with pytest.raises(ValueError, match="--learners"):
        _check_exposure("0.0.0.0", None, None)


def test_room_without_instructor_key_serves_usage_to_this_machine_only(learners_file):
    room = Room(Roster(learners_file))
    with start_in_thread(engine=FakeEngine(), today=lambda: TEST_DAY, room=room) as handle:
        with pytest.raises(openai.AuthenticationError):
            _ask(_sdk(handle, "sk-anything"))  # a room always wants a learner's key
        _ask(_sdk(handle, ADA_KEY))
        rows = httpx.get(handle.base_url.removesuffix("/v1") + "/course/usage").json()["data"]
        assert [row["name"] for row in rows] == ["ada", "bob"] and rows[0]["requests"] == 1


# ---- behind --upstream: the room's keys at the front, the engine's key behind it ----------------------------


@pytest.fixture(scope="module")
def upstream_server():
    with start_in_thread(api_key=UPSTREAM_KEY, engine=FakeEngine(), today=lambda: TEST_DAY) as handle:
        yield handle


def _no_local_chat() -> FakeEngine:
    raise AssertionError("behind --upstream the local chat engine must not be used")


def test_behind_upstream_keys_usage_and_stream_usage(learners_file, upstream_server):
    room = Room(Roster(learners_file), limits=RateLimits(requests_per_minute=50, tokens_per_minute=None))
    upstream = Upstream(upstream_server.base_url, api_key=UPSTREAM_KEY)
    with start_in_thread(
        api_key=INSTRUCTOR_KEY, engine=_no_local_chat, today=lambda: TEST_DAY, upstream=upstream, room=room
    ) as front:
        ada = _sdk(front, ADA_KEY)
        whole = _ask(ada, "one two three four")
        chunks = list(_ask(ada, "five six seven", stream=True))
        asked = list(_ask(ada, "eight nine", stream=True, stream_options={"include_usage": True}))
        with pytest.raises(openai.AuthenticationError):
            _ask(_sdk(front, UPSTREAM_KEY))  # the engine's key is not a learner's
        assert all(chunk.choices for chunk in chunks)  # the usage chunk the room asked for is not passed on
        assert asked[-1].usage is not None and not asked[-1].choices
        text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
        assert text
        usage = _usage(front)["ada"]
        assert (usage["requests"], usage["errors"]) == (3, 0)
        streamed_completion = (
            usage["completion_tokens"] - whole.usage.completion_tokens - asked[-1].usage.completion_tokens
        )
        assert streamed_completion > 0
        raw = ada.chat.completions.with_raw_response.create(
            model="gpt-6-luna", messages=[{"role": "user", "content": "x"}], max_completion_tokens=5
        )
        assert raw.headers["x-ratelimit-remaining-requests"] == "46"


def test_summary_names_learners_never_keys(learners_file):
    room = Room(Roster(learners_file))
    room.usage.record("ada", prompt_tokens=3, completion_tokens=4, error=False)
    summary = room.summary()
    assert "usage: ada requests=1 prompt_tokens=3 completion_tokens=4" in summary
    assert "usage: bob requests=0" in summary
    assert ADA_KEY not in summary and BOB_KEY not in summary


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_command_prints_usage_on_sigusr1_and_at_shutdown(learners_file, tmp_path):
    port = _free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "course_helpers", "serve", "--port", str(port), "--learners", str(learners_file)]
    command += ["--upstream", "http://127.0.0.1:9/v1"]  # no local model to load; chat is not asked here
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            models = f"http://127.0.0.1:{port}/v1/models"
            assert wait_for(lambda: process.poll() is not None or _answers(models, BOB_KEY), timeout=180)
            assert process.poll() is None, log.read_text()
            assert httpx.get(models, headers={"authorization": f"Bearer {ADA_KEY}"}).status_code in (200, 502)
            process.send_signal(signal.SIGUSR1)
            assert wait_for(lambda: "usage: ada requests=1" in log.read_text(), timeout=60)
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
    text = log.read_text()
    assert text.count("usage: ada requests=1") == 2  # on demand, then at shutdown
    assert "usage: bob requests=1" in text and "2 learners' keys" in text
    assert ADA_KEY not in text and BOB_KEY not in text


def _answers(url: str, key: str) -> bool:
    try:
        return httpx.get(url, headers={"authorization": f"Bearer {key}"}, timeout=60).status_code != 401
    except httpx.ConnectError:  # not listening yet (a request that reached it would count in the usage)
        return False
