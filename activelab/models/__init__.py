"""Models: the catalog of named models that the bench and the server build, committees,
and the PyTorch and sentence-embedding models (the ``torch`` and ``text`` extras).

Importing this package is cheap; torch loads when a model is first used.

* :mod:`~activelab.models.catalog` — ``make_model("logreg", seed)``: the named models of
  ``activelab bench --model`` and ``activelab serve``;
* :class:`~activelab.models.committee.Committee` — several user models as one ensemble;
* :class:`~activelab.models.parzen.ParzenWindowClassifier` — kernel class frequencies, the
  model of the probabilistic active learning strategies (``make_model("parzen", seed)``);
* :class:`~activelab.models.torch_model.TorchClassifier` — any ``nn.Module`` with ``fit``,
  ``predict_proba``, ``embed``, MC-dropout / ensemble ``sample_proba``, ``predict_loss``
  and ``augmented_proba``.
* :class:`~activelab.models.span_tagger.SpanTagger` — a token-level logistic regression
  for spans of text (entities), the model of the server's and Label Studio's span tasks;
* :class:`~activelab.models.vae.VAE` — a small variational autoencoder trained on the
  pool: the generator of generative active learning (docs/synthesis.md).
* :mod:`activelab.models.text` — cached MiniLM sentence embeddings, a light head, and a
  generated labeled text corpus;
* :class:`~activelab.models.text_finetune.FineTunedTextClassifier` — MiniLM fine-tuned
  on the labeled texts (SetFit-style), then a logistic head.
"""

from __future__ import annotations

from ..lazy import lazy_names

__all__ = [
    "Committee",
    "FineTunedTextClassifier",
    "ParzenWindowClassifier",
    "SentenceEmbedder",
    "TorchClassifier",
    "VAE",
    "load_sentences",
    "make_model",
    "minilm_classifier",
]

_WHERE = {
    "Committee": ".committee",
    "make_model": ".catalog",
    "ParzenWindowClassifier": ".parzen",
    "TorchClassifier": ".torch_model",
    "VAE": ".vae",
    "SentenceEmbedder": ".text",
    "load_sentences": ".text",
    "minilm_classifier": ".text",
    "FineTunedTextClassifier": ".text_finetune",
}


def _needs_torch(name: str, err: ImportError) -> Exception:
    if _WHERE[name] in (".committee", ".catalog", ".parzen"):
        return err
    from ..errors import ActiveLabError

    return ActiveLabError(
        f"activelab.models.{name} needs PyTorch: pip install 'activelab[torch]' ({err})")


__getattr__ = lazy_names(__name__, _WHERE, globals(), missing=_needs_torch)
