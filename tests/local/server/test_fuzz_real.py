"""The seeded fuzz of test_fuzz.py for the endpoints that run real models: few, small cases."""

from __future__ import annotations

import pytest

from .test_fuzz import fuzz, moderation_body, session, speech_body

MODERATION_CASES = 40
SPEECH_CASES = 40


@pytest.fixture(scope="module")
def http(real_server):
    with session(real_server) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "make_body", "cases", "seed"),
    [("/moderations", moderation_body, MODERATION_CASES, 3), ("/audio/speech", speech_body, SPEECH_CASES, 4)],
)
def test_random_bodies_never_answer_500(http, path, make_body, cases, seed):
    fuzz(http, path, make_body, cases, seed)
