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


def make_mlp(n_features: int, n_classes: int, hidden: Sequence[int] = (128,),
             dropout: float = 0.25) -> nn.Module:
    """Linear -> ReLU -> Dropout per hidden layer, then a linear output layer."""
    layers: list[nn.Module] = []
    width = n_features
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
        width = size
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)


def make_cnn(input_shape: tuple[int, int, int], n_classes: int, channels: int = 16,
             hidden: int = 64, dropout: float = 0.25) -> nn.Module:
    """Two 3x3 conv blocks (the second pooled), then a hidden layer with dropout: for 8x8 digits."""
    c, h, w = input_shape
    return nn.Sequential(
        nn.Conv2d(c, channels, 3, padding=1), nn.ReLU(),
        nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(dropout),
        nn.Linear(2 * channels * (h // 2) * (w // 2), hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, n_classes),
    )


class LossPredictionModule(nn.Module):
    """Yoo & Kweon's loss-prediction head: per tapped layer GAP -> FC -> ReLU, concat, FC -> 1."""

    def __init__(self, widths: Sequence[int], units: int = 32) -> None:
        super().__init__()
        self.branches = nn.ModuleList([nn.Linear(w, units) for w in widths])
        self.out = nn.Linear(units * len(widths), 1)

    def forward(self, features: Sequence[torch.Tensor]) -> torch.Tensor:
        parts = [torch.relu(fc(_pooled(f))) for fc, f in zip(self.branches, features)]
        return self.out(torch.cat(parts, dim=1)).squeeze(1)


def _pooled(feature: torch.Tensor) -> torch.Tensor:
    return feature.flatten(2).mean(2) if feature.dim() > 2 else feature


class TorchClassifier(ClassifierMixin, BaseEstimator):
    """A torch ``nn.Module`` trained and queried the scikit-learn way.

    Parameters
    ----------
    module : callable, optional
        ``module(n_features, n_classes) -> nn.Module``; the module maps a float batch of
        shape ``(batch, *input_shape)`` to logits and ends in an ``nn.Linear``. ``None``
        builds :func:`make_mlp` (or :func:`make_cnn` when ``input_shape`` is an image).
    input_shape : tuple, optional
        How to reshape each row before the module sees it, e.g. ``(1, 8, 8)`` for digits.
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
    ) -> None:
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
        features = self._features(X)
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
        torch.manual_seed(self._seed(104_729 * (m + 1)))
        n_classes = len(self.classes_)
        if self.module is not None:
            net = self.module(self.n_features_in_, n_classes)
            if not isinstance(net, nn.Module):
                raise ActiveLabError(
                    f"module(n_features, n_classes) must return an nn.Module; got {type(net).__name__}"
                )
        elif self.input_shape is not None and len(self.input_shape) == 3:
            net = make_cnn(tuple(self.input_shape), n_classes, dropout=self.dropout)
        else:
            net = make_mlp(self.n_features_in_, n_classes, self.hidden, self.dropout)
        net.to(device)
        member: dict[str, Any] = {"net": net, "loss_net": None}
        if self.loss_prediction:
            with torch.no_grad():
                probe = torch.zeros((2, *self._shape()), device=device)
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
        optimizer = torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        generator = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)  # dropout masks while training
        n = len(X)
        batch = max(1, min(int(self.batch_size), n))
        # Yoo & Kweon stop the ranking loss's gradient into the features after 60% of training.
        detach_after = int(0.6 * epochs)
        net.train()
        for epoch in range(epochs):
            order = torch.randperm(n, generator=generator)
            for start in range(0, n, batch):
                rows = order[start : start + batch]
                xb = X[rows].reshape(len(rows), *self._shape()).to(device)
                yb = y[rows].to(device)
                if loss_net is None:
                    loss = nn.functional.cross_entropy(net(xb), yb)
                else:
                    logits, taps = _tapped(net, xb)
                    if epoch >= detach_after:
                        taps = [t.detach() for t in taps]
                    per_item = nn.functional.cross_entropy(logits, yb, reduction="none")
                    loss_net.train()
                    predicted = loss_net(taps)
                    loss = per_item.mean() + self.loss_weight * _ranking_loss(
                        predicted, per_item.detach(), self.loss_margin
                    )
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        net.eval()
        if loss_net is not None:
            loss_net.eval()

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
        if self.input_shape is None:
            return (self.n_features_in_,)
        shape = tuple(int(s) for s in self.input_shape)
        if int(np.prod(shape)) != self.n_features_in_:
            raise ActiveLabError(
                f"input_shape {shape} holds {int(np.prod(shape))} values, but the items "
                f"have {self.n_features_in_} features"
            )
        return shape

    def _features(self, X: Any) -> np.ndarray:
        if self.featurize is not None:
            X = self.featurize(X)
        if sp.issparse(X):
            X = X.toarray()
        try:
            values = np.asarray(X, dtype=np.float32)
        except (TypeError, ValueError) as err:
            raise ActiveLabError(
                "TorchClassifier needs numeric rows; give raw items (texts) a featurize "
                "function, e.g. activelab.models.text.SentenceEmbedder()"
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


def _ranking_loss(predicted: torch.Tensor, target: torch.Tensor, margin: float) -> torch.Tensor:
    """Yoo & Kweon's pairwise loss: the batch split in halves, item i paired with item B-1-i."""
    half = len(predicted) // 2
    if half == 0:
        return predicted.sum() * 0.0
    p_i, p_j = predicted[:half], predicted.flip(0)[:half]
    t_i, t_j = target[:half], target.flip(0)[:half]
    sign = torch.sign(t_i - t_j)
    return torch.clamp(margin - sign * (p_i - p_j), min=0).mean()


def _tapped(net: nn.Module, xb: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The logits and the output of every ``nn.ReLU``, in call order."""
    taps: list[torch.Tensor] = []
    handles = [
        m.register_forward_hook(lambda mod, args, out: taps.append(out))
        for m in net.modules() if isinstance(m, nn.ReLU)
    ]
    try:
        logits = net(xb)
    finally:
        for handle in handles:
            handle.remove()
    return logits, taps


def _last_linear(net: nn.Module) -> nn.Linear:
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ActiveLabError("embed needs the module to end in an nn.Linear layer; it has none")
    return linears[-1]


class _consistent_dropout:
    """Within the block, each dropout layer applies one mask shared by every row of a batch."""

    def __init__(self, net: nn.Module, seed: int) -> None:
        self.layers = [m for m in net.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]
        generator = torch.Generator().manual_seed(seed)
        self.seeds = [int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
                      for _ in self.layers]
        self.handles: list[Any] = []

    def __enter__(self) -> _consistent_dropout:
        for layer, seed in zip(self.layers, self.seeds):
            self.handles.append(layer.register_forward_hook(_mask_hook(layer.p, seed)))
        return self

    def __exit__(self, *exc: Any) -> None:
        for handle in self.handles:
            handle.remove()


def _mask_hook(p: float, seed: int) -> Callable[..., torch.Tensor]:
    def hook(module: nn.Module, args: Any, out: torch.Tensor) -> torch.Tensor:
        if p <= 0:
            return out
        generator = torch.Generator().manual_seed(seed)
        # Dropout2d drops whole channels; nn.Dropout single units.
        shape = out.shape[1:2] + (1,) * (out.dim() - 2) if isinstance(
            module, (nn.Dropout2d, nn.Dropout3d)) else out.shape[1:]
        keep = (torch.rand(shape, generator=generator) >= p).to(out.device, out.dtype)
        return out * keep / (1.0 - p)

    return hook


def _default_augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Images: roll by one pixel in a random direction. Vectors: add Gaussian noise of std 0.1.

    The noise suits standardised features; pass your own ``augment`` otherwise.
    """
    if batch.dim() == 4:
        dy, dx = (int(v) for v in torch.randint(-1, 2, (2,), generator=generator))
        if dy == 0 and dx == 0:
            dx = 1
        return torch.roll(batch, shifts=(dy, dx), dims=(2, 3))
    noise = torch.randn(batch.shape[1:], generator=generator).to(batch.device, batch.dtype)
    return batch + 0.1 * noise
