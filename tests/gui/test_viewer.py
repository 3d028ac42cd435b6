"""The viewer's DICOM windowing on a real CT, the lazy thumbnail grid, and the map panel."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import import_data
from ssl_studio.core.viewing import DatasetView, apply_window, drag_window, window_number
from ssl_studio.gui.pictures import to_qimage
from ssl_studio.gui.thumbnails import ThumbnailModel, thumbnail_view
from ssl_studio.gui.viewer import ItemViewer


def _shown(viewer: ItemViewer) -> np.ndarray:
    image = viewer.canvas.pixmap.toImage().convertToFormat(to_qimage(np.zeros((1, 1))).format())
    return np.array(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())[
        :, : image.width()
    ]


def _mouse(kind, point: QPoint, button=Qt.MouseButton.LeftButton) -> QMouseEvent:
    buttons = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseButtonRelease else button
    p = QPointF(point)
    return QMouseEvent(kind, p, p, button, buttons, Qt.KeyboardModifier.NoModifier)


def _ct_in_viewer(qtbot, project, dicom_file, folder, cache_size):
    """pydicom's 128 x 128 CT imported from ``folder`` and shown: (view, viewer)."""
    folder.mkdir()
    (folder / "ct.dcm").write_bytes(dicom_file("CT_small.dcm").read_bytes())
    import_data(ImportConfig(project=project, paths=[folder], cache_size=cache_size))
    view = DatasetView.open(project, folder.name)
    viewer = ItemViewer()
    qtbot.addWidget(viewer)
    viewer.show()
    viewer.show_item(view, 0)
    return view, viewer


def test_ct_window_presets_and_window_level_by_drag(qtbot, project, dicom_file, tmp_path):
    view, viewer = _ct_in_viewer(qtbot, project, dicom_file, tmp_path / "ct", 64)
    item = view.items[0]
    hu = view.image(0)[0]
    assert hu.min() < -500 < 500 < hu.max()  # real Hounsfield units from the cache
    default = (item["window_center"], item["window_width"])
    assert (viewer.center, viewer.width_) == default  # the window from the DICOM tags
    assert np.array_equal(_shown(viewer), apply_window(hu, *default))

    viewer.preset.setCurrentText("Lung")
    assert (viewer.center, viewer.width_) == (-600.0, 1500.0)
    assert np.array_equal(_shown(viewer), apply_window(hu, -600, 1500))
    assert viewer.window_label.text() == "C -600 HU  W 1500 HU" and viewer.preset.isEnabled()
    viewer.preset.setCurrentText("Bone")
    assert np.array_equal(_shown(viewer), apply_window(hu, 400, 1800))

    start = QPoint(50, 50)
    canvas = viewer.canvas
    QApplication.sendEvent(canvas, _mouse(QMouseEvent.Type.MouseButtonPress, start))
    QApplication.sendEvent(canvas, _mouse(QMouseEvent.Type.MouseMove, start + QPoint(40, -20)))
    QApplication.sendEvent(canvas, _mouse(QMouseEvent.Type.MouseButtonRelease, start))
    span = item["p_high"] - item["p_low"]
    expected = drag_window(400, 1800, 40, -20, span)
    assert (viewer.center, viewer.width_) == expected and expected[1] > 1800
    assert np.array_equal(_shown(viewer), apply_window(hu, *expected))
    facts = {viewer.metadata.item(r, 0).text() for r in range(viewer.metadata.rowCount())}
    assert {"Modality", "Tube voltage (kVp)", "Read as"} <= facts  # people's words
    assert not {f for f in facts if "key" in f.lower() or "patient" in f.lower()}


