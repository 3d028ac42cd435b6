"""``python tests/oom_rank.py ARGS`` under torchrun: ``ssl-studio ARGS`` whose rank 1 runs
out of GPU memory (simulated) at its fourth step. Not a test: tests start it."""

from __future__ import annotations

import sys
from typing import Any

import torch

from ssl_studio.cli import main
from ssl_studio.core.engine import trainer

real_micro_step = trainer.Trainer._micro_step


def micro_step(self: trainer.Trainer, batch: Any, micro: int) -> Any:
    """The real micro step, whose forward pass fails on rank 1 at step 3."""
    if self.world.rank == 1 and self.progress.step == 3:

        def out_of_memory(batch: Any) -> Any:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")

        self.model = out_of_memory
    return real_micro_step(self, batch, micro)


trainer.Trainer._micro_step = micro_step

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
