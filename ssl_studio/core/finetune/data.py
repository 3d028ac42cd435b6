"""The labeled items of a fine-tuning job and how they reach a model.

Training batches come from the same cache loaders as pretraining (their ``index`` gives
each sample's position, which picks its target); evaluation uses the deterministic
evaluation view (images) or the whole padded series.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.data.loaders import ImageBatches
from ssl_studio.core.data.series_batches import SeriesBatches, pad_series, same_length_groups
from ssl_studio.core.engine.distributed import World
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.embeddings import (
    EmbedProgress,
    embed_images,
    embed_series,
    evaluation_views,
)
from ssl_studio.core.evaluation.patient_groups import copies_note, split_groups
from ssl_studio.core.events import StopToken

NEGATIVE_NAMES = (
    "normal", "negative", "neg", "healthy", "control", "benign", "no", "none", "absent",
    "unremarkable", "0", "false",
)  # fmt: skip
# "no fracture", "non-COVID", "no_disease", "not malignant", "tumour-free", "COVID negative"
_NEGATIVE_PATTERN = re.compile(r"^(no|non|not|without)[\s_-]|[\s_-](free|negative)$")


def looks_negative(name: str) -> bool:
    """Whether a class name says the finding is absent ("normal", "no fracture", ...)."""
    text = name.strip()
    return text.lower() in NEGATIVE_NAMES or bool(_NEGATIVE_PATTERN.search(text.lower()))


def positive_class(classes: list[str], chosen: str | None) -> list[str]:
    """Order two classes so the positive one is second (class 1): the chosen one, else
    the one whose name does not say the finding is absent (normal, negative, no ...,
    non-..., ...-free), else the later name."""
    if len(classes) != 2:
        return classes
    if chosen is not None:
        if chosen not in classes:
            raise ValueError(f"'{chosen}' is not one of the classes {', '.join(classes)}")
        return [c for c in classes if c != chosen] + [chosen]
    negative = [c for c in classes if looks_negative(c)]
    if len(negative) == 1:
        return negative + [c for c in classes if c != negative[0]]
    return sorted(classes)


@dataclass
class LabeledData:
    """Labeled items with classes 0..K-1 (y [N]) and patient groups (groups [N])."""

    modality: str
    items: list[dict[str, Any]]
    y: np.ndarray
    classes: list[str]
    groups: np.ndarray
    reader: CacheReader
    channels: int
    image_size: int
    series_length: int

    @property
    def ids(self) -> np.ndarray:
        return np.array([int(i["id"]) for i in self.items], np.int64)

    def split_by_item(self) -> None:
        """Split (and resample) by item, not by patient: exact copies still go together."""
        self.groups = split_groups([i.get("content_hash") for i in self.items])

    def with_copies_noted(self, note: str | None) -> str | None:
        """A split's ``note`` with, when labeled items are exact copies of one another,
        what patient_groups.copies_note says of them."""
        hashes = [i.get("content_hash") for i in self.items]
        return " ".join(filter(None, (note, copies_note(hashes, self.y.tolist())))) or None

    def subset(self, positions: np.ndarray) -> list[dict[str, Any]]:
        return [self.items[p] for p in positions]

    def batches(
        self, positions: np.ndarray, batch_size: int, seed: int, world: World | None = None
    ) -> ImageBatches | SeriesBatches:
        """Shuffled training batches of the items at ``positions`` (this rank's shard);
        batch.index is the position within ``positions``, which picks the target."""
        chosen = self.subset(positions)
        world = world or World()
        size = min(batch_size, len(chosen) // world.size)
        if size < 2:
            raise ConfigError(
                f"{len(chosen)} training labels cannot fill a batch of 2 on each of "
                f"{world.size} processes; train with fewer processes."
            )
        if self.modality == "image":
            return ImageBatches(
                chosen,
                self.reader,
                batch_size=size,
                channels=self.channels,
                seed=seed,
                world=world,
            )
        return SeriesBatches(
            chosen,
            self.reader,
            batch_size=size,
            channels=self.channels,
            max_length=self.series_length,
            seed=seed,
            world=world,
        )

    def embed(
        self,
        encoder: nn.Module,
        positions: np.ndarray,
        device: torch.device,
        *,
        stop: StopToken | None = None,
        progress: EmbedProgress | None = None,
    ) -> np.ndarray:
        """Frozen-encoder representations [n, D] of the items at ``positions`` (raises
        events.Stopped when ``stop`` is set between batches)."""
        chosen = self.subset(positions)
        if self.modality == "image":
            z = embed_images(
                encoder,
                chosen,
                self.reader,
                channels=self.channels,
                image_size=self.image_size,
                device=device,
                stop=stop,
                progress=progress,
            )
        else:
            z = embed_series(
                encoder,
                chosen,
                self.reader,
                channels=self.channels,
                device=device,
                stop=stop,
                progress=progress,
            )
        return z.numpy()  # type: ignore[union-attr]

    def inputs(
        self, positions: np.ndarray, chunk: int = 128
    ) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor | None]]:
        """Model inputs in chunks: (where, x, None) for images, (where, x, observed) for
        series, ``where`` the chunk's indices into ``positions``. Series come in groups of
        one length (see same_length_groups), so not in the order of ``positions``."""
        if self.modality == "image":
            for start in range(0, len(positions), chunk):
                chosen = self.subset(positions[start : start + chunk])
                x = evaluation_views(chosen, self.reader, self.channels, self.image_size)
                yield np.arange(start, start + len(chosen)), x, None
            return
        lengths = [self.items[p]["length"] for p in positions]
        for group in same_length_groups(lengths, chunk):
            where = np.asarray(group, np.int64)
            chosen = self.subset(positions[where])
            x, observed, _ = pad_series([self.reader.series(i) for i in chosen], self.channels)
            yield where, torch.from_numpy(x), torch.from_numpy(observed)


@torch.no_grad()
def predict_proba(
    model: nn.Module,
    data: LabeledData,
    positions: np.ndarray,
    device: torch.device,
    *,
    progress: EmbedProgress | None = None,
) -> np.ndarray:
    """Class probabilities [n, K] of the items at ``positions`` (model in eval mode).
    ``progress(done, total)`` after each chunk (it may raise events.Stopped to stop)."""
    was_training = model.training
    model.eval()
    out: np.ndarray | None = None
    done = 0
    try:
        for where, x, observed in data.inputs(positions):
            obs = observed.to(device) if observed is not None else None
            p = torch.softmax(model(x.to(device), obs).float(), dim=1).cpu().numpy()
            if out is None:
                out = np.zeros((len(positions), p.shape[1]), np.float64)
            out[where] = p
            done += len(where)
            if progress is not None:
                progress(done, len(positions))
    finally:
        model.train(was_training)
    assert out is not None, "no positions to predict"
    return out
