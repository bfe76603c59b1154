"""The sampler's math: grammar mask, logit_bias, greedy, temperature, top_p, seeds, penalties, logprobs records."""

from __future__ import annotations

import numpy as np
import pytest

from course_helpers.local.sampler import (
    ChoiceSampler,
    SamplingParams,
    apply_bias,
    apply_mask,
    apply_penalties,
    draw,
    log_softmax,
    nucleus,
    temperature_probabilities,
    top_k_indices,
)

LOGITS = np.log(np.array([0.5, 0.3, 0.15, 0.05], np.float32))


def draw_many(params, seed, count=4000, logits=LOGITS):
    sampler = ChoiceSampler(params, (seed, 0))
    return np.array([sampler.choose(logits) for _ in range(count)])


def test_greedy_picks_the_largest_logit():
    assert ChoiceSampler(SamplingParams(temperature=0), None).choose(LOGITS) == 0


def test_sampling_follows_the_probabilities():
    counts = np.bincount(draw_many(SamplingParams(temperature=1.0), seed=1), minlength=4) / 4000
    assert np.allclose(counts, [0.5, 0.3, 0.15, 0.05], atol=0.03)


def test_low_temperature_sharpens_high_flattens():
    cold = temperature_probabilities(LOGITS, 0.5)
    hot = temperature_probabilities(LOGITS, 2.0)
    assert cold[0] > 0.5 > hot[0]
    assert np.isclose(cold.sum(), 1.0) and np.isclose(hot.sum(), 1.0)


def test_top_p_keeps_the_nucleus_only():
    probabilities = np.array([0.5, 0.3, 0.15, 0.05], np.float32)
    ids, probs = nucleus(probabilities, 0.7)
    assert ids.tolist() == [0, 1]
    assert np.allclose(probs, [0.625, 0.375])
    assert set(draw_many(SamplingParams(top_p=0.7), seed=2, count=500).tolist()) == {0, 1}


def test_nucleus_grows_past_its_first_guess():
    probabilities = np.full(1000, 1 / 1000, np.float32)
    ids, _ = nucleus(probabilities, 0.5)
    assert 490 <= ids.size <= 510


def test_same_seed_same_draws_different_choice_different_draws():
    params = SamplingParams(temperature=1.0)
    first = [ChoiceSampler(params, (7, 0)).choose(LOGITS) for _ in range(1)]
    again = draw_many(params, seed=7, count=50)
    assert (again == draw_many(params, seed=7, count=50)).all()
    assert again[0] == first[0]
    other_choice = ChoiceSampler(params, (7, 1))
    assert (np.array([other_choice.choose(LOGITS) for _ in range(50)]) != again).any()


def test_penalties_lower_repeated_tokens():
    logits = apply_penalties(np.zeros(3, np.float32), {0: 3, 2: 1}, presence=1.0, frequency=0.5)
    assert logits.tolist() == [-2.5, 0.0, -1.5]


def test_frequency_penalty_discourages_repeats_when_sampling():
    logits = np.array([5.0, 4.0], np.float32)
    plain = draw_many(SamplingParams(temperature=0), seed=0, count=5, logits=logits)
    penalized = draw_many(SamplingParams(temperature=0, frequency_penalty=2.0), seed=0, count=5, logits=logits)
    assert plain.tolist() == [0] * 5
    assert 1 in penalized.tolist()


def test_log_softmax_is_normalized_float32():
    lp = log_softmax(np.array([1.0, 2.0, 3.0], np.float32))
    assert lp.dtype == np.float32 and np.isclose(np.exp(lp).sum(), 1.0)


def test_top_k_orders_ties_by_index_without_full_sort():
    values = np.array([0.0, 2.0, 1.0, 2.0, 2.0])
    assert top_k_indices(values, 2).tolist() == [1, 3]
    assert top_k_indices(values, 4).tolist() == [1, 3, 4, 2]


def test_draw_follows_the_probabilities_and_never_picks_an_impossible_token():
    rng = np.random.default_rng(0)
    probabilities = np.array([0.2, 0.0, 0.5, 0.3] + [0.0] * 300, np.float32)
    counts = np.bincount([draw(probabilities, rng) for _ in range(6000)], minlength=probabilities.size)
    assert np.allclose(counts[:4] / 6000, [0.2, 0.0, 0.5, 0.3], atol=0.025)
    assert counts[1] == 0 and counts[4:].sum() == 0


def test_draw_hardly_depends_on_tiny_changes_of_the_probabilities():
    # a request sharing a batch gets logits that differ in their sixth digit; a seeded reply should not change
    rng = np.random.default_rng(1)
    probabilities = np.exp(rng.standard_normal(49152).astype(np.float32) * 3)
    nudged = probabilities * np.exp(rng.standard_normal(49152).astype(np.float32) * 1e-4)
    flips = sum(
        draw(probabilities, np.random.default_rng(seed)) != draw(nudged, np.random.default_rng(seed))
        for seed in range(2000)
    )
    assert flips <= 3  # a running total flipped 35 of these 2000 draws (measured)


def test_sampling_a_whole_vocabulary_follows_the_probabilities():
    logits = np.full(49152, -20.0, np.float32)
    logits[[5, 20000, 49151]] = [0.0, np.log(2.0), np.log(3.0)]
    counts = np.bincount(draw_many(SamplingParams(temperature=1.0), seed=3, count=6000, logits=logits), minlength=49152)
    assert np.allclose(counts[[5, 20000, 49151]] / 6000, [1 / 6, 2 / 6, 3 / 6], atol=0.03)


