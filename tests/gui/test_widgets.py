"""Smaller widgets: the options form built from a config dataclass, the live plot's
timer-driven redraw, and the results headline's verdict."""

from __future__ import annotations

import dataclasses

import pytest

from ssl_studio.core.config import TrainConfig
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.tasks.registry import TASKS
from ssl_studio.core.transforms.image_defaults import ImageAugmentConfig, default_augment
from ssl_studio.gui.live_plot import LivePlot
from ssl_studio.gui.options_form import OptionsForm
from ssl_studio.gui.wizard.results_page import ResultsPage


def test_options_form_is_built_from_the_dataclass(qtbot):
    form = OptionsForm(TrainConfig, skip=("device",))
    qtbot.addWidget(form)
    assert "device" not in form.editors and "lr" in form.editors and "steps" in form.editors
    assert form.changes() == {}  # defaults round-trip unchanged
    form.set_value("lr", 0.01)
    form.set_value("optimizer", "sgd")
    form.set_value("steps", "250")
    assert form.changes() == {"lr": 0.01, "optimizer": "sgd", "steps": 250}
    assert TrainConfig(**form.values()).steps == 250
    optimizer = form.editors["optimizer"][0]  # a list of the valid choices, not free text
    assert [optimizer.itemText(i) for i in range(optimizer.count())] == ["adamw", "sgd"]
    assert form.editors["lr"][0].toolTip().startswith("Peak learning rate")
    assert form.editors["weight_decay"][0].text() == "0.05"  # not 0.050000
    form.set_value("steps", "many")
    with pytest.raises(ConfigError, match="Steps must be a whole number"):
        form.values()
    for task in TASKS.values():  # every task's options make a form
        assert OptionsForm(task.Config).editors or not task.Config.__dataclass_fields__


def test_options_form_edits_ranges_and_reports_changes_from_where_it_started(qtbot):
    us = default_augment("US", 3)  # ultrasound may mirror: hflip starts on
    form = OptionsForm(ImageAugmentConfig, values=dataclasses.asdict(us))
    qtbot.addWidget(form)
    assert form.values()["hflip"] is True and form.values()["crop_scale"] == (0.35, 1.0)
    assert form.changes() == {}
    with qtbot.waitSignal(form.changed):
        form.set_value("hflip", False)  # off is the dataclass default, but a change here
    form.set_value("crop_scale", (0.6, 1.0))
    assert form.changes() == {"hflip": False, "crop_scale": (0.6, 1.0)}
    assert form.editors["gamma"][0].toolTip().startswith("Range of the gamma curve")


def test_live_plot_redraws_on_its_timer_not_per_point(qtbot):
    plot = LivePlot("loss")
    qtbot.addWidget(plot)
    plot.show()  # (a hidden plot draws nothing)
    for step in range(1, 1001):
        plot.append("loss", step, 1.0 / step)
    assert plot.curves["loss"].getData()[0] is None or len(plot.curves["loss"].xData) == 0

    def drawn() -> int:
        x = plot.curves["loss"].getData()[0]
        return 0 if x is None else len(x)

    qtbot.waitUntil(lambda: drawn() == 1000)
    x, y = plot.curves["loss"].getData()
    assert y[-1] == pytest.approx(1e-3)
    plot.append("loss", 1001, float("nan"))  # a non-finite value is never drawn
    assert plot.points("loss")[0].size == 1000


def _report(auc, low, high):
    return {"n": 40, "roc_auc": {"value": auc, "low": low, "high": high}}


@pytest.mark.parametrize(
    ("ft", "base", "verdict"),
    [
        ((0.95, 0.90, 0.99), (0.80, 0.7, 0.9), "Pretraining helped"),
        ((0.85, 0.70, 0.95), (0.83, 0.7, 0.9), "within the uncertainty"),
        ((0.60, 0.50, 0.70), (0.83, 0.75, 0.9), "from-scratch model did better"),
        # a perfect score's zero-width interval is not enough: 1.000 is inside the other's
        ((1.0, 1.0, 1.0), (0.979, 0.929, 1.0), "within the uncertainty"),
        ((1.0, 1.0, 1.0), (0.90, 0.80, 1.0), "Pretraining looks better, but the intervals"),
        ((0.90, 0.75, 0.99), (0.80, 0.7, 0.9), "Pretraining looks better, but the intervals"),
        # the same rule both ways: a 0.13 gap whose interval reaches the other's value
        ((0.70, 0.55, 0.85), (0.83, 0.65, 0.9), "from-scratch model looks better, but the"),
    ],
)
def test_the_headline_compares_with_the_baseline_honestly(ft, base, verdict):
    text = ResultsPage._headline({"run_id": 3, "protocol": "linear"}, _report(*ft), _report(*base))
    assert verdict in text and f"AUC {ft[0]:.3f}" in text


