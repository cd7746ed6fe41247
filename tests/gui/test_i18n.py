from PySide6.QtCore import QCoreApplication

from studio.devtools import i18n


def test_every_visible_string_has_a_zh_cn_translation():
    missing = i18n.check()
    assert missing == [], "untranslated strings (run `make i18n`, then translate):\n" + "\n".join(missing)


def test_the_checker_notices_a_new_untranslated_string(tmp_path, monkeypatch):
    fake = tmp_path / "studio" / "gui" / "panes" / "demo"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "pane.py").write_text(
        "from PySide6.QtWidgets import QWidget\n"
        "class DemoPane(QWidget):\n"
        "    def f(self):\n"
        "        return self.tr('A string nobody translated')\n"
    )
    (tmp_path / "studio" / "core").mkdir()
    monkeypatch.setattr(i18n, "ROOT", tmp_path)
    assert any("A string nobody translated" in m for m in i18n.check())


def test_chinese_is_shown_when_chosen(make_window, data_dir):
    window = make_window(data_dir, theme_mode="light", language="zh_CN")
    assert window.sidebar.item(0).text() == "数据集"
    assert QCoreApplication.translate("MainWindow", "Not signed in") == "未登录"
    assert window.menu_file.title() == "文件(&F)"


def _language_action(window, name):
    from PySide6.QtGui import QAction

    return next(a for a in window.findChildren(QAction) if a.text() == name)


def test_the_language_changes_live_without_a_restart(window, qtbot):
    from PySide6.QtWidgets import QDialogButtonBox, QLabel

    from studio.core.errors import ValidationError
    from studio.core.messages import msg
    from studio.gui.i18n import error_text

    datasets = window.show_pane("datasets")
    assert datasets.import_button.text() == "Import…"
    _language_action(window, "简体中文").trigger()
    assert window.ctx.settings.value("language") == "zh_CN"
    assert window.sidebar.item(0).text() == "数据集" and window.menu_file.title() == "文件(&F)"
    users = QCoreApplication.translate("Panes", "Users & Access")
    from studio.gui.panes import PANES

    at = [spec.id for spec in PANES].index("users")
    assert users != "Users & Access" and window.pane_actions[at].text() == users.replace("&", "&&")
    assert "用户" in [w.text() for w in window.statusBar().findChildren(QLabel)][0]
    fresh = window.stack.currentWidget()  # the visible pane is built again, in Chinese
    assert fresh is not datasets and fresh is window.pane("datasets") and fresh.import_button.text() == "导入…"
    assert window.account.lock.text() == "立即锁定"
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)  # Qt's own texts come along
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "取消"
    # a core message is shown translated, with its arguments; the CLI and the logs keep the English
    error = ValidationError(msg("The learning rate must be positive (got {lr}).", lr=0), field="lr")
    assert error_text(error) == "学习率必须为正数（当前为 0）。" and str(error).startswith("The learning rate")
    _language_action(window, "English").trigger()
    assert window.sidebar.item(0).text() == "Datasets" and window.pane("datasets").import_button.text() == "Import…"
    assert error_text(error) == str(error)


def test_a_busy_pane_is_rebuilt_in_the_new_language_once_its_task_ends(window, qtbot):
    import threading

    from studio.gui.concurrent import Task

    pane = window.show_pane("datasets")
    release = threading.Event()
    task = Task(lambda *, state: release.wait(5), parent=pane).start()
    _language_action(window, "简体中文").trigger()
    assert window.pane("datasets") is pane  # not pulled out from under its task
    release.set()
    qtbot.waitUntil(lambda: window.pane("datasets") is not pane, timeout=5000)
    assert window.pane("datasets").import_button.text() == "导入…" and not task.running


def test_a_broken_translation_falls_back_to_english():
    from studio.core.messages import msg

    message = msg("Layer {i} has {n} heads.", i=2, n=4)
    assert message.render(lambda t: "第 {layer} 层") == "Layer 2 has 4 heads."  # a placeholder it does not have
    assert message.render(lambda t: "第 {i} 层：{n} 个头") == "第 2 层：4 个头"


def test_every_core_message_has_a_literal_template():
    from studio.devtools.i18n import _msg_calls, areas

    templates, problems = _msg_calls(areas()["core"])
    assert problems == [] and len(templates) > 100
