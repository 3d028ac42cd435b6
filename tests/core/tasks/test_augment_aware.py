"""Augmentation-aware two-view tasks (AugSelf): the draws behind each view, the head that
predicts how two views' draws differ, its place in SimCLR, MoCo and BYOL, and runs recorded
before the option existed."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.tasks.augment_aware import AugmentAwareHead, aware_head
from ssl_studio.core.tasks.registry import TASKS, build_task, recorded_options
from ssl_studio.core.tasks.simclr import SimCLRConfig
from ssl_studio.core.transforms.image_augment import (
    AWARE_DRAWS,
    ImageAugment,
    ImageAugmentConfig,
)

from task_testing import image_batch, seeded_backbone

TWO_VIEW = [("simclr", {}), ("moco", {"variant": "v3"}), ("moco", {"variant": "v2"}), ("byol", {})]


def augment(**changes) -> ImageAugment:
    return ImageAugment(dataclasses.replace(ImageAugmentConfig(), **changes), out_size=32)


def make_task(name: str, options: dict, **augment_changes):
    options = {"queue_size": 64, **options} if options.get("variant") == "v2" else options
    return build_task(name, options, seeded_backbone(0, 32), augment(**augment_changes))


def test_a_view_comes_with_the_draws_it_was_made_with():
    aug, batch = augment(), image_batch(6, 40, seed=0)
    args = (batch.x, batch.low, batch.high, batch.boxes)
    view, draws = aug.view_and_draws(*args, torch.Generator().manual_seed(3))
    assert torch.equal(view, aug(*args, torch.Generator().manual_seed(3)))  # the same view
    assert aug.aware_draws == AWARE_DRAWS and draws.shape == (6, len(AWARE_DRAWS))
    assert ((draws >= 0) & (draws < 1)).all()
    # the brightness draw is the one that brightened: a draw above 1/2 brightens the view
    flat = {"crop_scale": (1.0, 1.0), "window_jitter": 0.0, "contrast": 0.0, "gamma": (1, 1)}
    flat |= {"blur_prob": 0.0, "noise_std": 0.0}
    bright, dull = augment(**flat), augment(**flat, brightness=0.0)
    view, draws = bright.view_and_draws(*args, torch.Generator().manual_seed(4))
    lift = (view - dull(*args, torch.Generator().manual_seed(4))).mean(dim=(1, 2, 3))
    assert bright.aware_draws == ("brightness",)
    assert torch.equal(lift > 0, draws[:, 0] > 0.5)


def test_only_the_augmentations_that_are_on_are_predicted():
    assert augment(window_jitter=0.0).aware_draws == ("scale", "brightness", "contrast", "gamma")
    off = augment(
        crop_scale=(1.0, 1.0), window_jitter=0.0, brightness=0.0, contrast=0.0, gamma=(1.0, 1.0)
    )
    assert off.aware_draws == ()
    for weight, augmentation in ((10.0, off), (0.0, augment()), (10.0, None)):
        cfg = SimCLRConfig(augment_aware=weight)
        assert aware_head(cfg, 256, augmentation) is None  # nothing to predict, or off
        assert cfg.augment_aware == 0.0  # and the run records it as off
    task = build_task("simclr", {}, seeded_backbone(0, 32), off)
    assert task.aware is None and dataclasses.asdict(task.cfg)["augment_aware"] == 0.0


def test_the_head_is_scored_on_twice_the_difference_of_the_draws():
    torch.manual_seed(0)
    head = AugmentAwareHead(dim=4, draws=3)
    h1, h2, d1, d2 = torch.randn(5, 4), torch.randn(5, 4), torch.rand(5, 3), torch.rand(5, 3)
    predicted = head.mlp(torch.cat([h1, h2], dim=1))
    assert torch.allclose(head.loss(h1, h2, d1, d2), F.mse_loss(predicted, 2 * (d1 - d2)))


@pytest.mark.parametrize(("name", "options"), TWO_VIEW)
def test_two_view_tasks_add_the_weighted_loss_and_train_the_encoder_with_it(name, options):
    batch = image_batch(8, 40, seed=1)
    task = make_task(name, options)
    assert task.cfg.augment_aware == 10.0 and task.aware is not None
    torch.manual_seed(5)
    loss, logs = task.training_step(batch)
    assert torch.isfinite(loss) and logs["augment_error"] > 0
    loss.backward()
    assert task.aware.mlp[0].weight.grad.abs().sum() > 0

    plain = make_task(name, {**options, "augment_aware": 0.0})
    plain.load_state_dict(task.state_dict(), strict=False)
    assert plain.aware is None
    torch.manual_seed(5)
    plain_loss, plain_logs = plain.training_step(batch)
    assert "augment_error" not in plain_logs
    # the same views (same random draws), so the difference is the weighted head loss
    assert torch.allclose(loss.detach(), plain_loss.detach() + 10.0 * logs["augment_error"])


@pytest.mark.parametrize(("name", "options"), TWO_VIEW)
def test_the_head_s_gradient_reaches_the_encoder(name, options):
    task = make_task(name, {**options, "augment_aware": 1.0})
    torch.manual_seed(2)
    task.training_step(image_batch(8, 40, seed=2))[0].backward()
    with_head = task.encoder[0].weight.grad.clone()
    task.zero_grad()
    task.cfg.augment_aware = 0.0  # the same network, the head's term weighed 0
    torch.manual_seed(2)
    task.training_step(image_batch(8, 40, seed=2))[0].backward()
    assert not torch.allclose(with_head, task.encoder[0].weight.grad)


def test_a_bad_weight_is_a_clear_error():
    for name in ("simclr", "moco", "byol", "jigsaw", "rotation"):
        for bad in (-1.0, float("inf"), float("nan")):
            with pytest.raises(ConfigError, match=f"{name}: augment_aware"):
                make_task(name, {"augment_aware": bad})


def test_runs_recorded_before_the_option_existed_rebuild_without_the_head():
    """Their checkpoints hold the task options of their day, without augment_aware, and no
    head weights: today's default (10) would build a head their weights cannot fill."""
    for name in ("simclr", "moco", "byol", "jigsaw", "rotation"):
        old = make_task(name, {"augment_aware": 0.0})
        recorded = dataclasses.asdict(old.cfg)
        del recorded["augment_aware"]
        options = recorded_options(name, recorded)
        assert options["augment_aware"] == 0.0
        rebuilt = build_task(name, options, seeded_backbone(1, 32), augment())
        rebuilt.load_state_dict(old.state_dict())  # strict: the same modules
        assert rebuilt.aware is None
        # what a run recorded (the option present) is kept
        assert recorded_options(name, {**recorded, "augment_aware": 3.0})["augment_aware"] == 3.0
    for name in set(TASKS) - {"simclr", "moco", "byol", "jigsaw", "rotation", "mae"}:
        assert recorded_options(name, {"x": 1}) == {"x": 1}


