"""Runtime hook of the --cpu-only bundle: torch sees no GPU (its GPU kernels are left out)."""

import os

os.environ["CUDA_VISIBLE_DEVICES"] = ""
