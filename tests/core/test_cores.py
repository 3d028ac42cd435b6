"""Decoding processes and tensor threads follow the cores this process may use (a SLURM
job's --cpus-per-task, a container's cpuset), not every core of the machine."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from ssl_studio.core import cores, jobs
from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data import import_decoding


def _two_of_64(monkeypatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3, 7}, raising=False)


def test_usable_cores_are_the_affinity_not_the_machine(monkeypatch):
    _two_of_64(monkeypatch)
    assert cores.usable_cores() == 2
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)  # macOS, Windows
    assert cores.usable_cores() == 64


def test_an_import_decodes_in_as_many_processes_as_it_has_cores(tmp_path, monkeypatch):
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(6):
        Image.fromarray(np.full((8, 8), i * 40, dtype=np.uint8)).save(folder / f"{i}.png")
    jobs.create_project(tmp_path / "p")
    asked = []
    real = import_decoding.decode_files

    def decode_files(tasks, decoder, *, workers, **kwargs):
        asked.append(workers)
        return real(tasks, decoder, workers=1, **kwargs)

    monkeypatch.setattr(import_decoding, "decode_files", decode_files)
    _two_of_64(monkeypatch)
    jobs.import_data(ImportConfig(project=tmp_path / "p", paths=[folder], cache_size=32))
    assert asked == [2]