@pytest.mark.parametrize(
    ("paired", "verdict"),
    [
        ((0.02, 0.005, 0.04), "Pretraining helped"),  # the separate intervals overlap
        ((-0.02, -0.04, -0.005), "The from-scratch model did better"),
        ((0.06, -0.01, 0.12), "Pretraining looks better, but the interval of the difference"),
        ((0.02, -0.01, 0.05), "The difference is within the uncertainty"),
    ],
)
def test_the_headline_reads_the_paired_difference_when_the_run_has_it(paired, verdict):
    from ssl_studio.core.evaluation.comparison import verdict as core_verdict

    test = _report(0.85, 0.70, 0.95)
    test["versus_baseline"] = {"roc_auc": dict(zip(("value", "low", "high"), paired, strict=True))}
    base = _report(0.83, 0.70, 0.90)
    text = ResultsPage._headline({"run_id": 3, "protocol": "linear"}, test, base)
    said = core_verdict(test["roc_auc"], base["roc_auc"], test["versus_baseline"]["roc_auc"])
    assert said.startswith(verdict) and f"<b>{said}</b>. This rests on one run of each " in text
    assert "model on these test items; training again with other seeds or label draws" in text
    assert f"Fine-tuned minus from scratch: {paired[0]:+.3f}" in text and "paired" in text


def test_the_headline_withholds_the_paired_interval_of_too_few_patients():
    """8 test patients: the headline showed "-0.162 [-0.274, -0.035]" beside "too few test
    patients (8)"; the difference now stands without the interval, and no one-run
    sentence follows a verdict that names no winner."""
    test = {**_report(0.80, 0.70, 0.90), "patients": 8, "evaluation": "test split"}
    test["versus_baseline"] = {
        "n": 40,
        "patients": 8,
        "resampled": "items",
        "roc_auc": {"value": -0.162, "low": -0.274, "high": -0.035},
    }
    text = ResultsPage._headline({"run_id": 3, "protocol": "linear"}, test, _report(0.96, 0.9, 1))
    assert "Fine-tuned minus from scratch: -0.162 (paired bootstrap over the same test items; " in (
        text
    )
    assert "interval withheld: 8 test patients are too few to resample, and resampling" in text
    assert "-0.274" not in text and "This rests on" not in text
    assert "<b>Too few test patients (8) to tell the two models apart: put more" in text
    # several items a patient: the ECE's reference assumes independent items
    assert "<i>Calibration error: the reference assumes independent items: several" in text
    assert "independent" not in ResultsPage._headline(
        {"run_id": 3, "protocol": "linear"}, _report(0.9, 0.8, 1), _report(0.9, 0.8, 1)
    )


def test_click_to_label_collects_changes(qtbot, project, tmp_path):
    import numpy as np
    from PIL import Image

    from ssl_studio.core.config import ImportConfig
    from ssl_studio.core.jobs import import_data
    from ssl_studio.core.labels import set_labels
    from ssl_studio.core.viewing import DatasetView
    from ssl_studio.gui.wizard.label_dialog import UNLABELED, LabelDialog

    folder = tmp_path / "xr"
    folder.mkdir()
    for i in range(4):
        Image.fromarray(np.full((16, 16), 50 * i, np.uint8)).save(folder / f"{i}.png")
    import_data(ImportConfig(project=project, paths=[folder], cache_size=16))
    view = DatasetView.open(project, "xr")
    ids = [int(item["id"]) for item in view.items]
    dialog = LabelDialog(view, {ids[3]: "normal"})
    qtbot.addWidget(dialog)
    dialog.label.setCurrentText("effusion")
    dialog.label_index(dialog.model.index(0))
    dialog.label_index(dialog.model.index(1))
    dialog.label.setCurrentText(UNLABELED)
    dialog.label_index(dialog.model.index(3))
    assert dialog.changes == {ids[0]: "effusion", ids[1]: "effusion", ids[3]: None}
    assert dialog.counts.text() == "effusion: 2"
    report = set_labels(project, "xr", dialog.changes)
    assert report.classes == {"effusion": 2}


def test_training_curves_are_named_after_the_model_they_train():
    from ssl_studio.gui.wizard.train_page import fit_names

    assert fit_names("full", True, 2) == [
        "full, fold 1", "full, fold 2", "full",
        "from scratch, fold 1", "from scratch, fold 2", "from scratch",
    ]  # fmt: skip
    assert fit_names("linear", True, 0) == ["from scratch"]  # the probe has no steps
    assert fit_names("scratch", True, 0) == fit_names("scratch", False, 0) == ["from scratch"]


def test_plots_take_no_tab_stop(qtbot):
    from PySide6.QtCore import Qt

    from ssl_studio.gui.live_plot import LivePlot

    plot = LivePlot("loss")
    qtbot.addWidget(plot)
    assert plot.focusPolicy() == Qt.FocusPolicy.NoFocus  # Tab moves between controls


