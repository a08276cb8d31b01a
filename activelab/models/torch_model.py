"""A PyTorch classifier with the scikit-learn surface activelab's strategies use.

:class:`TorchClassifier` trains any ``nn.Module`` (yours, through ``module``, or a small
built-in MLP or CNN) with ``fit`` / ``predict_proba`` / ``predict``, and adds what deep
active learning needs:

* ``embed(X)`` — the penultimate layer: the input of the last ``nn.Linear``, caught with
  a forward hook, so it works for any module that ends in a linear layer;
* ``sample_proba(X, n_samples)`` — MC-dropout samples of the class probabilities
  (Gal & Ghahramani 2016) with *consistent* masks: sample ``s`` uses one dropout mask for
  every item, drawn from ``(random_state, s)``, so the samples do not depend on how the
  pool is chunked or ordered and BatchBALD's joint entropies are well defined (Kirsch et
  al. 2019). With ``n_members > 1`` it returns the members of a deep ensemble instead;
* ``predict_loss(X)`` — with ``loss_prediction=True``, the output of a loss-prediction
  module trained jointly with the classifier (Yoo & Kweon 2019);
* ``augmented_proba(X, n_copies)`` — the probabilities of augmented copies of each item
  (Zhou et al. 2017).

``warm_start=True`` fine-tunes the previous round's weights for ``warm_epochs`` epochs
instead of training from scratch for ``epochs``. ``device="auto"`` uses CUDA when
``torch.cuda.is_available()``, else the CPU. On the CPU, the same ``random_state`` gives
the same weights and the same outputs.

torch is imported when this module is; ``import activelab`` never imports it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from torch import nn

from ..errors import ActiveLabError
from .torch_nets import (
    LossPredictionModule,
    _consistent_dropout,
    _default_augment,
    _last_linear,
    _pooled,
    _ranking_loss,
    _tapped,
    make_cnn,
    make_mlp,
)
from .torch_setup import (
    build_criterion,
    build_module,
    build_optimizer,
    check_output,
    check_parameters,
    dataset_rows,
)

__all__ = ["LossPredictionModule", "TorchClassifier", "make_cnn", "make_mlp", "select_device"]

#: Rows per forward pass at prediction time.
PREDICT_BATCH = 1024


def select_device(device: str = "auto") -> torch.device:
    """``"auto"``: CUDA when available, else CPU; ``"cpu"``; ``"cuda"`` (refused without one)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ActiveLabError("device='cuda' but torch sees no CUDA device; use device='cpu'")
    if device not in ("cpu", "cuda"):
        raise ActiveLabError(f"device must be 'auto', 'cpu' or 'cuda'; got {device!r}")
    return torch.device(device)


