"""The window's three panes, sidebar | papers | details, with the details below the papers in a narrow window.

A drop-in for the main window's horizontal :class:`QSplitter`: add the three
panes with :meth:`addWidget`; :meth:`sizes`, :meth:`setSizes`,
:meth:`saveState` and :meth:`restoreState` speak of the three panes as a flat
splitter does. Inside, the papers and the details share a second splitter that
turns vertical when the window is narrower than :data:`NARROW_BELOW`, so at
800x600 the table keeps its columns and the details get the full width.

The sidebar is as wide as its names need (its :meth:`~QWidget.sizeHint`), up to a fifth
of the window, until the user drags its edge: from then on their width is kept,
and saved with the rest of the state. Folder panes in mail and reference managers do the same.
Beside the papers, the details are at least as wide as their content wants (their
:meth:`~QWidget.sizeHint`) unless the user dragged them narrower.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from PySide6.QtCore import QByteArray, QDataStream, QEvent, QIODevice, QObject, Qt
from PySide6.QtWidgets import QSplitter, QWidget

#: Below this width (px) the details go below the papers: beside them the table would be too narrow
#: for its titles (sidebar about 200 px and details about 380 px leave a 1024 px window a 420 px table).
NARROW_BELOW = 1100
#: How a narrow window shares its height between the papers and the details, at first.
NARROW_SHARE = (1, 1)
#: The widest a sidebar that fits its names gets, as a share of the window's width: at 1600 px,
#: 320 px shows "Reading group: diffusion models 2026" whole; at 800 px it stays at its minimum.
SIDEBAR_SHARE = 0.2
_MARK = b"papershelf-splitter:"
_QT_SPLITTER_MAGIC = 0xFF


class ResponsiveSplitter(QSplitter):
    """Sidebar | (papers beside, or above, details), by the window's width."""

    def __init__(
        self,
        orientation: Qt.Orientation = Qt.Orientation.Horizontal,
        parent: QWidget | None = None,
        *,
        narrow_below: int = NARROW_BELOW,
    ):
        # Always horizontal outside; the argument is there to match QSplitter's signature.
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.narrow_below = narrow_below
        self.inner = QSplitter(Qt.Orientation.Horizontal)
        self.inner.setObjectName("papersSplitter")
        self._panes: list[QWidget] = []
        #: The papers/details sizes last used beside each other and one above the other.
        self._remembered: dict[Qt.Orientation, list[int]] = {}
        #: Whether the sidebar follows its names (see :meth:`set_default_sizes`); False once the user,
        #: or :meth:`setSizes`, gave it a width.
        self.sidebar_fits = False
        #: Whether the user dragged the papers/details handle beside each other: then that width is kept,
        #: even narrower than the details' content wants.
        self.details_dragged = False
        self.splitterMoved.connect(self._moved)
        self.inner.splitterMoved.connect(self._inner_moved)

    @property
    def narrow(self) -> bool:
        """Whether the details are below the papers."""
        return self.inner.orientation() == Qt.Orientation.Vertical

    # --- Three panes, as a flat splitter -------------------------------------------

    def addWidget(self, widget: QWidget) -> None:
        if len(self._panes) >= 3:
            raise ValueError("a ResponsiveSplitter holds three panes")
        self._panes.append(widget)
        if len(self._panes) == 1:
            super().addWidget(widget)
            # Its layout asks again when the names change: the sidebar may fit them anew.
            widget.installEventFilter(self)
            return
        self.inner.addWidget(widget)
        if len(self._panes) == 2:
            super().addWidget(self.inner)
            self.setStretchFactor(1, 1)

    def pane(self, index: int) -> QWidget:
        return self._panes[index]

    def setStretchFactor(self, index: int, stretch: int) -> None:
        if index == 0:
            super().setStretchFactor(0, stretch)
        elif index in (1, 2) and self.inner.count() > index - 1:
            self.inner.setStretchFactor(index - 1, stretch)
            if index == 1:
                super().setStretchFactor(1, max(stretch, 1))

    def setChildrenCollapsible(self, collapsible: bool) -> None:
        super().setChildrenCollapsible(collapsible)
        self.inner.setChildrenCollapsible(collapsible)

    def sizes(self) -> list[int]:
        """Sidebar width, then the papers' and the details' widths (heights when narrow)."""
        outer = super().sizes()
        return outer[:1] + self.inner.sizes() if len(outer) == 2 else outer

    def setSizes(self, sizes: Sequence[int]) -> None:
        """These sizes, the sidebar's width included (it no longer fits its names)."""
        self.sidebar_fits = False
        self._set_sizes(sizes)

    def set_default_sizes(self, sizes: Sequence[int]) -> None:
        """Papers and details as in ``sizes``; the sidebar as wide as its names need (see :meth:`sidebar_width_wanted`)."""
        self._set_sizes(sizes)
        self.sidebar_fits = True
        self._fit_sidebar()

    def _set_sizes(self, sizes: Sequence[int]) -> None:
        if len(sizes) < 3 or self.count() < 2:
            super().setSizes(sizes)
            return
        sidebar, papers, details = list(sizes)[:3]
        if self.narrow:
            rest = super().sizes()[1] if self.width() > sidebar else papers
        else:
            rest = papers + details + self.inner.handleWidth()
        super().setSizes([sidebar, rest])
        self.inner.setSizes([papers, details])
        self._remembered[self.inner.orientation()] = [papers, details]

    # --- Switching by width ---------------------------------------------------------

    def resizeEvent(self, event) -> None:
        if self._wanted(event.size().width()) != self.inner.orientation() and self.isVisible():
            # The sizes the user saw, remembered before Qt squeezes them into the new width: a window going
            # from 1600 to 800 px and back left the details 257 px wide, Qt's squeeze at 800 px.
            self._remember()
        super().resizeEvent(event)
        self._arrange()
        self._fit_sidebar()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._panes and watched is self._panes[0] and event.type() == QEvent.Type.LayoutRequest:
            self._fit_sidebar()
        return super().eventFilter(watched, event)

    def _moved(self, _pos: int, index: int) -> None:
        if index == 1:  # the handle right of the sidebar: the user chose its width
            self.sidebar_fits = False

    def _inner_moved(self, _pos: int, _index: int) -> None:
        if not self.narrow:
            self.details_dragged = True

    def sidebar_width_wanted(self) -> int:
        """The width the sidebar fits its names in, at most :data:`SIDEBAR_SHARE` of the window."""
        pane = self._panes[0]
        least = pane.minimumSizeHint().width()
        most = max(least, int(self.width() * SIDEBAR_SHARE))
        return min(max(pane.sizeHint().width(), least), most)

    def _fit_sidebar(self) -> None:
        outer = super().sizes()
        if not self.sidebar_fits or len(outer) != 2 or sum(outer) <= 0:
            return
        width = self.sidebar_width_wanted()
        if outer[0] != width:
            # The papers give or take the difference; the details keep their size (stretch 0).
            super().setSizes([width, sum(outer) - width])

    def _wanted(self, width: int) -> Qt.Orientation:
        return Qt.Orientation.Vertical if width < self.narrow_below else Qt.Orientation.Horizontal

    def _remember(self) -> None:
        # Only once shown: before, the sizes are Qt's placeholders (22 px each), not the user's: a window
        # opened narrow and then widened gave the details a sliver.
        if self.inner.count() == 2 and self.isVisible() and sum(self.inner.sizes()) > 0:
            self._remembered[self.inner.orientation()] = self.inner.sizes()

    def _arrange(self) -> None:
        wanted = self._wanted(self.width())
        if self.inner.count() < 2 or wanted == self.inner.orientation():
            return
        self.inner.setOrientation(wanted)
        sizes = self._remembered.get(wanted)
        if sizes is None:
            extent = self.inner.height() if wanted == Qt.Orientation.Vertical else self.inner.width()
            sizes = [extent * share // sum(NARROW_SHARE) for share in NARROW_SHARE]
        self.inner.setSizes(sizes)
        # The details have laid themselves out for the new shape (their notes below, not beside): ask now.
        self._widen_details()

    def _widen_details(self) -> None:
        """Beside the papers, details as wide as their content wants (papers keeping their minimum), unless dragged."""
        if self.details_dragged or self.narrow or self.inner.count() < 2:
            return
        papers, details = self.inner.sizes()
        least = max(self._panes[1].minimumSizeHint().width(), self._panes[1].minimumWidth())
        wanted = min(self._panes[2].sizeHint().width(), papers + details - least)
        if details < wanted:
            self.inner.setSizes([papers + details - wanted, wanted])

    # --- Saved state ----------------------------------------------------------------

    def saveState(self) -> QByteArray:
        remembered = dict(self._remembered)
        if sum(self.inner.sizes()) > 0:
            remembered[self.inner.orientation()] = self.inner.sizes()
        state = {
            "outer": super().sizes(),
            "sidebar_fits": self.sidebar_fits,
            "details_dragged": self.details_dragged,
            "wide": remembered.get(Qt.Orientation.Horizontal),
            "narrow": remembered.get(Qt.Orientation.Vertical),
        }
        return QByteArray(_MARK + json.dumps(state).encode("ascii"))

    def restoreState(self, state: QByteArray | bytes | bytearray | memoryview) -> bool:
        """Sizes saved by :meth:`saveState`, or by the flat QSplitter of older versions; False if neither."""
        data = bytes(state.data()) if isinstance(state, QByteArray) else bytes(state)
        if not data.startswith(_MARK):
            flat = _flat_splitter_sizes(data)
            if flat is None or len(flat) != 3 or min(flat) <= 0:
                return False
            self.setSizes(flat)
            return True
        try:
            value = json.loads(data[len(_MARK) :].decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            return False
        if not isinstance(value, dict) or not _sizes(value.get("outer"), 2):
            return False
        for key, orientation in (("wide", Qt.Orientation.Horizontal), ("narrow", Qt.Orientation.Vertical)):
            if _sizes(value.get(key), 2):
                self._remembered[orientation] = list(value[key])
        super().setSizes(list(value["outer"]))
        current = self._remembered.get(self.inner.orientation())
        if current is not None:
            self.inner.setSizes(current)
        # States from before the sidebar fitted its names hold a width someone may have chosen: kept.
        self.sidebar_fits = value.get("sidebar_fits") is True
        self._fit_sidebar()
        # States from before this flag may hold details squeezed by a narrow window, not dragged: widened.
        self.details_dragged = value.get("details_dragged") is True
        self._widen_details()
        return True


def _sizes(value: object, count: int) -> bool:
    return (
        isinstance(value, list)
        and len(value) == count
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 100_000 for v in value)
    )


def _flat_splitter_sizes(data: bytes) -> list[int] | None:
    """The pane sizes in a QSplitter.saveState() (magic, version, then the list of sizes)."""
    buffer = QByteArray(data)  # kept alive while the stream reads it
    stream = QDataStream(buffer, QIODevice.OpenModeFlag.ReadOnly)
    if stream.readInt32() != _QT_SPLITTER_MAGIC:
        return None
    stream.readInt32()  # version
    count = stream.readUInt32()
    if stream.status() != QDataStream.Status.Ok or count > 16:
        return None
    sizes = [stream.readInt32() for _ in range(count)]
    return sizes if stream.status() == QDataStream.Status.Ok else None
