"""Pretext tasks, one module each; the registry is ``registry.TASKS``."""
