"""The audit log's three figures, each beside a baseline measured in the same run:

1. append cost: an audited operation (policy + entry + seal, synchronous=FULL) against the same one-row change
   committed without them; and entries appended in bulk inside one transaction (amortised) against plain rows
   of the same size inserted the same way. Goal: under 1 ms per entry amortised.
2. verify time for N entries (default 1,000,000) against reading the same rows without checking. Goal: < 10 s.
3. the Audit log pane scrolling through N entries (offscreen Qt): the longest and 99th-percentile frame while
   jumping across the whole range and paging down, against the same view over a 1,000-row in-memory model.
   Goal: no frame longer than 50 ms.

    .venv/bin/python bench/audit.py [--entries 1000000] [--ops 300] [--no-gui]

Argon2id runs at the tests' low cost here: logins are not what is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.core import operations as ops  # noqa: E402
from studio.core.db.tables.settings import SettingRow  # noqa: E402
from studio.core.security import chain, passwords  # noqa: E402
from studio.core.security.session import audit_keys_of  # noqa: E402
from studio.core.services import Studio  # noqa: E402
from studio.core.services.base import Service  # noqa: E402

PASSWORD = "Quartz-Falcon-7319"


def bench_append(studio: Studio, admin, n_ops: int, n_bulk: int) -> dict:
    service = Service(studio)
    # Warm up both paths.
    for i in range(20):
        with service.operation(admin, ops.MODEL_UPDATE, "model", 1) as op:
            op.session.add(SettingRow(key=f"warm.{i}", value_json="1"))
        with studio.db.session(durable=True) as s:
            s.add(SettingRow(key=f"warmb.{i}", value_json="1"))

    def timed(fn) -> float:
        start = time.perf_counter()
        for i in range(n_ops):
            fn(i)
        return (time.perf_counter() - start) / n_ops

    def audited(i: int) -> None:
        with service.operation(admin, ops.MODEL_UPDATE, "model", 1, name=f"m{i}") as op:
            op.session.add(SettingRow(key=f"a.{i}", value_json="1"))

    def bare(i: int, durable: bool) -> None:
        with studio.db.session(durable=durable) as s:
            s.add(SettingRow(key=f"{'f' if durable else 'n'}.{i}", value_json="1"))

    real_session = studio.db.session

    def audited_normal(i: int) -> None:
        # The same audited operation committed with synchronous=NORMAL: the audit's own work, without the fsync.
        studio.db.session = lambda durable=False: real_session(False)
        try:
            audited(i + 10**6)
        finally:
            studio.db.session = real_session

    # Interleave in five rounds so that load from elsewhere on the machine hits all four alike.
    rounds = {"audited": [], "bare_full": [], "audited_normal": [], "bare_normal": []}
    for r in range(5):
        rounds["audited"].append(timed(lambda i, r=r: audited(i + r * n_ops)))
        rounds["bare_full"].append(timed(lambda i, r=r: bare(i + r * n_ops, True)))
        rounds["audited_normal"].append(timed(lambda i, r=r: audited_normal(i + r * n_ops)))
        rounds["bare_normal"].append(timed(lambda i, r=r: bare(i + r * n_ops, False)))
    per_op = {k: statistics.median(v) for k, v in rounds.items()}

    # Bulk: n entries appended in one transaction (the chain sealed as it goes) vs plain rows.
    keys = audit_keys_of(admin)
    store = studio.audit_store
    start = time.perf_counter()
    with studio.db.session(durable=True) as s:
        head = None
        for i in range(n_bulk):
            _, head = store.append(s, actor_id=admin.user_id, actor_name=admin.user_name, action=ops.MODEL_READ,
                                   obj_type="model", obj_id=str(i % 50), outcome="allowed", details={"i": i},
                                   keys=keys)
    store.advance_anchor(keys, head)
    bulk = (time.perf_counter() - start) / n_bulk
    conn = sqlite3.connect(studio.paths.db)
    conn.execute("CREATE TABLE plain (seq INTEGER PRIMARY KEY, ts TEXT, a INT, b TEXT, c TEXT, d TEXT, e TEXT, "
                 "f TEXT, g TEXT, mac BLOB)")
    start = time.perf_counter()
    for i in range(n_bulk):
        conn.execute("INSERT INTO plain VALUES (?,?,?,?,?,?,?,?,?,?)",
                     (i, "2026-01-01T00:00:00.000000Z", 1, "admin", "model.read", "model", str(i), "allowed",
                      json.dumps({"i": i}), os.urandom(32)))
    conn.commit()
    plain = (time.perf_counter() - start) / n_bulk
    conn.execute("DROP TABLE plain")
    conn.close()
    return {"per_op": per_op, "bulk_entry": bulk, "bulk_plain_row": plain}


def fill(studio: Studio, admin, n: int) -> float:
    """Append sealed entries until the log holds n, fast (one transaction, MACs computed here), then anchor."""
    keys = audit_keys_of(admin)
    conn = sqlite3.connect(studio.paths.db)
    last, previous = conn.execute("SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    start = time.perf_counter()
    rows = []
    actions = [ops.MODEL_READ, ops.DATASET_READ, ops.RUN_READ, ops.MODEL_EXPORT, ops.AUTH_LOGIN]
    for seq in range(last + 1, n + 1):
        details = chain.details_json({"i": seq, "note": "bench"})
        row = (seq, f"2026-{1 + seq % 12:02d}-{1 + seq % 28:02d}T12:00:00.{seq % 1000000:06d}Z", admin.user_id,
               ("admin", "alice", "bob")[seq % 3], actions[seq % 5], "model", str(seq % 997),
               "denied" if seq % 13 == 0 else "allowed", details, None)
        previous = chain.entry_mac(keys.mac_key, previous, row)
        rows.append(row[:9] + (previous,))
        if len(rows) == 100_000:
            conn.executemany("INSERT INTO audit_log VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
            rows.clear()
    conn.executemany("INSERT INTO audit_log VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    conn.commit()
    conn.close()
    studio.audit_store.advance_anchor(keys, (n, previous))
    return time.perf_counter() - start


def bench_verify(studio: Studio, admin) -> dict:
    start = time.perf_counter()
    report = studio.audit.verify(admin)
    verify_s = time.perf_counter() - start
    assert report.ok, report.problem
    start = time.perf_counter()
    count = sum(1 for _ in studio.audit_store.iter_rows())
    read_s = time.perf_counter() - start
    return {"entries": report.checked, "verify_s": verify_s, "read_only_s": read_s, "rows_read": count}


def bench_gui(data_dir: Path, n: int) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QTableView

    from studio.gui.app import build_window, create_application, settle_heap

    app = create_application()
    window = build_window(app, data_dir, theme_mode="light", language="en")
    window.resize(1280, 800)
    window.ctx.set_session(window.ctx.studio.accounts.login("admin", PASSWORD))
    settle_heap()  # as run_gui does
    window.show()
    pane = window.show_pane("audit")
    for _ in range(5):
        app.processEvents()
    assert pane.model.rowCount() >= n, pane.model.rowCount()
    view = pane.table

    def frames(table: QTableView, steps: list[int]) -> list[float]:
        bar = table.verticalScrollBar()
        out = []
        for value in steps:
            start = time.perf_counter()
            bar.setValue(value)
            table.viewport().repaint()  # paint now, synchronously: the frame
            app.processEvents()
            out.append((time.perf_counter() - start) * 1000)
        return out

    def steps_for(table: QTableView, jumps: int, pages: int) -> list[int]:
        bar = table.verticalScrollBar()
        top = bar.maximum()
        across = [round(top * i / (jumps - 1)) for i in range(jumps)]  # the whole range, top to bottom
        back = list(reversed(across))
        paging = [min(top, top // 2 + i * bar.pageStep()) for i in range(pages)]  # page down from the middle
        return across + back + paging

    audit_frames = frames(view, steps_for(view, 500, 500))
    # Baseline: the same kind of view over 1,000 rows held in memory.
    model = QStandardItemModel(1000, 7)
    for r in range(1000):
        for c in range(7):
            model.setItem(r, c, QStandardItem(f"{r}:{c}"))
    base = QTableView()
    base.setModel(model)
    base.verticalHeader().hide()
    base.resize(view.size())
    base.show()
    app.processEvents()
    base_frames = frames(base, steps_for(base, 500, 500))
    window.close()
    window.ctx.studio.close()

    def summary(values: list[float]) -> dict:
        ordered = sorted(values)
        return {"frames": len(values), "median_ms": statistics.median(values),
                "p99_ms": ordered[int(len(ordered) * 0.99) - 1], "max_ms": ordered[-1],
                "over_50ms": sum(v > 50 for v in values)}

    del Qt
    return {"audit": summary(audit_frames), "baseline_1000_rows": summary(base_frames),
            "cached_pages_at_end": len(pane.model._cache)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--ops", type=int, default=300, help="operations per round for the append figure")
    parser.add_argument("--bulk", type=int, default=20_000, help="entries appended in one transaction")
    parser.add_argument("--no-gui", action="store_true")
    parser.add_argument("--data-dir", help="keep the data folder here (default: a temporary one)")
    parser.add_argument("--gui-only", action="store_true", help="only the pane figure, on --data-dir as filled")
    args = parser.parse_args()
    passwords.set_active_params(passwords.Argon2Params(1, 1, 64))
    if args.gui_only:
        print(json.dumps(bench_gui(Path(args.data_dir), args.entries)))
        return 0
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="audit-bench-"))
    results: dict = {"entries": args.entries}
    with Studio.open(data_dir, log_to_file=False) as studio:
        admin = studio.accounts.create_first_admin("admin", PASSWORD)
        results["append"] = bench_append(studio, admin, args.ops, args.bulk)
        a = results["append"]
        print(f"append, one audited operation:      {a['per_op']['audited'] * 1000:7.3f} ms")
        print(f"  baseline, same change, FULL sync: {a['per_op']['bare_full'] * 1000:7.3f} ms  "
              f"-> audit adds {(a['per_op']['audited'] - a['per_op']['bare_full']) * 1000:.3f} ms "
              f"({a['per_op']['audited'] / a['per_op']['bare_full']:.2f}x)")
        print(f"same, committed with synchronous=NORMAL: {a['per_op']['audited_normal'] * 1000:7.3f} ms  baseline "
              f"{a['per_op']['bare_normal'] * 1000:.3f} ms -> audit adds "
              f"{(a['per_op']['audited_normal'] - a['per_op']['bare_normal']) * 1000:.3f} ms")
        print(f"append, amortised in one transaction: {a['bulk_entry'] * 1e6:7.1f} us/entry  "
              f"baseline plain row {a['bulk_plain_row'] * 1e6:.1f} us ({a['bulk_entry'] / a['bulk_plain_row']:.1f}x)")
        results["fill_s"] = fill(studio, admin, args.entries)
        print(f"(filled the log to {args.entries:,} sealed entries in {results['fill_s']:.1f} s)")
        results["verify"] = v = bench_verify(studio, admin)
        print(f"verify {v['entries']:,} entries: {v['verify_s']:.2f} s   baseline, reading them unchecked: "
              f"{v['read_only_s']:.2f} s ({v['verify_s'] / v['read_only_s']:.1f}x)")
    if not args.no_gui:
        # In a fresh process, like the application: not in this one, whose heap and caches the filling and
        # the verification have just churned.
        import subprocess

        out = subprocess.run([sys.executable, __file__, "--gui-only", "--data-dir", str(data_dir), "--entries",
                              str(args.entries)], capture_output=True, text=True, check=True).stdout
        results["gui"] = g = json.loads(out.strip().splitlines()[-1])
        print(f"audit pane, {g['audit']['frames']} frames across {args.entries:,} entries: median "
              f"{g['audit']['median_ms']:.1f} ms, p99 {g['audit']['p99_ms']:.1f} ms, max {g['audit']['max_ms']:.1f} ms, "
              f"{g['audit']['over_50ms']} over 50 ms")
        b = g["baseline_1000_rows"]
        print(f"  baseline, 1,000 in-memory rows: median {b['median_ms']:.1f} ms, p99 {b['p99_ms']:.1f} ms, "
              f"max {b['max_ms']:.1f} ms   (pages cached at the end: {g['cached_pages_at_end']})")
    print(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
