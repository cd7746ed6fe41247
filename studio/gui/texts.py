"""Texts that follow the interface language. Widgets that live as long as the window (menus, the sidebar,
the status bar, the login screen) register each text once with the function that makes it; after a language
change `refresh()` sets them all again. Panes are simpler: the window builds them afresh."""

from __future__ import annotations

from collections.abc import Callable


class Texts:
    def __init__(self) -> None:
        self._items: list[tuple[Callable[[str], object], Callable[[], str]]] = []

    def set(self, setter: Callable[[str], object], make: Callable[[], str]) -> None:
        setter(make())
        self._items.append((setter, make))

    def refresh(self) -> None:
        for setter, make in self._items:
            setter(make())
