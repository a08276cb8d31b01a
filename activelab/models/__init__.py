"""PyTorch and sentence-embedding models (the ``torch`` and ``text`` extras).

Importing this package is cheap; torch loads when a model is first used.

* :class:`~activelab.models.torch_model.TorchClassifier` — any ``nn.Module`` with ``fit``,
  ``predict_proba``, ``embed``, MC-dropout / ensemble ``sample_proba``, ``predict_loss``
  and ``augmented_proba``.
* :mod:`activelab.models.text` — cached MiniLM sentence embeddings, a light head, and a
  generated labeled text corpus.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SentenceEmbedder", "TorchClassifier", "load_sentences", "minilm_classifier"]

_WHERE = {
    "TorchClassifier": "torch_model",
    "SentenceEmbedder": "text",
    "load_sentences": "text",
    "minilm_classifier": "text",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'activelab.models' has no attribute {name!r}")
    import importlib

    try:
        module = importlib.import_module(f".{_WHERE[name]}", __name__)
    except ImportError as err:
        from ..errors import ActiveLabError

        raise ActiveLabError(
            f"activelab.models.{name} needs PyTorch: pip install 'activelab[torch]' "
            f"({err})"
        ) from err
    return getattr(module, name)
