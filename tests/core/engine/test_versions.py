"""The software versions a run and an export record: one function."""

from __future__ import annotations

import numpy as np
import torch

from ssl_studio.core.engine.checkpoint import EXPORT_PACKAGES, thread_count_note, versions


def test_a_run_records_its_software_and_an_export_adds_its_packages():
    run = versions()
    assert {"ssl_studio", "torch", "numpy", "scikit-learn", "torch_cpu_threads"} <= set(run)
    assert run["numpy"] == np.__version__
    exported = versions(EXPORT_PACKAGES)
    assert {"onnxruntime", "safetensors"} <= set(exported) and set(run) <= set(exported)


def test_a_package_that_is_not_installed_is_left_out():
    assert "no-such-package-ssl-studio" not in versions(("no-such-package-ssl-studio",))


def test_a_resume_with_another_thread_count_is_told(monkeypatch):
    """Runs begun before CPU quotas were honoured used the affinity's thread count and
    resume with the quota's: said, not an error."""
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    note = thread_count_note({"torch_cpu_threads": "8"})
    assert note is not None and "8 CPU threads" in note and "with 2" in note
    assert "OMP_NUM_THREADS=8" in note
    assert thread_count_note({"torch_cpu_threads": "2"}) is None
    assert thread_count_note({}) is None and thread_count_note(None) is None  # (older runs)
