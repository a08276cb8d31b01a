"""StreamLearner's training window: counted in labels or in stream items."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from activelab import ActiveLabError
from activelab.data.streams import sea_stream
from activelab.scenarios.stream import StreamLearner


class Recorder(ClassifierMixin, BaseEstimator):
    """Remembers the labels of its last fit."""

    def fit(self, X, y):
        self.fit_y_ = np.asarray(y).copy()
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1 / len(self.classes_))

    def predict(self, X):
        return self.classes_[np.zeros(len(X), dtype=int)]


def learner(unit):
    return StreamLearner(Recorder(), "random", budget=0.5, window=10, training="window",
                         window_labels=10, refit_every=1, window_unit=unit, random_state=0)


@pytest.mark.parametrize("unit", ["labels", "items"])
def test_the_window_keeps_the_last_labels_or_the_labels_of_the_last_items(unit):
    stream = learner(unit)
    stream.tell(np.zeros((4, 2)), [100, 101, 100, 101])  # seeding: before any item
    assert stream.model.fit_y_.tolist() == [100, 101, 100, 101]
    stream.ask(np.zeros((15, 2)))  # 15 items seen, whatever was chosen
    stream.tell(np.ones((3, 2)), [3, 12, 14], positions=[3, 12, 14])  # label = position
    if unit == "labels":  # the last 10 labels: all seven
        assert stream.model.fit_y_.tolist() == [100, 101, 100, 101, 3, 12, 14]
    else:  # the labels of items 5..14 only
        assert stream.model.fit_y_.tolist() == [12, 14]


def test_an_item_window_over_a_stream_holds_exactly_the_recent_queried_items():
    model = LogisticRegression()
    stream = StreamLearner(model, "variable_uncertainty", budget=0.1, window=100,
                           training="window", window_labels=300, window_unit="items",
                           refit_every=5, random_state=0)
    X0, y0 = next(iter(sea_stream(20, random_state=5)))
    stream.tell(X0, y0)  # seed labels: they leave the window after 300 items
    seen_at_tell = []  # on_batch runs right after each tell
    stream.run(sea_stream(2_000, random_state=0),
               on_batch=lambda s: seen_at_tell.append(s.history.n_seen))
    recent = [q for q in stream.history.queried if q >= seen_at_tell[-1] - 300]
    assert stream._kept_at.tolist() == recent
    assert 0 < len(recent) <= 0.1 * 300 + 10


def test_a_bad_window_unit_is_refused():
    with pytest.raises(ActiveLabError, match="window_unit"):
        StreamLearner(Recorder(), training="window", window_unit="seconds")
