"""TorchClassifier: determinism, MC-dropout samples, embed, BADGE's gradients, warm starts."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'activelab[torch]'")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from activelab import ActiveLoop, ModelOutputs, Pool, strategies  # noqa: E402
from activelab.errors import ActiveLabError  # noqa: E402
from activelab.models import TorchClassifier  # noqa: E402
from activelab.models.torch_model import _ranking_loss, select_device  # noqa: E402
from activelab.oracles import SimulatedOracle  # noqa: E402
from activelab.stopping import LabelBudget  # noqa: E402
from activelab.strategies.badge import gradient_parts, gradient_sq_norms  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600]


def tiny(**params):
    defaults = {"hidden": (32,), "epochs": 8, "random_state": 0}
    defaults.update(params)
    return TorchClassifier(**defaults)


def test_same_seed_same_model_other_seed_other_model(digits):
    X, y = digits
    a = tiny().fit(X[:150], y[:150])
    b = tiny().fit(X[:150], y[:150])
    c = tiny(random_state=1).fit(X[:150], y[:150])
    np.testing.assert_array_equal(a.predict_proba(X[150:]), b.predict_proba(X[150:]))
    np.testing.assert_array_equal(a.sample_proba(X[150:], 5), b.sample_proba(X[150:], 5))
    assert not np.allclose(a.predict_proba(X[150:]), c.predict_proba(X[150:]))
    assert (a.predict(X[150:]) == y[150:]).mean() > 0.6  # chance: 0.1


def test_mc_dropout_masks_are_shared_by_every_row_and_independent_of_batching(digits):
    X, y = digits
    model = tiny(dropout=0.5).fit(X[:150], y[:150])
    rows = X[150:260]
    samples = model.sample_proba(rows, 6)
    assert samples.shape == (110, 6, 10)
    assert samples.std(axis=1).max() > 0.01  # the samples differ
    order = np.random.default_rng(0).permutation(len(rows))
    np.testing.assert_allclose(model.sample_proba(rows[order], 6), samples[order], atol=1e-6)
    np.testing.assert_allclose(model.sample_proba(rows[:7], 6), samples[:7], atol=1e-6)
    twice = model.sample_proba(np.vstack([rows[:1], rows[:1]]), 6)
    np.testing.assert_array_equal(twice[0], twice[1])


def test_deep_ensemble_samples_are_its_members(digits):
    X, y = digits
    model = tiny(n_members=3).fit(X[:150], y[:150])
    samples = model.sample_proba(X[150:200])
    assert samples.shape == (50, 3, 10)
    np.testing.assert_allclose(samples.mean(axis=1), model.predict_proba(X[150:200]), atol=1e-6)


def test_embed_is_the_input_of_the_last_linear_layer(digits):
    X, y = digits
    model = tiny().fit(X[:150], y[:150])
    net = model.members_[0]["net"]
    with torch.no_grad():
        x = torch.as_tensor((X[150:160] - model.mean_) / model.scale_, dtype=torch.float32)
        expected = net[:-1](x).numpy()
        logits = net[-1](torch.as_tensor(expected)).numpy()
    np.testing.assert_allclose(model.embed(X[150:160]), expected, atol=1e-6)
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X[150:160]), proba, atol=1e-5)


def test_badge_gradient_embedding_is_the_last_layers_loss_gradient(digits):
    X, y = digits
    model = tiny().fit(X[:150], y[:150])
    pool = Pool(X[:200])
    pool.add_labels(np.arange(150), y[:150])
    outputs = ModelOutputs(model, pool)
    residual, embedding = gradient_parts(outputs)
    net = model.members_[0]["net"]
    x = torch.as_tensor((X[150:200] - model.mean_) / model.scale_, dtype=torch.float32)
    expected = []
    for i in range(5):
        net.zero_grad()
        logits = net(x[i : i + 1])
        torch.nn.functional.cross_entropy(logits, logits.argmax(1)).backward()
        grad = torch.cat([net[-1].weight.grad.ravel(), net[-1].bias.grad.ravel()])
        expected.append(float((grad**2).sum()))
    got = gradient_sq_norms(residual[:5], embedding[:5])
    np.testing.assert_allclose(got, expected, rtol=1e-4)


def test_warm_start_continues_from_the_last_weights(digits):
    X, y = digits
    warm = tiny(warm_start=True).fit(X[:150], y[:150])
    before = warm.predict_proba(X[300:])
    warm.set_params(lr=0.0).fit(X[:200], y[:200])  # no learning: the weights must not move
    np.testing.assert_allclose(warm.predict_proba(X[300:]), before, atol=1e-6)
    cold = tiny(warm_start=False).fit(X[:150], y[:150])
    cold.set_params(lr=0.0).fit(X[:200], y[:200])  # a fresh, untrained network
    assert not np.allclose(cold.predict_proba(X[300:]), before, atol=1e-3)


def test_learning_loss_ranks_the_items_the_model_gets_wrong_higher(digits):
    X, y = digits
    model = tiny(loss_prediction=True, epochs=30).fit(X[:200], y[:200])
    predicted = model.predict_loss(X[200:])
    proba = model.predict_proba(X[200:])
    true_loss = -np.log(np.maximum(proba[np.arange(len(proba)), y[200:]], 1e-12))
    from scipy.stats import spearmanr

    assert spearmanr(predicted, true_loss).statistic > 0.3


def test_ranking_loss_matches_the_papers_formula():
    predicted = torch.tensor([0.2, 1.5, -0.3, 0.9])
    target = torch.tensor([1.0, 0.1, 0.5, 2.0])
    # pairs (0, 3) and (1, 2): sign(l_i - l_j) = -1 and -1
    expected = (max(0, 1 + (0.2 - 0.9)) + max(0, 1 + (1.5 + 0.3))) / 2
    assert float(_ranking_loss(predicted, target, 1.0)) == pytest.approx(expected)


def test_augmented_copy_zero_is_the_item_and_the_cnn_shifts_images(digits):
    X, y = digits
    model = tiny(input_shape=(1, 8, 8), epochs=3).fit(X[:150], y[:150])
    augmented = model.augmented_proba(X[150:170], 4)
    np.testing.assert_allclose(augmented[:, 0], model.predict_proba(X[150:170]), atol=1e-6)
    assert not np.allclose(augmented[:, 1], augmented[:, 0])
    assert model.embed(X[:3]).shape == (3, 64)


def test_a_user_module_with_its_own_layers(digits):
    X, y = digits

    def module(n_features, n_classes):
        return torch.nn.Sequential(
            torch.nn.Linear(n_features, 24), torch.nn.Tanh(), torch.nn.Dropout(0.3),
            torch.nn.Linear(24, n_classes),
        )

    model = TorchClassifier(module=module, epochs=5, random_state=0).fit(X[:100], y[:100])
    assert model.embed(X[:4]).shape == (4, 24)
    assert model.sample_proba(X[:4], 3).shape == (4, 3, 10)
    with pytest.raises(ActiveLabError, match="nn.ReLU"):
        TorchClassifier(module=module, loss_prediction=True, epochs=1).fit(X[:50], y[:50])


def test_bad_input_is_refused_with_a_clear_message(digits):
    X, y = digits
    with pytest.raises(ActiveLabError, match="numeric rows"):
        tiny().fit(np.array([["a"], ["b"]]), [0, 1])
    with pytest.raises(ActiveLabError, match="input_shape"):
        tiny(input_shape=(1, 4, 4)).fit(X[:20], y[:20])
    with pytest.raises(ActiveLabError, match="epochs"):
        tiny(epochs=0).fit(X[:20], y[:20])
    with pytest.raises(ActiveLabError, match="loss_prediction=True"):
        tiny(epochs=1).fit(X[:20], y[:20]).predict_loss(X[:2])
    with pytest.raises(ActiveLabError, match="features"):
        tiny(epochs=1).fit(X[:20], y[:20]).predict_proba(X[:2, :5])


def test_device_selection_is_guarded():
    assert select_device("cpu").type == "cpu"
    assert select_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ActiveLabError, match="no CUDA"):
            select_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_gives_what_the_cpu_gives(digits):
    X, y = digits
    cpu = tiny(device="cpu").fit(X[:150], y[:150])
    gpu = tiny(device="cuda").fit(X[:150], y[:150])
    assert (cpu.predict(X[150:]) == gpu.predict(X[150:])).mean() > 0.9


def test_clone_gives_an_unfitted_copy_with_the_same_parameters(digits):
    X, y = digits
    model = tiny(warm_start=True).fit(X[:100], y[:100])
    copy = clone(model)
    assert copy.get_params()["warm_start"] is True and not hasattr(copy, "members_")


def test_the_loop_runs_deep_strategies_with_a_torch_model(digits):
    X, y = digits
    for name in ["bald", "batch_bald", "badge", "coreset", "learning_loss"]:
        pool = Pool(X[:300])
        pool.add_labels(np.arange(20), y[:20])
        model = tiny(epochs=3, loss_prediction=True, mc_samples=5)
        loop = ActiveLoop(model, pool, strategies.get(name), SimulatedOracle(y[:300]),
                          batch_size=10, stopping=[LabelBudget(40)], random_state=0)
        history = loop.run()
        assert pool.n_labeled == 40, name
        assert len(history) >= 2


def test_the_bench_runs_torch_models_and_refuses_a_strategy_they_do_not_serve():
    from activelab.bench.runner import BenchSettings, run_bench
    from activelab.data.datasets import load

    iris = load("iris")
    settings = BenchSettings(data="iris", strategies=["bald", "badge", "random"],
                             model="torch-mlp", initial=9, budget=21, batch_size=6, repeats=1)
    results = run_bench(iris, settings)
    for name in ["bald", "badge", "random"]:
        summary = results["strategies"][name]
        assert summary["curves"][0][-1][0] == 21
        assert summary["mean_fit_time"] > 0 and summary["mean_query_time"] >= 0
    with pytest.raises(ActiveLabError, match="torch-mlp-ll"):
        BenchSettings(data="iris", strategies=["learning_loss"], model="torch-mlp", initial=9,
                      budget=21, batch_size=6, repeats=1).check(iris)


def test_nan_features_are_refused_with_the_row():
    X = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
    X[4, 1] = np.nan
    with pytest.raises(ActiveLabError, match="row 4"):
        TorchClassifier(epochs=1, random_state=0).fit(X, np.arange(10) % 2)
