"""Open the main window signed in on a pane, over a demo data folder with users, grants and an audit log,
for screenshots of the accounts panes (docs/screenshots/):

    /work/shared/tools/screenshot docs/screenshots/audit-log-dark.png 8 \\
        .venv/bin/python -m studio.devtools.demo_window --pane audit --theme dark

Development only: it signs in with a password it set itself, in a data folder it made (a temporary one
unless --data-dir is given).
"""

from __future__ import annotations

import argparse
import sys
import tempfile

from studio.core import operations as ops

PASSWORD = "Demo-Password-4821"


def populate(studio) -> None:
    from studio.core.errors import StudioError
    from studio.core.security import policy
    from studio.core.services.base import Service

    owners = {"12": 2, "14": 2, "3": 3}
    for kind in ("model", "dataset"):
        policy.register_object_type(kind, owner_of=lambda s, oid: owners.get(oid))
    admin = studio.accounts.create_first_admin("mara", PASSWORD)
    for name, role in (("li.wei", "trainer"), ("sam", "trainer"), ("ana", "viewer"), ("joe", "viewer"),
                       ("old.intern", "trainer")):
        studio.accounts.create_user(admin, name, role, PASSWORD)
    studio.accounts.set_disabled(admin, "old.intern", True)
    li = studio.accounts.login("li.wei", PASSWORD)
    sam = studio.accounts.login("sam", PASSWORD)
    studio.grants.add(li, "ana", "model", 12, "use")
    studio.grants.add(li, "sam", "model", 12, "export")
    studio.grants.add(sam, "ana", "dataset", 3, "use")
    service = Service(studio)
    for actor, action, kind, oid in ((li, ops.MODEL_READ, "model", 12), (sam, ops.MODEL_EXPORT, "model", 12),
                                     (li, ops.RUN_START, "run", None), (sam, ops.DATASET_READ, "dataset", 3)):
        with service.operation(actor, action, kind, oid):
            pass
    ana = studio.accounts.login("ana", PASSWORD)
    for attempt in (lambda: service.operation(ana, ops.MODEL_EXPORT, "model", 12).__enter__(),
                    lambda: studio.accounts.login("joe", "not-the-password"),
                    lambda: studio.accounts.login("joe", "still-not-it-1")):
        try:
            attempt()
        except StudioError:
            pass
    studio.audit.verify(admin)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pane", default="audit")
    parser.add_argument("--theme", default="light")
    parser.add_argument("--data-dir")
    args = parser.parse_args(argv)
    from studio.gui.app import build_window, create_application

    app = create_application()
    window = build_window(app, args.data_dir or tempfile.mkdtemp(prefix="studio-demo-"), args.theme, "en")
    studio = window.ctx.studio
    if not studio.accounts.has_users():
        populate(studio)
    window.ctx.set_session(studio.accounts.login("mara", PASSWORD))
    window.resize(1280, 800)
    window.show()
    pane = window.show_pane(args.pane)
    if args.pane == "audit":
        pane.table.selectRow(1)
        pane.verify()
    if args.pane == "users":
        pane.users.selectRow(0)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
