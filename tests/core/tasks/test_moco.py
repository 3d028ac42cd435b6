"""MoCo v2/v3 smoke tests on a tiny CPU setup: loss, gradients, momentum, queue, checkpoints."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F
from gloo_ranks import run_two_ranks
from torch import nn

from ssl_studio.core.data.loaders import ImageBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.tasks.moco import MoCo, MoCoConfig
from ssl_studio.core.tasks.momentum import momentum_at

from task_testing import (
    StandInAugment,
    assert_identical_eval_embeddings,
    assert_identical_training_loss,
    assert_one_ema_step,
    image_batch,
    losses_before_and_after_adamw_steps,
    perturb_online,
    seeded_backbone,
)


class RecordingCropNoise(StandInAugment):
    """Random 32 px crops with noise that keeps the views it made in ``views``, so a test can
    recompute keys."""

    def __init__(self) -> None:
        super().__init__(noise=0.1, crop=32)
        self.views: list[torch.Tensor] = []

    def forward(self, x, low, high, boxes):
        self.views.append(super().forward(x, low, high, boxes))
        return self.views[-1]


def make_batch(seed: int = 0, n: int = 8, first_index: int = 0) -> ImageBatch:
    """n 40 px images, for random 32 px crops, items first_index.. onwards."""
    return image_batch(n, 40, seed, first_index)


def make_task(seed: int = 0, **options) -> MoCo:
    return MoCo(MoCoConfig(**options), seeded_backbone(seed, image_size=32), RecordingCropNoise())


def momentum_parameters(task: MoCo) -> list[nn.Parameter]:
    return [*task.key_encoder.parameters(), *task.key_projector.parameters()]


@pytest.mark.parametrize("variant", ["v2", "v3"])
def test_loss_is_finite_and_only_the_online_network_gets_gradients(variant):
    task = make_task(variant=variant)
    loss, logs = task.training_step(make_batch())
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert set(logs) == {"accuracy"} and 0.0 <= logs["accuracy"] <= 1.0
    loss.backward()
    first = task.encoder[0].weight
    assert first.grad is not None and first.grad.abs().sum() > 0
    trainable = {id(p) for p in task.parameters() if p.requires_grad}
    for p in momentum_parameters(task):
        assert not p.requires_grad and p.grad is None and id(p) not in trainable
    assert hasattr(task, "predictor") == (variant == "v3")


def test_momentum_follows_a_cosine_from_the_base_to_one():
    assert momentum_at(0, 10, 0.99) == pytest.approx(0.99)
    assert momentum_at(5, 10, 0.99) == pytest.approx(0.995)
    assert momentum_at(10, 10, 0.99) == pytest.approx(1.0)
    assert momentum_at(3, 10, 0.9) == pytest.approx(1 - 0.1 * (math.cos(0.3 * math.pi) + 1) / 2)


def test_on_step_end_moves_the_key_network_by_one_ema_step():
    task = make_task(variant="v3", momentum=0.9)
    perturb_online(task)
    online = [*task.encoder.parameters(), *task.projector.parameters()]
    before = assert_one_ema_step(
        task, momentum_parameters(task), online, base=0.9, step=3, total_steps=10
    )
    after = momentum_parameters(task)
    assert any(not torch.equal(old, new) for old, new in zip(before, after, strict=True))


def test_v2_queue_pointer_advances_wraps_and_holds_the_normalised_momentum_keys():
    task = make_task(variant="v2", queue_size=12, bn_groups=1)
    task.training_step(make_batch(0, first_index=0))
    task.on_step_end(1, 10)  # momentum copy still equals the online network: keys unchanged
    assert int(task.queue_ptr) == 8
    with torch.no_grad():  # one BatchNorm group: the shuffled key order changes nothing
        keys = F.normalize(task.key_projector(task.key_encoder(task.augment.views[1])), dim=1)
    torch.testing.assert_close(task.queue[:8], keys, atol=1e-5, rtol=1e-4)
    assert task.queue_index.tolist()[:8] == list(range(8))
    task.training_step(make_batch(1, first_index=100))
    task.on_step_end(2, 10)
    assert int(task.queue_ptr) == 4  # 16 keys in 12 slots
    assert task.queue_index.tolist() == [104, 105, 106, 107, 4, 5, 6, 7, 100, 101, 102, 103]
    torch.testing.assert_close(task.queue.norm(dim=1), torch.ones(12))


@pytest.mark.parametrize("n", [2, 3, 7, 10, 13])
def test_v2_bn_groups_of_odd_batches_hold_two_images_or_more_and_keys_keep_their_order(n):
    """A batch of 7, 10 or 13 in 4 chunks used to leave a last group of one image, which
    BatchNorm in training mode refuses. Each key must still land on its own image's row
    after the shuffled pass."""
    task = make_task(variant="v2", queue_size=64, bn_groups=4)
    sizes: dict[str, list[int]] = {"online": [], "key": []}
    task.encoder.register_forward_pre_hook(lambda m, a: sizes["online"].append(len(a[0])))
    task.key_encoder.register_forward_pre_hook(lambda m, a: sizes["key"].append(len(a[0])))
    loss, _ = task.training_step(make_batch(0, n=n))
    assert torch.isfinite(loss)
    for group_sizes in sizes.values():
        assert sum(group_sizes) == n and min(group_sizes) >= 2
        assert max(group_sizes) - min(group_sizes) <= 1  # an even split
        assert len(group_sizes) == max(1, min(4, n // 2))
    # with its BatchNorm on running statistics a key depends on its own image only: the
    # keys queued for the step are those of each image on its own, in batch order
    task.key_encoder.eval()
    task.key_projector.eval()
    task.on_gradients_discarded()
    task.training_step(make_batch(0, n=n))
    [(keys, index)] = task._pending
    with torch.no_grad():
        alone = [task.key_projector(task.key_encoder(v[None])) for v in task.augment.views[-1]]
    torch.testing.assert_close(keys, F.normalize(torch.cat(alone), dim=1), atol=1e-5, rtol=1e-4)
    assert index.tolist() == list(range(n))


def test_v2_queue_smaller_than_a_batch_and_bad_variants_are_config_errors():
    task = make_task(variant="v2", queue_size=4)
    with pytest.raises(ConfigError, match="queue_size"):
        task.training_step(make_batch())
    with pytest.raises(ConfigError, match="variant"):
        make_task(variant="v1")


@pytest.mark.parametrize("variant", ["v2", "v3"])
def test_state_dict_round_trip_gives_identical_embeddings_and_loss(variant):
    task, batch = make_task(0, variant=variant, queue_size=64), make_batch()
    perturb_online(task)
    task.training_step(batch)
    task.on_step_end(1, 10)  # key network and (v2) queue now differ from a fresh task
    copy = make_task(1, variant=variant, queue_size=64)
    copy.load_state_dict(task.state_dict())
    if variant == "v2":
        assert {"queue", "queue_ptr", "queue_index"} <= set(copy.state_dict())
        assert int(copy.queue_ptr) == 8
    assert_identical_eval_embeddings(task, copy, image_size=32)
    assert_identical_training_loss(task, copy, batch)


@pytest.mark.parametrize("variant", ["v2", "v3"])
def test_a_few_adamw_steps_reduce_the_loss(variant):
    task, batch = make_task(variant=variant), make_batch()
    before, after = losses_before_and_after_adamw_steps(task, batch, steps=6, seed=123)
    assert after < before


def _queue_worker(rank: int, folder: str) -> None:
    """One of two gloo ranks: a MoCo v2 step on its own batch (8 or 6 images), then save."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{folder}/store", rank=rank, world_size=2)
    try:
        task = make_task(0, variant="v2", queue_size=32)  # the same weights on both ranks
        task.training_step(make_batch(rank, n=8 - 2 * rank, first_index=100 * rank))
        task.on_step_end(1, 10)
        state = {k: task.state_dict()[k] for k in ("queue", "queue_ptr", "queue_index")}
        torch.save(state, f"{folder}/rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def test_v2_queue_is_the_same_on_every_rank_under_torch_distributed(tmp_path: Path):
    run_two_ranks(_queue_worker, tmp_path)
    states = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    for key in ("queue", "queue_ptr", "queue_index"):
        torch.testing.assert_close(states[0][key], states[1][key], rtol=0, atol=0)
    assert int(states[0]["queue_ptr"]) == 14  # 8 + 6 keys from the two ranks
    assert states[0]["queue_index"].tolist()[:14] == [*range(8), *range(100, 106)]


class Pool:
    """16 images a epoch in batches of ``batch_size`` (the engine's loader interface)."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size

    def __len__(self) -> int:
        return 16 // self.batch_size

    def epoch(self, epoch: int, skip: int = 0):
        for b in range((16 - skip) // self.batch_size):
            first = skip + b * self.batch_size
            yield make_batch(seed=100 * epoch + first, n=self.batch_size, first_index=first)


class ScriptedMoCo(MoCo):
    """MoCo v2 that runs ``script[call]()`` after its ``call``-th training step."""

    def __init__(self, script: dict) -> None:
        super().__init__(
            MoCoConfig(variant="v2", queue_size=64, hidden_dim=16, out_dim=8, bn_groups=1),
            seeded_backbone(0, image_size=32),
            RecordingCropNoise(),
        )
        self.script, self.calls = script, 0

    def training_step(self, batch):
        out = super().training_step(batch)
        self.calls += 1
        if self.calls in self.script:
            self.script[self.calls]()
        return out


def fit_moco(folder: Path, task: MoCo, batch_size: int, stop=None, resume=None, **train):
    from ssl_studio.core.config import TrainConfig
    from ssl_studio.core.engine.trainer import Trainer

    cfg = TrainConfig(batch_size=batch_size, lr=0.01, log_every_seconds=0.0, **train)
    trainer = Trainer(
        task, Pool(batch_size), cfg, device=torch.device("cpu"), run_dir=folder, stop=stop
    )
    return trainer.fit(resume)


def test_v2_keys_of_a_batch_that_ran_out_of_memory_are_not_enqueued(tmp_path):
    def out_of_memory():
        raise torch.cuda.OutOfMemoryError("simulated")

    task = ScriptedMoCo({2: out_of_memory})  # the second batch of 8: halved to 2 x 4
    summary = fit_moco(tmp_path, task, batch_size=8, steps=2)
    assert (summary["batch_size"], summary["accumulate"]) == (4, 2)
    # two steps of 8 keys each: the 8 keys of the batch whose gradients were thrown away
    # are not in the queue (they were computed again in two halves)
    assert int(task.queue_ptr) == 16
    filled = task.queue_index[:16].tolist()
    assert sorted(filled) == list(range(16))  # each item once, none twice


def test_v2_resume_after_leftover_micro_batches_matches_a_straight_run(tmp_path):
    from ssl_studio.core.engine.checkpoint import load_checkpoint
    from ssl_studio.core.events import StopToken

    # 16 images in batches of 4, 3 to a step: one step and one leftover batch an epoch
    options = {"steps": 3, "accumulate": 3, "checkpoint_every_steps": 100}
    straight = ScriptedMoCo({})
    fit_moco(tmp_path / "a", straight, batch_size=4, **options)
    assert int(straight.queue_ptr) == 3 * 12  # the leftover batches' keys are dropped

    stop = StopToken()
    first = fit_moco(tmp_path / "b", ScriptedMoCo({4: stop.stop}), 4, stop=stop, **options)
    assert (first["status"], first["steps"]) == ("stopped", 1)  # after epoch 0's leftover
    saved = load_checkpoint(tmp_path / "b" / "checkpoints" / "step-0000001.pt")
    resumed = ScriptedMoCo({})
    fit_moco(tmp_path / "b", resumed, batch_size=4, resume=saved, **options)
    for name, tensor in straight.state_dict().items():
        assert torch.equal(tensor, resumed.state_dict()[name]), name
