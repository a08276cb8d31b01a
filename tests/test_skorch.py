"""A skorch ``NeuralNetClassifier`` serves every strategy that takes a probability model."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'activelab[torch]'")
skorch = pytest.importorskip("skorch", reason="skorch is not installed: pip install 'activelab[skorch]'")

from torch import nn  # noqa: E402

from activelab import ActiveLabError, Pool, strategies  # noqa: E402
from activelab.testing import contract_data  # noqa: E402


class Net(nn.Module):
    def __init__(self, n_features=6, n_classes=3):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(n_features, 16), nn.ReLU(), nn.Linear(16, n_classes))

    def forward(self, x):
        return self.layers(x)


def skorch_model():
    torch.manual_seed(0)
    return skorch.NeuralNetClassifier(
        Net, criterion=nn.CrossEntropyLoss, max_epochs=10, lr=0.05,
        optimizer=torch.optim.Adam, train_split=None, verbose=0,
    )


PROBA_STRATEGIES = [
    name for name in strategies.available()
    if "proba" in type(strategies.get(name)).contract_models
]
#: These refit a clone per candidate (or proposal) and class: few of them here.
SMALL = {"eer_01": {"shortlist": 3, "eval_sample": 30},
         "eer_log": {"shortlist": 3, "eval_sample": 30},
         "adaptive_density": {"betas": [0.0, 0.5, 1.0], "max_eval": 30}}
#: Needs a LogisticRegression (its gradient in closed form) and says so.
LOGISTIC_ONLY = {"egl"}


@pytest.fixture(scope="module")
def fitted():
    X, y, labeled = contract_data("classification")
    pool = Pool(X.astype(np.float32))  # torch layers take float32
    pool.add_labels(labeled, y[labeled])
    model = skorch_model()
    model.fit(*pool.labeled_data())
    return pool, model


@pytest.mark.parametrize("name", PROBA_STRATEGIES)
def test_every_probability_strategy_queries_with_a_skorch_net(name, fitted):
    pool, model = fitted
    strategy = strategies.get(name, **SMALL.get(name, {}))
    if name in LOGISTIC_ONLY:
        with pytest.raises(ActiveLabError, match="LogisticRegression"):
            strategy.query(model, pool, 5, random_state=0)
        return
    query = strategy.query(model, pool, 5, random_state=0)
    again = strategy.query(model, pool, 5, random_state=0)
    assert len(set(query.ids.tolist())) == 5
    assert not pool.is_labeled(query.ids).any()
    assert np.all(np.diff(query.scores) <= 0) and np.isfinite(query.scores).all()
    assert query.ids.tolist() == again.ids.tolist()


def test_margin_with_skorch_ranks_by_the_nets_own_probabilities(fitted):
    pool, model = fitted
    ids = pool.unlabeled_ids
    top = np.sort(model.predict_proba(pool.items(ids)), axis=1)
    margin = top[:, -1] - top[:, -2]
    expected = ids[np.lexsort((ids, margin))[:5]]
    assert strategies.get("margin").query(model, pool, 5).ids.tolist() == expected.tolist()
