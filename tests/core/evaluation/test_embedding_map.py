"""The embedding map: 2-D layout and nearest neighbours."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.embedding_map import EmbeddingMap, project_2d


def test_pca_keeps_clusters_apart():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 0.1, (20, 16)) + 3
    b = rng.normal(0, 0.1, (20, 16)) - 3
    xy, method = project_2d(np.vstack([a, b]).astype(np.float32), "pca")
    assert method == "pca" and xy.shape == (40, 2) and xy.dtype == np.float32
    gap = abs(xy[:20, 0].mean() - xy[20:, 0].mean())
    assert gap > 10 * max(xy[:20, 0].std(), xy[20:, 0].std())
    with pytest.raises(ConfigError, match="at least 3"):
        project_2d(np.zeros((2, 4), np.float32))
    with pytest.raises(ConfigError, match="Unknown map method"):
        project_2d(np.zeros((5, 4), np.float32), "tsne")


def test_neighbours_are_the_most_similar_first():
    vectors = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.7, 0.7], [-1, 0]], np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    m = EmbeddingMap([10, 11, 12, 13, 14], np.zeros((5, 2), np.float32), vectors, [""] * 5, "pca")
    assert m.neighbours(0, 3) == [1, 3, 2]
    assert m.neighbours(0, 10) == [1, 3, 2, 4]  # never itself, at most N - 1
