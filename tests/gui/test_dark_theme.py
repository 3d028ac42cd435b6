"""Under a dark desktop theme as under a light one, text keeps a 4.5:1 contrast (WCAG AA)
with what it is drawn on: the step list, shaded prediction rows, failure messages."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from ssl_studio.gui.colours import TONES, contrast, is_dark, shade, tone

Role = QPalette.ColorRole
DARK = {
    Role.Window: "#2b2b2b",
    Role.WindowText: "#e6e6e6",
    Role.Base: "#1e1e1e",
    Role.AlternateBase: "#2d2d2d",
    Role.Text: "#e6e6e6",
    Role.Button: "#353535",
    Role.ButtonText: "#e6e6e6",
    Role.Highlight: "#2a82da",
    Role.HighlightedText: "#ffffff",
}


def dark_palette() -> QPalette:
    palette = QStyleFactory.create("Fusion").standardPalette()
    for role, colour in DARK.items():
        palette.setColor(role, QColor(colour))
    return palette


def light_palette() -> QPalette:
    return QStyleFactory.create("Fusion").standardPalette()


PALETTES = {"dark": dark_palette, "light": light_palette}


@pytest.fixture(params=PALETTES)
def theme(request, qapp):
    """The application's palette set to a dark or a light theme for the test, then restored."""
    app = QApplication.instance()
    before = app.palette()
    app.setPalette(PALETTES[request.param]())
    yield request.param
    app.setPalette(before)


def drawn_contrast(image: QImage, region: QRect) -> float:
    """The contrast between a region's background (its top-left pixel) and the pixel of
    its text farthest from it: what a reader actually sees."""
    background = image.pixelColor(region.topLeft())
    return max(
        contrast(background, image.pixelColor(x, y))
        for x in range(region.left(), region.right())
        for y in range(region.top(), region.bottom())
    )


def test_tones_read_on_their_window_light_and_dark():
    """A dark red on a light window, a light red on a dark one; every tone >= 4.5:1."""
    dark, light = dark_palette(), light_palette()
    assert is_dark(dark) and not is_dark(light)
    assert QColor(tone("red", dark)).lightness() > 150 > QColor(tone("red", light)).lightness()
    for name in TONES:
        assert contrast(QColor(tone(name, dark)), dark.color(Role.Window)) >= 4.5, name
        assert contrast(QColor(tone(name, light)), light.color(Role.Window)) >= 4.5, name


def test_the_step_list_reads_and_marks_focus(make_window, project, theme):
    """The step list fixed a pale background and left the text to the palette: light grey
    on pale grey (1.13:1) under a dark theme, and its stylesheet hid the focus frame."""
    window = make_window(project)
    window.show_step(0)
    QApplication.processEvents()
    nav = window.nav
    image = nav.grab().toImage()
    rect = nav.visualItemRect(nav.item(2))  # not the selected one
    assert drawn_contrast(image, rect.adjusted(2, 2, -2, -2)) >= 4.5
    nav.clearFocus()
    QApplication.processEvents()
    unfocused = nav.grab().toImage()
    nav.setFocus()
    QApplication.processEvents()
    if not nav.hasFocus():
        pytest.skip("no keyboard focus on this platform")
    focused = nav.grab().toImage()
    edge = nav.height() - 1
    ring = focused.pixelColor(0, edge)
    assert ring == nav.palette().color(Role.Highlight) != unfocused.pixelColor(0, edge)


def test_shaded_prediction_rows_keep_their_text_readable(make_window, project, tmp_path, theme):
    """Error and noted rows were shaded pale red/orange under the palette's text: light text
    on a pale shade under a dark theme."""
    window = make_window(project)
    window.resize(1280, 800)
    window.show_step(5)
    rows = [
        ["/x/a.dcm", 0, "0.9", "0.1", "pneumonia", "", "A CT image; trained on PNG."],
        ["/x/b.dcm", 0, "", "", "", "The file is truncated.", ""],
        ["/x/c.png", 0, "0.1", "0.9", "normal", "", ""],
    ]
    out = tmp_path / "predictions.csv"
    with out.open("w", newline="") as f:
        header = ["path", "index", "p_a", "p_b", "predicted", "error", "note"]
        csv.writer(f).writerows([header, *rows])
    panel = window.export
    panel._predicted({"cancelled": False, "items": 2, "errors": 1, "out": str(out)})
    QApplication.processEvents()
    table = panel.predictions
    palette = table.palette()
    for row in (0, 1):
        column = 4 if row == 0 else 5
        background = table.background(row, column).color()
        assert background != palette.color(Role.Base)  # still shaded...
        foreground = (
            table.foreground(row, column).color()
            if table.foreground(row, column).style().name != "NoBrush"
            else palette.color(Role.Text)
        )
        assert contrast(foreground, background) >= 4.5  # ...and readable
    assert table.background(0, 0).color() != table.background(1, 0).color()
    assert table.background(0, 0).color() == shade("orange", palette)


def test_failure_messages_use_a_red_that_reads_on_a_dark_window(make_window, project):
    window = make_window(project)
    window.setPalette(dark_palette())  # (a widget's own palette is followed too)
    panel = window.export
    panel._failed("The disk is full.")
    assert tone("red", dark_palette()) in panel.status.text()
    assert "#b71c1c" not in panel.status.text()


def test_a_labelled_thumbnail_s_caption_reads_on_a_dark_list(theme):
    """The caption of a labelled item was a fixed dark blue (#1565c0): 2.6:1 on a dark list."""
    from types import SimpleNamespace

    from ssl_studio.gui.thumbnails import ThumbnailModel

    model = ThumbnailModel()
    model.view = SimpleNamespace(items=[{"id": 7}])
    model.set_labels({7: "pneumonia"})
    caption = model.data(model.index(0), Qt.ItemDataRole.ForegroundRole)
    base = QApplication.palette().color(Role.Base)
    assert contrast(caption, base) >= 4.5


def test_a_failed_run_s_red_reads_on_a_dark_window(theme):
    """The training view's failure and collapse warnings were a fixed #b71c1c (2.2:1 on
    #2b2b2b)."""
    from ssl_studio.gui.panels.training_view import TrainingView

    view = TrainingView()
    view.show_failed("Out of memory.")
    red = tone("red", QApplication.palette())
    assert f"color:{red}" in view.notice.text()
    window = QApplication.palette().color(Role.Window)
    assert contrast(QColor(red), window) >= 4.5
