"""Screenshots of every screen of the real application, for the README.

Run under a real X server so the pictures are what a user sees:

    xvfb-run -s "-screen 0 1280x800x24" .venv/bin/python resources/screenshots/take_screenshots.py

It builds a project in a temporary folder from the demo data (chest X-rays with 20 labels
per class, a few CT slices from pydicom's test files), pretrains a short run, walks the
fine-tune wizard and exports, grabbing the screen at each step into resources/screenshots/.
Takes a few minutes on a 2-core CPU.
"""

from __future__ import annotations

import csv
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pydicom
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.labels import labels_from_csv
from ssl_studio.gui.app import application
from ssl_studio.gui.main_window import MainWindow
from ssl_studio.resources import demo_dir

OUT = Path(__file__).resolve().parent
CT_FILES = ("CT_small.dcm", "693_J2KI.dcm", "J2K_pixelrep_mismatch.dcm")
LABELS_PER_CLASS = 20


def settle(app: QApplication, seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def wait(app: QApplication, condition, timeout: float = 1200) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("waited too long")
        app.processEvents()
        time.sleep(0.02)


def shoot(app: QApplication, widget: QWidget, name: str) -> None:
    """Grab the real screen area of ``widget``'s window (what Xvfb shows)."""
    settle(app)
    window = widget.window()
    screen = window.screen()
    g = window.frameGeometry()
    screen.grabWindow(0, g.x(), g.y(), g.width(), g.height()).save(str(OUT / f"{name}.png"))
    print(f"saved {name}.png ({g.width()} x {g.height()})")


def build_project(root: Path) -> Path:
    project = create_project(root / "chest-study")
    import_data(ImportConfig(project=project, paths=[demo_dir() / "chest-xray"], cache_size=64))
    ct = root / "ct-examples"
    ct.mkdir()
    corpus = Path(pydicom.__file__).parent / "data" / "test_files"
    for name in CT_FILES:
        shutil.copy(corpus / name, ct / name)
    import_data(ImportConfig(project=project, paths=[ct], cache_size=256))
    import_data(ImportConfig(project=project, paths=[demo_dir() / "basic-motions"]))
    with open(demo_dir() / "chest-xray-labels.csv") as f:
        rows = list(csv.DictReader(f))
    few: list[dict[str, str]] = []
    for c in ("normal", "pneumonia"):
        few += [r for r in rows if r["label"] == c][:LABELS_PER_CLASS]
    subset = root / "few-labels.csv"
    with open(subset, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["path", "label"])
        writer.writeheader()
        writer.writerows(few)
    labels_from_csv(project, "chest-xray", subset, name="diagnosis")
    return project


def main() -> int:
    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = build_project(root)
        settings = QSettings(str(root / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(None, settings=settings)
        window.resize(1280, 800)
        window.move(0, 0)
        window.show()
        wait(app, lambda: window.context.hardware["device"] != "…", 60)
        window.open_project(project)
        window.open_project(None)
        shoot(app, window, "01-welcome")

        window.open_project(project)
        window.data.select_dataset("ct-examples")
        viewer = window.data.viewer
        viewer.preset.setCurrentText("Lung")
        viewer.full_res.setChecked(True)
        wait(app, lambda: viewer.resolution.text().startswith("Full resolution"), 60)
        shoot(app, window, "02-data-viewer")
        window.data.select_dataset("basic-motions")
        shoot(app, window, "02b-data-series")

        window.show_step(1)
        panel = window.pretrain
        form = panel.form  # (the options; the panel holds the live view and Start)
        form.dataset.setCurrentText("chest-xray")
        form.advanced_toggle.setChecked(True)
        settle(app)
        augment = form.advanced.augment_form
        form.advanced.setCurrentWidget(augment)
        augment.set_value("crop_scale", (0.6, 1.0))
        settle(app)  # lay the tab out, then scroll: the preview on top, the options below
        scroll = panel.findChild(QScrollArea)
        scroll.verticalScrollBar().setValue(form.preview_box.y() - 8)
        shoot(app, window, "03b-pretrain-augmentation")
        augment.set_value("crop_scale", (0.35, 1.0))
        form.advanced_toggle.setChecked(False)
        form.steps.setValue(120)
        form.train_form.set_value("health_every_steps", 20)
        panel.start()
        wait(
            app,
            lambda: (
                panel.view.loss_plot.buffers.get("loss") is not None
                and panel.view.loss_plot.buffers["loss"].n >= 40
            ),
        )
        shoot(app, window, "03-pretrain-live")
        wait(app, lambda: panel.last_summary is not None and not window.runner.busy)
        run_id = panel.last_summary["run_id"]

        window.show_step(3)
        window.runs.select_run(run_id)
        shoot(app, window, "04-runs")

        window.show_step(4)
        window.map.compute()
        wait(app, lambda: window.map.map is not None and not window.runner.busy)
        window.map.choose(0)
        shoot(app, window, "05-embedding-map")

        wizard = window.open_wizard(run_id)
        wizard.move(150, 40)
        wizard.next()
        labels = wizard.pages["labels"]
        for i in range(labels.label_set.count()):
            if labels.label_set.itemData(i) == "diagnosis":
                labels.label_set.setCurrentIndex(i)
        shoot(app, wizard, "06-wizard-labels")
        wizard.next()
        shoot(app, wizard, "07-wizard-protocol")
        wizard.next()
        wait(app, lambda: wizard.result is not None and not window.runner.busy)
        wizard.next()
        shoot(app, wizard, "08-wizard-results")
        wizard.next()
        export = wizard.pages["export"]
        export.export()
        wait(app, lambda: export.exported is not None and not window.runner.busy)
        shoot(app, wizard, "09-wizard-export")
        wizard.accept()
        window.show_step(2)
        shoot(app, window, "09b-finetune-panel")

        window.show_step(5)
        pneumonia = demo_dir() / "chest-xray" / "pneumonia"
        window.export.predict_folder(pneumonia, root / "predictions-pneumonia.csv")
        wait(app, lambda: not window.runner.busy)
        shoot(app, window, "10-export-predict")
        guide = window.show_guide()
        guide.move(280, 60)
        shoot(app, guide, "11-guide")
        guide.close()
        window.close()
        window.deleteLater()
        settle(app, 0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
