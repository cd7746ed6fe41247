"""Lineage as a small graph: dataset -> run -> this model's versions -> versions made from them.

`build_graph` turns a ModelDetails into columns of nodes and edges (pure, tested without painting);
`LineageGraph` paints them: one column per stage, rounded boxes, arrows left to right."""

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
    BOX_H = 26
    GAP_Y = 12
    GAP_X = 36

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.graph = Graph((), ())
        self._boxes: dict[str, QRectF] = {}
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(120)

    def set_graph(self, graph: Graph) -> None:
        self.graph = graph
        self._layout()
        self.updateGeometry()
        self.update()

    def _columns(self) -> list[list[Node]]:
        columns = [[n for n in self.graph.nodes if n.stage == stage] for stage in STAGES]
        return [c for c in columns if c]

    def _layout(self) -> None:
        fm = QFontMetrics(self.font())
        self._boxes = {}
        x = 8.0
        for column in self._columns():
            width = min(220, max(fm.horizontalAdvance(n.label) for n in column) + 16)
            for row, node in enumerate(column):
                self._boxes[node.key] = QRectF(x, 8 + row * (self.BOX_H + self.GAP_Y), width, self.BOX_H)
            x += width + self.GAP_X

    def sizeHint(self) -> QSize:
        if not self._boxes:
            return QSize(300, 120)
        right = max(b.right() for b in self._boxes.values())
        bottom = max(b.bottom() for b in self._boxes.values())
        return QSize(int(right) + 8, int(bottom) + 8)

    def resizeEvent(self, event) -> None:
        self._layout()
        super().resizeEvent(event)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text, line = pal.text().color(), pal.mid().color()
        fills = {"dataset": QColor(76, 175, 80, 60), "run": QColor(255, 152, 0, 60),
                 "version": QColor(33, 150, 243, 60), "derived": QColor(156, 39, 176, 60)}
        painter.setPen(QPen(line, 1.2))
        for src, dst in self.graph.edges:
            a, b = self._boxes.get(src), self._boxes.get(dst)
            if a is None or b is None:
                continue
            start, end = QPointF(a.right(), a.center().y()), QPointF(b.left(), b.center().y())
            if abs(a.left() - b.left()) < 1:  # two versions of one column: bend around the right side
                start, end = QPointF(a.right(), a.center().y()), QPointF(b.right(), b.center().y())
                path = QPainterPath(start)
                path.cubicTo(start + QPointF(24, 0), end + QPointF(24, 0), end)
                painter.drawPath(path)
                self._arrow(painter, end, QPointF(-1, 0), line)
                continue
            path = QPainterPath(start)
            mid = (start.x() + end.x()) / 2
            path.cubicTo(QPointF(mid, start.y()), QPointF(mid, end.y()), end)
            painter.drawPath(path)
            self._arrow(painter, end, QPointF(1, 0), line)
        for node in self.graph.nodes:
            box = self._boxes.get(node.key)
            if box is None:
                continue
            painter.setPen(QPen(line, 1))
            painter.setBrush(QBrush(fills[node.stage]))
            painter.drawRoundedRect(box, 6, 6)
            painter.setPen(text)
            label = QFontMetrics(self.font()).elidedText(node.label, Qt.TextElideMode.ElideRight, int(box.width()) - 10)
            painter.drawText(box.adjusted(5, 0, -5, 0), int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), label)
        painter.end()

    @staticmethod
    def _arrow(painter: QPainter, tip: QPointF, direction: QPointF, color: QColor) -> None:
        back = QPointF(-direction.x() * 7, 0)
        painter.save()
        painter.setBrush(color)
        painter.drawPolygon(QPolygonF([tip, tip + back + QPointF(0, 4), tip + back + QPointF(0, -4)]))
        painter.restore()
