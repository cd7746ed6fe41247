import json

import pytest

from studio.core.db.tables.runs import RunRow
from studio.core.stores.runs import utcnow


@pytest.fixture
def run_row(studio, make_user):
    """A bare run row (for store tests that need one to hang metrics and events on)."""
    owner = make_user("trainer")
    counter = iter(range(1, 1000))

    def make(**values):
        n = next(counter)
        with studio.db.session() as s:
            row = RunRow(name=values.pop("name", f"bare-{n}"), owner_id=owner.user_id, status=values.pop("status", "queued"),
                         created_at=utcnow(), model_config_json=json.dumps({}), train_config_json=json.dumps({}),
                         **values)
            s.add(row)
            s.flush()
            return row.id

    return make
