"""Embedding map: a run's embeddings in 2-D, coloured by label or metadata; hover shows the
item, a click (or the arrow keys, see map_keys.py) shows it with its nearest neighbours and
can open it in the viewer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ssl_studio.core.evaluation.embedding_map import EmbeddingMap, embedding_map, umap_available
from ssl_studio.core.map_colours import colourings, groups
from ssl_studio.core.pretrain import USABLE_STATUSES
from ssl_studio.core.project.store import Store
from ssl_studio.core.viewing import DatasetView
from ssl_studio.gui.context import AppContext
from ssl_studio.gui.live_plot import COLOURS, SYMBOLS, add_legend, on_white
from ssl_studio.gui.markup import esc, rich, tip
from ssl_studio.gui.panels.map_keys import (
    ARROWS,
    FOCUS_FRAME,
    HOW_TO_KEYS,
    nearest_in_direction,
    on_screen,
)
from ssl_studio.gui.panels.map_neighbours import NeighbourPictures, neighbour_words
from ssl_studio.gui.panels.map_runs import natural_order, preferred, run_text
from ssl_studio.gui.pictures import to_pixmap

NEIGHBOURS = 8


HOW_TO = (
    "Pick a finished pretraining run and press Compute map: every item becomes a dot, and "
    "items the network finds similar land close together."
)
NO_RUN = (
    "There is no pretraining run to map yet: run one under <b>Pretrain</b>, then come back "
    "here to see how its encoder lays out your items."
)
CLICK_A_DOT = "Click a dot (or use the arrow keys on the map) to see its nearest neighbours."


class MapPanel(QWidget):
    """Choose a pretraining run, compute its map, explore it."""

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.map: EmbeddingMap | None = None
        self.view: DatasetView | None = None
        self.rows: dict[int, int] = {}  # item id -> row in self.view
        self.grouped: dict[str, list[str]] = {}  # colouring -> each dot's group
        self.run_box = QComboBox()  # as wide as its longest run, filled after the first show
        self.run_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.run_box.setMinimumContentsLength(20)
        self.method = QComboBox()
        self.method.addItem("PCA", "pca")
        if umap_available():
            self.method.addItem("UMAP", "umap")
        self.colour_by = QComboBox()
        self.colour_by.addItems(colourings("image"))
        self.colour_by.setToolTip(
            "Colouring by something other than the label shows what else the encoder "
            "picked up: a cluster that follows the folder, the patient or the size more than "
            "the label is worth knowing about."
        )
        self.colour_by.currentTextChanged.connect(self._draw)
        self.compute_button = QPushButton("Compute map")
        self.compute_button.clicked.connect(self.compute)
        # two rows: a run's name says how it ended ("— done, 200 steps") and needs room
        # in a window narrower than the screen's width
        controls = QVBoxLayout()
        rows = (
            (("R&un", self.run_box), ("&Method", self.method), (None, self.compute_button)),
            (("&Colour by", self.colour_by),),
        )  # Alt+U, M, C ("&Run" would be the menu's)
        for pairs in rows:
            row = QHBoxLayout()
            for text, widget in pairs:
                if text:
                    label = QLabel(text)
                    label.setBuddy(widget)
                    row.addWidget(label)
                row.addWidget(widget)
            row.addStretch(1)
            controls.addLayout(row)
        self.note = rich(QLabel(HOW_TO))  # the dataset's name escaped
        self.note.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the arrow keys choose dots
        self.plot.setStyleSheet(FOCUS_FRAME)
        self.plot.installEventFilter(self)
        self.plot.setAccessibleName("Embedding map")
        on_white(self.plot)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.legend = add_legend(self.plot)  # dark text on a pale backing
        self.scatters: list[pg.ScatterPlotItem] = []
        self.drawn: list[str] = []  # each dot's group as drawn (categories, once a colouring)
        self.marks: pg.ScatterPlotItem | None = None  # rings round the chosen dot
        self.marked: tuple[int, list[int]] | None = None  # (position, its neighbours)
        self.hover = QLabel("Hover over a dot.")
        self.hover.setFixedSize(160, 180)
        self.hover.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hover.setWordWrap(True)
        self.position: int | None = None  # the chosen dot
        self.chosen = rich(QLabel(CLICK_A_DOT))  # the item's name escaped
        self.chosen.setWordWrap(True)
        self.open_button = QPushButton("Open in the viewer")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open_item)
        self.neighbours = NeighbourPictures(NEIGHBOURS)
        self.neighbour_words = ""  # the chosen dot's neighbours in words (its description)
        side = QVBoxLayout()
        side.addWidget(self.hover)
        side.addWidget(self.chosen)
        side.addWidget(self.open_button)
        side.addLayout(self.neighbours.grid)
        side.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.plot, 1)
        body.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.note)
        layout.addLayout(body, 1)
        self._describe()
        self.map_run: int | None = None  # the run the map shows
        self.computing_run: int | None = None
        self.preferred_run: Any = None  # (run id, dataset) reload chose; the user may
        context.changed.connect(self._changed)  # choose another, which a reload keeps
        context.releasing.connect(self._release)
        self.reload()

    def _changed(self, what: str) -> None:
        if what == "project":
            self._forget()
        if what in ("project", "runs"):
            self.reload(keep=what == "runs")
        listed = {self.run_box.itemData(i)[0] for i in range(self.run_box.count())}
        if what == "runs" and self.map is not None and self.map_run not in listed:
            self._forget()  # (its run was deleted)
        if what == "labels" and self.map is not None and self.view is not None:
            self._relabel()

    @property
    def selected_item(self) -> int | None:
        """The chosen dot's item id (None: none chosen)."""
        if self.map is None or self.position is None:
            return None
        return int(self.map.item_ids[self.position])

    def _release(self, dataset: str) -> None:
        """Drop a map of ``dataset``, which is about to be removed (its cache files)."""
        if self.view is not None and self.view.name == dataset:
            self._forget()

    def _forget(self) -> None:
        """Drop the map: it shows another project's items."""
        self.map, self.view, self.rows, self.grouped = None, None, {}, {}
        self.marked, self.position = None, None
        self._draw()
        self.note.setText(HOW_TO if self.run_box.count() else NO_RUN)
        self.chosen.setText(CLICK_A_DOT)
        self.hover.setText("Hover over a dot.")
        self.neighbours.clear()
        self.neighbour_words = ""
        self.open_button.setEnabled(False)

    def _relabel(self) -> None:
        """New labels colour the map at once; the embeddings themselves do not change."""
        assert self.map is not None and self.view is not None and self.context.project
        labels: dict[int, str] = {}
        with self.context.reading(self), Store.open(self.context.project) as store:
            found = store.dataset(self.view.name)
            labels = store.latest_label_set(found["id"]) if found else {}
        self.map.labels = [labels.get(i, "") for i in self.map.item_ids]
        self._draw()
        if self.position is not None:  # the neighbours' labels, named and said, change too
            self.choose(self.position)

    def reload(self, keep: bool = False) -> None:
        """List the pretraining runs that can be mapped, newest first, each with how it
        ended; the newest done one is chosen (a run stopped early maps poorly), or with
        ``keep`` another one the user chose, while it is listed."""
        kept = self.run_box.currentData() if keep else None
        kept = None if kept == self.preferred_run else kept
        self.run_box.clear()
        runs: list[dict[str, Any]] = []
        names: dict[int, str] = {}
        saved: dict[int, list[int]] = {}  # run id -> the steps of its checkpoints
        failed = False
        if self.context.project is not None:
            with self.context.reading(self) as read, Store.open(self.context.project) as store:
                names = {d["id"]: d["name"] for d in store.datasets()}
                usable = [
                    run
                    for run in reversed(store.runs())
                    if run["kind"] == "pretrain" and run["status"] in USABLE_STATUSES
                ]
                saved = {r["id"]: [c["step"] for c in store.checkpoints(r["id"])] for r in usable}
                runs = usable  # (all read, or none: a read that failed lists nothing)
            failed = bool(read.error)  # told in a dialog: not "no run yet"
            for run in runs:
                dataset = names[run["dataset_id"]]
                self.run_box.addItem(run_text(run, dataset, saved[run["id"]]), (run["id"], dataset))
            if runs:
                listed = [self.run_box.itemData(i) for i in range(len(runs))]
                self.preferred_run = listed[preferred(runs, saved)]
                self.run_box.setCurrentIndex(
                    listed.index(kept if kept in listed else self.preferred_run)
                )
        self.compute_button.setEnabled(bool(runs))
        self.run_box.setEnabled(bool(runs))
        if self.map is None and not failed:
            self.note.setText(HOW_TO if runs else NO_RUN)

    def compute(self) -> bool:
        chosen = self.run_box.currentData()
        if chosen is None or self.context.project is None:
            return False
        run_id, dataset = chosen
        project, method = self.context.project, self.method.currentData()

        def work(report: Any, stop: Any) -> tuple[EmbeddingMap, DatasetView]:
            found = embedding_map(project, run_id, dataset, method, report=report, stop=stop)
            return found, DatasetView.open(project, dataset)

        self.computing_run = run_id

        title = f"Embedding map of run {run_id}"
        return self.context.run(self, title, work, self._computed, writes=False)

    def _computed(self, result: tuple[EmbeddingMap, DatasetView]) -> None:
        self.map, self.view = result
        self.map_run = self.computing_run
        self.marked = self.position = None  # positions of the last map mean nothing here
        self._offer_colourings(self.view.modality)
        self.rows = {int(item["id"]): row for row, item in enumerate(self.view.items)}
        self.grouped = {}
        self.note.setText(
            f"{len(self.map.item_ids)} items of '{esc(self.view.name)}', laid out by "
            f"{self.map.method.upper()} of the run's embeddings."
        )
        self._draw()

    def _offer_colourings(self, modality: str) -> None:
        """The "Colour by" choices that mean something for this kind of data (a series
        has a length, not a scanner), keeping the current one where it still applies."""
        wanted = colourings(modality)
        if tuple(self.colour_by.itemText(i) for i in range(self.colour_by.count())) == wanted:
            return
        current = self.colour_by.currentText()
        self.colour_by.blockSignals(True)
        self.colour_by.clear()
        self.colour_by.addItems(wanted)
        self.colour_by.setCurrentIndex(max(0, self.colour_by.findText(current)))
        self.colour_by.blockSignals(False)

    def categories(self) -> list[str]:
        """Each dot's group under the current colouring (worked out by ``_draw``, which
        keeps them as ``drawn``)."""
        assert self.map is not None and self.view is not None
        key = self.colour_by.currentText()
        if key == "label":
            return [label or "unlabeled" for label in self.map.labels]
        if key not in self.grouped:  # (the map's items do not change: once per colouring)
            items = [self.view.items[self.rows[i]] for i in self.map.item_ids]
            self.grouped[key] = groups(items, key)
        return self.grouped[key]

    def _draw(self, *_: Any) -> None:
        """Colour the dots by the current "Colour by": one scatter item per group, each
        with a symbol of its own (not colour alone). The items are kept from one colouring
        to the next and given their new dots and style (making them anew, with their scene
        and legend entries, blocked the window up to 0.5 s at 30 000 dots)."""
        if self.marks is not None:
            self.plot.removeItem(self.marks)
        self.legend.clear()
        self.drawn = []
        if self.map is None:
            self._keep_scatters(0)
            self._describe()
            return
        if self.marked is not None:
            self._mark(*self.marked)
        self.drawn = self.categories()  # (once: a chosen dot reads its group here)
        categories = np.array(self.drawn)
        names = sorted(set(self.drawn), key=natural_order)
        self._keep_scatters(len(names))
        coloured = 0  # groups given a colour so far: grey ones take none
        for scatter, name in zip(self.scatters, names, strict=True):
            where = np.flatnonzero(categories == name)
            grey = name == "unlabeled" or name.startswith("other (")  # (map_colours._capped)
            colour = "#bbbbbb" if grey else COLOURS[coloured % len(COLOURS)]
            symbol = "o" if grey else SYMBOLS[coloured % len(SYMBOLS)]  # not colour alone
            coloured += not grey
            scatter.setData(
                pos=self.map.xy[where],
                data=where,
                symbol=symbol,
                brush=pg.mkBrush(colour),
                pen=pg.mkPen(colour),  # ("+" and "x" are drawn by their outline)
                name=f"{name} ({len(where)})",
            )
            self.legend.addItem(scatter, esc(scatter.name()))  # (drawn as markup)
        self._describe()  # (the colouring may have changed)

    def _keep_scatters(self, count: int) -> None:
        """Have exactly ``count`` scatter items on the plot: the ones there are kept, more
        are made (hover and click wired once), the surplus removed."""
        while len(self.scatters) > count:
            self.plot.removeItem(self.scatters.pop())
        while len(self.scatters) < count:
            scatter = pg.ScatterPlotItem(size=8, hoverable=True, hoverSize=12)
            scatter.sigHovered.connect(self._hovered)
            scatter.sigClicked.connect(self._clicked)
            self.plot.addItem(scatter)  # (unnamed yet: _draw puts it in the legend)
            self.scatters.append(scatter)

    def _thumbnail(self, position: int, size: int) -> Any:
        assert self.map is not None and self.view is not None
        row = self.rows[self.map.item_ids[position]]
        return to_pixmap(self.view.thumbnail(row, size), size)

    def _name(self, position: int) -> str:
        """Item ``position`` of the map as the viewer names it ("Series 1 of 40 (item 401)")."""
        assert self.map is not None and self.view is not None
        return self.view.item_name(self.rows[self.map.item_ids[position]])

    def _hovered(self, _: Any, points: Any, __: Any) -> None:
        if self.map is None or len(points) == 0:
            return
        position = int(points[0].data())
        self.hover.setPixmap(self._thumbnail(position, 150))
        self.hover.setToolTip(tip(self._name(position)))

    def _clicked(self, _: Any, points: Any, __: Any) -> None:
        if len(points):
            self.choose(int(points[0].data()))

    def choose(self, position: int) -> list[int]:
        """Show item ``position`` of the map and its nearest neighbours; returns their ids."""
        assert self.map is not None
        self.position = position
        neighbours = self.map.neighbours(position, NEIGHBOURS)
        labels = [self.map.labels[n] or "unlabeled" for n in neighbours]
        self.neighbours.show(
            [
                (self._thumbnail(n, 68), f"{self._name(n)}: {label}")
                for n, label in zip(neighbours, labels, strict=True)
            ]
        )
        ids = [int(self.map.item_ids[n]) for n in neighbours]
        self.neighbour_words = neighbour_words(list(zip(ids, labels, strict=True)))
        self.open_button.setEnabled(True)
        self._mark(position, neighbours)
        self._describe()
        return [self.map.item_ids[n] for n in neighbours]

    def _group(self, position: int) -> str:
        """The item's label, and its group where the map is coloured by something else:
        "a", or "a; folder: scans/b"."""
        assert self.map is not None
        label = self.map.labels[position] or "unlabeled"
        key = self.colour_by.currentText()
        return label if key == "label" else f"{label}; {key}: {self.drawn[position]}"

    def _describe(self) -> None:
        """Say which dot is chosen, and its group under the current colouring, beside the
        map and to a screen reader (the plot's description)."""
        if self.map is None:
            self.plot.setAccessibleDescription("No map yet. " + HOW_TO.split(": ")[0] + ".")
            return
        chosen = "No dot is chosen."
        if self.position is not None:
            name, group = self._name(self.position), self._group(self.position)  # (once)
            chosen = f"Chosen: {name}, {group}. {self.neighbour_words}".rstrip()
            self.chosen.setText(f"<b>{esc(name)}</b> ({esc(group)}) and its nearest neighbours:")
        self.plot.setAccessibleDescription(
            f"{len(self.map.xy)} items, coloured by {self.colour_by.currentText()}. "
            f"{chosen} {HOW_TO_KEYS}"
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.plot and event.type() == QEvent.Type.KeyPress:
            return self._key(Qt.Key(event.key())) if isinstance(event, QKeyEvent) else False
        return super().eventFilter(watched, event)

    def _key(self, key: Qt.Key) -> bool:
        """Arrows, Home and Enter on the map; whether the key was used."""
        if self.map is None or not len(self.map.item_ids):
            return False
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open_item()
            return True
        if key == Qt.Key.Key_Home or (key in ARROWS and self.position is None):
            found: int | None = 0
        elif key in ARROWS and self.position is not None:
            screen = on_screen(self.plot, self.map.xy)
            found = nearest_in_direction(screen, self.position, ARROWS[key])
        else:
            return False
        if found is not None:
            self.choose(found)
            self.hover.setPixmap(self._thumbnail(found, 150))  # as a hover would show it
        return True

    def _mark(self, position: int, neighbours: list[int]) -> None:
        """Ring the chosen dot (black) and its neighbours (grey) on the map."""
        assert self.map is not None
        self.marked = (position, neighbours)
        if self.marks is None:
            self.marks = pg.ScatterPlotItem(brush=pg.mkBrush(None))
            self.marks.setZValue(10)  # above the dots
        if self.marks.scene() is None:  # not on the plot yet, or removed by a redraw
            self.plot.addItem(self.marks)
        ringed = [*neighbours, position]
        pens = [pg.mkPen("#777777", width=1.5)] * len(neighbours) + [pg.mkPen("k", width=2.5)]
        self.marks.setData(pos=self.map.xy[ringed], pen=pens, size=[12] * len(neighbours) + [16])

    def _open_item(self) -> None:
        if self.selected_item is not None and self.view is not None:
            self.context.show_item.emit(self.view.name, self.selected_item)
