"""``python -m course_helpers doctor``: what a helper at a classroom desk would check first.

It reports, one line each: Python and package versions, whether Jupyter's
``python3`` kernel is this Python, which ``.env`` was found (and that git
ignores it), whether a key is present (masked), which backend ``setup()``
would pick, the course's model per purpose (:mod:`course_helpers.course.models`), whether the local models are cached, and whether the backend
answers a request. Each line starts with ✅ (fine), ⚠️ (works, but worth
knowing) or ❌ (the course cannot run until it is fixed); the exit status is 0
when there is no ❌.

Used in: README.md ("Troubleshooting")
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from .models import Choices
from .settings import load_env_file, mask_key, read_settings

__all__ = ["Finding", "diagnose", "doctor"]

OK, WARN, BAD = "✅", "⚠️", "❌"
# (distribution, needed to run the lessons?)
PACKAGES = [
    ("openai", True),
    ("python-dotenv", True),
    ("numpy", True),
    ("ipywidgets", True),
    ("ipykernel", True),
    ("jupyterlab", False),
    ("pytest", False),
    ("nbval", False),
]

Finding = tuple  # (status, text)


def _packages() -> list[Finding]:
    found = []
    for name, required in PACKAGES:
        try:
            found.append((OK, f"{name} {metadata.version(name)}"))
        except metadata.PackageNotFoundError:
            status = BAD if required else WARN
            found.append(
                (
                    status,
                    f"{name} is not installed for {sys.executable}: "
                    "run `python -m pip install -r requirements.txt` with this Python",
                )
            )
    return found


def _kernel() -> Finding:
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        python = KernelSpecManager().get_kernel_spec("python3").argv[0]
    except Exception as error:  # no Jupyter at all, or a broken kernelspec: report, do not crash
        return WARN, f"no Jupyter `python3` kernel found ({type(error).__name__})"
    # jupyter_client runs a bare "python" kernel with the Python that runs Jupyter itself.
    if python in ("python", "python3") or Path(python).resolve() == Path(sys.executable).resolve():
        return OK, "Jupyter's python3 kernel runs this Python"
    return WARN, (
        f"Jupyter's python3 kernel runs {python}, not {sys.executable}: in JupyterLab pick the "
        "kernel of the environment you installed into (else: `No module named ...`)"
    )


def _env_file(path: Path | None) -> list[Finding]:
    if path is None:
        return [(OK, "no .env file found (fine for the local backend; copy .env.example to .env to set one)")]
    found = [(OK, f".env loaded from {path}")]
    try:
        tracked = (
            subprocess.run(
                ["git", "ls-files", "--error-unmatch", path.name], cwd=path.parent, capture_output=True, text=True
            ).returncode
            == 0
        )
    except OSError:  # no git on this machine: nothing can be committed either
        tracked = False
    if tracked:
        found.append(
            (BAD, f"{path} is committed to git: revoke the key in the OpenAI dashboard, then `git rm --cached .env`")
        )
    return found


def _models() -> list[Finding]:
    from ..local.store import MODELS, is_cached

    return [
        (OK, f"local model {spec.title} is cached")
        if is_cached(name)
        else (WARN, f"local model {spec.title} is not downloaded yet: `python -m course_helpers pull`")
        for name, spec in MODELS.items()
    ]


def _request(info) -> Finding:
    from openai import OpenAI

    from ..checks.hints import explain
    from .backends import PLACEHOLDER_KEY, setup

    try:
        if info.backend == "local":
            info = setup(quiet=True)
            client = OpenAI(max_retries=0, timeout=120)
            client.chat.completions.create(
                model=info.model,
                reasoning_effort=info.effort,
                max_completion_tokens=1,
                messages=[{"role": "user", "content": "Hi"}],
            )
        else:
            key = os.environ.get("OPENAI_API_KEY") or PLACEHOLDER_KEY  # keyless servers (Ollama) ignore it
            client = OpenAI(base_url=info.base_url, api_key=key, max_retries=0, timeout=20)
            client.models.list()
    except Exception as error:  # any failure is the finding itself
        hint = explain(error, info) or ""
        where = "the built-in local server" if info.backend == "local" else info.base_url
        return BAD, f"{where} did not answer: {type(error).__name__}: {error} {hint}".strip()
    return OK, f"{info.base_url} answers ({info.backend} backend)"


def _choices(choices: Choices) -> str:
    """The model per purpose, and where to change it."""
    shown = " · ".join(
        f"{purpose} {getattr(choices, purpose)}" for purpose in ("chat", "sampling", "reasoning", "moderation")
    )
    return f"course models: {shown} (COURSE_MODEL, COURSE_SAMPLING_MODEL, ... in .env; see .env.example)"


def diagnose(request: bool = True) -> list[Finding]:
    """Run every check; return ``(status, text)`` findings in order."""
    from .backends import SetupError, describe_backend

    python_ok = sys.version_info >= (3, 10)
    findings = [(OK if python_ok else BAD, f"Python {sys.version.split()[0]} ({sys.executable})")]
    findings += _packages()
    findings.append(_kernel())
    env_file = load_env_file()
    findings += _env_file(env_file)
    try:
        settings = read_settings(env_file=env_file)
        info = describe_backend(settings)
    except (ValueError, SetupError) as error:
        return findings + [(BAD, str(error))]
    findings.append((OK, f"OPENAI_API_KEY: {mask_key(settings.api_key)}"))
    if info.backend == "openai" and not settings.api_key:
        findings.append((BAD, "COURSE_BACKEND=openai needs OPENAI_API_KEY in .env"))
    findings.append(
        (OK, f"setup() would pick: {info.backend} backend, model {info.model or '(first one the server lists)'}")
    )
    findings.append((OK, _choices(settings.models)))
    findings += _models()
    if request:
        findings.append(_request(info))
    return findings


def doctor(request: bool = True) -> int:
    """Print the findings of :func:`diagnose`; return 0 when the course can run, else 1."""
    findings = diagnose(request)
    for status, text in findings:
        print(f"{status} {text}")
    bad = sum(status == BAD for status, _ in findings)
    print("All set: the course can run." if not bad else f"{bad} problem(s) to fix (❌ above).")
    return 1 if bad else 0
