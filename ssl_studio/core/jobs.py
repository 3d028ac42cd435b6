"""The public jobs. Each is ``job(cfg, *, report, stop) -> result``.

A job reports only through ``report(event)``: Started, then Progress/Message events,
then Finished with the result, or Failed with the reason (and the exception is raised
again for the caller). It checks ``stop`` between units of work and ends cleanly: a job
whose unfinished work is still worth something (an import, a training run, a
prediction table... not written) returns its result marked stopped; one that would leave
nothing usable (embed, evaluate, export) raises events.Stopped after Finished(cancelled).
Failed is sent for errors a user can act on (``told``); a bug is raised as it is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssl_studio.core.config import ImportConfig, PretrainConfig
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.events import Failed, Finished, Message, Reporter, Started, StopToken, ignore
from ssl_studio.core.finetune_config import LABEL_EFFICIENCY_KS, FinetuneConfig
from ssl_studio.core.job_frame import framed, told
from ssl_studio.core.project.store import Store

if TYPE_CHECKING:
    from ssl_studio.core.export.card_details import CardDetails
    from ssl_studio.core.export.series_windows import Span


def limit_cpu_threads(threads: int) -> None:
    """Let jobs in this process use at most ``threads`` CPU threads for tensor maths
    (the app sets this for the jobs it starts)."""
    import torch

    torch.set_num_threads(max(1, int(threads)))


def hardware() -> dict[str, Any]:
    """The device a job would use: {"device": readable name, "accelerated": bool,
    "preset": the pretraining preset that fits it (quick on a CPU, standard on a GPU)}."""
    from ssl_studio.core.engine.device import describe, pick_device

    device = pick_device("auto")
    accelerated = device.type != "cpu"
    return {
        "device": describe(device),
        "accelerated": accelerated,
        "preset": "standard" if accelerated else "quick",
    }


_GUI = "ssl-studio gui"


def recover_interrupted(project: Path) -> int:
    """Mark the runs left "running" by a process that is gone (a crash, a power cut) as
    interrupted, so they can be resumed. Does nothing while another process writes the
    project (its runs may really be running). Returns how many runs were marked; raises
    ProjectReadOnlyError when the project cannot be written (it can still be viewed)."""
    from ssl_studio.core.errors import ProjectLockedError

    try:
        # (not upgraded only to be looked at: older versions could no longer open it)
        with Store.open(Path(project), write=True, purpose=_GUI, may_upgrade=False) as store:
            if store.write:
                return store.mark_interrupted_runs()
            if not any(run["status"] == "running" for run in store.runs()):
                return 0
        with Store.open(Path(project), write=True, purpose=_GUI) as store:
            return store.mark_interrupted_runs()
    except ProjectLockedError:
        return 0


def create_project(folder: Path) -> Path:
    """Create an empty project in ``folder`` (made if needed; must be empty)."""
    Store.create(Path(folder)).close()
    return Path(folder)


def name_taken_by_other_folders(cfg: ImportConfig) -> tuple[str, str] | None:
    """When ``cfg``'s import would go into a dataset imported from other folders (it is
    refused unless ``cfg.add``): that dataset's name and a free name to offer instead,
    such as 'scans 2'. None when the import can go ahead as it is (a new dataset, or a
    re-import of the folders a dataset came from)."""
    from ssl_studio.core.data.import_target import new_roots, target_dataset
    from ssl_studio.core.data.path_spelling import KnownRoots

    with Store.open(cfg.project) as store:
        existing = target_dataset(store, cfg)
        if not existing:
            return None
        roots = KnownRoots(store, existing["id"])
        if not new_roots(roots, roots.spellings(cfg.paths)):
            return None
        return existing["name"], store.free_dataset_name(cfg.dataset_name)


def import_target_name(cfg: ImportConfig) -> str | None:
    """The stored name of the dataset ``cfg``'s import goes into, when it exists; None for
    a new dataset, which is named only once its files were read (a folder may be named
    after its patient, and the name is stored redacted): say "a new dataset" until then."""
    from ssl_studio.core.data.import_target import INTERIM_NAME, target_dataset

    with Store.open(cfg.project) as store:
        existing = target_dataset(store, cfg)
    if existing is None or existing["name"].startswith(INTERIM_NAME):
        return None
    return existing["name"]


def cache_size_taken(cfg: ImportConfig) -> tuple[str, int, str] | None:
    """When ``cfg`` asks for a cache size that the image dataset it would go into does not
    have (refused, as one dataset holds one size): that dataset's name, its size and a
    free name for a new dataset at the asked size, such as 'scans 128px'. None otherwise."""
    from ssl_studio.core.data.import_target import other_cache_size, target_dataset

    if not cfg.cache_size:
        return None
    with Store.open(cfg.project) as store:
        existing = target_dataset(store, cfg)
        if existing is None or not other_cache_size(existing, cfg):
            return None
        wanted = f"{existing['name']} {cfg.cache_size}px"
        return existing["name"], existing["cache_size"], store.free_dataset_name(wanted)


def import_data(
    cfg: ImportConfig,
    *,
    report: Reporter = ignore,
    stop: StopToken | None = None,
    scale_up_expected: bool = False,
) -> dict[str, Any]:
    """Import files and folders into a dataset of the project (see data/importer.py).

    Returns the summary: dataset, counts of files (new, changed, unchanged, missing,
    imported, failed, skipped), items, seconds, cancelled and the first errors.
    ``scale_up_expected``: ``cfg.cache_size`` is larger than the images on purpose (the
    demo's), so the import does not warn that it scaled them up.
    """
    from ssl_studio.core.data.importer import JOB, Importer

    stop = stop or StopToken()
    report(Started(JOB))
    with told(cfg.project, lambda error: report(Failed(JOB, error=error))):
        try:
            cfg.validate()
            with Store.open(cfg.project, write=True, purpose="ssl-studio import") as store:
                importer = Importer(store, cfg, report, stop, scale_up_expected=scale_up_expected)
                summary = importer.run()
        except SSLStudioError:
            raise
        except OSError as exc:  # no path: a file's or a folder's name may name its patient
            raise SSLStudioError(_import_stopped(exc, cfg)) from exc
    report(Finished(JOB, result=summary, cancelled=summary["cancelled"]))
    return summary


def _import_stopped(exc: OSError, cfg: ImportConfig) -> str:
    """What an import that met ``exc`` says (naming no file)."""
    error = f"The import stopped: {exc.strerror or type(exc).__name__}{_where(exc, cfg)}."
    if exc.errno == 28:
        error += " The disk is full: free some space and import again; nothing was lost."
    return error


def _where(exc: OSError, cfg: ImportConfig) -> str:
    """Where an import met ``exc``, in words that name no file: " (in the project
    folder)", " (in the folders imported)", or "" when the error names no file."""
    if not isinstance(exc.filename, str | bytes | os.PathLike) or not exc.filename:
        return ""
    try:  # (not resolve(): a symlink loop raises RuntimeError quoting the path)
        path = Path(os.path.abspath(os.fsdecode(exc.filename)))
        inside = path.is_relative_to(os.path.abspath(cfg.project))
    except (OSError, RuntimeError, ValueError):
        return ""
    return " (in the project folder)" if inside else " (in the folders imported)"


