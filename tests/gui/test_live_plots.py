"""The live plots: drawn in one go from arrays, redrawn only on new data (at most ten times
a second) and only while shown, a smoothed loss with a log-scale toggle, a resumed run's
history on the live view."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QElapsedTimer, Qt
from PySide6.QtTest import QTest

from ssl_studio.core.project.store import Store
from ssl_studio.gui.live_plot import REDRAW_MS, LivePlot

from gui_helpers import add_runs


def _drawn_x(curve) -> np.ndarray:
    """The x of what a curve draws (pyqtgraph gives None for none)."""
    x = curve.getData()[0]
    return np.array([]) if x is None else x


# ---- LivePlot --------------------------------------------------------------------------------


def test_set_curve_draws_the_finite_points_of_whole_arrays_in_one_go(qtbot):
    """A finished run's 57 600 losses went in one Python append at a time (0.45 s); the
    points are the same (a non-finite value is still left out) without any append."""
    plot = LivePlot("loss")
    qtbot.addWidget(plot)
    plot.show()  # (a hidden plot draws nothing)
    plot.append("run 1", 0, 9.0)

    def no_append(*_args):
        raise AssertionError("set_curve appended point by point")

    plot.append = no_append
    x = np.arange(1, 8)
    y = np.array([1.0, np.nan, 0.5, np.inf, 0.25, -np.inf, 0.125])
    plot.set_curve("run 1", x, y)
    plot.set_curve("run 2", x, y * 2)
    for name, scale in (("run 1", 1), ("run 2", 2)):
        drawn_x, drawn_y = plot.curves[name].getData()
        assert drawn_x.tolist() == [1, 3, 5, 7]
        assert drawn_y.tolist() == [scale * v for v in (1.0, 0.5, 0.25, 0.125)]
        assert plot.points(name)[0].tolist() == [1, 3, 5, 7]
    plot.set_curve("run 1", x, np.full(7, np.nan))  # nothing finite left: nothing drawn
    assert _drawn_x(plot.curves["run 1"]).size == 0 and plot.points("run 1")[0].size == 0
    plot.set_curve("run 3", x, np.full(7, np.nan))  # (as append: no curve for no point)
    assert "run 3" not in plot.curves
    del plot.append  # the method again: a curve replaced by set_curve still grows
    plot.append("run 2", 8, 0.1)
    plot.redraw()
    assert plot.curves["run 2"].getData()[0].tolist() == [1, 3, 5, 7, 8]


def test_an_idle_plot_wakes_nothing_and_new_data_is_drawn_at_most_ten_times_a_second(qtbot):
    """Each plot's 10 Hz timer ran from its creation for ever (65 timers, 650 wake-ups a
    second with a few wizards left open); now new data starts one frame."""
    plot = LivePlot("loss")
    qtbot.addWidget(plot)
    plot.show()  # (a hidden plot draws nothing)
    assert not plot.timer.isActive()
    plot.append("loss", 1, 1.0)
    assert plot.timer.isActive()
    qtbot.waitUntil(lambda: _drawn_x(plot.curves["loss"]).size == 1, timeout=2000)
    assert not plot.timer.isActive()  # drawn: nothing more to do
    frames = []
    plot.curves["loss"].sigPlotChanged.connect(lambda *_: frames.append(1))
    clock = QElapsedTimer()
    clock.start()
    step = 1
    while clock.elapsed() < 6 * REDRAW_MS:  # a flood of points, as a fast run sends them
        step += 1
        plot.append("loss", step, 1.0 / step)
        QTest.qWait(2)
    elapsed = clock.elapsed()
    qtbot.waitUntil(lambda: not plot.timer.isActive(), timeout=2000)
    assert plot.curves["loss"].getData()[0][-1] == step  # the last point is drawn
    assert 1 <= len(frames) <= elapsed // REDRAW_MS + 2  # one frame per 100 ms at most
    plot.clear_curves()
    assert not plot.timer.isActive()


def test_the_smoothed_loss_is_an_exponential_average_corrected_for_its_start():
    from ssl_studio.gui.smoothing import smoothed

    rng = np.random.default_rng(0)
    y = 2.0 + rng.standard_normal(5_000)
    span = 5_000 // 50  # a fiftieth of the points
    keep = 1 - 2 / (span + 1)
    average, weight, expected = 0.0, 0.0, []
    for value in y:  # by hand
        average = keep * average + (1 - keep) * value
        weight = keep * weight + (1 - keep)
        expected.append(average / weight)
    np.testing.assert_allclose(smoothed(y), expected, rtol=1e-9)
    assert smoothed(y)[0] == y[0]  # not pulled towards zero at the start
    assert smoothed(y).std() < y.std() / 5
    np.testing.assert_array_equal(smoothed(y[:40]), y[:40])  # a few points: as they are
    assert smoothed(np.array([])).size == 0


def test_a_live_curve_draws_the_average_of_every_point_it_was_sent(qtbot):
    """Points sent over several frames: the average drawn is that of the whole curve,
    worked out by hand (150 points: a span of 3, so each average keeps half of the last)."""
    plot = LivePlot("loss", smooth=True)
    qtbot.addWidget(plot)
    plot.show()  # (a hidden plot draws nothing)
    y = [4.0, 0.0, 2.0, 6.0, 1.0] * 30
    for step, value in enumerate(y, start=1):
        plot.append("loss", step, value)
        if step in (7, 80):
            plot.redraw()
    plot.redraw()
    average, weight, expected = 0.0, 0.0, []
    for value in y:
        average, weight = 0.5 * average + 0.5 * value, 0.5 * weight + 0.5
        expected.append(average / weight)
    assert expected[:3] == [4.0, 4 / 3, 12 / 7]
    x, drawn = plot.smooth_curves["loss"].getData()
    np.testing.assert_array_equal(x, np.arange(1, 151))
    np.testing.assert_allclose(drawn, expected, rtol=1e-12)
    plot.set_curve("loss", np.arange(10), np.array(y[:10]))  # a new curve: averaged anew,
    np.testing.assert_array_equal(plot.smooth_curves["loss"].getData()[1], y[:10])  # (short)


def test_the_live_loss_is_drawn_faint_under_its_average_with_a_log_scale_toggle(qtbot):
    """After thousands of steps the raw loss was a noisy band scaled to the first steps'
    loss; now a smoothed curve over the faint raw one, and a log scale a key away."""
    from ssl_studio.core.events import Step
    from ssl_studio.gui.panels.training_view import TrainingView

    view = TrainingView()
    qtbot.addWidget(view)
    view.show()
    noise = np.random.default_rng(0).standard_normal(1000)
    for step in range(1, 1001):
        loss = 5 * np.exp(-step / 150) + 0.5 + 0.2 * noise[step - 1]
        view.show_event(
            Step("pretrain", step=step, total=1000, epoch=0, loss=loss, lr=0.1, samples_per_s=9),
            paused=False,
        )
    view.loss_plot.redraw()
    raw = view.loss_plot.curves["loss"]
    average = view.loss_plot.smooth_curves["loss"]
    assert len(average.getData()[0]) == len(raw.getData()[0]) == 1000
    assert raw.opts["pen"].color().lightness() > average.opts["pen"].color().lightness() + 60
    assert average.zValue() > raw.zValue()
    wiggle = np.diff(average.getData()[1][500:]).std()  # where the trend is nearly flat
    assert wiggle < np.diff(raw.getData()[1][500:]).std() / 10
    box = view.loss_log_y
    assert box.isVisible() and box.accessibleName() == "Log scale"
    assert "Training loss" in box.accessibleDescription()  # the plot it acts on
    assert box.focusPolicy() & Qt.FocusPolicy.TabFocus  # Tab reaches it
    assert not view.loss_plot.plotItem.ctrl.logYCheck.isChecked()
    box.setFocus()
    QTest.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked() and view.loss_plot.plotItem.ctrl.logYCheck.isChecked()
    assert not view.lr_plot.plotItem.ctrl.logYCheck.isChecked()  # the loss plot only
    box.click()
    assert not view.loss_plot.plotItem.ctrl.logYCheck.isChecked()


# ---- resuming -----------------------------------------------------------------------------


def test_resuming_a_run_shows_its_stored_curves_before_its_new_points(qtbot, make_window, project):
    """The live plots began at the resume step: the hours before it were gone from view."""
    (run,) = add_runs(project, 1, points=200)
    with Store.open(project, write=True) as store:  # logged after its last checkpoint
        store.add_metrics(run, [(s, 0, "loss", 9.0) for s in (201, 202)])
    window = make_window(project)
    view = window.pretrain.view
    assert window.pretrain.resume(run, "chest")
    qtbot.waitUntil(lambda: "kNN accuracy" in view.health_plot.buffers, timeout=10_000)
    x, y = view.loss_plot.points("loss")
    assert x.tolist() == list(range(1, 201))  # up to the checkpoint it goes on from
    np.testing.assert_allclose(y, 5.0 / x + 0.5)
    assert view.lr_plot.points("lr")[0].size == 200
    assert view.speed_plot.points("samples/s")[0].size == 200
    assert view.health_plot.points("embedding spread")[0].tolist() == list(range(100, 201, 100))
    assert view.health_plot.points("kNN accuracy")[1].tolist() == [0.7, 0.7]
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)


def test_resuming_a_run_reads_the_project_once_off_the_window_thread(
    qtbot, make_window, project, monkeypatch
):
    """The live view's history and the run's health interval were two openings of the
    project on the window's thread, then one; now one off it (a long run's curves take a
    while to read)."""
    import threading

    from ssl_studio.gui.panels import pretrain_panel

    (run,) = add_runs(project, 1, points=200)
    window = make_window(project)
    opened: list[str] = []  # on the window's thread
    original = Store.open.__func__

    def counted(cls, root, **kwargs):
        if threading.current_thread() is threading.main_thread():
            opened.append(kwargs.get("purpose", ""))
        return original(cls, root, **kwargs)

    read = pretrain_panel.read_stored_history
    reads: list[threading.Thread] = []

    def recorded(*args):
        reads.append(threading.current_thread())
        return read(*args)

    monkeypatch.setattr(Store, "open", classmethod(counted))
    monkeypatch.setattr(pretrain_panel, "read_stored_history", recorded)
    assert window.pretrain.resume(run, "chest")
    assert opened == []  # (nothing on the window's thread)
    view = window.pretrain.view
    qtbot.waitUntil(lambda: "kNN accuracy" in view.health_plot.buffers, timeout=10_000)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    assert len(reads) == 1 and reads[0] is not threading.main_thread()


def test_the_health_legend_hides_no_curve(qtbot):
    """Top right in the plot, the legend covered the end of the kNN accuracy curve (it
    rises to the top right); it now has a row of its own above the curves."""
    from ssl_studio.core.events import Health
    from ssl_studio.gui.panels.training_view import TrainingView

    view = TrainingView()
    qtbot.addWidget(view)
    view.resize(700, 700)
    view.show()
    for step, knn in ((100, 0.5), (200, 0.8), (300, 0.95)):
        view.show_event(
            Health("pretrain", step=step, embedding_std=0.3, effective_rank=5.0, knn_accuracy=knn),
            paused=False,
        )
    plot = view.health_plot
    plot.redraw()
    legend_item = plot.plotItem.legend
    assert len(legend_item.items) == 2
    view_box = plot.plotItem.vb
    qtbot.waitUntil(  # (once the layout has placed it)
        lambda: not legend_item.sceneBoundingRect().intersects(view_box.sceneBoundingRect()),
        timeout=2000,
    )
    curves, legend = view_box.sceneBoundingRect(), legend_item.sceneBoundingRect()
    assert legend.height() > 0 and legend.right() > curves.center().x()  # right-aligned
    assert legend.bottom() <= curves.top()  # above the curves, under the title
    assert legend.top() >= plot.plotItem.titleLabel.sceneBoundingRect().bottom() - 1


def test_a_narrow_plot_keeps_its_curves_inside_with_the_legend_row(qtbot):
    """The legend row may be cut short in a narrow plot; the curves' box never reaches
    past the widget's right edge (a fixed-width legend widened the layout beyond it)."""
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from ssl_studio.gui.live_plot import LivePlot

    plot = LivePlot("Health", legend_offset=None)
    qtbot.addWidget(plot)
    plot.resize(420, 260)
    plot.show()
    x = np.arange(0, 1000, 100.0)
    for name in ("kNN accuracy", "spread", "collapse"):
        plot.set_curve(name, x, np.linspace(0.1, 0.9, len(x)))
    plot.redraw()
    box = plot.plotItem.vb
    qtbot.waitUntil(lambda: box.sceneBoundingRect().width() > 0, timeout=2000)
    plot.resize(250, 260)
    qtbot.waitUntil(lambda: plot.width() == 250, timeout=2000)
    QApplication.processEvents()
    assert box.sceneBoundingRect().right() <= plot.width()


def test_the_axes_and_their_text_read_on_the_white_plot(qtbot):
    """pyqtgraph's default grey axis text (150, 150, 150) is 3:1 on white; text needs 4.5:1."""
    from PySide6.QtGui import QColor

    from ssl_studio.gui.colours import contrast

    plot = LivePlot("loss", x_label="step", y_label="loss")
    qtbot.addWidget(plot)
    background = plot.backgroundBrush().color()
    assert background == QColor("white")
    for name in ("left", "bottom"):
        axis = plot.getPlotItem().getAxis(name)
        for pen in (axis.textPen(), axis.pen()):
            assert contrast(pen.color(), background) >= 4.5, (name, pen.color().name())
        assert contrast(QColor(axis.labelStyle["color"]), background) >= 4.5  # "step", "loss"
