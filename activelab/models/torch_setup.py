"""What a user hands :class:`~activelab.models.TorchClassifier`, checked and built.

* ``module`` — an ``nn.Module`` instance (deep-copied for every fit, so refits start from
  the same weights and the instance is never trained), or a callable — a factory
  function or an ``nn.Module`` class — called as ``module(n_features, n_classes)``;
* ``optimizer`` — ``None`` (Adam), a ``torch.optim.Optimizer`` class (built with
  ``lr``, ``weight_decay`` and ``optimizer_kwargs``), or a factory
  ``optimizer(params, **optimizer_kwargs) -> Optimizer``;
* ``criterion`` — ``None`` (cross-entropy), a loss module instance (copied), a loss
  class (built with no arguments), or a function ``criterion(logits, targets)``;
* ``dataset`` — a torch ``Dataset`` whose item ``i`` is ``x`` or ``(x, ...)``; the
  model's ``X`` is then integer indices into it.

Wrong types are refused when the model is built (:func:`check_parameters`), never
with a traceback from deep inside torch.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import ActiveLabError
from ..validation import first_line

__all__ = ["build_criterion", "build_module", "build_optimizer", "check_parameters",
           "dataset_rows"]


def check_parameters(module: Any, optimizer: Any, criterion: Any, dataset: Any,
                     train_transform: Any) -> None:
    """Refuse a parameter of the wrong type, saying what each one takes."""
    if module is not None and not (isinstance(module, nn.Module) or callable(module)):
        raise ActiveLabError(
            "module must be an nn.Module instance, an nn.Module class or a factory "
            f"module(n_features, n_classes) -> nn.Module; got {type(module).__name__}"
        )
    if isinstance(optimizer, torch.optim.Optimizer):
        raise ActiveLabError(
            "optimizer must be an optimizer class such as torch.optim.SGD (or a factory "
            "taking the parameters), not an optimizer already bound to parameters"
        )
    if optimizer is not None and not callable(optimizer):
        raise ActiveLabError(
            "optimizer must be None (Adam), a torch.optim.Optimizer class or a factory "
            f"optimizer(params, **optimizer_kwargs); got {type(optimizer).__name__}"
        )
    if criterion is not None and not callable(criterion):
        raise ActiveLabError(
            "criterion must be None (cross-entropy), a loss module or class such as "
            f"nn.CrossEntropyLoss, or a function (logits, targets); got {type(criterion).__name__}"
        )
    if dataset is not None and not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
        raise ActiveLabError(
            "dataset must be a torch Dataset (with __getitem__ and __len__); "
            f"got {type(dataset).__name__}"
        )
    if train_transform is not None and not callable(train_transform):
        raise ActiveLabError(
            f"train_transform must be a callable x -> x; got {type(train_transform).__name__}"
        )


def build_module(module: Any, n_features: int, n_classes: int, seed: int, fresh: bool) -> nn.Module:
    """The user's module for one member: a copy of an instance, or a factory's product.

    ``fresh=True`` re-initialises a copied instance's parameters (``reset_parameters``
    of each layer, seeded by ``seed``): the members of a deep ensemble then differ.
    """
    if isinstance(module, nn.Module):
        net = copy.deepcopy(module)
        if fresh:
            torch.manual_seed(seed)
            for layer in net.modules():
                reset = getattr(layer, "reset_parameters", None)
                if callable(reset):
                    reset()
        return net
    try:
        net = module(n_features, n_classes)
    except TypeError as err:
        name = getattr(module, "__name__", type(module).__name__)
        raise ActiveLabError(
            f"module {name}(n_features, n_classes) failed ({first_line(err)}); pass an "
            "nn.Module instance, or a class or factory taking (n_features, n_classes)"
        ) from err
    if not isinstance(net, nn.Module):
        raise ActiveLabError(
            f"module(n_features, n_classes) must return an nn.Module; got {type(net).__name__}"
        )
    return net


def check_output(net: nn.Module, probe: torch.Tensor, n_classes: int) -> None:
    """Run ``net`` on a probe batch; refuse it unless it gives ``(batch, n_classes)`` logits."""
    try:
        with torch.no_grad():
            net.eval()
            out = net(probe)
    except Exception as err:  # noqa: BLE001 - any failure of the user's module
        raise ActiveLabError(
            f"the module could not run on a batch of shape {tuple(probe.shape)} "
            f"({type(err).__name__}: {first_line(err)}); set input_shape to the shape "
            "it expects per item"
        ) from err
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (len(probe), n_classes):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ActiveLabError(
            f"the module must map a batch to logits of shape (batch, {n_classes}), one per "
            f"class; it gave {shape}"
        )


def build_optimizer(optimizer: Any, params: list[nn.Parameter], lr: float, weight_decay: float,
                    optimizer_kwargs: dict[str, Any] | None) -> torch.optim.Optimizer:
    """Adam by default; a class with ``lr``/``weight_decay`` and the kwargs; or a factory."""
    kwargs = dict(optimizer_kwargs or {})
    if optimizer is None:
        return torch.optim.Adam(params, **{"lr": lr, "weight_decay": weight_decay, **kwargs})
    if inspect.isclass(optimizer) and issubclass(optimizer, torch.optim.Optimizer):
        defaults = {"lr": lr}
        if weight_decay:
            defaults["weight_decay"] = weight_decay
        return optimizer(params, **{**defaults, **kwargs})
    built = optimizer(params, **kwargs)
    if not isinstance(built, torch.optim.Optimizer):
        raise ActiveLabError(
            f"optimizer(params, **optimizer_kwargs) must return a torch optimizer; got "
            f"{type(built).__name__}"
        )
    return built


def build_criterion(criterion: Any) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Cross-entropy by default; a copy of a loss module; a loss class built; or a function."""
    if criterion is None:
        return nn.CrossEntropyLoss()
    if isinstance(criterion, nn.Module):
        return copy.deepcopy(criterion)
    if inspect.isclass(criterion):
        return criterion()
    return criterion


def dataset_rows(dataset: Any, X: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    """The items of ``dataset`` at the indices ``X``, flattened, and one item's shape."""
    indices = np.asarray(X)
    if indices.ndim == 2 and indices.shape[1] == 1:
        indices = indices[:, 0]
    if indices.ndim != 1 or (len(indices) and indices.dtype.kind not in "iu"
                             and not np.array_equal(indices, np.round(indices))):
        raise ActiveLabError(
            "with dataset=..., X holds integer indices into the dataset, one per item "
            "(Pool(np.arange(len(dataset)).reshape(-1, 1)))"
        )
    indices = indices.astype(np.int64)
    if len(indices) and (indices.min() < 0 or indices.max() >= len(dataset)):
        raise ActiveLabError(
            f"index {int(indices.max() if indices.max() >= len(dataset) else indices.min())} "
            f"is outside the dataset of {len(dataset)} items"
        )
    items = []
    for i in indices:
        item = dataset[int(i)]
        x = item[0] if isinstance(item, (tuple, list)) else item
        items.append(torch.as_tensor(np.asarray(x, dtype=np.float32)))
    if not items:
        return np.zeros((0, 0), dtype=np.float32), ()
    shape = tuple(items[0].shape)
    return torch.stack(items).reshape(len(items), -1).numpy(), shape
