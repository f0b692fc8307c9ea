"""lotty.connect(): the same views over the lake, from outside the server, while it runs."""

from __future__ import annotations

import lotty
from lotty.auth import SYSTEM
from lotty.catalog import flags
from lotty.instance import Lotty
from lotty.model import FlagSpec
from lotty.settings import Settings


def test_connect_reads_the_lake_and_the_catalog_export(tmp_path):
    instance = Lotty(Settings(data_dir=tmp_path / "data", secret="s" * 32, decision_log="sync"))
    try:
        flags.create_flag(
            instance.store, SYSTEM, FlagSpec(key="plain", type="string", default="x"), instance.clock()
        )
        for i in range(5):
            instance.decide(f"u-{i}", {}, ["plain"])
        connection = lotty.connect(tmp_path / "data")
        assert connection.execute("SELECT count(*) FROM decisions").fetchone() == (0,)  # still hot
        assert connection.execute("SELECT key FROM flags").fetchall() == [("plain",)]
        instance.flush_lake()
        connection = lotty.connect(tmp_path / "data")
        assert connection.execute("SELECT count(*), min(flag) FROM decisions").fetchone() == (5, "plain")
        for view in ("enrolments", "events", "exposures", "attributed_events", "pending_events"):
            assert connection.execute(f"SELECT count(*) FROM {view}").fetchone() == (0,)
    finally:
        instance.close()
