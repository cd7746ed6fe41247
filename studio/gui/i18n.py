"""Translations. Every visible string goes through Qt's mechanism (tr / QCoreApplication.translate);
the catalogues are Qt Linguist .ts files in resources/i18n/<locale>/, one per area, read directly at start
(a few ms) so that no compiled .qm file can go stale. `make i18n` refreshes them with pyside6-lupdate."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import QLocale, QTranslator

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


def error_text(error: BaseException) -> str:
    """What to show the user for an error a service raised."""
    return str(error)
