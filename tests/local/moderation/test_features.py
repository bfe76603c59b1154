"""Tests for course_helpers/local/moderation/features.py on the real engine."""

from __future__ import annotations

import numpy as np
import pytest

from course_helpers.local.moderation.features import _batches, pooled_states


@pytest.fixture(scope="module")
def engine():
    from course_helpers.local.engine import get_engine

    return get_engine()


def test_shapes_and_layers(engine):
    pooled = pooled_states(engine, ["Hello there.", "Beat the eggs."], [0, 16, 30])
    for kind in ("mean", "last"):
        assert pooled[kind].shape == (2, 3, engine.model.config.d_model)
        assert pooled[kind].dtype == np.float32
        assert np.all(np.isfinite(pooled[kind]))


def test_batching_does_not_change_a_message_s_features(engine):
    texts = ["I would like a coffee.", "The storm ripped the roof off.", "Hi"]
    together = pooled_states(engine, texts, [16])
    alone = pooled_states(engine, texts[1:2], [16])
    assert np.allclose(together["mean"][1], alone["mean"][0], atol=1e-4)
    assert np.allclose(together["last"][1], alone["last"][0], atol=1e-4)


def test_different_messages_differ(engine):
    pooled = pooled_states(engine, ["kill the lights", "kill the man"], [16])
    assert not np.allclose(pooled["mean"][0], pooled["mean"][1])


def test_empty_message_still_has_a_feature(engine):
    assert np.all(np.isfinite(pooled_states(engine, [""], [16])["mean"]))


def test_batches_respect_the_token_budget():
    assert _batches([100] * 12, budget=512) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]
