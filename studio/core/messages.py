"""Messages the core writes for people, in a form the faces can translate.

    from studio.core.messages import msg
    raise ValidationError(msg("The learning rate must be above 0, not {lr}.", lr=lr), field="lr")

`msg(template, **args)` is a `Message`: the English template (a `str.format` pattern, which is also its
translation key) and its arguments. `str(message)` is the English text, so the CLI, the logs and the audit log
stay as they were; a `StudioError` built from a Message keeps it as `error.message`, and the GUI shows
`studio.gui.i18n.error_text(error)`, which looks the template up in the Qt catalogue context "core"
(resources/i18n/<locale>/core.ts) and formats it with the arguments (Messages among them are translated too).
A missing or broken translation falls back to the English text.

The template must be a string literal (implicit concatenation is fine): `python -m studio.devtools.i18n update`
finds every `msg("...")` call in studio/core by reading the source, and a test fails on a call it cannot read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CONTEXT = "core"  # the catalogue context of every core message


@dataclass(frozen=True)
class Message:
    template: str
    args: tuple[tuple[str, Any], ...] = ()

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        """The text, with the template (and any Message among the arguments) passed through `translate`."""
        values = {k: (v.render(translate) if isinstance(v, Message) else v) for k, v in self.args}
        if translate is not None:
            try:
                return translate(self.template).format(**values)
            except (KeyError, IndexError, ValueError):  # a translation that does not fit its arguments
                pass
        return self.template.format(**values)

    def __str__(self) -> str:
        return self.render()


def msg(template: str, **args: Any) -> Message:
    return Message(template, tuple(args.items()))
