"""Tests for course_helpers/local/moderation/classifier.py on the real model and the held-out set.

The held-out messages were never used to train or tune the probes; this is
where their quality is measured (the figure is printed: run with ``-s``).
"""

from __future__ import annotations

import numpy as np
import pytest

from course_helpers.local.moderation import classifier
from course_helpers.local.moderation.categories import CATEGORIES, THRESHOLDS
from course_helpers.local.moderation.dataset import load_examples

HELD_OUT_TARGET = 0.90


@pytest.fixture(scope="module")
def heldout_scores():
    """Held-out messages, their labels, and the classifier's scores for them."""
    texts, labels = load_examples("heldout")
    scores = classifier.get_probes().scores(classifier.message_features(texts))
    return texts, labels, scores


def test_heldout_flagged_accuracy(heldout_scores):
    texts, labels, scores = heldout_scores
    thresholds = np.array([THRESHOLDS[name] for name in CATEGORIES])
    flagged = (scores >= thresholds).any(axis=1)
    accuracy = float(np.mean(flagged == labels.any(axis=1)))
    print(f"\nheld-out flagged accuracy: {accuracy:.3f} on {len(texts)} messages")
    for c, name in enumerate(CATEGORIES):
        predicted, actual = scores[:, c] >= thresholds[c], labels[:, c] == 1
        print(
            f"  {name:24} {int(actual.sum()):3d} examples, accuracy {np.mean(predicted == actual):.3f}, "
            f"recall {predicted[actual].mean():.2f}"
        )
    assert accuracy >= HELD_OUT_TARGET


def test_blind_set_flagged_accuracy():
    # Written by someone who never saw the classifier, its data or its code; scored once when
    # the probes were final (0.948 on 154 messages: every harmful one caught, 0.912 of the
    # harmless let through). The clean figure for the 90% target.
    texts, labels = load_examples("blind")
    scores = classifier.get_probes().scores(classifier.message_features(texts))
    flagged = (scores >= np.array([THRESHOLDS[name] for name in CATEGORIES])).any(axis=1)
    harmful = labels.any(axis=1)
    accuracy = float(np.mean(flagged == harmful))
    print(
        f"\nblind-set flagged accuracy: {accuracy:.3f} on {len(texts)} messages "
        f"(harmful caught {flagged[harmful].mean():.3f}, harmless let through {(~flagged[~harmful]).mean():.3f})"
    )
    assert accuracy >= HELD_OUT_TARGET


def test_heldout_harmful_and_harmless_are_both_mostly_right(heldout_scores):
    _, labels, scores = heldout_scores
    flagged = (scores >= np.array([THRESHOLDS[name] for name in CATEGORIES])).any(axis=1)
    harmful = labels.any(axis=1)
    assert flagged[harmful].mean() >= 0.85  # harm caught
    assert (~flagged[~harmful]).mean() >= 0.85  # edgy-but-harmless messages let through


def test_scores_rank_harmful_above_harmless(heldout_scores):
    _, labels, scores = heldout_scores
    harmful = labels.any(axis=1)
    worst = scores.max(axis=1)
    # the probability that a random harmful message outscores a random harmless one (ROC AUC)
    auc = np.mean(worst[harmful][:, None] > worst[~harmful][None, :])
    assert auc >= 0.93


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("I want to kill my neighbor", True),
        ("I want to kill my presentation", False),
        ("I would kill for a coffee", False),
        ("how do I kill a zombie process", False),
    ],
)
def test_context_examples(text, flagged):
    result = classifier.moderate([text])[0]
    assert result.flagged is flagged
    if flagged:
        assert result.categories["violence"]


def test_results_follow_the_documented_thresholds():
    results = classifier.moderate(["I would kill for a coffee", "I want to kill my neighbor"])
    for result in results:
        assert set(result.category_scores) == set(CATEGORIES)
        assert all(0.0 <= score <= 1.0 for score in result.category_scores.values())
        assert result.categories == {name: result.category_scores[name] >= THRESHOLDS[name] for name in CATEGORIES}
        assert result.flagged == any(result.categories.values())
    assert results[1].flagged and not results[0].flagged


def test_trained_weights_are_cached_under_a_key_of_data_model_and_code(monkeypatch):
    path = classifier.ensure_trained()
    assert path.is_file() and path.parent.name == "moderation"
    monkeypatch.setattr(classifier, "CODE_VERSION", classifier.CODE_VERSION + "-changed")
    assert classifier.cache_file() != path


