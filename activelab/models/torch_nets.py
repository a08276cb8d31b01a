"""The networks and torch hooks :class:`~activelab.models.TorchClassifier` builds on.

The built-in MLP and CNN, Yoo & Kweon's loss-prediction head and ranking loss, the hooks
that read a network's ReLU outputs and last linear layer, consistent MC-dropout masks,
and the default augmentation of :meth:`TorchClassifier.augmented_proba`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from ..errors import ActiveLabError

__all__ = ["LossPredictionModule", "make_cnn", "make_mlp"]


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
