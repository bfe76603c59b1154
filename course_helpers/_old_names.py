"""The module names from before ``course/`` and ``checks/`` still import, as the very same modules.

A learner's ``my_work/`` copy of an exercise sheet made before the package was laid out
imports e.g. ``from course_helpers.message_checks import check_messages``. An import hook
resolves each old name in :data:`OLD_NAMES` to its new module, so that copy keeps working,
silently: the old name gives the same module object, so its check cells print what they
always printed and the learner has nothing to do. New code uses the new names
(tests/test__old_names.py checks that nothing in the course still imports an old one).

>>> import course_helpers.message_checks, course_helpers.checks.messages
>>> course_helpers.message_checks is course_helpers.checks.messages
True
>>> course_helpers.message_checks.__name__
'course_helpers.checks.messages'

Used in: course_helpers/__init__.py (installs the hook when the package is imported)
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence

__all__ = ["OLD_NAMES", "install"]

#: Old dotted name -> the module it is now.
OLD_NAMES = {
    "course_helpers.aging": "course_helpers.course.aging",
    "course_helpers.backends": "course_helpers.course.backends",
    "course_helpers.doctor": "course_helpers.course.doctor",
    "course_helpers.exercises": "course_helpers.course.exercises",
    "course_helpers.model_ages": "course_helpers.course.model_ages",
    "course_helpers.models": "course_helpers.course.models",
    "course_helpers.notebooks": "course_helpers.course.notebooks",
    "course_helpers.paths": "course_helpers.course.paths",
    "course_helpers.settings": "course_helpers.course.settings",
    "course_helpers.start": "course_helpers.course.start",
    "course_helpers.hints": "course_helpers.checks.hints",
    "course_helpers.quizzes": "course_helpers.checks.quizzes",
    "course_helpers.quiz_bank": "course_helpers.checks.quiz_bank",
    "course_helpers.setup_checks": "course_helpers.checks.setup",
    "course_helpers.message_checks": "course_helpers.checks.messages",
    "course_helpers.parameter_checks": "course_helpers.checks.parameters",
    "course_helpers.logprob_checks": "course_helpers.checks.logprobs",
    "course_helpers.moderation_checks": "course_helpers.checks.moderation",
    "course_helpers.audio_checks": "course_helpers.checks.audio",
    "course_helpers.beyond_checks": "course_helpers.checks.beyond",
}


class _OldNames(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old name and loads it as the new module object (imported under its new name)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in OLD_NAMES:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def __init__(self) -> None:
        self._own_specs: dict[str, importlib.machinery.ModuleSpec | None] = {}

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(OLD_NAMES[spec.name])
        self._own_specs[module.__name__] = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # Between the two calls the import system set the module's __spec__ to the old name's: give its own back.
        module.__spec__ = self._own_specs.pop(module.__name__)

    def get_code(self, fullname: str) -> types.CodeType | None:
        """``python -m course_helpers.doctor`` (an old name) runs the new module's code, as it ran the old file."""
        spec = importlib.util.find_spec(OLD_NAMES[fullname])
        loader = spec.loader if spec else None
        return loader.get_code(OLD_NAMES[fullname]) if isinstance(loader, importlib.abc.InspectLoader) else None


def install() -> None:
    """Put the hook first on ``sys.meta_path`` (once, however often the package is re-imported).

    First, so that an old name never finds a stale file of that name (an editable install's finder would).
    """
    if not any(isinstance(finder, _OldNames) for finder in sys.meta_path):
        sys.meta_path.insert(0, _OldNames())
