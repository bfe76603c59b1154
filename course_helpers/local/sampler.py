"""The sampler: from the model's logits to the next token, exactly as the lessons explain.

For each new token the model gives one score (logit) per vocabulary token.
``ChoiceSampler.step`` then applies the request's parameters in this order,
one named line each:

1. **grammar mask** (structured outputs): tokens the reply's grammar forbids
   next get minus infinity, probability 0 (which tokens: ``grammar.py``);
2. **logit_bias**: each listed token's bias (-100 to 100) is added to its logit;
3. **penalties**: ``presence_penalty`` is subtracted from every token already
   in the reply, ``frequency_penalty`` times the number of times it appeared;
4. **logprobs**: log-softmax of those logits, reported when ``logprobs`` is on;
5. **temperature**: logits divided by it; below 1 sharpens, above 1 flattens;
   0 means greedy: always the most likely token;
6. **top_p**: keep the most likely tokens until their probability adds up to
   ``top_p`` (the nucleus), renormalize, drop the rest;
7. **draw** one token at random with those probabilities (``draw``), from a random generator
   seeded per choice: the same seed gives the same reply.

Which distribution ``logprobs`` report: the one after the mask, the bias and
the penalties, and before temperature and top_p. Without them (the usual
case) that is the model's own distribution, as OpenAI reports it: a lesson
can change the temperature and see the same logprobs, because temperature and
top_p only shape the draw, not what the model thinks. The first three steps
change the scores themselves, so they come before. Under a grammar
(``response_format`` with a JSON schema, JSON mode) the logprobs are those of
the distribution the token was drawn from: the model's probabilities
renormalized over the tokens the grammar allows, and a forbidden alternative
shows as impossible (-9999 in the API). A mask never makes the temperature
meaningless: among the allowed tokens it sharpens or flattens as ever.

How a reported entry looks (token strings, ``bytes``) is in ``logprob_entries.py``.

>>> sampler = ChoiceSampler(SamplingParams(temperature=0), seed_entropy=None)
>>> sampler.choose(np.array([1.0, 3.0, 2.0], np.float32))
1

Used in: course_helpers/local/engine.py, notebooks/02_parameters.ipynb, notebooks/03_logprobs.ipynb
"""

from __future__ import annotations

import numpy as np

from .sampling_params import SamplingParams

__all__ = [
    "SamplingParams",
    "ChoiceSampler",
    "apply_mask",
    "apply_bias",
    "apply_penalties",
    "log_softmax",
    "temperature_probabilities",
    "nucleus",
    "top_k_indices",
    "draw",
]

f32 = np.float32
_LARGEST = float(np.finfo(np.float32).max)


