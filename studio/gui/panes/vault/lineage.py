"""Lineage as a small graph: dataset -> run -> this model's versions -> versions made from them.

`build_graph` turns a ModelDetails into nodes (each in one stage) and edges (pure, tested without
painting); `LineageGraph` paints them top to bottom, one row per stage, rounded boxes and arrows."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.core.stores.vault import ModelDetails

STAGES = ("dataset", "run", "version", "derived")


@dataclass(frozen=True)
class Node:
    key: str
    stage: str  # one of STAGES
    label: str


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str], ...]


def build_graph(details: ModelDetails, source_label=lambda ref: f"version {ref}") -> Graph:
    nodes: dict[str, Node] = {}
    edges: list[tuple[str, str]] = []

    def add(key: str, stage: str, label: str) -> str:
        nodes.setdefault(key, Node(key, stage, label))
        return key

    for v in details.versions:
        me = add(f"v:{v.id}", "version", f"v{v.number} · {v.kind}")
        datasets = [add(f"d:{e.ref}:{e.label}", "dataset", e.label or e.ref) for e in v.lineage if e.kind == "dataset"]
        runs = [add(f"r:{e.ref}:{e.label}", "run", e.label or e.ref) for e in v.lineage if e.kind == "run"]
        for e in v.lineage:
            if e.kind == "source_version":
                edges.append((add(f"v:{e.ref}", "version", source_label(e.ref)), me))
        for r in runs:
            edges.append((r, me))
            edges.extend((d, r) for d in datasets)
        if not runs:
            edges.extend((d, me) for d in datasets)
    for v in details.derived:
        child = add(f"v:{v.id}", "derived", f"{v.model_name} v{v.number} · {v.kind}")
        sources = [e.ref for e in v.lineage if e.kind == "source_version"]
        edges.extend((f"v:{ref}", child) for ref in sources if f"v:{ref}" in nodes)
    return Graph(tuple(nodes.values()), tuple(dict.fromkeys(edges)))


class LineageGraph(QWidget):
    """Top to bottom, one row per stage: datasets, runs, this model's versions, what was made from them."""

    BOX_H = 26
    GAP_X = 14
    GAP_Y = 30

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.graph = Graph((), ())
        self._boxes: dict[str, QRectF] = {}
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_graph(self, graph: Graph) -> None:
        self.graph = graph
        self._layout()
        self.setMinimumSize(self.sizeHint())  # in a scroll area: scroll rather than cut the graph off
        self.updateGeometry()
        self.update()

    def _layout(self) -> None:
        fm = QFontMetrics(self.font())
        self._boxes = {}
        rows = [[n for n in self.graph.nodes if n.stage == stage] for stage in STAGES]
        y = 8.0
        for row in (r for r in rows if r):
            x = 8.0
            for node in row:
                width = min(260, fm.horizontalAdvance(node.label) + 18)
                self._boxes[node.key] = QRectF(x, y, width, self.BOX_H)
                x += width + self.GAP_X
            y += self.BOX_H + self.GAP_Y

    def sizeHint(self) -> QSize:
        if not self._boxes:
            return QSize(120, 60)
        right = max(b.right() for b in self._boxes.values())
        bottom = max(b.bottom() for b in self._boxes.values())
        return QSize(int(right) + 8, int(bottom) + 8)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().text().color()
        line = QColor(text)
        line.setAlpha(150)  # readable on light and dark palettes alike
        fills = {"dataset": QColor(76, 175, 80, 70), "run": QColor(255, 152, 0, 70),
                 "version": QColor(33, 150, 243, 70), "derived": QColor(156, 39, 176, 70)}
        painter.setPen(QPen(line, 1.2))
        for src, dst in self.graph.edges:
            a, b = self._boxes.get(src), self._boxes.get(dst)
            if a is not None and b is not None:
                self._edge(painter, a, b, line)
        fm = QFontMetrics(self.font())
        for node in self.graph.nodes:
            box = self._boxes.get(node.key)
            if box is None:
                continue
            painter.setPen(QPen(line, 1))
            painter.setBrush(QBrush(fills[node.stage]))
            painter.drawRoundedRect(box, 6, 6)
            painter.setPen(text)
            label = fm.elidedText(node.label, Qt.TextElideMode.ElideRight, int(box.width()) - 10)
            painter.drawText(box.adjusted(5, 0, -5, 0), int(Qt.AlignmentFlag.AlignCenter), label)
        painter.end()

    def _edge(self, painter: QPainter, a: QRectF, b: QRectF, color: QColor) -> None:
        if abs(a.top() - b.top()) < 1:  # same row (one version from another): along the row
            left_to_right = a.left() < b.left()
            start = QPointF(a.right() if left_to_right else a.left(), a.center().y())
            end = QPointF(b.left() if left_to_right else b.right(), b.center().y())
            path = QPainterPath(start)
            lift = 0 if abs(end.x() - start.x()) <= self.GAP_X + 1 else -self.BOX_H  # jump over boxes between
            path.cubicTo(start + QPointF(0, lift), end + QPointF(0, lift), end)
            painter.drawPath(path)
            self._arrow(painter, end, QPointF(1 if left_to_right else -1, 0), color)
            return
        down = a.top() < b.top()
        start = QPointF(a.center().x(), a.bottom() if down else a.top())
        end = QPointF(b.center().x(), b.top() if down else b.bottom())
        mid = (start.y() + end.y()) / 2
        path = QPainterPath(start)
        path.cubicTo(QPointF(start.x(), mid), QPointF(end.x(), mid), end)
        painter.drawPath(path)
        self._arrow(painter, end, QPointF(0, 1 if down else -1), color)

    @staticmethod
    def _arrow(painter: QPainter, tip: QPointF, direction: QPointF, color: QColor) -> None:
        back = QPointF(-direction.x() * 7, -direction.y() * 7)
        side = QPointF(-direction.y() * 4, direction.x() * 4)
        painter.save()
        painter.setBrush(color)
        painter.drawPolygon(QPolygonF([tip, tip + back + side, tip + back - side]))
        painter.restore()
