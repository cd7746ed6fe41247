"""The vault's lineage drawing is a layered DAG (issue 15, item 10): edges point down, boxes never overlap,
chains of versions run down the page."""

from __future__ import annotations

from studio.gui.panes.vault.lineage import Graph, Node, layered, place


def _graph():
    nodes = [Node("d", "dataset", "stories"), Node("r", "run", "run 2")]
    nodes += [Node(f"v{i}", "version", f"v{i} · checkpoint") for i in range(1, 6)]
    nodes += [Node("x", "derived", "gpt-int8 v1 · compressed")]
    edges = [("d", "r")] + [("r", f"v{i}") for i in range(1, 6)] + [("v1", "v2"), ("v5", "x")]
    return Graph(tuple(nodes), tuple(edges))


def test_layers_follow_the_longest_path_and_keep_chains_vertical():
    rows = layered(_graph())
    depth = {k: r for r, row in enumerate(rows) for k in row}
    assert depth["d"] == 0 and depth["r"] == 1 and depth["v1"] == 2
    assert depth["v2"] == 3  # below v1, which it was made from, not beside it
    assert depth["x"] == 3 and sorted(rows[2]) == ["v1", "v3", "v4", "v5"]


def test_boxes_do_not_overlap_and_every_edge_points_down():
    graph = _graph()
    parents = {}
    for a, b in graph.edges:
        parents.setdefault(b, []).append(a)
    boxes = place(layered(graph), lambda k: 90.0, 26, 14, 30, lambda k: parents.get(k, []))
    assert set(boxes) == {n.key for n in graph.nodes}
    rects = list(boxes.values())
    assert not any(r.intersects(o) for i, r in enumerate(rects) for o in rects[i + 1:])
    assert all(boxes[a].bottom() < boxes[b].top() for a, b in graph.edges)
    assert min(r.left() for r in rects) == 8.0
    # a single child sits under its parent
    assert abs(boxes["v2"].center().x() - boxes["v1"].center().x()) < 1


def test_a_cycle_in_bad_data_does_not_hang():
    graph = Graph((Node("a", "version", "a"), Node("b", "version", "b")), (("a", "b"), ("b", "a")))
    rows = layered(graph)
    assert sorted(k for row in rows for k in row) == ["a", "b"]


def test_a_long_label_gets_room_and_is_whole_in_its_tooltip(qtbot):
    """The walk showed a compressed version's box cut short ("shakespeare-gpt-int8 v1 · compressed ·…")."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QFontMetrics

    from studio.gui.panes.vault.lineage import LineageGraph

    label = "shakespeare-gpt-int8 v1 · compressed · prune 30% + int8"
    view = LineageGraph()
    qtbot.addWidget(view)
    view.set_graph(Graph((Node("v", "version", "v2 · checkpoint"), Node("x", "derived", label)), (("v", "x"),)))
    box = view.boxes()["x"]
    assert box.width() - 10 >= QFontMetrics(view.font()).horizontalAdvance(label)  # drawn whole, not elided
    assert view.label_at(box.center()) == label and view.label_at(QPointF(box.right() + 5, box.center().y())) is None
