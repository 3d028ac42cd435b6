"""The fine-tuning job's configuration: the classifier trained on a few labels from a
pretrained encoder (and its from-scratch baseline), the split, the threshold and the
bootstrap; with the engine settings fine-tuning trains with (see config.py for the
import and pretraining configurations and TrainConfig)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssl_studio.core.config import TrainConfig
from ssl_studio.core.config_fields import from_dict, option, to_dict
from ssl_studio.core.errors import ConfigError

PROTOCOLS = ("auto", "knn", "linear", "partial", "full", "scratch")
# labels per class of a label-efficiency curve unless told (None: all), for the command
# line and the wizard alike; a class with fewer labels gives what it has, and ks that
# would train on the same labels are measured once (see finetune/efficiency.py)
LABEL_EFFICIENCY_KS: tuple[int | None, ...] = (1, 5, 10, 25, None)


def finetune_train_defaults() -> TrainConfig:
    """The engine settings of fine-tuning: short, gentle, frequent checkpoints off."""
    return TrainConfig(
        steps=300,
        batch_size=32,
        lr=1e-3,
        weight_decay=1e-4,
        warmup_fraction=0.1,
        checkpoint_every_steps=10**6,
        keep_checkpoints=1,
        health_every_steps=10**6,
    )


def sensitivity_target(method: str) -> float | None:
    """A threshold method other than the default: None for "youden", T for
    "sensitivity:T" (0 < T <= 1); ConfigError naming the choices otherwise."""
    if method == "youden":
        return None
    name, _, target = method.partition(":")
    try:
        value = float(target) if name == "sensitivity" else -1.0
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise ConfigError(
            f"Unknown threshold {method!r}; use youden or sensitivity:TARGET with a target "
            "in (0, 1], e.g. sensitivity:0.9 (or the default, 0.5)."
        )
    return value


@dataclass
class FinetuneConfig:
    """Training a classifier on a few labels from a pretrained encoder, and its baseline.

    The labeled items are split once (stratified, grouped by patient, seeded) into train,
    validation (optional) and test; the test part is never used for training, stopping,
    threshold choice or model selection.
    """

    project: Path
    run: int | None = option(None, "The pretraining run whose encoder is fine-tuned.")
    labels: str = option(
        "", "Name of the label set to learn from; empty: the dataset's only label set."
    )
    label_version: int | None = option(
        None,
        "Version of the label set (a version is kept each time it changes); empty: the "
        "newest. An older one trains on the labels a past run had (ssl-studio info --run N "
        "names its version).",
    )
    dataset: str = option("", "Dataset with the labels; empty: the pretraining run's own.")
    protocol: str = option(
        "auto",
        "knn, linear (frozen encoder), partial (last block + head), full, scratch (no "
        "pretraining); auto picks linear for up to 25 labels per class, else full.",
    )
    baseline: bool = option(True, "Also train the from-scratch baseline on the same split.")
    test_fraction: float = option(0.2, "Share of the labeled items held out for testing.")
    val_fraction: float = option(0.0, "Share held out to pick the threshold (0: none).")
    threshold: str = option(
        "default", "Binary threshold: default (0.5), youden, or sensitivity:0.9 (needs val)."
    )
    positive: str | None = option(None, "Binary: the positive class; empty: guessed.")
    k_per_class: int | None = option(None, "Use only k training labels per class (all: empty).")
    folds: int = option(
        0,
        "k-fold cross-validation instead of one test split: 0 = automatic (5 folds when a "
        "class has fewer than 10 labeled patients, unless a threshold, k_per_class or "
        "split_from is set), 1 = always one test split, k >= 2 = k folds.",
    )
    split_from: int | None = option(
        None, "Reuse the train/val/test split of this fine-tuning run (compare like with like)."
    )
    group_by_patient: bool = option(
        True,
        "Keep each patient's items on one side of every split. Off: split by item, for "
        "files whose patient IDs cannot tell patients apart (anonymised with one ID for "
        "all); the results then say that scores may be optimistic.",
    )
    encoder_lr_scale: float = option(0.1, "Learning rate of the encoder, relative to the head.")
    n_boot: int = option(1000, "Bootstrap resamples for the 95 % confidence intervals.")
    seed: int = option(0, "Seed of the split and of training.")
    train: TrainConfig = field(default_factory=finetune_train_defaults)
    augment: dict[str, Any] = option({}, "Changes to the augmentation used while training.")

    def __post_init__(self) -> None:
        self.project = Path(self.project)
        if isinstance(self.train, dict):
            self.train = from_dict(
                TrainConfig, {**to_dict(finetune_train_defaults()), **self.train}, "train"
            )
        defaults = finetune_train_defaults()
        self.train.fill(defaults.batch_size, defaults.lr)

    def validate(self) -> None:
        """Refuse what no label set makes right (ConfigError); what depends on the labels
        (their classes) is refused by finetune/setup.prepare."""
        if self.run is None:
            raise ConfigError("Choose the pretraining run to fine-tune (--run RUN_ID).")
        if self.protocol not in PROTOCOLS:
            raise ConfigError(
                f"Unknown protocol {self.protocol!r}; choose one of {', '.join(PROTOCOLS)}."
            )
        if not 0 < self.test_fraction < 1 or not 0 <= self.val_fraction < 1:
            raise ConfigError("test_fraction must be in (0, 1) and val_fraction in [0, 1).")
        if self.test_fraction + self.val_fraction >= 0.9:
            raise ConfigError("test_fraction + val_fraction leave too little to train on.")
        if self.threshold != "default":  # (a typo is named before anything is read;
            # that a threshold needs validation labels is said once the labels are read
            # and hold two classes: finetune/setup.prepare)
            sensitivity_target(self.threshold)
        if self.folds < 0 or self.folds > 20:
            raise ConfigError("folds must be between 0 (automatic) and 20.")
        if self.folds >= 2 and self.threshold != "default":
            raise ConfigError(
                "With cross-validation every label is tested once, so none is left to pick "
                "a threshold on; use one test split (folds 1) with a validation share "
                "(val_fraction), or the default threshold."
            )
        fixed = [name for name in ("k_per_class", "split_from") if getattr(self, name) is not None]
        if self.folds >= 2 and fixed:  # (planned_folds would drop the folds without a word)
            raise ConfigError(
                f"Cross-validation (folds {self.folds}) tests every label once, but "
                f"{' and '.join(fixed)} {'work' if len(fixed) > 1 else 'works'} on one "
                "held-out test split; use one or the other (folds 1 for one test split)."
            )
        if self.k_per_class is not None and self.k_per_class < 1:
            raise ConfigError("k_per_class must be at least 1.")
        if not 0 < self.encoder_lr_scale <= 10:
            raise ConfigError("encoder_lr_scale must be in (0, 10].")
        if self.n_boot < 0:
            raise ConfigError("n_boot cannot be negative.")
        self.train.validate()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FinetuneConfig:
        return from_dict(cls, data)
