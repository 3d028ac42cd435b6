"""Embedding one long recording with ts-conv: the whole series at once vs in pieces
(SeriesEncoder.pieces: 65 536 steps each, with the encoder's reach of neighbours on both
sides), same numbers. Prints a table and one JSON line of figures.

    python tests/bench/bench_long_series.py [--steps 524288] [--channels 12]
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import torch

from ssl_studio.core.models import series
from ssl_studio.core.models.series import TSConvEncoder


def _timed(encoder: TSConvEncoder, x: torch.Tensor, observed: torch.Tensor) -> tuple:
    start = time.perf_counter()
    with torch.no_grad():
        vector = encoder(x, observed)
    return vector, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2**19)
    parser.add_argument("--channels", type=int, default=12)
    args = parser.parse_args()
    torch.manual_seed(0)
    encoder = TSConvEncoder(args.channels).eval()  # TS2Vec's sizes: hidden 64, dim 320
    x = torch.randn(1, args.channels, args.steps)
    observed = torch.ones_like(x, dtype=torch.bool)
    pieces, piece_s = _timed(encoder, x, observed)
    piece_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = series.PIECE_STEPS
    series.PIECE_STEPS = args.steps  # (one piece: the whole series)
    whole, whole_s = _timed(encoder, x, observed)
    whole_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    series.PIECE_STEPS = size
    difference = float((whole - pieces).abs().max())
    print(f"ts-conv, 1 recording of {args.steps} steps x {args.channels} channels, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print(f"{'way':<10}{'seconds':>10}{'peak RSS MB':>14}")
    print(f"{'whole':<10}{whole_s:>10.1f}{whole_rss:>14.0f}")
    print(f"{'pieces':<10}{piece_s:>10.1f}{piece_rss:>14.0f}")
    print(f"largest difference of the pooled vectors: {difference:.2e}")
    figures = {
        "steps": args.steps,
        "whole_s": round(whole_s, 2),
        "pieces_s": round(piece_s, 2),
        "speedup": round(whole_s / piece_s, 2),
        "peak_rss_mb_pieces": round(piece_rss),
        "peak_rss_mb_whole": round(whole_rss),
        "max_abs_difference": difference,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
