"""jobs/guardrails.py without a scheduler: it flushes the writer first, acts, and a failing run is
counted and raised (APScheduler logs it) while the next run works; the scheduler carries the job."""

from __future__ import annotations

import pytest

from jobs.guardrails import check_guardrails
from jobs.scheduler import create_scheduler
from lotty import guardrails
from tests.report_world import API, EVENTS, at, define, event_rows


@pytest.fixture
def world(lotty, admin, make_user, clock):
    define(admin, make_user("approver"))
    body = {"metric": "crashes", "operator": ">=", "threshold": 1, "window_minutes": 60, "action": "pause"}
    assert admin.post(f"{API}/experiments/exp/guardrails", body).status_code == 201
    clock.now = at(2)
    return lotty


def test_the_job_sees_events_the_writer_has_not_applied_yet(world, admin):
    assert world.writer is not None
    world.writer.submit({"events": event_rows(EVENTS)}).result()  # durable, not necessarily applied
    result = check_guardrails(world)
    assert [(a.experiment, a.action) for a in result.actions] == [("exp", "pause")]
    assert admin.get(f"{API}/experiments/exp").json()["status"] == "paused"


def test_a_failing_run_is_counted_and_the_next_one_works(world, admin, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    with monkeypatch.context() as patch:
        patch.setattr(guardrails, "read_observations", broken)
        with pytest.raises(RuntimeError, match="disk on fire"):
            check_guardrails(world)
    assert check_guardrails(world).actions == []  # no events: nothing breached
    text = admin.get("/metrics").text
    assert 'lotty_guardrail_checks_total{outcome="error"} 1.0' in text
    assert 'lotty_guardrail_checks_total{outcome="ok"} 1.0' in text


def test_the_scheduler_runs_it_every_interval(lotty):
    scheduler = create_scheduler(lotty)
    job = scheduler.get_job("guardrail-check")
    assert job.func is check_guardrails
    assert job.trigger.interval.total_seconds() == lotty.settings.guardrail_interval_seconds == 60