# (folder in resources/demo, dataset name, cache size in px or None for series)
# the chest X-rays (28 px) are cached at 64 px on purpose: the quick preset trains at
# 64 px, so its views are cut from the cache and not upsampled at every step
DEMO_DATASETS = (("chest-xray", 64), ("basic-motions", None))


def create_demo(
    folder: Path, *, report: Reporter = ignore, stop: StopToken | None = None
) -> dict[str, Any]:
    """Create (or bring up to date) the demo project in ``folder`` from resources/demo.

    Returns ``{dataset name: import summary}``. Running it again re-imports nothing that
    is unchanged, so it is quick; a demo dataset that another copy of SSL Studio (another
    checkout, the packaged app) put there is left as it is.
    """
    from ssl_studio.core.project.layout import ProjectPaths
    from ssl_studio.resources import demo_sources

    sources = demo_sources(tuple(name for name, _ in DEMO_DATASETS))
    if not ProjectPaths(Path(folder)).is_project():
        create_project(folder)
    results = {}
    for name, size in DEMO_DATASETS:
        cfg = ImportConfig(project=folder, paths=[sources[name]], name=name, cache_size=size)
        if name_taken_by_other_folders(cfg) is not None:  # made by another SSL Studio copy
            report(Message("import", f"The demo dataset '{name}' is already in the project."))
            continue
        # (its own cache size, chosen on purpose: no warning that it scales the images up)
        results[name] = import_data(cfg, report=report, stop=stop, scale_up_expected=True)
    return results


