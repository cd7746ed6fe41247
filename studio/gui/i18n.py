"""Translations. Every visible string goes through Qt's mechanism (tr / QCoreApplication.translate);
the catalogues are Qt Linguist .ts files in resources/i18n/<locale>/, one per area, read directly at start
(a few ms) so that no compiled .qm file can go stale. `make i18n` refreshes them with pyside6-lupdate."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from studio.core.errors import StudioError
from studio.core.messages import CONTEXT as CORE_CONTEXT
from studio.core.messages import Message
from studio.core.resources import resource_path

log = logging.getLogger(__name__)

SUPPORTED = {"en": "English", "zh_CN": "简体中文"}


def i18n_dir() -> Path:
    return resource_path("i18n")


def read_ts(path: Path) -> dict[tuple[str, str], str]:
    """(context, source) -> translation for every finished message of a .ts file."""
    table: dict[tuple[str, str], str] = {}
    root = ET.parse(path).getroot()
    for context in root.iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            source = message.findtext("source")
            node = message.find("translation")
            if source is None or node is None or node.get("type") in ("unfinished", "obsolete", "vanished"):
                continue
            if node.text:
                table[(name, source)] = node.text
    return table


def choose_locale(setting: str | None) -> str:
    """The catalogue to load: an explicit setting, else the OS locale; English when nothing matches."""
    wanted = setting if setting and setting != "system" else QLocale.system().name()
    if wanted in SUPPORTED:
        return wanted
    if wanted.startswith("zh"):
        return "zh_CN"
    return "en"


class CatalogueTranslator(QTranslator):
    def __init__(self, locale: str, parent=None):
        super().__init__(parent)
        self.locale = locale
        self.table: dict[tuple[str, str], str] = {}
        folder = i18n_dir() / locale
        if folder.is_dir():
            for ts in sorted(folder.glob("*.ts")):
                self.table.update(read_ts(ts))
        log.info("loaded %d translations for %s", len(self.table), locale)

    def translate(self, context, source_text, disambiguation=None, n=-1):  # noqa: N802 - Qt override
        # None (a null QString) lets Qt fall back to the source text.
        return self.table.get((context, source_text))

    def isEmpty(self) -> bool:  # noqa: N802 - Qt override
        return not self.table


class QtTranslator(QTranslator):
    """Qt's own texts (standard buttons such as Cancel, the file dialogs) from the catalogue Qt ships."""

    def __init__(self, locale: str, parent=None):
        super().__init__(parent)
        self.loaded = locale != "en" and self.load(
            f"qtbase_{locale}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))


def install_translations(app, setting: str | None) -> str:
    """Install the catalogues of the language `setting` asks for (replacing those of another language);
    Qt then sends every widget a LanguageChange. Returns the locale used."""
    remove_translations(app)
    locale = choose_locale(setting)
    app.installTranslator(CatalogueTranslator(locale, parent=app))
    qt = QtTranslator(locale, parent=app)
    if qt.loaded:
        app.installTranslator(qt)
    else:
        qt.deleteLater()
    _fallback_fonts(app, locale)
    return locale


_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
              "WenQuanYi Micro Hei")
_BASE_FAMILY: list[str] = []


def _fallback_fonts(app, locale: str) -> None:
    """For Chinese, name a Simplified Chinese font after the interface font: left to itself, the font
    matcher picked a different CJK face (even a bold one) for different strings."""
    from PySide6.QtGui import QFontDatabase

    font = app.font()
    if not _BASE_FAMILY:
        _BASE_FAMILY.append(font.family())
    families = [_BASE_FAMILY[0]]
    if locale.startswith("zh"):
        available = set(QFontDatabase.families())
        families += [f for f in _CJK_FONTS if f in available]
    if font.families() != families:
        font.setFamilies(families)
        app.setFont(font)


def remove_translations(app) -> None:
    for translator in app.findChildren(QTranslator):
        if isinstance(translator, CatalogueTranslator | QtTranslator):
            app.removeTranslator(translator)
            translator.setParent(None)
            translator.deleteLater()


def core_text(message: Message | str) -> str:
    """A core message in the interface language (context "core"); plain strings are shown as they are."""
    if isinstance(message, Message):
        return message.render(lambda template: QCoreApplication.translate(CORE_CONTEXT, template))
    return str(message)


def error_text(error: BaseException) -> str:
    """What to show the user for an error a service raised: translated when the core wrote it as a msg()."""
    message = getattr(error, "message", None)
    if isinstance(error, StudioError) and isinstance(message, Message):
        return core_text(message)
    return str(error)
