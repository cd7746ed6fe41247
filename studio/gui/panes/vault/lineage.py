"""Lineage as a small graph: dataset -> run -> this model's versions -> versions made from them.

`build_graph` turns a ModelDetails into nodes (each in one stage) and edges, `layered` and `place` lay them
out as a DAG (pure, tested without painting); `LineageGraph` paints rounded boxes and arrows."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

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


def build_graph(details: ModelDetails, source_label=lambda ref: f"version {ref}",
                version_label=lambda v: f"v{v.number} · {v.kind}") -> Graph:
    nodes: dict[str, Node] = {}
    edges: list[tuple[str, str]] = []

    def add(key: str, stage: str, label: str) -> str:
        nodes.setdefault(key, Node(key, stage, label))
        return key

    # a live run's model has no kept version yet: its lineage is the one of the version being written
    writing = (details.model.writing,) if details.model.writing is not None and not details.versions else ()
    for v in details.versions or writing:
        me = add(f"v:{v.id}", "version", version_label(v))
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
        child = add(f"v:{v.id}", "derived", f"{v.model_name} {version_label(v)}")
        sources = [e.ref for e in v.lineage if e.kind == "source_version"]
        edges.extend((f"v:{ref}", child) for ref in sources if f"v:{ref}" in nodes)
    return Graph(tuple(nodes.values()), tuple(dict.fromkeys(edges)))


def layered(graph: Graph) -> list[list[str]]:
    """The nodes in rows, top to bottom, as a layered drawing of a DAG: a node sits one row below its
    lowest parent (its longest path from a source), so every edge points down and a chain of versions
    (v1 -> v2 -> v3) runs down the page instead of along one row. Within a row, nodes are ordered by the
    mean position of their parents (the barycenter heuristic), which keeps edges from crossing."""
    order = [n.key for n in graph.nodes]
    parents: dict[str, list[str]] = {k: [] for k in order}
    for a, b in graph.edges:
        if a in parents and b in parents and a != b:
            parents[b].append(a)
    depth: dict[str, int] = {}

    def depth_of(key: str, seen: frozenset[str] = frozenset()) -> int:
        if key not in depth:
            ps = [p for p in parents[key] if p not in seen]  # a cycle (never expected) is cut, not followed
            depth[key] = 1 + max((depth_of(p, seen | {key}) for p in ps), default=-1)
        return depth[key]

    for key in order:
        depth_of(key)
    rows: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for key in order:
        rows[depth[key]].append(key)
    position: dict[str, float] = {k: i for i, k in enumerate(rows[0])} if rows else {}
    for row in rows[1:]:
        def centre(key: str) -> float:
            ps = [position[p] for p in parents[key] if p in position]
            return sum(ps) / len(ps) if ps else float("inf")

        row.sort(key=lambda k: (centre(k), order.index(k)))
        position.update({k: i for i, k in enumerate(row)})
    return rows


def place(rows: list[list[str]], width_of, box_h: float, gap_x: float, gap_y: float,
          parents_of) -> dict[str, QRectF]:
    """Boxes for the rows: each node as close as it can be under the centre of its parents, never
    overlapping its left neighbour; the drawing is then shifted to start at the margin."""
    boxes: dict[str, QRectF] = {}
    margin = 8.0
    for r, row in enumerate(rows):
        y = margin + r * (box_h + gap_y)
        right = -float("inf")
        for key in row:
            w = width_of(key)
            above = [boxes[p].center().x() for p in parents_of(key) if p in boxes]
            x = (sum(above) / len(above) - w / 2) if above else margin
            x = max(x, right + gap_x, margin)
            boxes[key] = QRectF(x, y, w, box_h)
            right = x + w
    if boxes:
        shift = margin - min(b.left() for b in boxes.values())
        for b in boxes.values():
            b.translate(shift, 0)
    return boxes


class LineageGraph(QWidget):
    """The lineage as a layered DAG, top to bottom (see `layered`); colours say what each node is."""

    BOX_H = 26
    GAP_X = 14
    GAP_Y = 30
    MAX_W = 380  # wider labels are elided: whole in the box's tooltip

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.graph = Graph((), ())
        self._boxes: dict[str, QRectF] = {}
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_graph(self, graph: Graph) -> None:
        self.graph = graph
        self._relayout()

    def _relayout(self) -> None:
        self._layout()
        self.setMinimumSize(self.sizeHint())  # in a scroll area: scroll rather than cut the graph off
        self.updateGeometry()
        self.update()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        # the font decides the widths: measured again when it changes (style, screen, language)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._relayout()
        super().changeEvent(event)

    def _layout(self) -> None:
        fm = QFontMetrics(self.font())
        labels = {n.key: n.label for n in self.graph.nodes}
        parents: dict[str, list[str]] = {}
        for a, b in self.graph.edges:
            parents.setdefault(b, []).append(a)
        self._boxes = place(layered(self.graph),
                            lambda k: min(self.MAX_W, fm.horizontalAdvance(labels[k]) + 20),
                            self.BOX_H, self.GAP_X, self.GAP_Y, lambda k: parents.get(k, []))

    def boxes(self) -> dict[str, QRectF]:
        return dict(self._boxes)

    def label_at(self, point: QPointF) -> str | None:
        """The whole label of the box under `point` (what its tooltip says), or None."""
        for node in self.graph.nodes:
            box = self._boxes.get(node.key)
            if box is not None and box.contains(point):
                return node.label
        return None

    def event(self, event) -> bool:  # noqa: D401 - Qt override: a box's tooltip is its whole label
        if event.type() == QEvent.Type.ToolTip:
            label = self.label_at(QPointF(event.pos()))
            if label:
                QToolTip.showText(event.globalPos(), label, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def sizeHint(self) -> QSize:
        if not self._boxes:
            return QSize(120, 60)
        right = max(b.right() for b in self._boxes.values())
        bottom = max(b.bottom() for b in self._boxes.values())
        return QSize(int(right) + 12, int(bottom) + 12)

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
