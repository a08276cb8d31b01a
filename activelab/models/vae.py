"""A small variational autoencoder: a generator trained on the unlabeled pool, on the CPU.

:class:`VAE` learns a latent space of the pool's inputs (Kingma & Welling 2014) and offers
what generative active learning needs:

* ``fit(X)`` and ``sample(n, rng)`` — a :class:`~activelab.scenarios.synthesisers.Generator`,
  so ``LatentSynthesis(VAE())`` samples candidates through it;
* ``encode(X)`` (the posterior means) and ``decode(Z)`` — where
  :class:`~activelab.scenarios.generative.LatentSearch` (GAAL-style) searches, and where
  :class:`~activelab.augmentation.GenerativeAugmentation` (BGADL-style) draws neighbours;
* ``decode_tensor(z)`` — the decoder as a differentiable torch function, for a gradient
  search through a torch classifier.

Inputs are scaled to ``[0, 1]`` by the data's overall minimum and maximum (pixels share
one range) and modelled as Bernoulli means; ``decode`` returns the original units, so a
decoded digit lies in ``[0, 16]`` like ``load_digits``. ``architecture="mlp"`` (default)
suits any row; ``"conv"`` needs ``input_shape=(channels, height, width)``. On the CPU the
same ``random_state`` gives the same weights.

torch is imported when this module is; ``import activelab`` never imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from torch import nn

from ..errors import ActiveLabError
from ..validation import check_int

__all__ = ["VAE"]

#: Rows per forward pass when encoding or decoding.
CHUNK = 2048


class _MLPCoder(nn.Module):
    """Encoder ``x -> (mean, log variance)`` and decoder ``z -> logits``, both MLPs."""

    def __init__(self, n_features: int, latent_dim: int, hidden: Sequence[int]) -> None:
        super().__init__()
        widths = [n_features, *hidden]
        layers: list[nn.Module] = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.encoder = nn.Sequential(*layers)
        self.to_latent = nn.Linear(widths[-1], 2 * latent_dim)
        back = [latent_dim, *reversed(hidden)]
        layers = []
        for a, b in zip(back[:-1], back[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.decoder = nn.Sequential(*layers, nn.Linear(back[-1], n_features))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.to_latent(self.encoder(x)).chunk(2, dim=1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)


class _ConvCoder(nn.Module):
    """Two stride-2 convolutions down, two transposed convolutions up, cropped to the image."""

    def __init__(self, shape: tuple[int, int, int], latent_dim: int, channels: int) -> None:
        super().__init__()
        c, h, w = shape
        self.shape = shape
        self.small = (2 * channels, -(-h // 4), -(-w // 4))
        flat = int(np.prod(self.small))
        self.encoder = nn.Sequential(
            nn.Conv2d(c, channels, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten())
        with torch.no_grad():
            width = self.encoder(torch.zeros(1, c, h, w)).shape[1]
        self.to_latent = nn.Linear(width, 2 * latent_dim)
        self.from_latent = nn.Sequential(nn.Linear(latent_dim, flat), nn.ReLU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(channels, c, 4, stride=2, padding=1))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        image = x.reshape(len(x), *self.shape)
        return self.to_latent(self.encoder(image)).chunk(2, dim=1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        small = self.from_latent(z).reshape(len(z), *self.small)
        c, h, w = self.shape
        return self.decoder(small)[:, :, :h, :w].reshape(len(z), c * h * w)


class VAE(BaseEstimator):
    """A variational autoencoder of the pool's inputs (MLP or convolutional).

    Parameters
    ----------
    latent_dim : int
        Size of the latent code; the prior is ``N(0, I)``.
    hidden : sequence of int
        The MLP's hidden widths (the decoder mirrors them).
    architecture : {"mlp", "conv"}
        ``"conv"`` needs ``input_shape``; ``channels`` is its first layer's width.
    input_shape : tuple, optional
        ``(channels, height, width)`` of each row, for ``"conv"``.
    epochs, batch_size, lr : Adam mini-batch training.
    beta : float
        Weight of the KL term (1: the ordinary evidence lower bound).
    random_state : int
        Seeds the weights, the batches and the reparameterisation noise.

    >>> from sklearn.datasets import load_digits
    >>> X = load_digits().data[:300]
    >>> vae = VAE(latent_dim=4, epochs=3, random_state=0).fit(X)
    >>> vae.encode(X[:2]).shape, vae.decode(np.zeros((1, 4))).shape
    ((2, 4), (1, 64))
    """

    def __init__(self, latent_dim: int = 8, hidden: Sequence[int] = (256, 128),
                 architecture: str = "mlp", input_shape: tuple[int, int, int] | None = None,
                 channels: int = 16, epochs: int = 60, batch_size: int = 64, lr: float = 2e-3,
                 beta: float = 1.0, random_state: int = 0) -> None:
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.architecture = architecture
        self.input_shape = input_shape
        self.channels = channels
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.beta = beta
        self.random_state = random_state

    # ---- training ------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None) -> VAE:
        """Train on the rows of ``X`` (labels, if given, are ignored); returns ``self``."""
        X = self._rows(X, fitted=False)
        if len(X) < 2:
            raise ActiveLabError("VAE.fit needs at least two rows")
        self.low_ = float(X.min())
        self.high_ = float(X.max())
        self.n_features_in_ = X.shape[1]
        seed = int(self.random_state or 0)
        torch.manual_seed(seed)
        self.net_ = self._build()
        data = torch.as_tensor(self._scale(X))
        optimizer = torch.optim.Adam(self.net_.parameters(), lr=float(self.lr))
        generator = torch.Generator().manual_seed(seed)
        batch = max(1, min(check_int(self.batch_size, "batch_size"), len(data)))
        self.loss_history_ = []
        self.net_.train()
        for _ in range(check_int(self.epochs, "epochs")):
            total = 0.0
            for rows in torch.randperm(len(data), generator=generator).split(batch):
                loss = self._loss(data[rows], generator)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(rows)
            self.loss_history_.append(total / len(data))
        self.net_.eval()
        return self

    def _build(self) -> nn.Module:
        latent = check_int(self.latent_dim, "latent_dim")
        if self.architecture == "mlp":
            return _MLPCoder(self.n_features_in_, latent, [int(h) for h in self.hidden])
        if self.architecture != "conv":
            raise ActiveLabError(f"architecture must be 'mlp' or 'conv'; got {self.architecture!r}")
        if self.input_shape is None or len(self.input_shape) != 3 \
                or int(np.prod(self.input_shape)) != self.n_features_in_:
            raise ActiveLabError(
                f"architecture='conv' needs input_shape=(channels, height, width) holding the "
                f"{self.n_features_in_} features of a row; got {self.input_shape!r}")
        shape = tuple(int(s) for s in self.input_shape)
        return _ConvCoder(shape, latent, check_int(self.channels, "channels"))  # type: ignore[arg-type]

    def _loss(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """The negative evidence lower bound per row: Bernoulli reconstruction + beta * KL."""
        mean, log_var = self.net_.encode(x)
        noise = torch.randn(mean.shape, generator=generator)
        z = mean + torch.exp(0.5 * log_var) * noise
        logits = self.net_.decode(z)
        reconstruction = nn.functional.binary_cross_entropy_with_logits(
            logits, x, reduction="none").sum(1)
        kl = 0.5 * (mean**2 + log_var.exp() - 1.0 - log_var).sum(1)
        return (reconstruction + float(self.beta) * kl).mean()

    # ---- the generator's surface -----------------------------------------------------------

    def encode(self, X: Any) -> np.ndarray:
        """The posterior mean code of each row, ``(n, latent_dim)``."""
        data = torch.as_tensor(self._scale(self._rows(X)))
        with torch.no_grad():
            parts = [self.net_.encode(chunk)[0] for chunk in data.split(CHUNK)]
        return torch.cat(parts).double().numpy() if parts else np.zeros((0, self.latent_dim))

    def decode(self, Z: Any) -> np.ndarray:
        """Inputs, in the data's units, decoded from latent codes ``Z``."""
        codes = torch.as_tensor(self._codes(Z), dtype=torch.float32)
        with torch.no_grad():
            parts = [self.decode_tensor(chunk) for chunk in codes.split(CHUNK)]
        if not parts:
            return np.zeros((0, self.n_features_in_))
        return torch.cat(parts).double().numpy()

    def decode_tensor(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder as a differentiable function of a float tensor of codes."""
        self._check_fitted()
        unit = torch.sigmoid(self.net_.decode(z))
        return self.low_ + (self.high_ - self.low_) * unit

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` inputs decoded from codes drawn from the prior ``N(0, I)``."""
        self._check_fitted()
        return self.decode(rng.standard_normal((check_int(n, "n", minimum=0), self.latent_dim)))

    def reconstruct(self, X: Any) -> np.ndarray:
        """``decode(encode(X))``."""
        return self.decode(self.encode(X))

    # ---- plumbing --------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise ActiveLabError("this VAE is not trained yet; call fit(X) on the pool first")

    def _rows(self, X: Any, fitted: bool = True) -> np.ndarray:
        if fitted:
            self._check_fitted()
        try:
            X = np.asarray(X, dtype=np.float32)
        except (TypeError, ValueError) as err:
            raise ActiveLabError("the VAE needs numeric rows (a 2-D float array)") from err
        if X.ndim != 2 or not np.isfinite(X).all():
            raise ActiveLabError(f"the VAE needs a 2-D array of finite numbers; got shape {X.shape}")
        if fitted and X.shape[1] != self.n_features_in_:
            raise ActiveLabError(
                f"the VAE was trained on {self.n_features_in_} features; got {X.shape[1]}")
        return X

    def _scale(self, X: np.ndarray) -> np.ndarray:
        span = self.high_ - self.low_ if self.high_ > self.low_ else 1.0
        return np.clip((X - self.low_) / span, 0.0, 1.0).astype(np.float32)

    def _codes(self, Z: Any) -> np.ndarray:
        self._check_fitted()
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim != 2 or Z.shape[1] != self.latent_dim:
            raise ActiveLabError(
                f"latent codes must have shape (n, {self.latent_dim}); got {Z.shape}")
        return Z