def test_a_single_curve_is_named_unless_the_title_already_names_it(qtbot):
    """The wizard's only curve may be the baseline's, so it is named; the pretraining
    loss, learning-rate and throughput plots hold one curve their title names, where a
    legend would only cover the curve."""
    named, plain = LivePlot("Training loss (one curve per model)"), LivePlot("lr", legend=False)
    for plot in (named, plain):
        qtbot.addWidget(plot)
        plot.append("from scratch", 1, 0.5)
    assert [label.text for _, label in named.plotItem.legend.items] == ["from scratch"]
    assert plain.plotItem.legend is None


def test_tab_leaves_the_tables_and_the_arrow_keys_move_within_them(qtbot):
    """Qt's tables kept Tab to go from cell to cell: Tab went in and never came out."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

    from ssl_studio.gui.tables import fill_table, make_table

    box = QWidget()
    qtbot.addWidget(box)
    before, table, after = QLineEdit(), make_table(("Fact", "Value")), QLineEdit()
    fill_table(table, [["a", 1], ["b", 2], ["c", 3]])
    layout = QVBoxLayout(box)
    for widget in (before, table, after):
        layout.addWidget(widget)
    with qtbot.waitActive(box):
        box.show()
        box.activateWindow()
    table.setFocus()
    table.setCurrentCell(0, 0)
    QTest.keyClick(table, Qt.Key.Key_Down)  # the arrow keys move within the table
    assert table.currentRow() == 1 and table.hasFocus()
    QTest.keyClick(table, Qt.Key.Key_Tab)
    assert after.hasFocus()
    QTest.keyClick(after, Qt.Key.Key_Backtab)
    QTest.keyClick(table, Qt.Key.Key_Backtab)
    assert before.hasFocus()


def test_no_table_of_the_window_or_the_wizard_keeps_tab(make_window, project):
    from PySide6.QtWidgets import QAbstractItemView

    window = make_window(project)
    wizard = window.open_wizard()
    views = window.findChildren(QAbstractItemView) + wizard.findChildren(QAbstractItemView)
    assert len(views) >= 10 and not [v for v in views if v.tabKeyNavigation()]


def test_a_series_channels_are_named_above_the_curves_not_over_them(qtbot, make_window, project):
    """The legend sat in the plot, over the first seconds of the curves; now it is a band
    above them, four names a row, the 16th channel on as "+N more"."""
    import numpy as np

    from ssl_studio.core.config import ImportConfig
    from ssl_studio.core.jobs import import_data

    folder = project.parent / "eeg"
    folder.mkdir()
    names = [f"ch{i}" for i in range(20)]
    for n in range(3):
        values = np.random.default_rng(n).normal(size=(30, 20))
        rows = [",".join(names)] + [",".join(f"{v:.3f}" for v in row) for row in values]
        (folder / f"rec{n}.csv").write_text("\n".join(rows) + "\n")
    import_data(ImportConfig(project=project, paths=[folder]))
    window = make_window(project)
    window.data.select_dataset("eeg")
    viewer = window.data.viewer
    labels = [label.text for _, label in viewer.legend.items]
    assert labels == [*names[:15], "+5 more"]
    box = viewer.plot.getPlotItem().getViewBox().sceneBoundingRect()
    assert viewer.legend.sceneBoundingRect().bottom() <= box.top() + 1


def test_a_lone_point_is_drawn_as_a_dot_and_a_line_takes_over_later(qtbot):
    """A run with one health check showed an empty plot (a line through one point draws
    nothing); a curve of fewer than three points now gets dots."""
    plot = LivePlot("Health")
    qtbot.addWidget(plot)
    plot.show()  # (a hidden plot draws nothing)
    plot.append("kNN accuracy", 50, 0.85)
    plot.redraw()
    assert plot.curves["kNN accuracy"].opts["symbol"] == "o"
    for step in (100, 150):
        plot.append("kNN accuracy", step, 0.9)
    plot.redraw()
    assert plot.curves["kNN accuracy"].opts["symbol"] is None


def test_a_run_too_short_for_a_health_check_says_so(qtbot):
    from ssl_studio.core.events import Step
    from ssl_studio.gui.panels.training_view import TrainingView

    view = TrainingView()
    qtbot.addWidget(view)
    view.health_every = 50
    step = Step("pretrain", step=1, total=40, epoch=0, loss=1.0, lr=0.1, samples_per_s=10)
    view.show_event(step, paused=False)
    assert "this run of 40 steps is too short for one" in view.health.text()
    view.show_event(Step("pretrain", step=1, total=60, epoch=0, loss=1.0, lr=0.1,
                         samples_per_s=10), paused=False)  # fmt: skip
    assert "first point at step 50" in view.health.text()


def test_facts_show_floats_as_the_window_controls_do():
    from ssl_studio.gui.viewer import _fact

    assert (_fact(121.26250000000005), _fact(512), _fact("CT")) == ("121.3", 512, "CT")


def test_the_card_the_wizard_and_the_command_line_word_the_paired_difference_alike(capsys):
    """One formatter (comparison.difference_text) and one phrase (paired_how): the card
    wrote a true minus, the wizard always said 'test items' even when patients were
    resampled."""
    from ssl_studio.cli_report import _print_paired
    from ssl_studio.core.evaluation.comparison import difference_text, paired_how
    from ssl_studio.core.export.card_text import baseline_comparison
    from ssl_studio.gui.wizard.results_page import ResultsPage

    def metric(value, low, high):
        return {"value": value, "low": low, "high": high}

    model = {"n": 40, "classes": ["a", "b"], "roc_auc": metric(0.9, 0.8, 0.97)}
    baseline = {"roc_auc": metric(0.92, 0.85, 0.98)}
    paired = {"resampled": "patients", "roc_auc": metric(-0.02, -0.061, 0.013)}
    said = difference_text(paired["roc_auc"])
    assert said == "-0.020 [-0.061, +0.013]" and difference_text(None) is None
    how = paired_how(paired)
    assert how == "paired bootstrap over the same test patients"
    test = {**model, "versus_baseline": paired}
    card = baseline_comparison(test, baseline)
    wizard = ResultsPage._headline({"run_id": 3, "protocol": "linear"}, test, baseline)
    _print_paired(paired, ["a", "b"])
    cli = capsys.readouterr().out
    for text in (card, wizard, cli):
        assert said in text and how in text, text


def test_the_headline_says_which_test_items_cannot_be_checked_later():
    """data_unchecked (finetune/split_changes.py) in the words the command line prints,
    beside the report's note, escaped as text."""
    from ssl_studio.core.evaluation.report_text import unchecked_note

    test = {
        **_report(0.9, 0.8, 0.97),
        "note": "Only 3 patient(s) <few>.",
        "data_unchecked": {"test": 5, "note": "5 of 40 test items have no content hash."},
    }
    text = ResultsPage._headline({"run_id": 3, "protocol": "linear"}, test, {})
    assert unchecked_note(test) == "5 of 40 test items have no content hash."
    assert "<i>5 of 40 test items have no content hash.</i>" in text
    assert "Only 3 patient(s) &lt;few&gt;." in text
    evaluated = {**test, "note": "x. 5 of 40 test items have no content hash."}
    text = ResultsPage._headline({"run_id": 3, "protocol": "linear"}, evaluated, {})
    assert text.count("no content hash") == 1  # evaluate's note says it already


