"""Themes (issue 15, item 3): both palettes define every role in every colour group, disabled widgets look
disabled, and "Follow the system" follows the OS (also when it changes while the window is open)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QCheckBox, QLineEdit, QPushButton

from studio.gui import theme

G = QPalette.ColorGroup
R = QPalette.ColorRole


@pytest.fixture
def restore_theme(qapp):
    yield
    theme.apply_theme(qapp, "light")


@pytest.mark.parametrize("make", [theme.light_palette, theme.dark_palette], ids=["light", "dark"])
def test_every_role_is_set_in_every_group(make, qapp):
    palette = make()
    missing = [(g.name, r.name) for g in theme.GROUPS for r in theme.ROLES if not palette.isBrushSet(g, r)]
    assert missing == []
    for role in (R.WindowText, R.Text, R.ButtonText, R.Button, R.Base, R.Highlight, R.PlaceholderText):
        assert palette.color(G.Disabled, role) != palette.color(G.Active, role), role.name
        assert palette.color(G.Inactive, role) == palette.color(G.Active, role), role.name
    # disabled text stands out less from its background than enabled text does
    for text, ground in ((R.ButtonText, R.Button), (R.Text, R.Base), (R.WindowText, R.Window)):
        def contrast(group, text=text, ground=ground):
            return abs(palette.color(group, text).lightness() - palette.color(group, ground).lightness())

        assert contrast(G.Disabled) < contrast(G.Active) * 0.6, text.name


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_disabled_widgets_render_differently(mode, qapp, qtbot, restore_theme):
    theme.apply_theme(qapp, mode)
    for make in (lambda: QPushButton("Start the run"), lambda: QLineEdit("0.0003"), lambda: QCheckBox("Keep best")):
        enabled, disabled = make(), make()
        disabled.setEnabled(False)
        for w in (enabled, disabled):
            qtbot.addWidget(w)
            w.resize(160, 30)
        assert enabled.grab().toImage() != disabled.grab().toImage()
        assert (disabled.palette().color(G.Disabled, R.ButtonText)
                != enabled.palette().color(G.Active, R.ButtonText))


def test_follow_the_system(qapp, monkeypatch, restore_theme):
    scheme = {"now": Qt.ColorScheme.Dark}
    monkeypatch.setattr(theme, "_qt_scheme", lambda: scheme["now"])
    monkeypatch.delenv("GTK_THEME", raising=False)
    assert theme.apply_theme(qapp, "system") is True
    assert qapp.palette().color(R.Window).lightness() < 80
    scheme["now"] = Qt.ColorScheme.Light
    assert theme.apply_theme(qapp, "system") is False
    # the platform cannot tell: a dark GTK theme decides, else the platform's own palette (light here)
    scheme["now"] = Qt.ColorScheme.Unknown
    monkeypatch.setenv("GTK_THEME", "Adwaita:dark")
    assert theme.apply_theme(qapp, "system") is True
    monkeypatch.delenv("GTK_THEME")
    monkeypatch.setitem(theme._state, "platform_dark", False)
    assert theme.apply_theme(qapp, "system") is False
    # an explicit choice wins over the system
    scheme["now"] = Qt.ColorScheme.Dark
    assert theme.apply_theme(qapp, "light") is False


def test_a_scheme_change_while_running_reaches_the_system_mode_only(qapp, monkeypatch, restore_theme):
    scheme = {"now": Qt.ColorScheme.Light}
    monkeypatch.setattr(theme, "_qt_scheme", lambda: scheme["now"])
    theme.follow_system(qapp)
    theme.apply_theme(qapp, "system")
    scheme["now"] = Qt.ColorScheme.Dark
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.is_dark()
    theme.apply_theme(qapp, "light")
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert not theme.is_dark()


def _mean_colour(pixmap):
    image = pixmap.toImage()
    total, n = [0, 0, 0], 0
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if c.alpha() > 200:
                total = [total[0] + c.red(), total[1] + c.green(), total[2] + c.blue()]
                n += 1
    return [v / n for v in total]


def _distance(a, b):
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_sidebar_icons_stand_out_on_the_selected_row(mode, make_window, data_dir, qapp, qtbot, restore_theme):
    from PySide6.QtGui import QIcon

    window = make_window(data_dir, theme_mode=mode, language="en")
    highlight = window.sidebar.palette().color(R.Highlight)
    for row in range(window.sidebar.count()):
        icon = window.sidebar.item(row).icon()
        selected = _mean_colour(icon.pixmap(22, 22, QIcon.Mode.Selected))
        assert _distance(selected, (highlight.red(), highlight.green(), highlight.blue())) > 150, row
    # a theme change while the window is open recolours them
    theme.apply_theme(qapp, "light" if mode == "dark" else "dark")
    text = window.sidebar.palette().color(R.HighlightedText)
    selected = _mean_colour(window.sidebar.item(0).icon().pixmap(22, 22, QIcon.Mode.Selected))
    assert _distance(selected, (text.red(), text.green(), text.blue())) < 40


def test_the_view_menu_shows_users_and_access_with_its_ampersand(window):
    texts = [a.text() for a in window.pane_actions]
    assert "Users && Access" in texts  # shown as "Users & Access"; a lone "&" would underline the A
    assert all(a.text().count("&") % 2 == 0 for a in window.pane_actions)


def test_a_button_with_a_menu_has_room_for_its_arrow(qapp, qtbot, restore_theme):
    from PySide6.QtWidgets import QMenu

    theme.apply_theme(qapp, "light")
    plain, with_menu = QPushButton("Export…"), QPushButton("Export…")
    with_menu.setMenu(QMenu(with_menu))
    for b in (plain, with_menu):
        qtbot.addWidget(b)
    assert with_menu.sizeHint().width() >= plain.sizeHint().width() + 10


def _edge_contrast(widget) -> int:
    """How far the darkest-to-lightest step across the indicator's left edge goes, against the window."""
    image = widget.grab().toImage()
    window = widget.palette().color(R.Window).lightness()
    y = image.height() // 2
    return max(abs(image.pixelColor(x, y).lightness() - window) for x in range(0, 8))


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_an_unchecked_box_has_a_visible_edge(mode, qapp, qtbot, restore_theme):
    # in the dark theme Fusion outlined boxes in the window colour darkened: the date filters' and the
    # Serving list's boxes could not be seen
    from PySide6.QtWidgets import QRadioButton

    theme.apply_theme(qapp, mode)
    for make in (lambda: QCheckBox("From"), lambda: QRadioButton("Raw")):
        box = make()
        qtbot.addWidget(box)
        box.resize(120, 24)
        assert _edge_contrast(box) >= 45, (mode, type(box).__name__)


def test_a_header_section_is_wider_than_its_bold_text(qapp, qtbot, restore_theme):
    # "文件大小" and "毫秒/词元" touched their section's edges in the compression report
    from PySide6.QtGui import QFontMetrics
    from PySide6.QtWidgets import QHeaderView, QTableWidget

    theme.apply_theme(qapp, "light")
    labels = ["文件大小", "毫秒/词元", "mean"]
    table = QTableWidget(0, len(labels))
    qtbot.addWidget(table)
    table.setHorizontalHeaderLabels(labels)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(False)
    table.resize(600, 200)
    table.show()
    bold = header.font()
    bold.setBold(True)
    metrics = QFontMetrics(bold)
    for i, text in enumerate(labels):
        assert header.sectionSize(i) >= metrics.horizontalAdvance(text) + theme.HEADER_PADDING, text
