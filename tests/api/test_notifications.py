"""Notification channels, rules and the delivery log over HTTP (SPEC §6): validation, roles,
masking, what queues a delivery, scope, dedup and rate limits."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from lotty.instance import Lotty
from tests.api.helpers import API, EXP, Crew, assert_error, fresh, read, serve
from tests.conftest import Caller, FakeClock

CHANNELS = f"{API}/notifications/channels"
RULES = f"{API}/notifications/rules"
DELIVERIES = f"{API}/notifications/deliveries"


@dataclasses.dataclass
class World(Crew):
    lotty: Lotty
    clock: FakeClock

    def channel(self, type_: str = "webhook", config: dict[str, Any] | None = None) -> str:
        key = fresh("chan-")
        body = {"key": key, "type": type_, "config": config or {"url": "http://127.0.0.1:9/hook"}}
        response = self.admin.post(CHANNELS, body)
        assert response.status_code == 201, response.text
        return key

    def rule(self, caller: Caller | None = None, **fields: Any) -> dict[str, Any]:
        response = (caller or self.admin).post(RULES, fields)
        assert response.status_code == 201, response.text
        return response.json()

    def experiment(self, owner: Caller | None = None) -> tuple[str, str]:
        """A fresh draft on a flag of its own: (experiment key, flag key)."""
        key, flag = fresh("exp-"), self.new_flag()
        body = {
            "key": key,
            "flag": flag,
            "traffic": 100,
            "variants": [
                {"name": "control", "value": "a", "weight": 50, "control": True},
                {"name": "b", "value": "b", "weight": 50},
            ],
        }
        assert (owner or self.owner).post(EXP, body).status_code == 201
        return key, flag

    def deliveries(self, **filters: str) -> list[dict[str, Any]]:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        return read(self.viewer, f"{DELIVERIES}?{query}")["items"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with serve(tmp_path_factory, "notifications") as server:
        yield World.hire(server.admin, lotty=server.lotty, clock=server.clock)


# -- channels -------------------------------------------------------------------------------------
def test_a_channel_is_created_shown_masked_and_listed(world: World):
    key = fresh("chan-")
    config = {"url": "https://example.com/hook", "headers": {"Authorization": "Bearer s3cret"}}
    response = world.admin.post(CHANNELS, {"key": key, "type": "webhook", "config": config})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["config"] == {"url": "https://example.com/hook", "headers": {"Authorization": "***"}}
    assert created["created_by"] == world.admin.user_id
    assert read(world.viewer, f"{CHANNELS}/{key}") == created
    assert created in read(world.viewer, CHANNELS)["items"]
    audit = read(world.admin, f"{API}/audit?entity=channel&entity_key={key}")["items"]
    assert [a["action"] for a in audit] == ["create"]
    assert "s3cret" not in str(audit)


def test_telegram_and_slack_secrets_never_come_back(world: World):
    slack = world.channel("slack", {"url": "https://hooks.slack.com/services/T1/B2/s3cret"})
    telegram = world.channel("telegram", {"bot_token": "123:s3cret", "chat_id": -1001})
    assert read(world.viewer, f"{CHANNELS}/{slack}")["config"] == {"url": "https://hooks.slack.com/***"}
    shown = read(world.viewer, f"{CHANNELS}/{telegram}")["config"]
    assert shown == {"bot_token": "***", "chat_id": -1001, "api_url": "https://api.telegram.org"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "Bad Key", "type": "webhook", "config": {"url": "http://h"}}, "key"),
        ({"key": "ok-key", "type": "email", "config": {"url": "http://h"}}, "type"),
        ({"key": "ok-key", "type": "webhook", "config": {}}, "config.url"),
        ({"key": "ok-key", "type": "webhook", "config": {"url": "file:///etc/passwd"}}, "config.url"),
        ({"key": "ok-key", "type": "telegram", "config": {"chat_id": 1}}, "config.bot_token"),
        ({"key": "ok-key", "type": "webhook"}, "config"),
    ],
)
def test_bad_channels_are_400_naming_the_field(world: World, body, field):
    assert_error(world.admin.post(CHANNELS, body), 400, field=field, field_in_message=True)


def test_a_duplicate_channel_key_is_409(world: World):
    key = world.channel()
    body = {"key": key, "type": "webhook", "config": {"url": "http://h"}}
    assert_error(world.admin.post(CHANNELS, body), 409, "DUPLICATE_KEY")


def test_only_admins_manage_channels(world: World):
    body = {"key": fresh("chan-"), "type": "webhook", "config": {"url": "http://h"}}
    for caller in (world.owner, world.approver, world.viewer, world.user("sdk")):
        assert_error(caller.post(CHANNELS, body), 403)
    key = world.channel()
    assert_error(world.owner.patch(f"{CHANNELS}/{key}", {"config": {"url": "http://x"}}), 403)
    assert_error(world.owner.delete(f"{CHANNELS}/{key}"), 403)
    assert_error(world.user("sdk").get(CHANNELS), 403)


def test_a_channel_config_is_replaced_and_checked_for_its_type(world: World):
    key = world.channel()
    changed = world.admin.patch(f"{CHANNELS}/{key}", {"config": {"url": "https://new.example/hook"}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["config"]["url"] == "https://new.example/hook"
    bad = world.admin.patch(f"{CHANNELS}/{key}", {"config": {"bot_token": "1:a", "chat_id": 1}})
    assert_error(bad, 400, field="config.bot_token", field_in_message=True)
    assert_error(world.admin.patch(f"{CHANNELS}/nope", {"config": {"url": "http://h"}}), 404)


def test_a_channel_in_use_cannot_be_deleted(world: World):
    key = world.channel()
    rule = world.rule(event="srm_detected", channel=key)
    error = assert_error(world.admin.delete(f"{CHANNELS}/{key}"), 409, "CHANNEL_IN_USE")
    assert error["details"]["rules"] == [rule["id"]]
    assert world.admin.delete(f"{RULES}/{rule['id']}").status_code == 204
    assert world.admin.delete(f"{CHANNELS}/{key}").status_code == 204
    assert_error(world.viewer.get(f"{CHANNELS}/{key}"), 404)


# -- rules ----------------------------------------------------------------------------------------
def test_a_rule_takes_defaults_and_a_scope(world: World):
    channel = world.channel()
    key, _ = world.experiment()
    rule = world.rule(world.owner, event="guardrail_triggered", channel=channel, scope={"experiment": key})
    assert rule["scope"] == {"experiment": key}
    assert (rule["rate_limit_per_hour"], rule["dedup_minutes"]) == (None, 60)
    assert rule["created_by"] == world.owner.user_id
    assert read(world.viewer, f"{RULES}/{rule['id']}") == rule
    assert rule in read(world.viewer, RULES)["items"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"event": "experiment_started"}, "event"),
        ({"channel": "no-such-channel"}, "channel"),
        ({"scope": {}}, "scope"),
        ({"scope": {"experiment": "x", "flag": "y"}}, "scope"),
        ({"scope": {"experiment": "no-such-experiment"}}, "scope.experiment"),
        ({"scope": {"flag": "no-such-flag"}}, "scope.flag"),
        ({"scope": {"owner": "usr_nobody"}}, "scope.owner"),
        ({"scope": {"team": "x"}}, "scope.team"),
        ({"rate_limit_per_hour": 0}, "rate_limit_per_hour"),
        ({"rate_limit_per_hour": 10_001}, "rate_limit_per_hour"),
        ({"dedup_minutes": -1}, "dedup_minutes"),
        ({"dedup_minutes": 7 * 24 * 60 + 1}, "dedup_minutes"),
        ({"dedup_minutes": "60"}, "dedup_minutes"),
    ],
)
def test_bad_rules_are_400_naming_the_field(world: World, fields, field):
    body = {"event": "srm_detected", "channel": world.channel(), **fields}
    assert_error(world.admin.post(RULES, body), 400, field=field, field_in_message=True)


def test_a_duplicate_rule_is_409_and_a_changed_one_is_checked_again(world: World):
    channel = world.channel()
    key, flag = world.experiment()
    first = world.rule(event="srm_detected", channel=channel, scope={"flag": flag})
    error = assert_error(
        world.admin.post(RULES, {"event": "srm_detected", "channel": channel, "scope": {"flag": flag}}),
        409,
        "DUPLICATE_RULE",
    )
    assert error["details"]["rule"] == first["id"]
    second = world.rule(event="srm_detected", channel=channel, scope={"experiment": key})
    clash = world.admin.patch(f"{RULES}/{second['id']}", {"scope": {"flag": flag}})
    assert_error(clash, 409, "DUPLICATE_RULE")
    changed = world.admin.patch(f"{RULES}/{second['id']}", {"dedup_minutes": 5, "rate_limit_per_hour": 2})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["dedup_minutes"], changed.json()["rate_limit_per_hour"]) == (5, 2)
    assert changed.json()["scope"] == {"experiment": key}
    unscoped = world.admin.patch(f"{RULES}/{second['id']}", {"scope": None, "rate_limit_per_hour": None})
    assert (unscoped.json()["scope"], unscoped.json()["rate_limit_per_hour"]) == (None, None)
    assert world.admin.delete(f"{RULES}/{second['id']}").status_code == 204
    assert_error(world.viewer.get(f"{RULES}/{second['id']}"), 404)


def test_viewers_and_approvers_cannot_set_rules(world: World):
    body = {"event": "srm_detected", "channel": world.channel()}
    for caller in (world.viewer, world.approver):
        assert_error(caller.post(RULES, body), 403)


# -- what queues a delivery -------------------------------------------------------------------------
def test_status_changes_queue_deliveries_for_rules_in_scope(world: World):
    channel = world.channel()
    key, flag = world.experiment()
    other, _ = world.experiment()
    by_flag = world.rule(event="experiment_status_changed", channel=channel, scope={"flag": flag})
    world.rule(event="experiment_status_changed", channel=channel, scope={"experiment": other})
    world.drive(key, "running")
    deliveries = world.deliveries(experiment=key)
    assert [d["payload"]["data"]["to"] for d in deliveries] == ["running", "approved", "in_review"]
    assert {d["rule"] for d in deliveries} == {by_flag["id"]}
    latest = deliveries[0]
    assert latest["status"] == "pending" and latest["attempts"] == 0
    assert latest["payload"]["event"] == "experiment_status_changed"
    assert latest["payload"]["flag"] == flag
    assert latest["payload"]["data"] == {
        "from": "approved",
        "to": "running",
        "action": "start",
        "actor": world.owner.user_id,
        "comment": None,
    }
    assert f"{key!r}" in latest["payload"]["text"] and "running" in latest["payload"]["text"]
    assert world.deliveries(experiment=other) == []


def test_an_owner_scope_hears_only_that_owners_experiments(world: World):
    channel = world.channel()
    mine, _ = world.experiment()
    someone_elses, _ = world.experiment(world.other)
    world.rule(event="experiment_status_changed", channel=channel, scope={"owner": world.other.user_id})
    world.act(mine, "submit")
    world.act(someone_elses, "submit", world.other)
    assert [d["experiment"] for d in world.deliveries(channel=channel)] == [someone_elses]


def test_the_same_fact_inside_the_dedup_window_is_suppressed(world: World):
    channel = world.channel()
    key, _ = world.experiment()
    world.rule(
        event="experiment_status_changed", channel=channel, scope={"experiment": key}, dedup_minutes=30
    )
    world.drive(key, "running")
    world.act(key, "pause")
    world.act(key, "resume")
    world.act(key, "pause")  # running -> paused again, within 30 minutes
    world.clock.advance(minutes=31)
    world.act(key, "resume")  # paused -> running again, after the window
    statuses = [(d["payload"]["data"]["to"], d["status"]) for d in world.deliveries(channel=channel)]
    assert statuses[:3] == [("running", "pending"), ("paused", "suppressed"), ("running", "pending")]
    suppressed = world.deliveries(channel=channel, status="suppressed")
    assert len(suppressed) == 1
    assert suppressed[0]["last_error"].startswith("duplicate of delivery dlv_")
    assert "30-minute dedup window" in suppressed[0]["last_error"]


def test_a_rule_sends_at_most_its_rate_limit_per_hour(world: World):
    channel = world.channel()
    key, _ = world.experiment()
    world.rule(
        event="experiment_status_changed",
        channel=channel,
        scope={"experiment": key},
        dedup_minutes=0,
        rate_limit_per_hour=2,
    )
    world.drive(key, "running")  # submit, approve, start: the third is over the limit
    statuses = [d["status"] for d in reversed(world.deliveries(channel=channel))]
    assert statuses == ["pending", "pending", "suppressed"]
    assert world.deliveries(channel=channel, status="suppressed")[0]["last_error"] == (
        "rate limit of 2 per hour reached"
    )
    world.clock.advance(hours=1, minutes=1)
    world.act(key, "pause")
    assert world.deliveries(channel=channel)[0]["status"] == "pending"


def test_deliveries_filter_and_page(world: World):
    channel = world.channel()
    key, _ = world.experiment()
    world.rule(event="experiment_status_changed", channel=channel, scope={"experiment": key}, dedup_minutes=0)
    world.drive(key, "completed")
    everything = world.deliveries(channel=channel)
    assert len(everything) == 4
    first = read(world.viewer, f"{DELIVERIES}?channel={channel}&limit=3")
    rest = read(world.viewer, f"{DELIVERIES}?channel={channel}&limit=3&cursor={first['next_cursor']}")
    assert first["items"] + rest["items"] == everything and rest["next_cursor"] is None
    assert world.deliveries(channel=channel, event="srm_detected") == []
    assert len(world.deliveries(channel=channel, event="experiment_status_changed", status="pending")) == 4


@pytest.mark.parametrize("query", ["status=lost", "event=exploded", "limit=0", "cursor=garbage"])
def test_bad_delivery_filters_are_400(world: World, query):
    assert_error(world.viewer.get(f"{DELIVERIES}?{query}"), 400)


def test_an_unscoped_rule_hears_every_experiment(lotty, admin, make_user):
    crew = Crew.hire(admin)
    channel = fresh("chan-")
    body = {"key": channel, "type": "webhook", "config": {"url": "http://h"}}
    assert admin.post(CHANNELS, body).status_code == 201
    assert admin.post(RULES, {"event": "experiment_status_changed", "channel": channel}).status_code == 201
    keys = []
    for _ in range(2):
        key = fresh("exp-")
        experiment = {
            "key": key,
            "flag": crew.new_flag(),
            "traffic": 100,
            "variants": [
                {"name": "control", "value": "a", "weight": 50, "control": True},
                {"name": "b", "value": "b", "weight": 50},
            ],
        }
        assert crew.owner.post(EXP, experiment).status_code == 201
        crew.act(key, "submit")
        keys.append(key)
    items = read(admin, DELIVERIES)["items"]
    assert sorted(d["experiment"] for d in items) == sorted(keys)
