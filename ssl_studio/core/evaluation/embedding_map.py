"""A 2-D map of a run's embeddings (PCA, or UMAP when umap-learn is installed) and the
nearest neighbours of an item, for the app's embedding map."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.events import Reporter, StopToken, ignore
from ssl_studio.core.project.store import Store

METHODS = ("auto", "pca", "umap")


@dataclass
class EmbeddingMap:
    """item_ids [N]; xy float32 [N, 2]; vectors float32 [N, D] (unit length); labels [N]
    (the dataset's newest label set, "" where unlabeled); method: pca or umap."""

    item_ids: list[int]
    xy: np.ndarray
    vectors: np.ndarray
    labels: list[str]
    method: str

    def neighbours(self, index: int, k: int = 8) -> list[int]:
        """Positions of the k items nearest to item ``index`` (cosine), nearest first."""
        similarity = self.vectors @ self.vectors[index]
        similarity[index] = -np.inf
        k = min(k, len(similarity) - 1)
        best = np.argpartition(-similarity, k - 1)[:k] if k > 0 else np.array([], int)
        return [int(i) for i in best[np.argsort(-similarity[best])]]


def umap_available() -> bool:
    return importlib.util.find_spec("umap") is not None


def project_2d(vectors: np.ndarray, method: str = "auto", seed: int = 0) -> tuple[np.ndarray, str]:
    """vectors [N, D] -> (xy [N, 2] float32, the method used)."""
    if method not in METHODS:
        raise ConfigError(f"Unknown map method {method!r}; choose one of {', '.join(METHODS)}.")
    if method == "umap" and not umap_available():
        raise ConfigError("UMAP needs the umap-learn package: pip install umap-learn.")
    n = len(vectors)
    if n < 3:
        raise ConfigError("A map needs at least 3 items.")
    if method == "umap" or (method == "auto" and umap_available() and n >= 15):
        import umap

        xy = umap.UMAP(n_components=2, random_state=seed).fit_transform(vectors)
        return np.asarray(xy, np.float32), "umap"
    xy = PCA(n_components=2, random_state=seed).fit_transform(vectors)
    return np.asarray(xy, np.float32), "pca"


def embedding_map(
    project: Path,
    run_id: int,
    dataset: str | None = None,
    method: str = "auto",
    *,
    report: Reporter = ignore,
    stop: StopToken | None = None,
) -> EmbeddingMap:
    """Embed the dataset with the run's encoder (see jobs.embed: progress, and
    events.Stopped when stopped) and lay it out in 2-D."""
    from ssl_studio.core.jobs import embed

    ids, vectors = embed(project, run_id, dataset, report=report, stop=stop)
    vectors = np.asarray(vectors, np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    xy, used = project_2d(vectors, method)
    with Store.open(Path(project)) as store:
        run = store.run(run_id) or {}
        found = store.dataset(dataset) if dataset else None
        dataset_id = found["id"] if found else run.get("dataset_id")
        labels = store.latest_label_set(dataset_id) if dataset_id is not None else {}
    return EmbeddingMap(ids, xy, vectors, [labels.get(i, "") for i in ids], used)