def apply_mask(logits: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """The logits with every token not ``allowed`` at minus infinity (a new array).

    >>> apply_mask(np.array([1.0, 2.0, 3.0], np.float32), np.array([True, False, True]))
    array([  1., -inf,   3.], dtype=float32)
    """
    return np.where(allowed, logits, f32(-np.inf))


def apply_bias(logits: np.ndarray, ids: np.ndarray, biases: np.ndarray) -> np.ndarray:
    """The logits with ``biases[i]`` added to token ``ids[i]`` (a new array).

    >>> apply_bias(np.zeros(3, np.float32), np.array([2]), np.array([-100.0], np.float32))
    array([   0.,    0., -100.], dtype=float32)
    """
    logits = logits.copy()
    logits[ids] += biases
    return logits


def apply_penalties(logits: np.ndarray, counts: dict[int, int], presence: float, frequency: float) -> np.ndarray:
    """Lower the logits of tokens already generated (in place; returns ``logits``).

    >>> apply_penalties(np.zeros(3, np.float32), {1: 2}, presence=0.5, frequency=1.0)
    array([ 0. , -2.5,  0. ], dtype=float32)
    """
    if counts and (presence or frequency):
        ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        times = np.fromiter(counts.values(), dtype=f32, count=len(counts))
        logits[ids] -= f32(presence) + f32(frequency) * times
    return logits


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log(softmax(logits)): the log probability of every token.

    >>> np.exp(log_softmax(np.array([0.0, 0.0], np.float32)))
    array([0.5, 0.5], dtype=float32)
    """
    shifted = logits - logits.max()
    return shifted - np.log(np.sum(np.exp(shifted)))


def temperature_probabilities(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / temperature): the probabilities sampling draws from.

    >>> temperature_probabilities(np.array([0.0, 1.0], np.float32), 0.5).round(3)
    array([0.119, 0.881], dtype=float32)
    >>> temperature_probabilities(np.array([0.0, 1.0], np.float32), 0)  # the limit: all on the likeliest
    array([0., 1.], dtype=float32)
    """
    # 1 / temperature, capped at float32's largest number: a tiny temperature (or 0) then gives the
    # greedy limit; an infinite scale would turn the likeliest token's 0 * inf into NaN
    scale = f32(min(1.0 / temperature, _LARGEST)) if temperature > 0 else f32(_LARGEST)
    probabilities = logits - logits.max()  # one new array, then changed in place (49,152 numbers per token)
    with np.errstate(over="ignore"):  # at tiny temperatures unlikely tokens go to -inf: probability 0
        probabilities *= scale
    np.exp(probabilities, out=probabilities)
    probabilities /= probabilities.sum()
    return probabilities


def top_k_indices(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values, largest first (ties: lower index first), without a full sort.

    >>> top_k_indices(np.array([0.1, 0.5, 0.2, 0.5]), 2)
    array([1, 3])
    """
    k = min(k, values.size)
    if k < values.size:
        kth_largest = np.partition(values, values.size - k)[values.size - k]
        candidates = np.flatnonzero(values >= kth_largest)  # ties at the cut are all kept, then ordered
    else:
        candidates = np.arange(values.size)
    order = np.lexsort((candidates, -values[candidates]))
    return candidates[order][:k]


def nucleus(probabilities: np.ndarray, top_p: float) -> tuple[np.ndarray, np.ndarray]:
    """The smallest set of most likely tokens whose probabilities add up to ``top_p``.

    Returns their ids (most likely first) and their renormalized probabilities.
    Only the head of the distribution is sorted: 64 tokens, more if needed.

    >>> ids, p = nucleus(np.array([0.1, 0.6, 0.3], np.float32), 0.8)
    >>> ids.tolist(), [round(float(q), 2) for q in p]
    ([1, 2], [0.67, 0.33])
    """
    k = 64
    while True:
        ids = top_k_indices(probabilities, k)
        cumulative = np.cumsum(probabilities[ids])
        if cumulative[-1] >= top_p or k >= probabilities.size:
            break
        k *= 4
    keep = min(int(np.searchsorted(cumulative, f32(top_p))) + 1, ids.size)  # include the token crossing top_p
    kept = probabilities[ids[:keep]]
    return ids[:keep], kept / kept.sum()


def draw(probabilities: np.ndarray, rng: np.random.Generator) -> int:
    """One index drawn at random with these probabilities (they need not add up to 1), by a race.

    Every token gets a random waiting time, exponential with mean 1 / its
    probability, and the first to arrive wins: token i wins with probability
    exactly p_i / sum(p) (the "exponential race", a form of the Gumbel-max
    trick). The textbook way, a random point on the running total of the
    probabilities, is just as exact, but fragile: when the logits change in
    their sixth digit, as they do when a request shares a batch with others
    (the products then add up in another order), tens of thousands of
    boundaries move a little, and about one token in 300 flipped (measured),
    so a seeded 200-token reply changed every other time. A race flips only
    when the two first arrivals are within about a millionth of each other.

    A token of probability 0 waits forever, even when its random time is 0
    (float32 draws give an exact 0 about once in 10 million, measured, and a
    grammar mask makes tens of thousands of tokens impossible at every step:
    0 / 0 would make it the winner in about one constrained reply in four).

    >>> draw(np.array([0.0, 1.0, 0.0]), np.random.default_rng(0))
    1
    """
    # probability 0 (divide) or tiny (over): an endless wait, never first
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        waits = rng.standard_exponential(probabilities.size, dtype=np.float32) / probabilities
    # a draw of exactly 0 (about one in 10 million) over probability 0 is 0/0 = nan, and argmin picks a nan
    waits[~(probabilities > 0)] = np.inf
    return int(np.argmin(waits))


class ChoiceSampler:
    """Picks the tokens of one choice: holds its random generator and its token counts.

    ``seed_entropy``: None for a fresh random generator, or a tuple such as
    (seed, choice_index), so that one seed gives reproducible choices that
    still differ from each other.
    """

    def __init__(self, params: SamplingParams, seed_entropy):
        self.params = params
        entropy = None if seed_entropy is None else [int(v) & 0xFFFFFFFFFFFFFFFF for v in seed_entropy]
        self.rng = np.random.default_rng(entropy)
        self.counts: dict[int, int] = {}
        self.bias_ids = np.fromiter(params.logit_bias.keys(), dtype=np.int64, count=len(params.logit_bias))
        self.biases = np.fromiter(params.logit_bias.values(), dtype=f32, count=len(params.logit_bias))

    def step(self, logits: np.ndarray, allowed: np.ndarray | None = None) -> tuple[int, np.ndarray | None]:
        """The next token id, and the log probabilities to report (None unless ``logprobs`` is on).

        ``allowed``: the tokens the reply's grammar allows next (bool, one per
        token), or None without a grammar. The order of the module doc, one
        line per step. ``logits`` itself is never changed.
        """
        logits = np.asarray(logits, dtype=f32)
        if allowed is not None:
            logits = apply_mask(logits, allowed)  # 1. grammar mask
        if self.bias_ids.size:
            logits = apply_bias(logits, self.bias_ids, self.biases)  # 2. logit_bias
        logits = self.penalized(logits)  # 3. penalties
        logprobs = log_softmax(logits) if self.params.logprobs else None  # 4. logprobs
        if self.params.temperature == 0:
            token = int(np.argmax(logits))  # 5-7. greedy: the limit of a temperature going to 0, no draw
        else:
            probabilities = temperature_probabilities(logits, self.params.temperature)  # 5. temperature
            ids, probabilities = self.keep_nucleus(probabilities)  # 6. top_p
            token = self.draw_token(ids, probabilities)  # 7. draw
        self.counts[token] = self.counts.get(token, 0) + 1  # for the penalties of the next steps
        return token, logprobs

    def choose(self, logits: np.ndarray, allowed: np.ndarray | None = None) -> int:
        """The next token id: greedy at temperature 0, else drawn from the nucleus."""
        return self.step(logits, allowed)[0]

    def penalized(self, logits: np.ndarray) -> np.ndarray:
        """The logits after the presence and frequency penalties (a copy only when there are penalties)."""
        p = self.params
        if p.presence_penalty or p.frequency_penalty:
            return apply_penalties(logits.copy(), self.counts, p.presence_penalty, p.frequency_penalty)
        return logits

    def keep_nucleus(self, probabilities: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """The kept tokens' ids and renormalized probabilities; (None, all of them) when ``top_p`` is 1."""
        if self.params.top_p < 1.0:
            return nucleus(probabilities, self.params.top_p)
        return None, probabilities  # every token kept: no need to sort any

    def draw_token(self, ids: np.ndarray | None, probabilities: np.ndarray) -> int:
        """One token drawn from ``probabilities`` with this choice's random generator.

        ``ids[i]`` is the token of ``probabilities[i]``; None when they are the whole vocabulary.
        """
        index = draw(probabilities, self.rng)
        return index if ids is None else int(ids[index])
