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