def test_the_window_can_be_set_with_the_arrow_keys(qtbot, project, dicom_file, tmp_path):
    """Without a mouse: Tab reaches the image, Right widens the window, Up raises its
    centre (Shift: five times the step), as the same drag would, and the label follows."""
    view, viewer = _ct_in_viewer(qtbot, project, dicom_file, tmp_path / "ct", 64)
    span = view.items[0]["p_high"] - view.items[0]["p_low"]
    canvas = viewer.canvas
    assert canvas.focusPolicy() & Qt.FocusPolicy.TabFocus and canvas.accessibleName()
    canvas.setFocus()
    qtbot.waitUntil(canvas.hasFocus)
    highlight = canvas.palette().highlight().color()
    assert canvas.grab().toImage().pixelColor(1, 1) == highlight  # a frame shows the focus
    start = (viewer.center, viewer.width_)
    QTest.keyClick(canvas, Qt.Key.Key_Right)
    wider = drag_window(*start, 10, 0, span)
    assert (viewer.center, viewer.width_) == wider and wider[1] > start[1]
    QTest.keyClick(canvas, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    higher = drag_window(*wider, 0, 50, span)
    assert (viewer.center, viewer.width_) == higher and higher[0] > wider[0]
    QTest.keyClick(canvas, Qt.Key.Key_Down)
    QTest.keyClick(canvas, Qt.Key.Key_Left)
    back = drag_window(*drag_window(*higher, 0, -10, span), -10, 0, span)
    assert (viewer.center, viewer.width_) == back
    c, w = window_number(back[0]), window_number(back[1])
    assert viewer.window_label.text() == f"C {c} HU  W {w} HU"
    assert f"window centre {c} HU, width {w} HU." in canvas.accessibleDescription()
    assert np.array_equal(_shown(viewer), apply_window(view.image(0)[0], *back))


def test_full_resolution_reads_the_original_without_blocking(qtbot, project, dicom_file, tmp_path):
    folder = tmp_path / "ct"
    view, viewer = _ct_in_viewer(qtbot, project, dicom_file, folder, 32)
    assert _shown(viewer).shape == (32, 32) and "the original is 128 x 128 px" in (
        viewer.resolution.text()
    )
    viewer.preset.setCurrentText("Lung")
    viewer.full_res.setChecked(True)  # shows the cache at once, then the original
    qtbot.waitUntil(lambda: _shown(viewer).shape == (128, 128), timeout=30_000)
    assert viewer.resolution.text().startswith("Full resolution: 128 x 128 px")
    assert (viewer.center, viewer.width_) == (-600.0, 1500.0)  # the window stays
    assert np.array_equal(_shown(viewer), apply_window(view.source_image(0)[0], -600, 1500))

    (folder / "ct.dcm").rename(folder / "moved.dcm")
    viewer.show_item(view, 0)
    qtbot.waitUntil(lambda: "no longer where it was imported" in viewer.resolution.text())
    assert _shown(viewer).shape == (32, 32)  # the cached copy stays on screen
    viewer.full_res.setChecked(False)
    assert viewer.resolution.text().startswith("Cached copy (32 px)")


def test_a_viewer_deleted_mid_read_gets_nothing_and_collection_waits_for_the_read(
    qtbot, project, dicom_file, tmp_path, monkeypatch
):
    """The full-resolution read emitted the viewer's own signal from the worker (unsafe
    while the viewer is being deleted) and let Python's collector run on the worker while
    it decoded (see gui_thread_gc.py); now the worker only meets the program-long relay,
    and the collector is held from the read's start until its answer is on the GUI thread."""
    import threading

    from PySide6.QtCore import QThreadPool
    from shiboken6 import isValid

    from ssl_studio.gui.background_read import _the_relay
    from ssl_studio.gui.gui_thread_gc import collector

    view, viewer = _ct_in_viewer(qtbot, project, dicom_file, tmp_path / "ct", 32)
    release, reading, held_while_reading = threading.Event(), threading.Event(), []
    source_image = DatasetView.source_image

    def slow(self, row):
        held_while_reading.append(collector().holds)
        reading.set()
        assert release.wait(30)
        return source_image(self, row)

    monkeypatch.setattr(DatasetView, "source_image", slow)
    before = collector().holds
    viewer.full_res.setChecked(True)  # the read starts
    assert reading.wait(30)
    assert held_while_reading == [before + 1]  # no collection on the worker meanwhile
    relay, number = _the_relay(), viewer.source_reader.number
    delivered = []
    relay.delivered.connect(lambda n, request, answer: delivered.append(n))
    viewer.deleteLater()
    qtbot.waitUntil(lambda: not isValid(viewer), timeout=10_000)
    assert number not in relay.readers  # (so the answer has nobody to go to)
    release.set()
    assert QThreadPool.globalInstance().waitForDone(30_000)
    qtbot.waitUntil(lambda: collector().holds == before, timeout=10_000)
    assert delivered == [number]  # the read ended and its answer reached only the relay


def test_a_full_resolution_read_for_an_item_no_longer_shown_is_dropped(
    qtbot, project, dicom_file, tmp_path, monkeypatch
):
    import threading

    from PySide6.QtCore import QThreadPool

    view, viewer = _ct_in_viewer(qtbot, project, dicom_file, tmp_path / "ct", 32)
    release = threading.Event()
    source_image = DatasetView.source_image
    monkeypatch.setattr(
        DatasetView, "source_image", lambda self, row: release.wait(30) and source_image(self, row)
    )
    viewer.full_res.setChecked(True)
    viewer.clear("Another dataset")  # (the item is no longer shown)
    release.set()
    assert QThreadPool.globalInstance().waitForDone(30_000)
    qtbot.wait(50)  # (the answer's queued delivery)
    assert viewer.canvas.pixmap.isNull() and viewer.resolution.text() == ""


class _BigView:
    """A stand-in for a DatasetView of 100 000 items (the model only needs these)."""

    name, modality = "big", "image"

    def __init__(self, n: int) -> None:
        self.items = [{"id": i, "modality": "CT"} for i in range(n)]

    def thumbnail(self, row: int, size: int) -> np.ndarray:
        return np.full((size, size), row % 256, np.uint8)


def test_the_thumbnail_grid_makes_only_what_is_on_screen(qtbot):
    model = ThumbnailModel()
    model.set_view(_BigView(100_000))
    grid = thumbnail_view(model)
    qtbot.addWidget(grid)
    grid.resize(800, 600)
    grid.show()
    qtbot.waitUntil(lambda: model.made > 0)
    qtbot.wait(200)
    assert model.rowCount() == 100_000
    assert 0 < model.made < 300  # one screenful, not 100 000
    first = model.made
    grid.scrollToBottom()
    # the last rows are made (the bottom screenful), and only those
    qtbot.waitUntil(lambda: 99_999 in model._cache)
    qtbot.wait(200)
    assert first < model.made < 600


def test_a_series_is_drawn_with_its_column_names_in_seconds(qtbot, project, tmp_path):
    folder = tmp_path / "vitals"
    folder.mkdir()
    (folder / "a.csv").write_text("time,ecg,resp\n0,1,5\n0.5,2,6\n1.0,3,7\n1.5,4,8\n")
    import_data(ImportConfig(project=project, paths=[folder]))
    viewer = ItemViewer()
    qtbot.addWidget(viewer)
    viewer.show_item(DatasetView.open(project, "vitals"), 0)
    curves = viewer.plot.getPlotItem().listDataItems()
    assert [c.name() for c in curves] == ["ecg", "resp"]
    x, y = curves[1].getData()
    assert x.tolist() == [0, 0.5, 1.0, 1.5] and y.tolist() == [5, 6, 7, 8]  # 2 per second
    assert viewer.plot.getPlotItem().getAxis("bottom").labelText == "time (s)"
    assert viewer.title.text().endswith(": a.csv")  # which file the recording came from
    facts = {
        viewer.metadata.item(r, 0).text(): viewer.metadata.item(r, 1).text()
        for r in range(viewer.metadata.rowCount())
    }
    assert facts["File format"] == "CSV" and facts["Channel names"] == "ecg, resp"


def test_a_series_is_named_by_its_place_in_its_dataset_beside_its_id(qtbot, project, tmp_path):
    """Item ids count on across datasets (and an NPZ holds many series): the viewer and the
    grid say which series of the dataset it is, and its id (the one a labels CSV uses)."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "first.npz", X=rng.normal(size=(5, 2, 30)))
    np.savez(tmp_path / "motion.npz", X=rng.normal(size=(4, 2, 30)))
    import_data(ImportConfig(project=project, paths=[tmp_path / "first.npz"], name="first"))
    import_data(ImportConfig(project=project, paths=[tmp_path / "motion.npz"], name="motion"))
    view = DatasetView.open(project, "motion")
    assert [int(item["id"]) for item in view.items] == [6, 7, 8, 9]
    viewer = ItemViewer()
    qtbot.addWidget(viewer)
    viewer.show_item(view, 1)
    assert viewer.title.text() == ("<b>Series 2 of 4 (item 7)</b> in dataset 'motion': motion.npz")
    model = ThumbnailModel()
    model.set_view(view, {8: "walking"})
    tips = [model.data(model.index(row), Qt.ItemDataRole.ToolTipRole) for row in (1, 2)]
    assert tips == ["Series 2 of 4 (item 7), NPZ", "Series 3 of 4 (item 8), NPZ: walking"]


def test_colour_dicom_is_shown_in_colour_and_a_small_window_with_its_digits(
    qtbot, project, dicom_file, tmp_path
):
    """pydicom's palette-colour ultrasound: colour in the viewer and its thumbnail (it was
    grey), no window presets; an RT dose's window of about 0.46 Gy reads "W 0.459", not
    "W 0"."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in ("examples_palette.dcm", "rtdose_1frame.dcm"):
        (folder / name).write_bytes(dicom_file(name).read_bytes())
    import_data(ImportConfig(project=project, paths=[folder], cache_size=64))
    view = DatasetView.open(project, "mixed")
    viewer = ItemViewer()
    qtbot.addWidget(viewer)
    viewer.show()
    rows = {item["modality"]: row for row, item in enumerate(view.items)}
    viewer.show_item(view, rows["US"])
    picture = viewer.canvas.pixmap.toImage()
    assert not picture.isGrayscale() and viewer.window_label.text() == "colour image"
    assert not viewer.preset.isEnabled()
    thumb = view.thumbnail(rows["US"], 32)
    assert thumb.shape[-1] == 3 and np.abs(np.diff(thumb.astype(int), axis=-1)).max() > 20
    viewer.show_item(view, rows["RTDOSE"])
    item = view.items[rows["RTDOSE"]]
    assert 0.1 < item["window_width"] < 1  # in Gy
    assert (
        viewer.window_label.text() == f"C {item['window_center']:.4g}  W {item['window_width']:.4g}"
    )
    assert viewer.window_label.text() != "C 1  W 0"


def test_the_empty_data_page_shows_no_viewer_controls_until_an_item_is_chosen(
    qtbot, make_window, project, tmp_path
):
    """No black box, no Window list and no facts table beside "No data yet": a neutral
    note; an image chosen brings them (and the next project without data hides them)."""
    from gui_helpers import import_shapes

    window = make_window(project)
    viewer = window.data.viewer
    assert window.data.empty.isVisible()
    for part in (viewer.canvas, viewer.controls, viewer.preset, viewer.metadata, viewer.title):
        assert not part.isVisible()
    assert viewer.stack.currentWidget() is viewer.placeholder and viewer.placeholder.isVisible()
    assert "Nothing to view yet" in viewer.placeholder.text()
    import_shapes(project, tmp_path)
    window.context.notify("datasets")
    assert window.data.view is not None and viewer.row == 0  # the first item is shown
    for part in (viewer.canvas, viewer.controls, viewer.preset, viewer.metadata, viewer.title):
        assert part.isVisible()
    viewer.clear()  # another dataset chosen: nothing shown until its item is
    assert viewer.placeholder.text() == "Select an item to view it."
    assert not viewer.controls.isVisible() and not viewer.canvas.isVisible()