def pretrain(
    cfg: PretrainConfig, *, report: Reporter = ignore, stop: StopToken | None = None
) -> dict[str, Any]:
    """Pretrain an encoder with a pretext task on an image dataset (see core/pretrain.py).

    Returns the run summary: run_id, status (done or stopped), steps, epochs, seconds,
    final_loss, device. Runs under torchrun too; then only rank 0 reports.
    """
    from ssl_studio.core.pretrain import JOB, Pretraining

    stop = stop or StopToken()
    announced: list[int] = []

    def started(total: int, run_id: int) -> None:  # once the run is made or resumed
        announced.append(total)
        report(Started(JOB, total=total, run_id=run_id))

    job = Pretraining(cfg, report, stop, started)
    if not job.world.is_main:
        report = ignore
        job.report = ignore

    def fail(error: str) -> None:
        if not announced:  # refused before its length was known: still Started first
            report(Started(JOB))
        report(Failed(JOB, error=error))

    with told(cfg.project, fail):
        summary = job.run()
    report(Finished(JOB, result=summary, cancelled=summary["status"] == "stopped"))
    return summary


def embed(
    project: Path,
    run_id: int,
    dataset: str | None = None,
    *,
    per_timestep: bool = False,
    device: str = "auto",
    report: Reporter = ignore,
    stop: StopToken | None = None,
) -> tuple[list[int], Any]:
    """Representations of a dataset's items from a pretraining run's newest checkpoint.

    dataset: default the run's own dataset. Returns (item ids, vectors): a float32 array
    [N, D] (images: the evaluation view; series: max-pooled over observed steps), or with
    ``per_timestep`` (series only) a list of [T_i, D] arrays. Reports Progress per batch;
    raises events.Stopped when ``stop`` is set before the last batch. Finished holds
    {"run_id", "items"} (the vectors are returned, not sent).
    """
    from ssl_studio.core.embedding import JOB, embed_dataset

    def work() -> tuple[list[int], Any]:
        return embed_dataset(
            Path(project),
            run_id,
            dataset,
            per_timestep=per_timestep,
            device=device,
            report=report,
            stop=stop,
        )

    return framed(
        JOB, Path(project), report, work, lambda found: {"run_id": run_id, "items": len(found[0])}
    )


def finetune(
    cfg: FinetuneConfig, *, report: Reporter = ignore, stop: StopToken | None = None
) -> dict[str, Any]:
    """Fine-tune a pretraining run's encoder on a label set, and train the from-scratch
    baseline on the same split (see core/finetune/job.py).

    Returns run_id, protocol, status, classes, train_labels, test_items, threshold, test
    (every metric with its 95 % interval) and baseline (its run_id and test metrics).
    """
    from ssl_studio.core.finetune.job import JOB, FineTuning

    stop = stop or StopToken()
    job = FineTuning(cfg, report, stop)
    if not job.world.is_main:  # under torchrun only rank 0 reports
        report = ignore
    report(Started(JOB, total=cfg.train.steps))
    with told(cfg.project, lambda error: report(Failed(JOB, error=error))):
        result = job.run()
    report(Finished(JOB, result=result, cancelled=result["status"] == "stopped"))
    return result


