"""Notes beside form fields reach a screen reader: the task's and the protocol's
explanations, how the test items are held out and the operating point's note are each
their field's accessible description (read when the field gets the focus), in plain words,
and kept current as the note changes. Before, only sighted users read them."""

from __future__ import annotations

from PySide6.QtGui import QAccessible

from ssl_studio.gui.field_notes import plain_words

from gui_helpers import import_shapes


def _description(widget) -> str:
    return QAccessible.queryAccessibleInterface(widget).text(QAccessible.Text.Description)


def test_the_pretext_task_s_explanation_is_the_task_list_s_description(
    make_window, project, tmp_path
):
    window = make_window(import_shapes(project, tmp_path))
    window.show_step(1)
    form = window.pretrain.form
    said = _description(form.task_list)
    assert said == plain_words(form.explanation) and said and "<b>" not in said
    first = form.task_list.currentItem().text()
    form.task_list.setCurrentRow(1 if form.task_list.currentRow() == 0 else 0)
    assert form.task_list.currentItem().text() != first
    assert _description(form.task_list) == plain_words(form.explanation) != said
    assert _description(form.preset).startswith("Detected: ")  # the hardware note


def _protocol_page(window, smallest):
    wizard = window.open_wizard()
    wizard.run_id, wizard.class_names = 1, ["benign", "malignant"]
    wizard.smallest_patients, wizard.folds = smallest, 0
    wizard.labeled = [(c, None, f"{c}{i}") for c in wizard.class_names for i in range(smallest)]
    page = wizard.pages["protocol"]
    page.initializePage()
    return page


def test_the_protocol_page_s_notes_are_their_fields_descriptions(make_window, project):
    page = _protocol_page(make_window(project), 30)
    said = _description(page.protocol)
    assert "Recommended for 24 training labels" in said and "<b>" not in said
    assert said == plain_words(page.explanation)
    assert _description(page.test_fraction).startswith("About 20% of the labeled items")
    page.test_fraction.setValue(0.3)
    assert _description(page.test_fraction).startswith("About 30% of the labeled items")
    point = page.operating
    point.method.setCurrentIndex(point.method.findData("youden"))
    assert _description(point.method) == plain_words(point.note) != ""
    assert _description(point.val_fraction) == plain_words(point.note)
    assert "Another 20% is held out to pick the threshold" in _description(page.test_fraction)
