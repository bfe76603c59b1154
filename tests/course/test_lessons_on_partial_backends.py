"""Every lesson notebook, and every solutions notebook, run to its end on a backend that lacks features.

The backend is a real course server (the app ``python -m course_helpers serve --without ...`` runs, on
the built-in SmolLM2 engine, started in this process on a loopback port) with parts switched off as
an engine would lack them (see :mod:`course_helpers.local.server.without`). The notebook's kernel uses
it as a learner's ``.env`` would: ``OPENAI_BASE_URL`` and a key, so ``setup()`` picks the ``server``
backend and the capability probe asks that server what it has.

For each notebook and each set of missing features, the test asserts what a learner would see:

- no error output in any cell (a traceback is a failed lesson);
- for each missing feature the lesson uses, the exact note the probe gives for it (``needs()``), at
  least once, and no note for a feature the server has;
- in a solutions notebook, every check cell prints one line: "⏭️ Skipped on this backend" when its check
  needs a missing feature (``checker(needs=...)``), "✅" otherwise (never ⏳, ❌ or a traceback).

The sets are what real engines look like (docs/instructors.md, "Which lessons run on which
backend"): none has ``/v1/moderations``, the ``moderation=`` parameter or audio; on top of that,
Ollama ignores ``n``, keeps no responses (no ``previous_response_id``, no conversations) and has no
``/tokenize``; llama.cpp's server has no Responses API and no ``n > 1``; and the harshest, a
server with chat and nothing else. Every notebook runs on the chat-only server; a notebook runs on another
set only where that set takes away something the lesson uses and no other run took away the same (lesson
04 on an Ollama-like and on a llama.cpp-like server is the same run). With most features off most cells
skip, so the runs are short.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

from course_helpers import checks
from course_helpers.course.capabilities import FEATURES, NO, probe
from course_helpers.course.models import DEFAULTS
from course_helpers.course.notebooks import execute, is_check_cell, read
from course_helpers.local.server import start_in_thread

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "sk-partial-backend-test-key"
CELL_TIMEOUT = 900  # seconds per cell: lesson 07 timed out at 300 on a loaded 2-core machine (SmolLM2 engine)

BARE_ENGINE = ("moderations", "request_moderation", "speech", "realtime", "transcription")
BACKENDS = {
    "ollama-like": (*BARE_ENGINE, "n", "stored_responses", "conversations", "tokenize"),
    "llama.cpp-like": (*BARE_ENGINE, "n", "responses"),
    "chat-only": tuple(name for name in FEATURES if name != "chat"),
}

NEEDS_CALL = re.compile(r"\bneeds\(([^)]*)\)")


def _needs_calls(source: str) -> list[tuple[str, ...]]:
    """The features of each ``needs(...)`` call in a cell's source, in the order it asks for them."""
    return [tuple(re.findall(r"[\"']([a-z_]+)[\"']", args)) for args in NEEDS_CALL.findall(source)]


def _uses(folder: str) -> dict[str, tuple[str, ...]]:
    """What each notebook asks ``needs()`` for, read from its cells (so a newly guarded cell is tested too)."""
    uses = {}
    for path in sorted((ROOT / folder).glob("0*.ipynb")):
        names = {
            name
            for cell in read(path).cells
            if cell.cell_type == "code"
            for call in _needs_calls(cell.source)
            for name in call
        }
        uses[path.name[:2]] = tuple(sorted(names))
    return uses


USES = _uses("notebooks")
SOLUTIONS_USE = _uses("solutions")


def _runs(folder: str, uses: dict[str, tuple[str, ...]]) -> list[tuple[str, Path]]:
    """(backend, notebook) pairs: every notebook on chat-only; on another set, the notebooks where it switches
    off something the lesson uses, once per distinct set of missing features (the same run otherwise)."""
    runs, seen = [], set()
    for name, off in BACKENDS.items():
        for path in sorted((ROOT / folder).glob("0*.ipynb")):
            missing = frozenset(uses[path.name[:2]]) & frozenset(off)
            if (name == "chat-only" or missing) and (path, missing) not in seen:
                seen.add((path, missing))
                runs.append((name, path))
    return runs


@pytest.fixture(scope="module")
def servers():
    """Course servers, one per set of missing features, started when first asked for."""
    started: dict = {}
    with contextlib.ExitStack() as stack:

        def server(name: str) -> str:
            if name not in started:
                without = frozenset(BACKENDS[name])
                started[name] = stack.enter_context(start_in_thread(api_key=API_KEY, without=without))
            return started[name].base_url

        yield server