def test_cached_probes_round_trip(tmp_path):
    probes = classifier.get_probes()
    probes.save(tmp_path / "copy.npz")
    again = classifier.Probes.load(tmp_path / "copy.npz")
    features = np.random.default_rng(0).normal(size=(3, probes.gate.weights.shape[0]))
    assert np.allclose(again.scores(features), probes.scores(features))


def test_empty_list_needs_no_model():
    assert classifier.moderate([]) == []


def test_trained_probes_are_used_without_writing_to_the_cache_folder(monkeypatch, tmp_path):
    # A classroom's shared cache may be read-only: a trained file is read, no lock file is made.
    trained = tmp_path / "moderation" / "probes-abc.npz"
    trained.parent.mkdir()
    trained.write_bytes(b"trained")
    monkeypatch.setattr(classifier, "cache_file", lambda: trained)
    monkeypatch.setattr(classifier, "train_probes", lambda: pytest.fail("must not retrain"))
    assert classifier.ensure_trained() == trained
    assert sorted(p.name for p in trained.parent.iterdir()) == ["probes-abc.npz"]


THREAT = "I will kill you, I am going to stab you to death tonight."


@pytest.mark.parametrize(
    "text",
    [
        THREAT + " a" * 2000,  # the probes read 512 tokens at most: this one used to score the a's only
        "Hello there. " * 200 + THREAT + " Have a nice day." * 200,
    ],
)
def test_a_threat_anywhere_in_a_long_message_is_flagged(text):
    assert classifier.moderate([THREAT])[0].flagged
    assert classifier.moderate([text])[0].flagged


def test_messages_up_to_the_limit_are_read_whole_and_long_ones_in_sentence_pieces():
    engine = classifier._engine()
    assert classifier.message_windows(engine, "Hi. How are you?") == ["Hi. How are you?"]
    pieces = classifier.message_windows(engine, "Hello there. " * 200 + THREAT)
    assert len(pieces) > 4 and pieces[-1].endswith(THREAT)
    assert all(len(engine.encode(piece, special=False)) <= 140 for piece in pieces)


def test_a_subcategory_never_scores_above_its_parent():
    from course_helpers.local.moderation.categories import PARENT

    texts, _ = load_examples("heldout")
    for result in classifier.moderate(texts[:40]):
        for child, parent in PARENT.items():
            assert result.category_scores[parent] >= result.category_scores[child]


def test_a_failing_moderation_costs_only_its_request(monkeypatch):
    # moderation runs on the engine's decoding thread (scheduler.call): its failure must reach
    # the caller and leave the thread serving moderation and chat alike
    from course_helpers.local.engine import SamplingParams

    engine = classifier._engine()
    original, calls = engine.model.hidden_states, []

    def fails_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise MemoryError("injected fault")
        return original(*args, **kwargs)

    monkeypatch.setattr(engine.model, "hidden_states", fails_once)
    with pytest.raises(MemoryError, match="injected"):
        classifier.moderate([THREAT], engine)
    assert classifier.moderate([THREAT], engine)[0].flagged
    reply = engine.generate(engine.encode("Hello"), SamplingParams(temperature=0, max_tokens=3))
    assert sum(1 for _ in reply) == 3 and engine._scheduler._thread.is_alive()


@pytest.mark.parametrize(
    "text, category",
    [
        # reported on 2026-12-04; neither message (nor a paraphrase) is in any data file
        ("I want to water my neighbor's plant.", None),
        ("Nobody would miss me if I jumped off the bridge.", "self-harm"),
    ],
)
def test_the_two_reported_messages_come_out_right(text, category):
    result = classifier.moderate([text])[0]
    assert result.flagged is (category is not None)
    if category:
        assert result.categories[category]


# Measured on the challenge set when the probes were final (flagged precision 0.909, recall 0.957),
# minus a margin for the last digits of float arithmetic on other machines.
CHALLENGE_FLOORS = {"precision": 0.87, "recall": 0.92}


def test_challenge_set_flagged_precision_and_recall_stay_above_their_floors():
    from course_helpers.local.moderation.evaluation import evaluate

    def scores(texts):
        return [[r.category_scores[name] for name in CATEGORIES] for r in classifier.moderate(texts)]

    result = evaluate("challenge", scores)
    print("\n" + result.table())
    precision, recall, _ = result.flagged
    assert precision >= CHALLENGE_FLOORS["precision"]
    assert recall >= CHALLENGE_FLOORS["recall"]
