"""From a model's scores to the probabilities it samples from: softmax, temperature, top_p, perplexity.

The same math runs inside the local engine (``course_helpers/local/sampler.py``);
these versions are written for reading and for plotting small examples:

>>> words = ["apple", "banana", "cherry", "donut"]
>>> probs = np.array([0.6, 0.25, 0.1, 0.05])
>>> softmax(np.log(probs), temperature=1.0).round(2).tolist()    # temperature 1 changes nothing
[0.6, 0.25, 0.1, 0.05]
>>> top_p_filter(probs, 0.8).round(3).tolist()                    # apple and banana make 0.85 >= 0.8
[0.706, 0.294, 0.0, 0.0]

Used in: notebooks/02_parameters.ipynb, notebooks/03_logprobs.ipynb
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "perplexity",
    "plot_distributions",
    "sampling_probabilities",
    "sequence_probability",
    "softmax",
    "top_p_filter",
]


def softmax(logits, temperature: float = 1.0) -> np.ndarray:
    """Probabilities from scores: exp(logits / temperature), normalized; temperature 0 puts all on the top score.

    >>> softmax([0.0, 1.0]).round(3).tolist()
    [0.269, 0.731]
    >>> softmax([0.0, 1.0], temperature=0).tolist()
    [0.0, 1.0]

    Used in: notebooks/02_parameters.ipynb
    """
    logits = np.asarray(logits, dtype=float)
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:  # the limit of a vanishing temperature: greedy, all mass on the most likely
        greedy = np.zeros_like(logits)
        greedy[np.argmax(logits)] = 1.0
        return greedy
    # Subtracting the largest score changes nothing mathematically and keeps exp() from overflowing.
    scaled = (logits - logits.max()) / temperature
    exps = np.exp(scaled)
    return exps / exps.sum()


def top_p_filter(probabilities, top_p: float) -> np.ndarray:
    """Nucleus filtering: keep the most likely entries until they add up to ``top_p``, zero the rest, renormalize.

    The entry that crosses ``top_p`` is kept, so at least one entry always survives.
    Entries keep their positions (the result lines up with your labels).

    >>> top_p_filter([0.1, 0.6, 0.3], 0.5).tolist()
    [0.0, 1.0, 0.0]

    Used in: notebooks/02_parameters.ipynb
    """
    probabilities = np.asarray(probabilities, dtype=float)
    if not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")
    order = np.argsort(-probabilities, kind="stable")  # most likely first; ties keep their order
    cumulative = np.cumsum(probabilities[order])
    keep = min(int(np.searchsorted(cumulative, top_p)) + 1, order.size)  # up to the entry crossing top_p
    kept = np.zeros_like(probabilities)
    kept[order[:keep]] = probabilities[order[:keep]]
    return kept / kept.sum()


def sampling_probabilities(logits, temperature: float = 1.0, top_p: float = 1.0) -> np.ndarray:
    """What the sampler really draws from: temperature first, then top_p on the tempered probabilities.

    >>> sampling_probabilities(np.log([0.6, 0.25, 0.1, 0.05]), temperature=2.0, top_p=0.5).round(3).tolist()
    [0.608, 0.392, 0.0, 0.0]

    Used in: notebooks/02_parameters.ipynb
    """
    return top_p_filter(softmax(logits, temperature), top_p)


def sequence_probability(logprobs) -> float:
    """The probability of a whole reply: the product of its tokens' probabilities, computed as exp(sum of logprobs).

    >>> round(sequence_probability(np.log([0.5, 0.5, 0.5])), 3)
    0.125

    Used in: notebooks/03_logprobs.ipynb
    """
    return float(np.exp(np.sum(np.asarray(logprobs, dtype=float))))


def perplexity(logprobs) -> float:
    """exp(-mean logprob): how many equally likely tokens the model hesitated between, on average (1 = certain).

    >>> perplexity(np.log([0.25, 0.25]))
    4.0
    >>> perplexity([0.0, 0.0])
    1.0

    Used in: notebooks/03_logprobs.ipynb
    """
    logprobs = np.asarray(logprobs, dtype=float)
    if logprobs.size == 0:
        raise ValueError("perplexity needs at least one logprob")
    return float(np.exp(-logprobs.mean()))


def plot_distributions(labels: Sequence[str], distributions: Mapping[str, Sequence[float]], title: str = "", ax=None):
    """Grouped bar chart: one group per label, one bar per distribution (e.g. per temperature); returns the Axes.

    >>> ax = plot_distributions(["a", "b"], {"T=1": [0.7, 0.3], "T=2": [0.6, 0.4]})
    >>> len(ax.patches)
    4

    Used in: notebooks/02_parameters.ipynb, notebooks/03_logprobs.ipynb
    """
    import matplotlib.pyplot as plt

    if ax is None:
        width = max(6.0, 0.9 * len(labels) + 2)
        _, ax = plt.subplots(figsize=(min(width, 12.0), 3.2))
    positions = np.arange(len(labels))
    bar_width = 0.8 / max(1, len(distributions))
    for number, (name, values) in enumerate(distributions.items()):
        offset = (number - (len(distributions) - 1) / 2) * bar_width
        ax.bar(positions + offset, values, width=bar_width, label=name)
    ax.set_xticks(positions, [repr(label) if label.strip() != label else label for label in labels])
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1.05)
    if title:
        ax.set_title(title)
    if len(distributions) > 1:
        ax.legend(fontsize="small")
    return ax
