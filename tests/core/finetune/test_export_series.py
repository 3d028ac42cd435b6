"""Exported time-series models: any length, bounded memory, whole long series, and
recordings whose columns, channels or sampling rate differ from training's."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import onnxruntime
import torch
from export_checks import machine_paths_in
from finetune_projects import export_series_model, vitals_signals

from ssl_studio.core.export.writer import TOLERANCE
from ssl_studio.core.finetune.saved import MODEL_FILE, load_model
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import export, finetune, predict
from ssl_studio.core.project.store import Store


def test_a_series_model_exports_with_any_length(series_project, tmp_path):
    project, run = series_project
    result = finetune(
        FinetuneConfig(
            project=project,
            run=run,
            labels="imported",
            protocol="linear",
            baseline=False,
            n_boot=10,
        )
    )
    card = export(project, result["run_id"], tmp_path / "waves-model")
    assert card["parity"]["onnx_max_difference"] <= TOLERANCE
    assert machine_paths_in(tmp_path / "waves-model", project, tmp_path) == []
    session = onnxruntime.InferenceSession(str(tmp_path / "waves-model" / "model.onnx"))
    for length in (17, 90):
        x = np.sin(np.arange(length, dtype=np.float32) / 4)[None, None]
        observed = np.ones_like(x)
        p = session.run(None, {"x": x, "observed": observed})[0]
        assert p.shape == (1, 2) and np.isclose(p.sum(), 1, atol=1e-5)
    series = tmp_path / "new.csv"
    series.write_text("\n".join(f"{np.sin(i / 8):.4f}" for i in range(50)) + "\n")
    predict(tmp_path / "waves-model", [series], tmp_path / "p.csv")
    rows = list(csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8-sig")))
    assert len(rows) == 1 and rows[0]["predicted"] in ("sine", "square")
    # CSVs are read with the layout of the import (recorded in the card), or the one given
    assert card["spec"]["csv_layout"] == "auto" and "layout" in card["preprocessing"]["csv_layout"]
    table = tmp_path / "table.csv"  # five recordings of 30 steps, one per row (none flat)
    table.write_text(
        "\n".join(",".join(f"{np.sin(i * j / 8):.3f}" for j in range(30)) for i in range(1, 6))
    )
    predict(tmp_path / "waves-model", [table], tmp_path / "rows.csv", layout="rows")
    rows = list(csv.DictReader((tmp_path / "rows.csv").open(encoding="utf-8-sig")))
    assert len(rows) == 5 and not any(r["error"] for r in rows)
    predict(tmp_path / "waves-model", [table], tmp_path / "cols.csv", layout="columns")
    [row] = list(csv.DictReader((tmp_path / "cols.csv").open(encoding="utf-8-sig")))
    assert "This series has 30 channels; the model reads 1" in row["error"]  # not 1 of 30
    assert "--layout" not in row["error"]  # no such flag where predict is called (the app)


def test_series_predictions_bound_their_memory(series_project, tmp_path, monkeypatch):
    from ssl_studio.core.export import predict_job as export_job
    from ssl_studio.core.export import preprocess

    project, run = series_project
    result = finetune(
        FinetuneConfig(project=project, run=run, labels="imported", protocol="knn",
                       baseline=False, n_boot=10)
    )  # fmt: skip
    out = tmp_path / "model"
    export(project, result["run_id"], out)
    folder = tmp_path / "recordings"
    folder.mkdir()
    for i in range(5):  # five recordings of one length: they could share a batch
        (folder / f"r{i}.csv").write_text(
            "\n".join(f"{np.sin(t / (3 + i)):.3f}" for t in range(400))
        )
    batches = []
    real_run = export_job._run
    monkeypatch.setattr(export_job, "STEPS_AT_ONCE", 1000)  # 2 recordings of 400 steps
    monkeypatch.setattr(export_job, "_run", lambda s, items, *a: batches.append(len(items))
                        or real_run(s, items, *a))  # fmt: skip
    predict(out, [folder], tmp_path / "p.csv")
    assert batches == [2, 2, 1]
    monkeypatch.setattr(preprocess, "free_memory", lambda: 2_000_000)  # 2 MB free
    predict(out, [folder / "r0.csv"], tmp_path / "q.csv")
    [row] = list(csv.DictReader((tmp_path / "q.csv").open(encoding="utf-8-sig")))
    assert "This recording has 400 steps" in row["error"] and "Split it" in row["error"]


def test_a_patch_transformer_predicts_whole_long_series_as_in_the_app(tmp_path):
    from finetune_projects import quick_train
    from series_data import write_waves

    from ssl_studio.core.config import ImportConfig, PretrainConfig
    from ssl_studio.core.export.preprocess import series_input
    from ssl_studio.core.jobs import create_project, import_data, pretrain

    write_waves(tmp_path / "waves")
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[tmp_path / "waves"], workers=1))
    run = pretrain(  # windows of 40 steps; predictions read whole series (as evaluation)
        PretrainConfig(
            project=project,
            dataset="waves",
            backbone="ts-patch",
            series_length=40,
            train=quick_train(),
        )
    )["run_id"]
    cfg = FinetuneConfig(
        project=project, run=run, labels="imported", protocol="linear", baseline=False, n_boot=5
    )
    result = finetune(cfg)
    card = export(project, result["run_id"], tmp_path / "model")
    assert card["parity"]["batches"] == 6  # golden, held-out items, 4 more lengths
    assert "whole series" in card["preprocessing"]["length_handling"]
    lengths = (150, 67, 4103)  # not multiples of the patch stride; one over 512 patches
    rng = np.random.default_rng(1)
    for n, length in enumerate(lengths):
        wave = np.sign(np.sin(np.arange(length) / 8 + rng.uniform(0, 6)))
        wave[: length // 2] = np.sin(np.arange(length // 2) / 8)  # starts sine, ends square
        (tmp_path / f"s{n}.csv").write_text("\n".join(f"{v:.4f}" for v in wave) + "\n")
    predict(tmp_path / "model", [tmp_path / f"s{n}.csv" for n in range(3)], tmp_path / "p.csv")
    rows = {
        Path(r["path"]).name: r
        for r in csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8-sig"))
    }
    with Store.open(project) as store:
        folder = project / store.run(result["run_id"])["folder"]
    model, _ = load_model(folder / MODEL_FILE)
    model.eval()
    for n in range(3):
        values = np.loadtxt(tmp_path / f"s{n}.csv", dtype=np.float32)[None]
        x, observed = series_input(values, card["spec"])
        with torch.no_grad():
            logits = model(torch.from_numpy(x)[None], torch.from_numpy(observed)[None])
        want = torch.softmax(logits, 1)[0].numpy()
        got = [float(rows[f"s{n}.csv"][f"p_{c}"]) for c in card["classes"]]
        assert np.abs(np.array(got) - want).max() < 1e-4, lengths[n]


def test_predict_matches_series_columns_by_name_and_reads_short_recordings_as_training(
    tmp_path,
):
    rng = np.random.default_rng(0)
    data = tmp_path / "vitals"
    for kind in ("calm", "busy"):
        (data / kind).mkdir(parents=True)
        for i in range(12):
            ecg, resp = vitals_signals(kind, 40, rng)
            rows = "".join(f"{a:.3f},{b:.3f}\n" for a, b in zip(ecg, resp, strict=True))
            (data / kind / f"{kind}{i}.csv").write_text("ecg,resp\n" + rows)
    out, card = export_series_model(tmp_path, data)
    assert card["spec"]["channel_names"] == ["ecg", "resp"]
    assert card["spec"]["csv_prefer"] == "columns" and card["spec"]["fewest_channels"] == 2
    lines = (data / "busy" / "busy0.csv").read_text().splitlines()
    swapped = tmp_path / "swapped.csv"  # the same recording, its columns the other way round
    swapped.write_text("\n".join(",".join(reversed(line.split(","))) for line in lines) + "\n")
    shouting = tmp_path / "shouting.csv"  # the same names in capitals: the same columns
    shouting.write_text("\n".join(["ECG,Resp", *lines[1:]]) + "\n")
    extra = tmp_path / "extra.csv"  # one more column than the model reads: left aside
    extra.write_text("\n".join(f"{line},{i}" for i, line in enumerate(lines)) + "\n")
    lacking = tmp_path / "lacking.csv"  # resp missing, which every training file had
    lacking.write_text("\n".join(line.split(",")[0] for line in lines) + "\n")
    other = tmp_path / "other.csv"  # resp missing and a column the model does not know
    other.write_text("\n".join(line.split(",")[0] + ",1" for line in lines) + "\n")
    other.write_text(other.read_text().replace("ecg,1", "ecg,spo2", 1))
    short = tmp_path / "short.csv"  # 3 steps of 2 channels: auto alone reads 2 series of 3
    short.write_text("\n".join(lines[:4]) + "\n")
    bare = tmp_path / "bare.csv"  # ecg alone, without its name: which channel is it?
    bare.write_text("\n".join(line.split(",")[0] for line in lines[1:]) + "\n")
    flat = tmp_path / "flat.npy"  # [N, T]: 3 series of one channel
    np.save(flat, np.zeros((3, 40), np.float32))
    files = [data / "busy" / "busy0.csv", swapped, shouting, extra, lacking, other, short, bare]
    result = predict(out, [*files, flat], tmp_path / "p.csv")
    assert result["errors"] == 4  # other.csv, lacking.csv, bare.csv and flat.npy (3 rows)
    rows = {
        Path(r["path"]).name: r
        for r in csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8-sig"))
    }
    assert len(rows) == 9 and not rows["busy0.csv"]["error"]
    assert "This series has 1 channel; the model reads 2 (ecg, resp)" in rows["bare.csv"]["error"]
    assert rows["bare.csv"]["predicted"] == ""  # no sure-looking answer
    for name in ("p_busy", "p_calm"):
        same = {rows[f][name] for f in ("busy0.csv", "swapped.csv", "shouting.csv", "extra.csv")}
        assert len(same) == 1
    assert rows["lacking.csv"]["error"].startswith("This file has no column 'resp'")
    assert rows["lacking.csv"]["predicted"] == ""  # naming its columns is no way around it
    assert rows["busy0.csv"]["note"] == ""
    assert (
        "no column 'resp', and its column(s) 'spo2' the model does not know"
        in (rows["other.csv"]["error"])
    )
    assert not rows["short.csv"]["error"] and rows["short.csv"]["index"] == "0"


def test_a_recording_at_another_sampling_rate_is_refused_and_an_unknown_one_noted(tmp_path):
    from ssl_studio.core.export.preprocess import read_inputs

    spec = {"modality": "timeseries", "in_channels": 2, "channel_names": ["ecg", "resp"],
            "sampling_rate": 100.0, "csv_layout": "auto", "csv_prefer": "columns"}  # fmt: skip
    for name, step in (("same.csv", 0.01), ("half.csv", 0.02)):
        rows = "".join(f"{t * step:.2f},{np.sin(t):.3f},{np.cos(t):.3f}\n" for t in range(50))
        (tmp_path / name).write_text("time,ecg,resp\n" + rows)
    rows = "".join(f"{np.sin(t):.3f},{np.cos(t):.3f}\n" for t in range(50))
    (tmp_path / "untimed.csv").write_text("ecg,resp\n" + rows)
    found = {Path(i.path).name: i for i in read_inputs([tmp_path], spec)}
    assert found["same.csv"].error is None and found["same.csv"].note == ""
    assert "sampled at 50 per second; the model learned from recordings at 100" in (
        found["half.csv"].error
    )  # a confident answer from the wrong time scale would mean nothing
    assert "sampling rate is unknown" in found["untimed.csv"].note
    assert found["untimed.csv"].error is None


def test_a_headerless_csv_is_read_in_the_training_order_with_a_note(tmp_path):
    from ssl_studio.core.export.preprocess import read_inputs

    spec = {"modality": "timeseries", "in_channels": 2, "channel_names": ["ecg", "resp"],
            "sampling_rate": None, "csv_layout": "auto", "csv_prefer": "columns"}  # fmt: skip
    (tmp_path / "bare.csv").write_text("".join(f"{t},{t + 100}\n" for t in range(30)))
    (tmp_path / "named.csv").write_text(
        "resp,ecg\n" + "".join(f"{t + 100},{t}\n" for t in range(30))
    )
    found = {Path(i.path).name: i for i in read_inputs([tmp_path], spec)}
    for name in ("bare.csv", "named.csv"):  # the same values, as the same channels
        assert found[name].error is None
        np.testing.assert_array_equal(found[name].x[:, :2], [[0, 1], [100, 101]])
    assert found["bare.csv"].note == (
        "It has no header row, so its columns were taken by position, in the training "
        "files' order: ecg, resp. Add a header row naming them if the order differs."
    )
    assert found["named.csv"].note == ""
    np.save(tmp_path / "arr.npy", np.stack([np.arange(30.0), np.arange(30.0) + 100])[None])
    [array] = read_inputs([tmp_path / "arr.npy"], spec)
    assert array.error is None and array.note.startswith(
        "An array has no column names, so its channels were taken by position, in the "
        "training files' order: ecg, resp."
    )
    unnamed = {**spec, "channel_names": None}  # a model whose files had no header either
    [item] = read_inputs([tmp_path / "bare.csv"], unnamed)
    assert item.error is None and item.note == ""


def test_a_series_with_other_channels_than_the_model_reads_is_refused_for_its_kind(tmp_path):
    from ssl_studio.core.export.preprocess import read_inputs

    spec = {"modality": "timeseries", "in_channels": 2, "channel_names": ["ecg", "resp"],
            "sampling_rate": None, "csv_layout": "auto", "csv_prefer": "columns",
            "fewest_channels": 2}  # fmt: skip
    t = np.arange(40)
    wave = np.stack([np.sin(t / 3), np.cos(t / 5)]).astype(np.float32)  # [2, T]
    (tmp_path / "named.csv").write_text(  # resp missing, by name: refused as bare.csv is
        "ecg\n" + "".join(f"{v:.3f}\n" for v in wave[0])
    )
    (tmp_path / "bare.csv").write_text("".join(f"{v:.3f}\n" for v in wave[0]))  # no header
    (tmp_path / "three.csv").write_text("".join(f"{a:.3f},{b:.3f},1\n" for a, b in wave.T))
    np.save(tmp_path / "flat.npy", wave)  # [N, T]: two series of one channel
    np.save(tmp_path / "wide.npy", np.stack([np.concatenate([wave, wave[:1]])]))  # [1, 3, T]
    np.save(tmp_path / "right.npy", wave[None])  # [1, 2, T]
    found = {(Path(i.path).name, i.index): i for i in read_inputs([tmp_path], spec)}
    named = found[("named.csv", 0)].error  # naming its columns is no way around it
    assert named.startswith("This file has no column 'resp': it has 1 of the model's 2 ")
    assert "training recordings all had 2" in named and "Give it the column 'resp'" in named
    right = found[("right.npy", 0)]  # read by position, and said so
    assert right.error is None and right.note.startswith("An array has no column names")
    bare = found[("bare.csv", 0)].error  # was read as ecg, with resp missing, and no note
    assert bare.startswith("This series has 1 channel; the model reads 2 (ecg, resp), and its ")
    assert "training recordings all had 2" in bare and "header" not in bare
    assert "Give it all 2 channels, in the training files' order (ecg, resp)" in bare
    for index in (0, 1):
        flat = found[("flat.npy", index)].error
        assert "An array [N, T] holds series of one channel" in flat
        assert "save the series as an array [N, 2, T]" in flat and "--layout" not in flat
    wide = found[("wide.npy", 0)].error
    assert wide.startswith("This series has 3 channels; the model reads 2 (ecg, resp).")
    assert "Its array [N, C, T] holds series of 3 channels" in wide and "layout" not in wide
    three = found[("three.csv", 0)].error  # the app has no --layout to point to
    assert three.startswith("This series has 3 channels; the model reads 2")
    assert "--layout" not in three and "lay it out so" in three
    [cli] = read_inputs([tmp_path / "three.csv"], spec, layout_flag="--layout")
    assert "if it holds one series per row, add --layout rows" in cli.error
    # where training recordings had as few channels, the missing ones are read as training
    # read them (unobserved), and the row says so
    narrow = {**spec, "channel_names": None, "fewest_channels": 1}
    [item] = read_inputs([tmp_path / "bare.csv"], narrow)
    assert item.error is None and item.observed[1].sum() == 0
    assert "It has 1 of the model's 2 channels, read by position" in item.note
    [item] = read_inputs([tmp_path / "named.csv"], {**spec, "fewest_channels": 1})
    assert item.error is None and item.observed[1].sum() == 0  # by name, as training had
    assert item.note == "No column 'resp': read as missing values."


def test_a_named_file_lacking_channels_every_training_recording_had_is_refused(tmp_path):
    from ssl_studio.core.export.preprocess import read_inputs

    spec = {"modality": "timeseries", "in_channels": 3, "channel_names": ["hr", "spo2", "resp"],
            "sampling_rate": None, "csv_layout": "auto", "csv_prefer": "columns",
            "fewest_channels": 3}  # fmt: skip
    rows = "".join(f"{70 + t % 5},{97 - t % 3}\n" for t in range(40))
    (tmp_path / "bare2.csv").write_text(rows)
    (tmp_path / "hdr2.csv").write_text("hr,spo2\n" + rows)
    found = {Path(i.path).name: i for i in read_inputs([tmp_path], spec)}
    bare = found["bare2.csv"].error
    assert bare.startswith("This series has 2 channels; the model reads 3 (hr, spo2, resp)")
    assert "header" not in bare  # a header row would not help
    named = found["hdr2.csv"]  # naming its columns is no way around the refusal
    assert named.x is None and named.error.startswith(
        "This file has no column 'resp': it has 2 of the model's 3 channels (hr, spo2, resp), "
        "and its training recordings all had 3"
    )
    assert named.error.endswith("Give it the column 'resp', or rename the column holding it "
                                "to match.")  # fmt: skip
    wider = {**spec, "fewest_channels": 2}  # some training recordings had 2 channels
    [item] = read_inputs([tmp_path / "hdr2.csv"], wider)
    assert item.error is None and item.note == "No column 'resp': read as missing values."
    (tmp_path / "one.csv").write_text("hr\n" + "".join(f"{70 + t % 5}\n" for t in range(40)))
    [one] = read_inputs([tmp_path / "one.csv"], wider)  # fewer than any training recording
    assert one.error.startswith("This file has no column 'spo2', 'resp': it has 1 of the ")
    assert "training recordings had at least 2" in one.error and "the columns" in one.error