def evaluate(
    project: Path,
    run_id: int,
    dataset: str | None = None,
    labels: str | None = None,
    *,
    n_boot: int = 1000,
    report: Reporter = ignore,
    stop: StopToken | None = None,
) -> dict[str, Any]:
    """Metrics (each with a bootstrap 95 % interval) of a fine-tuned classifier on its own
    test split, or on every labeled item of another dataset / label set. Reports Progress
    while scoring the items (phase "scoring") and every 100 resamples (phase
    "resampling"); raises events.Stopped when ``stop`` is set before the report is done
    (nothing is stored by an evaluation, so nothing is lost)."""
    from ssl_studio.core.finetune.saved import JOB, evaluate_run

    def work() -> dict[str, Any]:
        return evaluate_run(
            Path(project), run_id, dataset, labels, n_boot=n_boot, report=report, stop=stop
        )

    return framed(JOB, Path(project), report, work, lambda result: result)


def label_efficiency(
    cfg: FinetuneConfig,
    *,
    ks: tuple[int | None, ...] = LABEL_EFFICIENCY_KS,
    seeds: tuple[int, ...] = (0, 1, 2),
    report: Reporter = ignore,
    stop: StopToken | None = None,
) -> dict[str, Any]:
    """The protocol and the from-scratch baseline at k labels per class (None: all) x
    seeds, on one fixed test split; returns and stores the curve (mean ± std and every
    seed's 95 % interval). See core/finetune/efficiency.py."""
    from ssl_studio.core.finetune import efficiency

    stop = stop or StopToken()
    report(Started(efficiency.JOB, total=len(ks) * len(seeds)))
    with told(cfg.project, lambda error: report(Failed(efficiency.JOB, error=error))):
        result = efficiency.label_efficiency(cfg, ks=ks, seeds=seeds, report=report, stop=stop)
    report(Finished(efficiency.JOB, result=result, cancelled=result["status"] == "stopped"))
    return result


def export(
    project: Path,
    run_id: int,
    out: Path,
    formats: tuple[str, ...] = ("torchscript", "onnx", "safetensors"),
    *,
    report: Reporter = ignore,
    stop: StopToken | None = None,
    details: CardDetails | None = None,
) -> dict[str, Any]:
    """Export a fine-tuning run to the folder ``out`` (TorchScript, ONNX checked against
    PyTorch with ONNX Runtime, safetensors, model card). Returns the model card; raises
    events.Stopped when stopped (between formats; nothing is written then). ``details``:
    the user's words for the card (export/card_details.py), kept in the project for the
    next exports; None: those the project keeps."""
    from ssl_studio.core.export.job import export_run

    def work() -> dict[str, Any]:
        return export_run(Path(project), run_id, Path(out), tuple(formats), report, stop, details)

    return framed("export", Path(project), report, work, lambda card: card)


def predict(
    export_dir: Path,
    paths: list[Path],
    out_csv: Path,
    *,
    report: Reporter = ignore,
    stop: StopToken | None = None,
    layout: str | None = None,
    overwrite: bool = False,
    layout_flag: str | None = None,
    windows: bool | str | Span = False,
    stride: str | Span | None = None,
) -> dict[str, Any]:
    """Class probabilities for files (DICOM, images or series) from an export folder
    alone; writes a CSV with one row per item (errors per file). Returns counts.
    ``layout``: how CSV series are laid out (default: as recorded in the card);
    ``overwrite``: replace ``out_csv`` if it exists (else that is refused up front);
    ``layout_flag``: the caller's way to give ``layout`` (the command line's --layout),
    named in errors; None where there is none (the app); ``windows``: series models
    only, one row per window of each series instead (True: the longest window the model
    was trained on; or "3000" steps, "10s"), a window starting every ``stride`` (default
    the window; export/series_windows.py)."""
    from ssl_studio.core.export.predict_job import predict as run_predict

    def work() -> dict[str, Any]:
        return run_predict(
            Path(export_dir),
            [Path(p) for p in paths],
            Path(out_csv),
            report=report,
            stop=stop,
            layout=layout,
            overwrite=overwrite,
            layout_flag=layout_flag,
            windows=windows,
            stride=stride,
        )

    # (no project: a failure names the export folder or the table, never a project.db)
    return framed("predict", None, report, work, lambda counts: counts, cancelled=_cancelled)


def _cancelled(result: dict[str, Any]) -> bool:
    return bool(result["cancelled"])
