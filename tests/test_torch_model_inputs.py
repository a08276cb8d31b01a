"""TorchClassifier takes a module instance, an optimizer, a criterion, a Dataset and a
train-time transform; wrong types get a clear error."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'activelab[torch]'")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from torch import nn  # noqa: E402

from activelab import ActiveLoop, Pool, strategies  # noqa: E402
from activelab.errors import ActiveLabError  # noqa: E402
from activelab.models import TorchClassifier  # noqa: E402
from activelab.oracles import SimulatedOracle  # noqa: E402
from activelab.stopping import LabelBudget  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X[:300] / 16).astype(np.float32), y[:300]


def net(n_in=64, n_out=10):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(n_in, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, n_out))


def weights(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_a_module_instance_is_copied_for_every_fit_and_never_trained(digits):
    X, y = digits
    instance = net()
    before = weights(instance)
    model = TorchClassifier(module=instance, epochs=20, random_state=0)
    first = model.fit(X[:100], y[:100]).predict_proba(X[200:])
    assert model.members_[0]["net"] is not instance
    for key, value in weights(instance).items():
        assert torch.equal(value, before[key]), key
    again = model.fit(X[:100], y[:100]).predict_proba(X[200:])  # starts from the instance again
    np.testing.assert_array_equal(first, again)
    assert (model.predict(X[200:]) == y[200:]).mean() > 0.5


def test_sgd_with_zero_learning_rate_keeps_the_instances_weights(digits):
    X, y = digits
    instance = net()
    model = TorchClassifier(module=instance, optimizer=torch.optim.SGD, lr=0.0, epochs=3,
                            standardize=False, random_state=0).fit(X[:100], y[:100])
    for key, value in weights(model.members_[0]["net"]).items():
        assert torch.equal(value, instance.state_dict()[key]), key
    instance.eval()
    with torch.no_grad():
        expected = torch.softmax(instance(torch.as_tensor(X[200:])), 1).numpy()
    np.testing.assert_allclose(model.predict_proba(X[200:]), expected, atol=1e-6)


def test_optimizer_class_and_factory_get_lr_weight_decay_and_kwargs(digits):
    X, y = digits
    seen = []

    def factory(params, **kwargs):
        seen.append(kwargs)
        return torch.optim.SGD(params, lr=0.05, **kwargs)

    TorchClassifier(module=net(), optimizer=factory, optimizer_kwargs={"momentum": 0.9},
                    epochs=1).fit(X[:50], y[:50])
    assert seen == [{"momentum": 0.9}]
    built = []

    class Recording(torch.optim.SGD):
        def __init__(self, params, **kwargs):
            built.append(kwargs)
            super().__init__(params, **kwargs)

    TorchClassifier(module=net(), optimizer=Recording, lr=0.01, weight_decay=1e-4,
                    optimizer_kwargs={"nesterov": True, "momentum": 0.5}, epochs=1
                    ).fit(X[:50], y[:50])
    assert built == [{"lr": 0.01, "weight_decay": 1e-4, "nesterov": True, "momentum": 0.5}]


def test_a_custom_criterion_is_what_training_minimises(digits):
    X, y = digits
    calls = []

    def criterion(logits, targets):
        calls.append(len(targets))
        return nn.functional.cross_entropy(logits, targets)

    TorchClassifier(module=net(), criterion=criterion, epochs=2, batch_size=32,
                    random_state=0).fit(X[:80], y[:80])
    assert calls == [32, 32, 16] * 2  # every batch of every epoch
    # a loss that ignores the data trains nothing useful: the weights stay where they were
    zero = TorchClassifier(module=net(), criterion=lambda logits, t: (logits * 0).sum(),
                           optimizer=torch.optim.SGD, epochs=2).fit(X[:80], y[:80])
    for key, value in weights(zero.members_[0]["net"]).items():
        assert torch.equal(value, net().state_dict()[key])
    weighted = TorchClassifier(module=net(), criterion=nn.CrossEntropyLoss(label_smoothing=0.5),
                               epochs=3, random_state=0).fit(X[:80], y[:80])
    plain = TorchClassifier(module=net(), epochs=3, random_state=0).fit(X[:80], y[:80])
    assert weighted.predict_proba(X[:5]).max() < plain.predict_proba(X[:5]).max()


def test_train_transform_runs_on_training_batches_only(digits):
    X, y = digits
    seen = []

    def augment(x):
        seen.append(tuple(x.shape))
        return torch.roll(x, shifts=1, dims=2)

    model = TorchClassifier(input_shape=(1, 8, 8), train_transform=augment, epochs=2,
                            random_state=0).fit(X[:60], y[:60])
    assert len(seen) == 2 * 60 and set(seen) == {(1, 8, 8)}
    model.predict_proba(X[:100])
    model.embed(X[:10])
    assert len(seen) == 120  # not at prediction
    same = TorchClassifier(input_shape=(1, 8, 8), epochs=2, random_state=0).fit(X[:60], y[:60])
    assert not np.allclose(same.predict_proba(X[:20]), model.predict_proba(X[:20]))


class Images(torch.utils.data.Dataset):
    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return torch.as_tensor(self.X[i]).reshape(1, 8, 8), int(self.y[i])


def test_a_dataset_with_indices_trains_as_its_rows_would(digits):
    X, y = digits
    data = Images(X, y)
    indices = np.arange(300).reshape(-1, 1)
    from_data = TorchClassifier(dataset=data, epochs=3, random_state=0).fit(indices[:100], y[:100])
    from_rows = TorchClassifier(input_shape=(1, 8, 8), epochs=3, random_state=0).fit(X[:100], y[:100])
    np.testing.assert_allclose(from_data.predict_proba(indices[200:]),
                               from_rows.predict_proba(X[200:]), atol=1e-6)
    assert from_data.embed(indices[:3]).shape == (3, 64)  # the built-in CNN for image items
    pool = Pool(indices)
    pool.add_labels(np.arange(20), y[:20])
    loop = ActiveLoop(TorchClassifier(dataset=data, epochs=2, random_state=0), pool,
                      strategies.get("badge"), SimulatedOracle(y), batch_size=10,
                      stopping=[LabelBudget(40)], random_state=0)
    loop.run()
    assert pool.n_labeled == 40
    with pytest.raises(ActiveLabError, match="outside the dataset"):
        from_data.predict_proba(np.array([[300]]))


def test_wrong_types_are_refused_clearly(digits):
    X, y = digits
    with pytest.raises(ActiveLabError, match="module must be"):
        TorchClassifier(module="mlp")
    with pytest.raises(ActiveLabError, match="not an optimizer already bound"):
        TorchClassifier(optimizer=torch.optim.SGD(net().parameters(), lr=0.1))
    with pytest.raises(ActiveLabError, match="criterion must be"):
        TorchClassifier(criterion="cross-entropy")
    with pytest.raises(ActiveLabError, match="dataset must be"):
        TorchClassifier(dataset=5)
    with pytest.raises(ActiveLabError, match=r"logits of shape \(batch, 10\).*\(2, 3\)"):
        TorchClassifier(module=net(n_out=3), epochs=1).fit(X[:30], y[:30])
    with pytest.raises(ActiveLabError, match="could not run on a batch of shape"):
        TorchClassifier(module=net(n_in=10), epochs=1).fit(X[:30], y[:30])

    class NoArguments(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(64, 10)

        def forward(self, x):
            return self.layer(x)

    with pytest.raises(ActiveLabError, match="NoArguments.*instance"):
        TorchClassifier(module=NoArguments, epochs=1).fit(X[:30], y[:30])
    model = TorchClassifier(module=NoArguments(), epochs=1).fit(X[:30], y[:30])
    assert model.predict_proba(X[:2]).shape == (2, 10)


def test_clone_copies_a_module_instance(digits):
    instance = net()
    copy = clone(TorchClassifier(module=instance, optimizer=torch.optim.SGD))
    assert copy.module is not instance and copy.optimizer is torch.optim.SGD
    assert torch.equal(copy.module[0].weight, instance[0].weight)