class TorchClassifier(ClassifierMixin, BaseEstimator):
    """A torch ``nn.Module`` trained and queried the scikit-learn way.

    Parameters
    ----------
    module : nn.Module or callable, optional
        An ``nn.Module`` instance (deep-copied for every fit: refits start from its
        weights and the instance itself is never trained; the extra members of an
        ensemble re-initialise their copy), or a factory or ``nn.Module`` class called as
        ``module(n_features, n_classes)``. The module maps a float batch of shape
        ``(batch, *input_shape)`` to logits, one per class; ``embed`` reads the input of
        its last ``nn.Linear``. ``None`` builds :func:`make_mlp` (or :func:`make_cnn`
        when ``input_shape`` is an image). A module that fails on a probe batch or gives
        the wrong output shape is refused at fit with what it gave.
    input_shape : tuple, optional
        How to reshape each row before the module sees it, e.g. ``(1, 8, 8)`` for digits;
        with ``dataset`` it defaults to the shape of the dataset's items.
    optimizer : optimizer class or callable, optional
        ``None``: Adam with ``lr`` and ``weight_decay``. A ``torch.optim.Optimizer`` class
        (``torch.optim.SGD``) is built with ``lr``, ``weight_decay`` (when non-zero) and
        ``optimizer_kwargs`` (``{"momentum": 0.9}``); any other callable is a factory
        ``optimizer(params, **optimizer_kwargs)``.
    optimizer_kwargs : dict, optional
    criterion : loss, optional
        ``None``: cross-entropy. A loss module (``nn.CrossEntropyLoss(weight=w)``, copied
        per fit), a loss class, or a function ``criterion(logits, targets) -> scalar``;
        targets are class positions in ``classes_``.
    dataset : torch Dataset, optional
        Train and predict from a dataset: ``X`` (in ``fit``, ``predict_proba``, the pool)
        is then integer indices into it, one per item, and item ``i`` is ``x`` or
        ``(x, ...)`` (a dataset's own label is ignored: labels come from ``fit``'s
        ``y``, the oracle's). Keep the dataset's own transform deterministic (tensor
        conversion, normalisation); put augmentation in ``train_transform``.
    train_transform : callable, optional
        ``x -> x`` applied to each item (shaped ``input_shape``) of every training batch,
        never at prediction: train-time augmentation. It may use torch's random
        functions; they are seeded by ``random_state``.
    hidden, dropout : the built-in module's hidden sizes and dropout rate.
    epochs : int
        Epochs of training from scratch.
    warm_start : bool
        Later fits start from the previous weights and train ``warm_epochs`` epochs
        (incremental fine-tuning); a new set of classes retrains from scratch.
    warm_epochs : int, optional
        Defaults to ``max(1, epochs // 4)``.
    batch_size, lr, weight_decay : Adam mini-batch training.
    n_members : int
        ``> 1`` trains a deep ensemble of independently seeded modules;
        ``predict_proba`` is their mean and ``sample_proba`` returns each member.
    mc_samples : int
        Default number of MC-dropout samples in :meth:`sample_proba`.
    loss_prediction : bool
        Train a :class:`LossPredictionModule` jointly (margin ranking loss, Yoo & Kweon
        2019) on the outputs of every ReLU; :meth:`predict_loss` reads it.
    loss_weight, loss_margin : the ranking loss's weight and margin (paper: 1 and 1).
    augment : callable, optional
        ``augment(batch, generator) -> batch`` for :meth:`augmented_proba`; ``None``:
        shift images by one pixel (a different shift per copy), or add Gaussian noise
        (std 0.1, one draw per copy) to feature vectors.
    featurize : callable, optional
        Maps raw items (texts, say) to a float matrix before anything else, e.g. a
        :class:`~activelab.models.text.SentenceEmbedder`.
    standardize : bool
        Centre and scale each feature by the mean and standard deviation of the data of
        the first fit (a warm start keeps them); constant features are only centred.
    device : ``"auto"``, ``"cpu"`` or ``"cuda"``.
    random_state : int, optional

    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> model = TorchClassifier(epochs=5, random_state=0).fit(X[:200] / 16, y[:200])
    >>> model.predict_proba(X[:3] / 16).shape, model.embed(X[:3] / 16).shape
    ((3, 10), (3, 128))
    >>> model.sample_proba(X[:3] / 16, n_samples=4).shape
    (3, 4, 10)
    """

    def __init__(
        self,
        module: Callable[[int, int], nn.Module] | None = None,
        input_shape: tuple[int, ...] | None = None,
        hidden: Sequence[int] = (128,),
        dropout: float = 0.25,
        epochs: int = 50,
        warm_start: bool = False,
        warm_epochs: int | None = None,
        batch_size: int = 32,
        lr: float = 3e-3,
        weight_decay: float = 0.0,
        n_members: int = 1,
        mc_samples: int = 20,
        loss_prediction: bool = False,
        loss_weight: float = 1.0,
        loss_margin: float = 1.0,
        augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
        featurize: Callable[[Any], np.ndarray] | None = None,
        standardize: bool = True,
        device: str = "auto",
        random_state: int | None = None,
        optimizer: Any = None,
        optimizer_kwargs: dict[str, Any] | None = None,
        criterion: Any = None,
        dataset: Any = None,
        train_transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        check_parameters(module, optimizer, criterion, dataset, train_transform)
        self.module = module
        self.input_shape = input_shape
        self.hidden = hidden
        self.dropout = dropout
        self.epochs = epochs
        self.warm_start = warm_start
        self.warm_epochs = warm_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.n_members = n_members
        self.mc_samples = mc_samples
        self.loss_prediction = loss_prediction
        self.loss_weight = loss_weight
        self.loss_margin = loss_margin
        self.augment = augment
        self.featurize = featurize
        self.standardize = standardize
        self.device = device
        self.random_state = random_state
        self.optimizer = optimizer
        self.optimizer_kwargs = optimizer_kwargs
        self.criterion = criterion
        self.dataset = dataset
        self.train_transform = train_transform

    # ---- the kinds of output it offers (read by the bench and the contract check) ----

    @property
    def model_kinds(self) -> set[str]:
        """Names from :data:`activelab.testing.MODEL_KINDS` this configuration serves."""
        kinds = {"proba", "mc_dropout"}
        if self.loss_prediction:
            kinds.add("learning_loss")
        kinds.add("augment")
        return kinds

    # ---- training ----------------------------------------------------------------------

    def fit(self, X: Any, y: Any) -> TorchClassifier:
        check_parameters(self.module, self.optimizer, self.criterion, self.dataset,
                         self.train_transform)
        features = self._features(X, fitting=True)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(features):
            raise ActiveLabError(
                f"TorchClassifier takes one label per item; got y of shape {y.shape} "
                f"for {len(features)} items"
            )
        classes, targets = np.unique(y, return_inverse=True)
        device = select_device(self.device)
        warm = (
            self.warm_start and hasattr(self, "members_")
            and np.array_equal(classes, self.classes_)
            and features.shape[1] == self.n_features_in_
        )
        if not warm:
            self.classes_ = classes
            self.n_features_in_ = features.shape[1]
            self.mean_ = features.mean(axis=0) if self.standardize else 0.0
            spread = features.std(axis=0) if self.standardize else np.ones(1, np.float32)
            self.scale_ = np.where(spread > 0, spread, 1.0).astype(np.float32)
            self.n_fits_ = 0
            self.members_ = [self._new_member(m, device) for m in range(self._n_members())]
        epochs = self._epochs(warm)
        X_t = torch.as_tensor((features - self.mean_) / self.scale_, dtype=torch.float32)
        y_t = torch.as_tensor(targets, dtype=torch.long)
        for m, member in enumerate(self.members_):
            seed = self._seed(1_000 * m + self.n_fits_)
            self._train(member, X_t, y_t, epochs, seed, device)
        self.n_fits_ += 1
        return self

    def _n_members(self) -> int:
        if isinstance(self.n_members, bool) or not isinstance(self.n_members, int) \
                or self.n_members < 1:
            raise ActiveLabError(f"n_members must be a positive integer; got {self.n_members!r}")
        return self.n_members

    def _epochs(self, warm: bool) -> int:
        epochs = self.epochs
        if warm:
            epochs = self.warm_epochs if self.warm_epochs is not None else max(1, self.epochs // 4)
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ActiveLabError(f"epochs and warm_epochs must be positive integers; got {epochs!r}")
        return epochs

    def _seed(self, offset: int) -> int:
        base = 0 if self.random_state is None else int(self.random_state)
        return (base * 7919 + offset) % (2**31 - 1)

    def _new_member(self, m: int, device: torch.device) -> dict[str, Any]:
        seed = self._seed(104_729 * (m + 1))
        torch.manual_seed(seed)
        n_classes = len(self.classes_)
        if self.module is not None:
            net = build_module(self.module, self.n_features_in_, n_classes, seed, fresh=m > 0)
        elif len(self._shape()) == 3:
            net = make_cnn(self._shape(), n_classes, dropout=self.dropout)
        else:
            net = make_mlp(self.n_features_in_, n_classes, self.hidden, self.dropout)
        net.to(device)
        probe = torch.zeros((2, *self._shape()), device=device)
        if self.module is not None:
            check_output(net, probe, n_classes)
        member: dict[str, Any] = {"net": net, "loss_net": None}
        if self.loss_prediction:
            with torch.no_grad():
                widths = [_pooled(f).shape[1] for f in _tapped(net, probe)[1]]
            if not widths:
                raise ActiveLabError(
                    "loss_prediction=True taps the outputs of the module's nn.ReLU layers; "
                    "this module has none"
                )
            member["loss_net"] = LossPredictionModule(widths).to(device)
        return member

    def _train(self, member: dict[str, Any], X: torch.Tensor, y: torch.Tensor, epochs: int,
               seed: int, device: torch.device) -> None:
        net, loss_net = member["net"], member["loss_net"]
        params = list(net.parameters()) + (list(loss_net.parameters()) if loss_net else [])
        optimizer = build_optimizer(self.optimizer, params, self.lr, self.weight_decay,
                                    self.optimizer_kwargs)
        criterion = build_criterion(self.criterion)
        generator = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)  # dropout masks and train_transform's draws
        n = len(X)
        batch = max(1, min(int(self.batch_size), n))
        # Yoo & Kweon stop the ranking loss's gradient into the features after 60% of training.
        detach_after = int(0.6 * epochs)
        net.train()
        for epoch in range(epochs):
            order = torch.randperm(n, generator=generator)
            for start in range(0, n, batch):
                rows = order[start : start + batch]
                xb = X[rows].reshape(len(rows), *self._shape())
                if self.train_transform is not None:
                    xb = torch.stack([self.train_transform(x) for x in xb])
                xb, yb = xb.to(device), y[rows].to(device)
                if loss_net is None:
                    loss = criterion(net(xb), yb)
                else:
                    loss = self._loss_with_ranking(net, loss_net, xb, yb, criterion,
                                                   epoch >= detach_after)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        net.eval()
        if loss_net is not None:
            loss_net.eval()

    def _loss_with_ranking(self, net: nn.Module, loss_net: nn.Module, xb: torch.Tensor,
                           yb: torch.Tensor, criterion: Callable[..., torch.Tensor],
                           detach: bool) -> torch.Tensor:
        """The criterion plus Yoo & Kweon's ranking loss on each item's cross-entropy."""
        logits, taps = _tapped(net, xb)
        if detach:
            taps = [t.detach() for t in taps]
        per_item = nn.functional.cross_entropy(logits, yb, reduction="none")
        loss_net.train()
        predicted = loss_net(taps)
        return criterion(logits, yb) + self.loss_weight * _ranking_loss(
            predicted, per_item.detach(), self.loss_margin
        )

    # ---- prediction ----------------------------------------------------------------------

    def predict_proba(self, X: Any) -> np.ndarray:
        """Mean class probabilities over the members, dropout off; ``(n, n_classes)``."""
        self._check_fitted()
        X_t = self._tensor(X)
        total = None
        for member in self.members_:
            p = self._forward(member["net"], X_t, lambda net, xb: torch.softmax(net(xb), 1))
            total = p if total is None else total + p
        return total / len(self.members_)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def proba_tensor(self, X: torch.Tensor) -> torch.Tensor:
        """:meth:`predict_proba` of raw feature rows as a differentiable torch function.

        For a gradient search of the inputs (GAAL-style synthesis); needs no ``featurize``.
        """
        self._check_fitted()
        if self.featurize is not None:
            raise ActiveLabError("proba_tensor needs numeric rows; this model featurizes them")
        device = next(self.members_[0]["net"].parameters()).device
        xb = (X.to(device) - torch.as_tensor(self.mean_, dtype=X.dtype, device=device)) \
            / torch.as_tensor(self.scale_, dtype=X.dtype, device=device)
        xb = xb.reshape(len(X), *self._shape())
        probs = [torch.softmax(m["net"].eval()(xb), 1) for m in self.members_]
        return sum(probs) / len(probs)

    def embed(self, X: Any) -> np.ndarray:
        """The input of the last ``nn.Linear`` (the penultimate layer), of the first member."""
        self._check_fitted()
        net = self.members_[0]["net"]
        last = _last_linear(net)
        caught: list[torch.Tensor] = []
        handle = last.register_forward_pre_hook(lambda mod, args: caught.append(args[0]))

        def run(net: nn.Module, xb: torch.Tensor) -> torch.Tensor:
            caught.clear()
            net(xb)
            return caught[0]

        try:
            return self._forward(net, self._tensor(X), run)
        finally:
            handle.remove()

    def sample_proba(self, X: Any, n_samples: int | None = None) -> np.ndarray:
        """``(n, n_samples, n_classes)``: MC-dropout samples, or one per member of an ensemble.

        Sample ``s`` uses the same dropout mask for every item, drawn from
        ``(random_state, fit count, s)``: the result does not depend on batching or row order.
        """
        self._check_fitted()
        X_t = self._tensor(X)
        if len(self.members_) > 1:
            parts = [
                self._forward(m["net"], X_t, lambda net, xb: torch.softmax(net(xb), 1))
                for m in self.members_
            ]
            return np.stack(parts, axis=1)
        n_samples = self.mc_samples if n_samples is None else n_samples
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
                or n_samples < 1:
            raise ActiveLabError(f"n_samples must be a positive integer; got {n_samples!r}")
        net = self.members_[0]["net"]
        if not any(isinstance(m, nn.modules.dropout._DropoutNd) for m in net.modules()):
            raise ActiveLabError(
                "MC-dropout sampling needs nn.Dropout layers in the module; add some, or "
                "use n_members > 1 for a deep ensemble"
            )
        out = np.empty((len(X_t), int(n_samples), len(self.classes_)), dtype=np.float32)
        for s in range(int(n_samples)):
            with _consistent_dropout(net, self._seed(31 * self.n_fits_ + 7_919 * (s + 1))):
                out[:, s] = self._forward(net, X_t, lambda net, xb: torch.softmax(net(xb), 1))
        return out

    def predict_loss(self, X: Any) -> np.ndarray:
        """The loss-prediction module's output per item (higher: a larger expected loss)."""
        self._check_fitted()
        if not self.loss_prediction:
            raise ActiveLabError(
                "this TorchClassifier has no loss-prediction module; build it with "
                "loss_prediction=True to use Learning Loss"
            )
        member = self.members_[0]

        def run(net: nn.Module, xb: torch.Tensor) -> torch.Tensor:
            return member["loss_net"](_tapped(net, xb)[1])

        return self._forward(member["net"], self._tensor(X), run)

    def augmented_proba(self, X: Any, n_copies: int = 5) -> np.ndarray:
        """``(n, n_copies, n_classes)``: probabilities of augmented copies; copy 0 is the item.

        Copy ``c`` applies the same random transform to every item (drawn from
        ``(random_state, c)``), so the result does not depend on batching or row order.
        """
        self._check_fitted()
        if isinstance(n_copies, bool) or not isinstance(n_copies, (int, np.integer)) \
                or n_copies < 1:
            raise ActiveLabError(f"n_copies must be a positive integer; got {n_copies!r}")
        X_t = self._tensor(X)
        augment = self.augment if self.augment is not None else _default_augment
        out = np.empty((len(X_t), int(n_copies), len(self.classes_)), dtype=np.float32)
        for c in range(int(n_copies)):
            def run(net: nn.Module, xb: torch.Tensor, c: int = c) -> torch.Tensor:
                if c > 0:
                    xb = augment(xb, torch.Generator().manual_seed(self._seed(7 * c + 3)))
                return torch.softmax(net(xb), 1)

            out[:, c] = self._forward(self.members_[0]["net"], X_t, run)
        return out

    # ---- plumbing ------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "members_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this TorchClassifier is not fitted yet; call fit first")

    def _shape(self) -> tuple[int, ...]:
        shape = self.input_shape if self.input_shape is not None else self.item_shape_
        if shape is None or len(shape) <= 1:
            return (self.n_features_in_,)
        shape = tuple(int(s) for s in shape)
        if int(np.prod(shape)) != self.n_features_in_:
            raise ActiveLabError(
                f"input_shape {shape} holds {int(np.prod(shape))} values, but the items "
                f"have {self.n_features_in_} features"
            )
        return shape

    def _features(self, X: Any, fitting: bool = False) -> np.ndarray:
        if self.dataset is not None:
            X, item_shape = dataset_rows(self.dataset, X)
            if fitting:
                self.item_shape_ = item_shape
        elif fitting:
            self.item_shape_ = None
        if self.featurize is not None:
            X = self.featurize(X)
        if sp.issparse(X):
            X = X.toarray()
        try:
            values = np.asarray(X, dtype=np.float32)
        except (TypeError, ValueError) as err:
            raise ActiveLabError(
                "TorchClassifier needs numeric rows; give raw items (texts) a featurize "
                "function, e.g. activelab.models.text.SentenceEmbedder(), or a dataset"
            ) from err
        if values.ndim != 2:
            raise ActiveLabError(f"TorchClassifier needs a 2-D feature matrix; got {values.shape}")
        if not np.isfinite(values).all():
            row = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0])
            raise ActiveLabError(
                f"row {row} holds NaN or infinite features; impute or drop it before fitting "
                "or predicting"
            )
        return values

    def _tensor(self, X: Any) -> torch.Tensor:
        values = self._features(X)
        if values.shape[1] != self.n_features_in_:
            raise ActiveLabError(
                f"the model was fit on {self.n_features_in_} features; got {values.shape[1]}"
            )
        return torch.as_tensor((values - self.mean_) / self.scale_, dtype=torch.float32)

    def _forward(self, net: nn.Module, X: torch.Tensor,
                 run: Callable[[nn.Module, torch.Tensor], torch.Tensor]) -> np.ndarray:
        device = next(net.parameters()).device
        parts = []
        net.eval()
        with torch.no_grad():
            for start in range(0, len(X), PREDICT_BATCH):
                xb = X[start : start + PREDICT_BATCH]
                xb = xb.reshape(len(xb), *self._shape()).to(device)
                parts.append(run(net, xb).float().cpu().numpy())
        if not parts:
            return np.zeros((0,), dtype=np.float32)
        return np.concatenate(parts)

    def __sklearn_clone__(self) -> TorchClassifier:
        return type(self)(**copy.deepcopy(self.get_params(deep=False)))
