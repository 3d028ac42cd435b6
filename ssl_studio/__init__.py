"""SSL Studio: self-supervised pretraining for unlabeled medical images and time series."""

__version__ = "0.2.0"
