"""lotty.open() + lotty.decide(): the in-process API for services that embed Lotty."""

from __future__ import annotations

import pytest

import lotty
from lotty.auth import SYSTEM
from lotty.catalog import flags
from lotty.errors import ValidationError
from lotty.model import FlagSpec


def test_decide_in_process(tmp_path):
    engine = lotty.open(tmp_path / "data", secret="s" * 32)
    try:
        flags.create_flag(
            engine.store, SYSTEM, FlagSpec(key="new_search", type="boolean", default=False), engine.clock()
        )
        (decision,) = lotty.decide("u-42", {"country": "RU"}, ["new_search"])
        assert (decision.flag, decision.value, decision.reason) == (
            "new_search",
            False,
            "no_active_experiment",
        )
        assert decision.decision_id
        assert lotty.decide("u-42", using=engine)[0].flag == "new_search"
        with pytest.raises(ValidationError):
            lotty.decide("", {}, None)
    finally:
        engine.close()