def test_every_draw_is_the_uniform_number_its_view_was_made_with(monkeypatch):
    """The draws come back in AWARE_DRAWS order, each the column of its name."""
    from ssl_studio.core.transforms import image_augment

    seen = []
    real_rand = torch.rand

    def recording_rand(*args, **kwargs):
        seen.append(real_rand(*args, **kwargs))
        return seen[-1]

    batch = image_batch(5, 40, seed=3)
    monkeypatch.setattr(image_augment.torch, "rand", recording_rand)
    _, draws = augment().view_and_draws(batch.x, batch.low, batch.high, batch.boxes)
    uniform = seen[0]  # [N, len(_DRAWS)], the first draw of a view
    for i, name in enumerate(AWARE_DRAWS):
        assert torch.equal(draws[:, i], uniform[:, image_augment._DRAWS.index(name)])


def test_moco_v2_gives_the_head_each_image_s_own_key_features():
    """View 2 is encoded by the key encoder in shuffled order; the head must get it back
    in the images' order (beside their view-1 features)."""
    task = make_task("moco", {"variant": "v2"}).eval()
    x1, x2 = torch.randn(8, 1, 32, 32), torch.randn(8, 1, 32, 32)
    with torch.no_grad():
        _, _, h1, h2 = task._step_v2(x1, x2, torch.arange(8))
        assert torch.allclose(h2, task.key_encoder(x2), atol=1e-5)
        assert torch.allclose(h1, task.encoder(x1), atol=1e-5)


def test_a_checkpoint_from_before_the_option_resumes_and_rebuilds(tmp_path):
    """End to end: a run whose checkpoint's task options lack augment_aware (written by an
    earlier version, no head weights) resumes and is rebuilt for fine-tuning."""
    import numpy as np
    from PIL import Image

    from ssl_studio.core.config import ImportConfig, PretrainConfig, TrainConfig
    from ssl_studio.core.engine.checkpoint import load_checkpoint, save_checkpoint
    from ssl_studio.core.events import Step, StopToken
    from ssl_studio.core.jobs import create_project, import_data, pretrain
    from ssl_studio.core.pretrain_setup import rebuild_task

    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(16):
        Image.fromarray(rng.integers(0, 255, (32, 32), dtype=np.uint8)).save(folder / f"{i}.png")
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[folder], cache_size=32, workers=1))
    stop = StopToken()

    def stop_at_two(event):
        if isinstance(event, Step) and event.step == 2:
            stop.stop()

    train = TrainConfig(steps=4, batch_size=8, checkpoint_every_steps=2, log_every_seconds=0)
    first = pretrain(
        PretrainConfig(
            project=project,
            dataset="images",
            task="simclr",
            image_size=32,
            task_options={"augment_aware": 0.0},
            train=train,
        ),  # fmt: skip
        report=stop_at_two,
        stop=stop,
    )
    assert first["status"] == "stopped"
    path = max((project / "runs" / str(first["run_id"]) / "checkpoints").glob("step-*.pt"))
    state = load_checkpoint(path)
    for options in (state["task_options"], state["config"]["task_options"]):
        options.pop("augment_aware", None)  # as an earlier version wrote it
    assert not any(key.startswith("aware.") for key in state["model"])
    save_checkpoint(path, state)
    assert rebuild_task(load_checkpoint(path)).aware is None
    resumed = pretrain(PretrainConfig(project=project, resume_run=first["run_id"]))
    assert (resumed["status"], resumed["steps"]) == ("done", 4)


@pytest.mark.parametrize(
    ("name", "method"), [("jigsaw", "make_puzzles"), ("rotation", "make_rotations")]
)
def test_single_view_tasks_take_two_views_of_each_image_and_tell_how_they_differ(
    monkeypatch, name, method
):
    """With the head, jigsaw and rotation make two views of each image (2N) and add the
    weighted head loss; without it (as before the option existed) one view (N)."""
    batch, sizes = image_batch(8, 40, seed=4), []
    for weight, views in ((10.0, 16), (0.0, 8)):
        task = make_task(name, {"augment_aware": weight})
        real = getattr(task, method)
        monkeypatch.setattr(task, method, lambda v, real=real: (sizes.append(len(v)), real(v))[1])
        loss, logs = task.training_step(batch)
        assert sizes[-1] == views and torch.isfinite(loss)
        assert ("augment_error" in logs) == (weight > 0)
        if weight > 0:
            loss.backward()
            assert task.aware.mlp[0].weight.grad.abs().sum() > 0
            assert task.encoder[0].weight.grad.abs().sum() > 0
