"""Deep active learning on digits: a small CNN, MC-dropout BatchBALD, 5 rounds.

Run: OMP_NUM_THREADS=1 .venv/bin/python examples/deep_digits.py   (needs activelab[torch])
"""

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from activelab import ActiveLoop, Pool, strategies
from activelab.models import TorchClassifier
from activelab.oracles import SimulatedOracle
from activelab.stopping import LabelBudget

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

pool = Pool(X_train)
pool.add_labels(range(20), y_train[:20])
model = TorchClassifier(input_shape=(1, 8, 8), epochs=30, mc_samples=20, random_state=0)
loop = ActiveLoop(
    model, pool, strategies.get("batch_bald"), SimulatedOracle(y_train),
    batch_size=20, stopping=[LabelBudget(120)], eval_set=(X_test, y_test), random_state=0,
)
for record in loop.run():
    print(f"{record.n_labeled:4d} labels  accuracy {record.metrics['accuracy']:.3f}  "
          f"fit {record.fit_time:.2f} s  query {record.query_time or 0:.2f} s")
