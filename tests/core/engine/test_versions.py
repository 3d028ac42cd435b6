"""The software versions a run and an export record: one function."""

from __future__ import annotations

import numpy as np

from ssl_studio.core.engine.checkpoint import EXPORT_PACKAGES, versions


def test_a_run_records_its_software_and_an_export_adds_its_packages():
    run = versions()
    assert {"ssl_studio", "torch", "numpy", "scikit-learn", "torch_cpu_threads"} <= set(run)
    assert run["numpy"] == np.__version__
    exported = versions(EXPORT_PACKAGES)
    assert {"onnxruntime", "safetensors"} <= set(exported) and set(run) <= set(exported)


def test_a_package_that_is_not_installed_is_left_out():
    assert "no-such-package-ssl-studio" not in versions(("no-such-package-ssl-studio",))
