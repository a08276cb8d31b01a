"""The models ``activelab bench --model`` knows by name, per task.

>>> sorted(TASK_MODELS["regression"])
['gp', 'knn', 'rf', 'ridge']
>>> type(make_model("rf", 0, task="multilabel")).__name__
'RandomForestClassifier'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ActiveLabError
from ..registry import Registry

__all__ = ["DEFAULT_MODELS", "MODELS", "TASK_MODELS", "make_model"]


def _to_dense(X: Any) -> np.ndarray:
    return X.toarray() if sp.issparse(X) else np.asarray(X)


def _scaled(estimator: Any, sparse: bool) -> Any:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(with_mean=not sparse), estimator)


def _logreg(seed: int, sparse: bool) -> Any:
    from sklearn.linear_model import LogisticRegression

    return _scaled(LogisticRegression(max_iter=2000, random_state=seed), sparse)


def _svm(seed: int, sparse: bool) -> Any:
    from sklearn.svm import SVC

    return _scaled(SVC(random_state=seed), sparse)


def _rf(seed: int, sparse: bool) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1)


def _knn(seed: int, sparse: bool) -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    return _scaled(KNeighborsClassifier(n_neighbors=3), sparse)  # bench's MIN_LABELS_KNN


def _nb(seed: int, sparse: bool) -> Any:
    from sklearn.naive_bayes import GaussianNB
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    return make_pipeline(FunctionTransformer(_to_dense, accept_sparse=True), GaussianNB())


def _parzen(seed: int, sparse: bool) -> Any:
    from .parzen import ParzenWindowClassifier

    return _scaled(ParzenWindowClassifier(gamma="mean", class_prior=1e-3), sparse)


def _mlp(seed: int, sparse: bool) -> Any:
    from sklearn.neural_network import MLPClassifier

    return _scaled(MLPClassifier(hidden_layer_sizes=(64,), max_iter=300, random_state=seed), sparse)


def _ridge(seed: int, sparse: bool) -> Any:
    from sklearn.linear_model import Ridge

    return _scaled(Ridge(), sparse)


def _rf_regressor(seed: int, sparse: bool) -> Any:
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(n_estimators=100, random_state=seed, n_jobs=1)


def _gp(seed: int, sparse: bool) -> Any:
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, WhiteKernel
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    gp = GaussianProcessRegressor(kernel=RBF() + WhiteKernel(), normalize_y=True,
                                  random_state=seed)
    if sparse:
        return make_pipeline(StandardScaler(with_mean=False),
                             FunctionTransformer(_to_dense, accept_sparse=True), gp)
    return make_pipeline(StandardScaler(), gp)


def _knn_regressor(seed: int, sparse: bool) -> Any:
    from sklearn.neighbors import KNeighborsRegressor

    return _scaled(KNeighborsRegressor(n_neighbors=3), sparse)  # bench's MIN_LABELS_KNN


def _one_vs_rest_logreg(seed: int, sparse: bool) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    return _scaled(OneVsRestClassifier(LogisticRegression(max_iter=2000, random_state=seed)),
                   sparse)


def _torch(seed: int, **params: Any) -> Any:
    try:
        from ..models.torch_model import TorchClassifier
    except ImportError as err:
        raise ActiveLabError(
            f"the torch bench models need PyTorch: pip install 'activelab[torch]' ({err})"
        ) from err
    return TorchClassifier(random_state=seed, **params)


def _torch_mlp(seed: int, sparse: bool) -> Any:
    return _torch(seed, hidden=(128,), epochs=50)


def _torch_mlp_warm(seed: int, sparse: bool) -> Any:
    return _torch(seed, hidden=(128,), epochs=50, warm_start=True, warm_epochs=10)


def _torch_learning_loss(seed: int, sparse: bool) -> Any:
    return _torch(seed, hidden=(128,), epochs=50, loss_prediction=True)


def _torch_cnn(seed: int, sparse: bool) -> Any:
    return _torch(seed, input_shape=(1, 8, 8), epochs=30)


def _minilm_head(seed: int, sparse: bool) -> Any:
    return _torch(seed, hidden=(64,), dropout=0.2, epochs=60, lr=3e-3)


def _minilm_text(seed: int, **params: Any) -> Any:
    try:
        from ..models.text_finetune import FineTunedTextClassifier
    except ImportError as err:
        raise ActiveLabError(
            f"the MiniLM text models need the text extra: pip install 'activelab[text]' ({err})"
        ) from err
    return FineTunedTextClassifier(device="cpu", random_state=seed, **params)


def _minilm_setfit(seed: int, sparse: bool) -> Any:
    return _minilm_text(seed)


def _minilm_frozen(seed: int, sparse: bool) -> Any:
    return _minilm_text(seed, n_steps=0)


Factory = Callable[[int, bool], Any]


def _catalog(task: str, entries: list[tuple[str, Factory, str]]) -> Registry[tuple[Factory, str]]:
    models: Registry[tuple[Factory, str]] = Registry(
        "model", sort=False, listing="choose one of", note=f"the {task} models")
    for name, factory, description in entries:
        models.add(name, (factory, description))
    return models


MODELS = _catalog("classification", [
    ("logreg", _logreg, "standardised logistic regression"),
    ("svm", _svm, "standardised RBF SVC, decision_function only (no probabilities)"),
    ("rf", _rf, "random forest, 100 trees"),
    ("knn", _knn, "standardised 3-nearest neighbours"),
    ("nb", _nb, "Gaussian naive Bayes"),
    ("mlp", _mlp, "standardised MLP, one hidden layer of 64"),
    ("parzen", _parzen, "standardised Parzen window classifier, RBF kernel, mean-criterion "
     "bandwidth (the model of mcpal and xpal)"),
    # PyTorch (activelab[torch]): MC dropout, embed; see docs/deep.md
    ("torch-mlp", _torch_mlp, "torch MLP, 128 hidden, dropout 0.25, 50 epochs from scratch"),
    ("torch-mlp-warm", _torch_mlp_warm, "torch-mlp fine-tuned 10 epochs from the last weights"),
    ("torch-mlp-ll", _torch_learning_loss, "torch-mlp with a loss-prediction module"),
    ("torch-cnn", _torch_cnn, "small torch CNN for 8x8 images (digits), 30 epochs"),
    ("minilm-head", _minilm_head, "torch head (64 hidden) for MiniLM sentence embeddings, "
     "e.g. the .npz of benchmarks/deep_text.py"),
    # raw texts (activelab[text]), e.g. benchmarks/deep_text_finetune.py
    ("minilm-setfit", _minilm_setfit, "MiniLM fine-tuned on the labeled texts (SetFit: 20 "
     "steps of 16 contrastive pairs, cosine loss) + logistic head; raw texts"),
    ("minilm-frozen", _minilm_frozen, "frozen MiniLM vectors + the same logistic head; raw texts"),
])

REGRESSION_MODELS = _catalog("regression", [
    ("ridge", _ridge, "standardised ridge regression"),
    ("rf", _rf_regressor, "random forest regressor, 100 trees"),
    ("gp", _gp, "standardised Gaussian process, RBF + white-noise kernel, normalised targets"),
    ("knn", _knn_regressor, "standardised 3-nearest-neighbours regressor"),
])

MULTILABEL_MODELS = _catalog("multilabel", [
    ("logreg", _one_vs_rest_logreg, "standardised one-vs-rest logistic regression per label"),
    ("rf", _rf, "random forest, 100 trees, natively multi-output"),
])

#: task -> {model name -> (factory(seed, sparse), description)}
TASK_MODELS: dict[str, Registry[tuple[Factory, str]]] = {
    "classification": MODELS,
    "regression": REGRESSION_MODELS,
    "multilabel": MULTILABEL_MODELS,
}

#: The model a task gets when none is named.
DEFAULT_MODELS = {"classification": "logreg", "regression": "ridge", "multilabel": "logreg"}


def make_model(name: str, seed: int, sparse: bool = False, task: str = "classification") -> Any:
    """A fresh, unfitted model named ``name`` for ``task``, seeded with ``seed``."""
    return TASK_MODELS[task].lookup(name)[0](seed, sparse)
