"""The same items under the same ids give the same query, whatever order the rows are in."""

import numpy as np
import pytest

from activelab import Pool, strategies
from activelab.testing import MODEL_KINDS, contract_data

# These refit copies of the model on the labeled rows; a solver's floating-point sums
# depend on row order, so near-ties between candidates may flip.
REFIT_COPIES = {"eer_01", "eer_log", "svm_maxmin_margin", "svm_ratio_margin",
                "adaptive_density", "mmc"}


@pytest.mark.parametrize("name", [n for n in strategies.available() if n not in REFIT_COPIES])
def test_row_order_does_not_change_the_query(name):
    strategy = strategies.get(name)
    kind = type(strategy).contract_models[0]
    task, factory = MODEL_KINDS[kind]
    X, y, labeled = contract_data(task)
    ids = np.array([f"item-{i:03d}" for i in range(len(X))])
    shuffled = np.random.default_rng(1).permutation(len(X))

    pools = []
    for order in (np.arange(len(X)), shuffled):
        pool = Pool(X[order], ids=ids[order])
        pool.add_labels(ids[labeled], y[labeled])
        pools.append(pool)
    model = factory().fit(X[labeled], y[labeled])
    first, second = (strategy.query(model, pool, 8, random_state=0) for pool in pools)
    assert first.ids.tolist() == second.ids.tolist()
    np.testing.assert_allclose(first.scores, second.scores, rtol=1e-6, atol=1e-9)
