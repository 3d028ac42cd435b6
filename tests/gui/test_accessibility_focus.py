"""The keyboard focus around a job's buttons: a button pressed from the keyboard and then
turned off for the job hands the focus to the job's next control (Pause, the curve's Stop,
Card details), and gets it back when the job ends. Qt sent it down the tab chain: after
Start, a keyboard user had to Tab through the whole form to reach Pause or Stop."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from test_results_export_reading import _six_items

from gui_helpers import OPTIONS, import_shapes

WAIT_MS = 20_000


def _until_stopped(result: dict):
    """A job that runs until Stop is pressed, then returns ``result``."""

    def job(*_args, report, stop, **_kwargs):
        while not stop.stopped:
            time.sleep(0.01)
        return result

    return job


def _on_page(wizard, name: str):
    """The wizard shown on its page ``name`` (with the result of ``_six_items``)."""
    wizard.result, wizard.options, wizard.per_class = _six_items(), dict(OPTIONS), 6
    wizard.setStartId(wizard.pageIds()[list(wizard.pages).index(name)])
    wizard.restart()
    assert wizard.currentPage() is wizard.pages[name]
    return wizard.pages[name]


def test_start_hands_the_focus_to_pause_and_gets_it_back_when_the_run_ends(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    stopped = {"run_id": 1, "status": "stopped", "steps": 1, "seconds": 1.0, "final_loss": None}
    monkeypatch.setattr("ssl_studio.gui.panels.pretrain_panel.pretrain", _until_stopped(stopped))
    window = make_window(import_shapes(project, tmp_path))
    window.show_step(1)
    panel = window.pretrain
    panel.start_button.setFocus()
    qtbot.keyClick(panel.start_button, Qt.Key.Key_Space)
    assert window.runner.busy and not panel.start_button.isEnabled()
    assert window.focusWidget() is panel.pause_button  # not the step list
    qtbot.keyClick(panel.pause_button, Qt.Key.Key_Space)
    assert window.runner.paused and window.focusWidget() is panel.pause_button
    qtbot.keyClick(panel.pause_button, Qt.Key.Key_Tab)
    assert window.focusWidget() is panel.stop_button
    qtbot.keyClick(panel.stop_button, Qt.Key.Key_Space)  # all three off until the end
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert panel.start_button.isEnabled() and window.focusWidget() is panel.start_button


def test_a_run_s_end_leaves_the_focus_the_user_moved_elsewhere(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    stopped = {"run_id": 1, "status": "stopped", "steps": 1, "seconds": 1.0, "final_loss": None}
    monkeypatch.setattr("ssl_studio.gui.panels.pretrain_panel.pretrain", _until_stopped(stopped))
    window = make_window(import_shapes(project, tmp_path))
    window.show_step(1)
    panel = window.pretrain
    panel.start_button.setFocus()
    qtbot.keyClick(panel.start_button, Qt.Key.Key_Space)
    panel.form.steps.setFocus()  # the user went on with the form
    window.runner.stop()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert window.focusWidget() is panel.form.steps


def test_the_label_efficiency_button_hands_the_focus_to_its_stop_and_gets_it_back(
    qtbot, make_window, project, monkeypatch
):
    monkeypatch.setattr(
        "ssl_studio.gui.wizard.results_page.label_efficiency",
        _until_stopped({"status": "stopped", "curve": []}),
    )
    window = make_window(project)
    wizard = window.open_wizard()
    results = _on_page(wizard, "results")
    results.curve_button.setFocus()
    qtbot.keyClick(results.curve_button, Qt.Key.Key_Space)
    assert window.runner.busy and not results.curve_button.isEnabled()
    assert wizard.focusWidget() is results.curve_stop and results.curve_stop.isEnabled()
    qtbot.keyClick(results.curve_stop, Qt.Key.Key_Space)  # stops the curve
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert "stopped before its first point" in results.curve_note.text()
    assert not results.curve_stop.isEnabled()
    assert wizard.focusWidget() is results.curve_button


def test_export_hands_the_focus_to_card_details_and_gets_it_back(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    stopped = {"status": "stopped"}
    monkeypatch.setattr("ssl_studio.gui.wizard.export_page.export", _until_stopped(stopped))
    window = make_window(project)
    wizard = window.open_wizard()
    export = _on_page(wizard, "export")
    export.folder.setText(str(tmp_path / "model"))
    export.export_button.setFocus()
    qtbot.keyClick(export.export_button, Qt.Key.Key_Space)
    assert window.runner.busy and not export.export_button.isEnabled()
    assert wizard.focusWidget().text() == "Card &details…"  # on the page, beside Export
    window.runner.stop()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert wizard.focusWidget() is export.export_button


def test_tab_reaches_start_pause_and_stop_before_the_view_s_log_scale(
    make_window, project, tmp_path
):
    window = make_window(import_shapes(project, tmp_path))
    window.show_step(1)
    panel = window.pretrain
    wanted = [panel.start_button, panel.pause_button, panel.stop_button, panel.view.loss_log_y]
    order, widget = [], panel.form.steps
    for _ in range(2000):  # the window's focus chain, from the form's last field on
        widget = widget.nextInFocusChain()
        if any(widget is w for w in wanted):
            order.append(wanted.index(widget))
        if len(order) == len(wanted) or widget is panel.form.steps:
            break
    assert order == [0, 1, 2, 3]
