"""BGADL-style generative augmentation: each labeled item brings synthetic neighbours.

Tran et al. (2019) make each label buy more by training the classifier also on samples a
generator draws around the informative labeled items, carrying their labels (Bayesian
generative active deep learning). :class:`GenerativeAugmentation` is that idea as a
training policy, usable with any pool strategy: when an item is labeled, the policy
encodes it, draws ``n_per_item`` latent codes around its code (Gaussian, std ``spread``
in latent units), decodes them, and from then on fits the model on the real labels plus
these synthetic samples, each with weight ``weight`` (through ``sample_weight``).

The generator is a :class:`~activelab.models.vae.VAE` trained on the pool at the first fit
(``generator="vae"``, which needs torch), or any object with ``fit(X)``, ``encode(X)``
and ``decode(Z)``. Synthetic samples only ever reach the model, never the pool; a
corrected label relabels its item's samples. The policy is registered as
``generative_augmentation`` (alias ``bgadl``) in :data:`~activelab.training.TRAINING_POLICIES`
(``import activelab`` imports this module, which needs no torch until a VAE is trained).

A model whose ``fit`` takes no ``sample_weight`` (``TorchClassifier``, ``KNeighborsClassifier``)
can only be used with ``weight=1.0``, where synthetic samples count as real ones;
:meth:`GenerativeAugmentation.check_model` refuses it otherwise, before any labeling.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from .errors import ActiveLabError
from .training import TRAINING_POLICIES, TrainingContext, TrainingPolicy
from .validation import check_int, check_random_state

__all__ = ["GenerativeAugmentation", "latent_codec", "new_vae", "sample_weight_parameter"]


def sample_weight_parameter(model: Any) -> str | None:
    """The keyword that passes sample weights to ``model.fit``, or None if it takes none.

    ``sample_weight`` for an estimator whose ``fit`` names it; ``<last step>__sample_weight``
    for a pipeline whose last step does.

    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> sample_weight_parameter(make_pipeline(StandardScaler(), LogisticRegression()))
    'logisticregression__sample_weight'
    """
    if hasattr(model, "steps"):
        inner = sample_weight_parameter(model.steps[-1][1])
        return None if inner is None else f"{model.steps[-1][0]}__{inner}"
    fit = getattr(model, "fit", None)
    if fit is None:
        return None
    try:
        return "sample_weight" if "sample_weight" in inspect.signature(fit).parameters else None
    except (TypeError, ValueError):
        return None


def latent_codec(generator: Any) -> Any:
    """``generator`` checked to have ``fit``, ``encode`` and ``decode``; ``"vae"``: a new VAE."""
    if isinstance(generator, str):
        if generator != "vae":
            raise ActiveLabError(f"generator must be 'vae' or an object with fit, encode and "
                                 f"decode; got {generator!r}")
        return new_vae()
    missing = [m for m in ("fit", "encode", "decode") if not callable(getattr(generator, m, None))]
    if missing:
        raise ActiveLabError(f"the generator needs {', '.join(missing)}; a VAE has them all")
    return generator


def new_vae(**params: Any) -> Any:
    """A :class:`~activelab.models.vae.VAE`, or a one-line error saying torch is needed."""
    try:
        from .models.vae import VAE
    except ImportError as err:
        raise ActiveLabError(f"the VAE generator needs PyTorch: pip install 'activelab[torch]' "
                             f"({err})") from err
    return VAE(**params)


@TRAINING_POLICIES.register("generative_augmentation", aliases=["bgadl"])
class GenerativeAugmentation(TrainingPolicy):
    """Fit on the labels plus ``n_per_item`` generated neighbours of each labeled item.

    Parameters
    ----------
    generator : "vae" or object
        Trained at the first fit on every pool item (labeled or not), unless ``refit=False``
        says it is trained already.
    n_per_item : int
        Synthetic samples per labeled item, drawn once, when the item is new.
    spread : float
        Standard deviation of the latent noise around the item's code.
    weight : float
        Each synthetic sample's weight in the fit (real labels weigh 1).
    random_state : int, optional

    The round's ``info`` holds ``n_synthetic``, the synthetic samples the model saw.
    """

    def __init__(self, generator: Any = "vae", n_per_item: int = 5, spread: float = 0.3,
                 weight: float = 0.5, residual: bool = True, refit: bool = True,
                 random_state: Any = 0) -> None:
        for name, value in [("spread", spread), ("weight", weight)]:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    np.isfinite(value) and value >= 0):
                raise ActiveLabError(f"{name} must be a non-negative number; got {value!r}")
        self.generator = generator
        self.n_per_item = check_int(n_per_item, "n_per_item", minimum=0)
        self.spread = spread
        self.weight = weight
        self.residual = residual
        self.refit = refit
        self.random_state = random_state

    def check_model(self, model: Any) -> None:
        if self.weight != 1.0 and sample_weight_parameter(model) is None:
            raise ActiveLabError(
                f"GenerativeAugmentation weighs synthetic samples by {self.weight} through "
                f"sample_weight, which {type(model).__name__}.fit does not take; use "
                "weight=1.0 (synthetic samples count as real ones) or a model that takes it")

    def fit(self, model: Any, X: Any, y: np.ndarray) -> Any:
        raise ActiveLabError(
            "GenerativeAugmentation needs to know which labels are new: use it as "
            "ActiveLoop(training=GenerativeAugmentation()), or call train(model, X, y, context)")

    def train(self, model: Any, X: Any, y: np.ndarray, context: TrainingContext) -> Any:
        self.check_model(model)
        if context.n_fits == 0 or not hasattr(self, "generator_"):
            self._start(context, X)
        self._add_new(context)
        self._relabel(context)
        context.info["training"] = "generative augmentation"
        context.info["n_synthetic"] = len(self.synthetic_y_)
        X = np.asarray(X, dtype=float)
        if len(self.synthetic_y_) == 0:
            model.fit(X, y)
            return model
        X_all = np.vstack([X, self.synthetic_X_])
        y_all = np.concatenate([np.asarray(y), self.synthetic_y_.astype(np.asarray(y).dtype)])
        keyword = sample_weight_parameter(model)
        if keyword is None:
            model.fit(X_all, y_all)
            return model
        weights = np.concatenate([np.ones(len(y)), np.full(len(self.synthetic_y_),
                                                           float(self.weight))])
        model.fit(X_all, y_all, **{keyword: weights})
        return model

    def _start(self, context: TrainingContext, X: Any) -> None:
        """Train the generator (on the pool, or the labeled rows without one); forget old samples."""
        self.generator_ = latent_codec(self.generator)
        if self.refit:
            pool = context.pool
            data = X if pool is None else pool.items(pool.ids)
            self.generator_.fit(np.asarray(data, dtype=float))
        self.rng_ = check_random_state(self.random_state)
        self.synthetic_X_ = None
        self.synthetic_y_ = np.zeros(0)
        self.sources_ = np.zeros(0, dtype=int)

    def _add_new(self, context: TrainingContext) -> None:
        """Generate the neighbours of the items labeled since the last fit."""
        if len(context.new_ids) == 0 or self.n_per_item == 0:
            return
        new_X, new_y = context.new_labels()
        codes = np.asarray(self.generator_.encode(np.asarray(new_X, dtype=float)), dtype=float)
        k = self.n_per_item
        around = np.repeat(codes, k, axis=0)
        around = around + float(self.spread) * self.rng_.standard_normal(around.shape)
        samples = np.asarray(self.generator_.decode(around), dtype=float)
        if self.residual:
            own = np.asarray(self.generator_.decode(codes), dtype=float)
            samples = samples - np.repeat(own, k, axis=0) + np.repeat(
                np.asarray(new_X, dtype=float), k, axis=0)
        self.synthetic_X_ = samples if self.synthetic_X_ is None else np.vstack(
            [self.synthetic_X_, samples])
        labels = np.repeat(np.asarray(new_y), k)
        self.synthetic_y_ = labels if len(self.synthetic_y_) == 0 else np.concatenate(
            [self.synthetic_y_, labels])
        self.sources_ = np.concatenate([self.sources_, np.repeat(np.asarray(context.new_ids), k)])

    def _relabel(self, context: TrainingContext) -> None:
        """Give the samples of a corrected item its new label."""
        if len(context.corrected_ids) == 0 or context.pool is None:
            return
        for item in np.asarray(context.corrected_ids):
            mine = self.sources_ == item
            if mine.any():
                self.synthetic_y_[mine] = context.pool.labels_of([item])[0]

    def __repr__(self) -> str:
        return (f"GenerativeAugmentation(generator={self.generator!r}, n_per_item={self.n_per_item},"
                f" spread={self.spread}, weight={self.weight}, residual={self.residual}, "
                f"refit={self.refit}, "
                f"random_state={self.random_state!r})")
