"""Image and time-series augmentations that run on whole batches on the training device."""