def test_choosing_leaves_the_logits_unchanged():
    logits = np.array([1.0, 2.0, 3.0], np.float32)
    sampler = ChoiceSampler(SamplingParams(temperature=0.8, presence_penalty=1.0), (1, 0))
    for _ in range(5):
        sampler.choose(logits)
    assert logits.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("temperature", [0, 1e-39, 1e-30])
def test_tiny_temperatures_give_the_greedy_limit_not_nan(temperature):
    probabilities = temperature_probabilities(LOGITS, temperature)
    assert probabilities.tolist() == [1.0, 0.0, 0.0, 0.0]
    if temperature:
        assert draw_many(SamplingParams(temperature=temperature), seed=4, count=20).tolist() == [0] * 20


def test_step_reports_logprobs_after_penalties_and_before_temperature():
    # logprobs describe the model's scores (penalized), not the tempered distribution the draw uses
    logits = np.array([2.0, 1.0, 0.0], np.float32)
    params = SamplingParams(temperature=0.3, presence_penalty=1.0, logprobs=True)
    sampler = ChoiceSampler(params, (5, 0))
    sampler.counts = {0: 1}
    token, logprobs = sampler.step(logits)
    assert np.allclose(logprobs, log_softmax(np.array([1.0, 1.0, 0.0], np.float32)))
    assert ChoiceSampler(SamplingParams(), None).step(logits)[1] is None  # not asked for: not computed


def test_step_draws_the_same_tokens_as_the_textbook_order_for_a_seed():
    # temperature, then top_p, then a race on this choice's generator: the reproducible order
    logits = np.random.default_rng(9).standard_normal(500).astype(np.float32) * 3
    params = SamplingParams(temperature=0.7, top_p=0.9)
    sampler, rng = ChoiceSampler(params, (11, 2)), np.random.default_rng([11, 2])
    for _ in range(20):
        ids, kept = nucleus(temperature_probabilities(logits, 0.7), 0.9)
        assert sampler.step(logits)[0] == int(ids[draw(kept, rng)])


# ---- the grammar mask and logit_bias: the steps before the penalties --------------------------

ALLOWED = np.array([False, True, True, False])  # what a grammar allows next: tokens 1 and 2


@pytest.mark.parametrize("params", [SamplingParams(temperature=t, top_p=p) for t in (0, 0.7, 1.5, 2) for p in (1, 0.5)])
def test_a_masked_token_is_never_drawn_whatever_the_sampling(params):
    sampler = ChoiceSampler(params, (3, 0))
    drawn = {sampler.choose(LOGITS, ALLOWED) for _ in range(500)}
    assert drawn <= {1, 2}


def test_the_mask_renormalizes_over_the_allowed_tokens():
    counts = np.bincount(draw_many_allowed(SamplingParams(temperature=1.0)), minlength=4) / 4000
    assert np.allclose(counts, [0, 0.3 / 0.45, 0.15 / 0.45, 0], atol=0.03)


def draw_many_allowed(params, count=4000):
    sampler = ChoiceSampler(params, (5, 0))
    return np.array([sampler.choose(LOGITS, ALLOWED) for _ in range(count)])


def test_logprobs_under_a_mask_are_those_of_the_distribution_drawn_from():
    _, logprobs = ChoiceSampler(SamplingParams(logprobs=True), None).step(LOGITS, ALLOWED)
    assert np.isneginf(logprobs[[0, 3]]).all()
    assert np.allclose(np.exp(logprobs[[1, 2]]), [0.3 / 0.45, 0.15 / 0.45])


def test_logit_bias_is_added_to_the_logits_and_shows_in_the_logprobs():
    params = SamplingParams(temperature=0, logprobs=True, logit_bias={3: 100.0, 0: -100.0})
    token, logprobs = ChoiceSampler(params, None).step(LOGITS)
    assert token == 3 and logprobs[3] > -1e-3 and logprobs[0] < -100


def test_logit_bias_cannot_bring_back_what_the_grammar_forbids():
    params = SamplingParams(temperature=0, logit_bias={0: 100.0, 3: 100.0})
    assert ChoiceSampler(params, None).choose(LOGITS, ALLOWED) == 1


def test_mask_and_bias_steps_leave_their_input_unchanged():
    logits = LOGITS.copy()
    apply_mask(logits, ALLOWED)
    apply_bias(logits, np.array([1]), np.array([5.0], np.float32))
    assert np.array_equal(logits, LOGITS)


def test_draw_gives_a_tiny_probability_an_endless_wait_without_a_warning():
    # at temperature 0.2 some probabilities are tiny but not 0: their wait overflows float32 to inf
    probabilities = np.array([1e-44, 1.0], np.float32)
    assert draw(probabilities, np.random.default_rng(0)) == 1  # warnings are errors in this suite


class _ZeroWaits:
    """A generator whose every exponential draw is exactly 0 (numpy gives one in about 10 million)."""

    def standard_exponential(self, size, dtype):
        return np.zeros(size, dtype)


def test_draw_never_picks_a_token_of_probability_zero_even_when_its_wait_is_zero_over_zero():
    # 0/0 is nan, and argmin returns the first nan: token 0 (probability 0, e.g. cut by top_p) would win
    assert draw(np.array([0.0, 0.0, 1.0], np.float32), _ZeroWaits()) == 2