def test_the_headline_names_no_winner_on_too_few_test_patients():
    test = _report(0.95, 0.90, 0.99) | {"n": 80, "patients": 8, "resampled": "items"}
    test["versus_baseline"] = {"roc_auc": {"value": 0.15, "low": 0.05, "high": 0.25}}
    text = ResultsPage._headline({"run_id": 3, "protocol": "linear"}, test, _report(0.8, 0.7, 0.9))
    assert "Pretraining helped" not in text and "80 test items from 8 patients" in text
    assert "<b>Too few test patients (8) to tell the two models apart" in text
    assert "more patients in the test split, or use cross-validation" in text


def test_options_form_has_a_field_for_every_option_of_a_module_without_future_import(
    qtbot,
):
    """Without ``from __future__ import annotations`` a field's type is the class, not its
    name: the form still makes every field (it once silently made none)."""
    from typing import Optional

    from ssl_studio.core.config_fields import option

    fields = [  # (as a module without the future import has them: classes, not text)
        ("rate", float, option(0.5, "A rate.")),
        ("width", int, option(8, "A width.")),
        ("shared", bool, option(True, "A switch.")),
        ("limit", Optional[int], option(None, "A limit, or automatic.")),  # noqa: UP045
        ("either", bool | None, option(None, "On, off or automatic.")),
        ("span", tuple[float, float], option((0.2, 1.0), "A range.")),
    ]
    plain = dataclasses.make_dataclass("PlainConfig", fields)
    assert dataclasses.fields(plain)[0].type is float
    form = OptionsForm(plain)
    qtbot.addWidget(form)
    assert list(form.editors) == [name for name, _, _ in fields]
    form.set_value("rate", 0.25)
    form.set_value("limit", "3")
    form.set_value("either", True)
    form.set_value("span", (0.5, 1.0))
    assert form.changes() == {"rate": 0.25, "limit": 3, "either": True, "span": (0.5, 1.0)}
    assert form.editors["rate"][0].toolTip() == "A rate."
