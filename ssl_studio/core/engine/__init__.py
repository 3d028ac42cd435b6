"""The one training engine: device, precision, schedule, checkpoints, distributed runs."""