@pytest.fixture
def learner_env(servers, monkeypatch):
    """Point the kernel at a server backend, as a learner's .env does; ``learner_env(name)`` returns its URL."""

    def use(name: str) -> str:
        base_url = servers(name)
        monkeypatch.setenv("COURSE_BACKEND", "auto")
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        monkeypatch.setenv("COURSE_MODEL", DEFAULTS.chat.model)
        monkeypatch.setenv("MPLBACKEND", "agg")
        return base_url

    return use


def _run(path: Path):
    nb = execute(read(path), path.parent, timeout=CELL_TIMEOUT, allow_errors=True)
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def _text(cell) -> str:
    return "".join(
        o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream" and o["name"] == "stdout"
    )


def _errors(cells) -> list[str]:
    return [
        f"cell {cell.id}: {o['ename']}: {o['evalue'][:200]}"
        for cell in cells
        for o in cell.outputs
        if o.get("output_type") == "error"
    ]


def _same_ids(note: str) -> str:
    """A note with the ids a server makes up (a response's, a conversation's) blanked: each probe makes its own."""
    return re.sub(r"\b(resp|conv|msg)_[0-9a-f]+", r"\1_…", note)


def _missing(base_url: str, features) -> dict[str, str]:
    """The note needs() prints for each of ``features`` this server lacks, as the probe finds it (with made-up
    ids blanked). A feature can be missing without being switched off: no Responses API, no stored responses."""
    names = tuple(sorted(set(features)))
    effort = DEFAULTS.chat.request_kwargs().get("reasoning_effort")  # as the kernel's probe sends it
    found = probe(  # a long timeout: on a loaded machine a probe that generates can pass 30 s ("not checked")
        base_url, API_KEY, DEFAULTS.chat.model, effort=effort, features=("chat", *names), timeout=300
    )
    return {name: _same_ids(found.note(name)) for name in names if found.status(name) == NO}


def _lesson(path: Path) -> str:
    return path.name[:2]


def _notes_in(cells) -> list[str]:
    return [line for cell in cells for line in _text(cell).splitlines() if line.startswith("⚠️ Skipped:")]


def _assert_notes(cells, base_url: str, off: tuple[str, ...]) -> None:
    """Each cell that asks ``needs()`` for a missing feature prints that feature's note (the first missing
    one of each call, as ``needs()`` does), and no cell prints a note it should not."""
    asked = {name for cell in cells for call in _needs_calls(cell.source) for name in call}
    notes = _missing(base_url, asked)
    assert asked & set(off) <= set(notes), "a feature switched off was not found missing by the probe"
    for cell in cells:
        expected = {
            notes[next(n for n in call if n in notes)] for call in _needs_calls(cell.source) if set(call) & set(notes)
        }
        printed = {_same_ids(line) for line in _text(cell).splitlines() if line.startswith("⚠️ Skipped:")}
        assert printed == expected, f"cell {cell.id}: printed {printed}, expected {expected}"


@pytest.mark.parametrize(("backend", "path"), _runs("notebooks", USES), ids=lambda v: getattr(v, "stem", v))
def test_a_lesson_runs_to_its_end_with_a_note_for_each_missing_feature(backend, path, learner_env):
    base_url, off = learner_env(backend), BACKENDS[backend]
    cells = _run(path)
    assert _errors(cells) == []
    _assert_notes(cells, base_url, off)


def _check_needs() -> dict[str, tuple[str, ...]]:
    """Every exercise check by name, with the features it needs (``checker(needs=...)``)."""
    found = {}
    for module in pkgutil.iter_modules(checks.__path__):
        for name, value in vars(importlib.import_module(f"course_helpers.checks.{module.name}")).items():
            if name.startswith("check_") and callable(value):
                found[name] = getattr(value, "needs", ())
    return found


@pytest.mark.parametrize(("backend", "path"), _runs("solutions", SOLUTIONS_USE), ids=lambda v: getattr(v, "stem", v))
def test_a_solution_skips_the_checks_of_missing_features_and_passes_the_others(backend, path, learner_env):
    base_url, off = learner_env(backend), BACKENDS[backend]
    cells = _run(path)
    assert _errors(cells) == []
    needs = _check_needs()
    lacking = set(_missing(base_url, {f for features in needs.values() for f in features}))
    for cell in filter(is_check_cell, cells):
        name = re.search(r"^(check_\w+)\(", cell.source, re.MULTILINE).group(1)
        expected = "⏭️ Skipped on this backend: " if set(needs[name]) & lacking else "✅ Correct"
        printed = _text(cell)
        assert printed.startswith(expected) and printed.count("\n") == 1, f"cell {cell.id}, {name}: {printed!r}"
    _assert_notes(cells, base_url, off)
