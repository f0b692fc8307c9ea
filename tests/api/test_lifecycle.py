"""The experiment lifecycle (SPEC §2.4): every transition, who may take it, reviews, completion, log."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from lotty.catalog.common import naive
from lotty.instance import Lotty
from tests.api.helpers import (
    ACTIONS,
    API,
    COMPLETION,
    EXP,
    REVIEW_ACTIONS,
    STATUSES,
    Crew,
    assert_error,
    fresh,
    read,
    serve,
)
from tests.conftest import Caller, FakeClock

OWNER_ACTIONS = tuple(a for a in ACTIONS if a not in REVIEW_ACTIONS)
# SPEC §2.4: (from, action) → to. Every pair not listed here is forbidden.
ALLOWED: dict[tuple[str, str], str] = {
    ("draft", "submit"): "in_review",
    ("in_review", "approve"): "approved",
    ("in_review", "request-changes"): "draft",
    ("in_review", "reject"): "rejected",
    ("rejected", "rework"): "draft",
    ("approved", "start"): "running",
    ("running", "pause"): "paused",
    ("paused", "resume"): "running",
    ("running", "complete"): "completed",
    ("paused", "complete"): "completed",
    ("completed", "archive"): "archived",
}
FORBIDDEN = [(s, a) for s in STATUSES for a in ACTIONS if (s, a) not in ALLOWED]
SOURCE = {action: source for (source, action) in ALLOWED}  # one source state per action


def body_for(action: str, comment: str | None = "why not") -> dict[str, Any] | None:
    if action == "complete":
        return {**COMPLETION, "comment": comment or COMPLETION["comment"]}
    return None if comment is None else {"comment": comment}


def log_action(action: str) -> str:
    return action.replace("-", "_")


def when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


@dataclasses.dataclass
class World(Crew):
    lotty: Lotty
    clock: FakeClock
    kept: dict[str, str] = dataclasses.field(default_factory=dict)

    def create(
        self, owner: Caller | None = None, flag: str | None = None, values: tuple[Any, Any] = ("green", "red")
    ) -> str:
        """A draft on a flag of its own (so it may run whatever else runs); returns its key."""
        key = fresh("exp-")
        body = {
            "key": key,
            "flag": flag or self.new_flag(),
            "traffic": 40,
            "variants": [
                {"name": "control", "value": values[0], "weight": 20, "control": True},
                {"name": "red", "value": values[1], "weight": 20},
            ],
        }
        response = (owner or self.owner).post(EXP, body)
        assert response.status_code == 201, response.text
        return key

    def experiment(self, status: str) -> tuple[str, dict[str, Any]]:
        key = self.create()
        return key, self.drive(key, status)

    def standing(self, status: str) -> str:
        """An experiment in `status` kept for tests that only try refused actions (which change nothing).

        Remade when a refused action slipped through, so one broken rule fails one test, not the next.
        """
        key = self.kept.get(status)
        if key is None or self.get(key)["status"] != status:
            key = self.kept[status] = self.experiment(status)[0]
        return key

    def reviews(self, key: str) -> list[dict[str, Any]]:
        return read(self.viewer, f"{EXP}/{key}/reviews")["items"]

    def state(self, key: str, *, reviews: bool = True) -> tuple[Any, ...]:
        """Everything a refused action must leave as it was (reviews: only review actions write them)."""
        return self.get(key), self.log(key), self.reviews(key) if reviews else None


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One server for the module: every test works on experiments (and flags) of its own."""
    with serve(tmp_path_factory, "lifecycle") as server:
        yield World.hire(server.admin, lotty=server.lotty, clock=server.clock)


# -- the transition table -------------------------------------------------------------------------
ALLOWED_CASES = [
    pytest.param(source, action, target, body, id=f"{source}-{action}-{label}")
    for (source, action), target in ALLOWED.items()
    for label, body in (
        [("outcome", COMPLETION)]
        if action == "complete"
        else [("no-body", None), ("comment", {"comment": "looks right to me"})]
    )
]


@pytest.mark.parametrize(("source", "action", "target", "body"), ALLOWED_CASES)
def test_every_allowed_transition(
    world: World, source: str, action: str, target: str, body: dict[str, Any] | None
) -> None:
    key, before = world.experiment(source)
    caller = world.approver if action in REVIEW_ACTIONS else world.owner
    # A malformed comment or an unknown field is refused before anything changes.
    for bad in ({"comment": 5}, {"comment": ["x"]}, {"comment": "ok", "note": "x"}):
        response = caller.post(f"{EXP}/{key}/{action}", {**(body or {}), **bad})
        assert_error(response, 400)
    assert world.get(key) == before

    response = caller.post(f"{EXP}/{key}/{action}", body)
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["status"] == target
    assert world.get(key) == after
    assert after["version"] == before["version"]
    entry = world.log(key)[0]
    assert entry["action"] == log_action(action)
    assert entry["actor"] == caller.user_id
    assert entry["comment"] == (body or {}).get("comment")
    assert entry["before"]["status"] == source and entry["after"]["status"] == target
    if action in REVIEW_ACTIONS:
        review = world.reviews(key)[0]
        assert review["reviewer"] == caller.user_id
        assert review["decision"] == log_action(action)
        assert review["comment"] == (body or {}).get("comment")
        assert review["version"] == before["version"]


@pytest.mark.parametrize(("source", "action"), FORBIDDEN, ids=[f"{s}-{a}" for s, a in FORBIDDEN])
def test_every_forbidden_transition_is_409_and_changes_nothing(
    world: World, source: str, action: str
) -> None:
    key = world.standing(source)
    before = world.state(key, reviews=action in REVIEW_ACTIONS)
    permitted = world.approver if action in REVIEW_ACTIONS else world.owner
    for caller in (permitted, world.admin):
        error = assert_error(
            caller.post(f"{EXP}/{key}/{action}", body_for(action)), 409, "INVALID_TRANSITION"
        )
        assert error["details"]["status"] == source, error
    assert world.state(key, reviews=action in REVIEW_ACTIONS) == before


def test_an_empty_json_object_is_an_empty_body(world: World) -> None:
    key, _ = world.experiment("draft")
    assert world.act(key, "submit", body={})["status"] == "in_review"
    assert world.log(key)[0]["comment"] is None


def test_the_table_covers_every_pair() -> None:
    assert len(ALLOWED) + len(FORBIDDEN) == len(STATUSES) * len(ACTIONS) == 80
    assert {action for _, action in ALLOWED} == set(ACTIONS)
    assert set(ALLOWED.values()) == set(STATUSES)


@pytest.mark.parametrize("action", ACTIONS)
def test_lifecycle_of_an_unknown_experiment_is_404(world: World, action: str) -> None:
    assert_error(world.admin.post(f"{EXP}/no-such-experiment/{action}", body_for(action)), 404, "NOT_FOUND")


def test_a_comment_longer_than_10000_characters_is_400(world: World) -> None:
    key, before = world.experiment("draft")
    response = world.owner.post(f"{EXP}/{key}/submit", {"comment": "x" * 10_001})
    assert_error(response, 400, field="comment", field_in_message=True)
    assert world.get(key) == before


# -- who may act ----------------------------------------------------------------------------------
@pytest.mark.parametrize("action", OWNER_ACTIONS)
def test_owner_actions_refuse_other_experimenters_viewers_and_approvers(world: World, action: str) -> None:
    key, _ = world.experiment(SOURCE[action])
    before = world.state(key)
    for caller in (world.other, world.viewer, world.approver):
        assert_error(caller.post(f"{EXP}/{key}/{action}", body_for(action)), 403)
    assert world.state(key) == before
    after = world.act(key, action, world.admin, body_for(action))
    assert after["status"] == ALLOWED[(SOURCE[action], action)]
    assert world.log(key)[0]["actor"] == world.admin.user_id


@pytest.mark.parametrize("action", REVIEW_ACTIONS)
def test_review_actions_refuse_experimenters_and_viewers(world: World, action: str) -> None:
    key, _ = world.experiment("in_review")
    before = world.state(key)
    for caller in (world.owner, world.other, world.viewer):
        assert_error(caller.post(f"{EXP}/{key}/{action}", {"comment": "me too"}), 403)
    assert world.state(key) == before
    after = world.act(key, action, world.admin, {"comment": "as admin"})
    assert after["status"] == ALLOWED[("in_review", action)]
    assert world.reviews(key)[0]["reviewer"] == world.admin.user_id


def test_an_author_never_approves_their_own_experiment_even_as_admin(world: World) -> None:
    author = world.user("admin")
    key = world.create(owner=author)
    world.act(key, "submit", author)
    before = world.state(key)
    assert_error(author.post(f"{EXP}/{key}/approve", {"comment": "lgtm"}), 403, "OWN_EXPERIMENT")
    assert world.state(key) == before
    assert world.act(key, "approve", world.admin)["status"] == "approved"


def test_one_approval_from_an_approver_suffices_without_a_group(world: World) -> None:
    key, _ = world.experiment("in_review")
    assert world.act(key, "approve", world.user("approver"))["status"] == "approved"


# -- approver groups ------------------------------------------------------------------------------
def set_group(world: World, owner: Caller, approvers: list[Caller], min_approvals: int) -> None:
    body = {"approvers": [a.user_id for a in approvers], "min_approvals": min_approvals}
    response = world.admin.put(f"{API}/users/{owner.user_id}/approvers", body)
    assert response.status_code == 200, response.text


def test_approvals_wait_for_the_group_threshold(world: World) -> None:
    owner = world.user("experimenter")
    a1, a2, a3, outsider = (world.user("approver") for _ in range(4))
    set_group(world, owner, [a1, a2, a3], 2)
    key = world.create(owner=owner)
    world.act(key, "submit", owner)

    for action in REVIEW_ACTIONS:
        assert_error(outsider.post(f"{EXP}/{key}/{action}"), 403, "NOT_IN_APPROVER_GROUP")
    assert world.reviews(key) == []

    assert world.act(key, "approve", a1, {"comment": "looks good"})["status"] == "in_review"
    for action in REVIEW_ACTIONS:  # one review per approver per version
        assert_error(a1.post(f"{EXP}/{key}/{action}", {"comment": "again"}), 409, "ALREADY_REVIEWED")
    assert world.get(key)["status"] == "in_review"
    assert world.act(key, "approve", a2, {"comment": "ship it"})["status"] == "approved"

    reviews = world.reviews(key)
    assert [(r["reviewer"], r["decision"], r["comment"], r["version"]) for r in reviews] == [
        (a2.user_id, "approve", "ship it", 1),
        (a1.user_id, "approve", "looks good", 1),
    ]
    assert [(e["action"], e["actor"]) for e in world.log(key)[:2]] == [
        ("approve", a2.user_id),
        ("approve", a1.user_id),
    ]


def test_an_admin_outside_the_group_may_approve_and_counts(world: World) -> None:
    owner = world.user("experimenter")
    a1, a2 = world.user("approver"), world.user("approver")
    set_group(world, owner, [a1, a2], 2)
    key = world.create(owner=owner)
    world.act(key, "submit", owner)
    assert world.act(key, "approve", world.admin)["status"] == "in_review"
    assert world.act(key, "approve", a2)["status"] == "approved"


def test_a_review_is_per_version(world: World) -> None:
    key, _ = world.experiment("in_review")
    reviewer = world.user("approver")
    world.act(key, "request-changes", reviewer, {"comment": "lower the traffic"})
    world.act(key, "submit")  # resubmitted unchanged: still version 1
    assert_error(reviewer.post(f"{EXP}/{key}/approve"), 409, "ALREADY_REVIEWED")
    world.act(key, "request-changes", world.admin)
    response = world.owner.patch(f"{EXP}/{key}", {"hypothesis": "smaller and safer"})
    assert response.json()["version"] == 2
    world.act(key, "submit")
    assert world.act(key, "approve", reviewer, {"comment": "better"})["status"] == "approved"
    assert [(r["version"], r["decision"], r["comment"]) for r in world.reviews(key)] == [
        (2, "approve", "better"),
        (1, "request_changes", None),
        (1, "request_changes", "lower the traffic"),
    ]


# -- one running experiment per flag --------------------------------------------------------------
def test_a_second_experiment_on_a_flag_cannot_start_while_one_runs_or_is_paused(world: World) -> None:
    flag = world.new_flag()
    first, second = world.create(flag=flag), world.create(flag=flag)
    world.drive(first, "running")
    world.drive(second, "approved")

    def start_is_refused() -> None:
        before = world.state(second)
        error = assert_error(world.owner.post(f"{EXP}/{second}/start"), 409, "ACTIVE_EXPERIMENT_EXISTS")
        assert error["details"]["experiment"] == first, error
        assert_error(world.admin.post(f"{EXP}/{second}/start"), 409, "ACTIVE_EXPERIMENT_EXISTS")
        assert world.state(second) == before

    start_is_refused()
    world.act(first, "pause")
    start_is_refused()
    world.act(first, "complete")
    assert world.act(second, "start")["status"] == "running"
    other_flag = world.create()
    assert world.drive(other_flag, "running")["status"] == "running"


def test_resume_is_409_when_another_experiment_of_the_flag_runs(world: World) -> None:
    flag = world.new_flag()
    paused, other = world.create(flag=flag), world.create(flag=flag)
    world.drive(paused, "paused")
    world.drive(other, "approved")
    # The API never lets two experiments of a flag be active at once; force it to test the guard.
    with world.lotty.store.transaction() as tx:
        now = naive(world.clock())
        tx.execute(
            "catalog/experiments/set_status",
            key=other,
            status="running",
            started_at=now,
            ended_at=None,
            outcome=None,
            now=now,
        )
    before = world.state(paused)
    error = assert_error(world.owner.post(f"{EXP}/{paused}/resume"), 409, "ACTIVE_EXPERIMENT_EXISTS")
    assert error["details"]["experiment"] == other, error
    assert world.state(paused) == before


# -- completion -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"outcome": "no_effect"}, "comment", id="no-comment"),
        pytest.param({"outcome": "no_effect", "comment": ""}, "comment", id="empty-comment"),
        pytest.param({"outcome": "no_effect", "comment": "  \n "}, "comment", id="blank-comment"),
        pytest.param({"outcome": "no_effect", "comment": 5}, None, id="comment-not-text"),
        pytest.param({"comment": "done"}, "outcome", id="no-outcome"),
        pytest.param({"outcome": "won", "comment": "done"}, None, id="unknown-outcome"),
        pytest.param({"outcome": "rollout_winner", "comment": "red won"}, "winner", id="winner-missing"),
        pytest.param(
            {"outcome": "rollout_winner", "winner": "blue", "comment": "x"}, "winner", id="not-variant"
        ),
        pytest.param(
            {"outcome": "rollout_winner", "winner": "", "comment": "x"}, "winner", id="empty-winner"
        ),
        pytest.param(
            {"outcome": "rollback", "winner": "red", "comment": "x"}, "winner", id="rollback-winner"
        ),
        pytest.param(
            {"outcome": "no_effect", "winner": "red", "comment": "x"}, "winner", id="no-effect-winner"
        ),
        pytest.param(
            {"outcome": "rollback", "comment": "x", "promote": True}, "promote", id="rollback-promote"
        ),
        pytest.param({**COMPLETION, "note": "x"}, "note", id="unknown-field"),
        pytest.param(None, None, id="no-body"),
        pytest.param({}, None, id="empty-object"),
    ],
)
def test_complete_needs_a_valid_outcome(world: World, body: Any, field: str | None) -> None:
    key = world.standing("running")
    before = world.state(key, reviews=False)
    assert_error(world.owner.post(f"{EXP}/{key}/complete", body), 400, field=field, field_in_message=True)
    assert world.state(key, reviews=False) == before
    flag = before[0]["flag"]
    assert world.viewer.get(f"{API}/flags/{flag}").json()["default"] == "green"


@pytest.mark.parametrize(
    ("type_", "values"),
    [("string", ("green", "red")), ("number", (1, 2.5)), ("boolean", (False, True)), ("json", ({}, [1]))],
)
def test_rollout_winner_with_promote_sets_the_flag_default_and_is_audited(
    world: World, type_: str, values: tuple[Any, Any]
) -> None:
    flag = world.new_flag(type_, values[0])
    key = world.create(flag=flag, values=values)
    world.drive(key, "paused")
    body = {"outcome": "rollout_winner", "winner": "red", "comment": "red wins", "promote": True}
    done = world.act(key, "complete", world.owner, body)
    assert done["status"] == "completed"
    outcome = done["outcome"]
    assert set(outcome) == {"outcome", "winner", "comment", "decided_by", "decided_at"}
    assert outcome["outcome"] == "rollout_winner" and outcome["winner"] == "red"
    assert outcome["comment"] == "red wins" and outcome["decided_by"] == world.owner.user_id
    assert when(outcome["decided_at"]) == when(done["ended_at"])
    assert world.viewer.get(f"{API}/flags/{flag}").json()["default"] == values[1]

    audit = world.viewer.get(f"{API}/audit", params={"entity": "flag", "entity_key": flag}).json()["items"]
    assert audit[0]["action"] == "promote" and audit[0]["actor"] == world.owner.user_id
    assert audit[0]["before"] == {"default": values[0]} and audit[0]["after"] == {"default": values[1]}
    assert key in (audit[0]["comment"] or "")
    assert world.log(key)[0]["action"] == "complete"


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "rollout_winner", "winner": "red", "comment": "red wins"},
        {"outcome": "rollout_winner", "winner": "control", "comment": "control wins", "promote": False},
        {"outcome": "rollback", "comment": "hurts checkout"},
        {"outcome": "no_effect", "comment": "flat", "winner": None},
    ],
    ids=["winner-kept-default", "control-wins", "rollback", "no-effect"],
)
def test_completion_without_promote_keeps_the_flag_default(world: World, body: dict[str, Any]) -> None:
    flag = world.new_flag()
    key = world.create(flag=flag)
    world.drive(key, "running")
    done = world.act(key, "complete", world.admin, body)
    assert done["outcome"] == {
        "outcome": body["outcome"],
        "winner": body.get("winner"),
        "comment": body["comment"],
        "decided_by": world.admin.user_id,
        "decided_at": done["outcome"]["decided_at"],
    }
    assert world.viewer.get(f"{API}/flags/{flag}").json()["default"] == "green"
    audit = world.viewer.get(f"{API}/audit", params={"entity": "flag", "entity_key": flag}).json()["items"]
    assert [e["action"] for e in audit] == ["create"]
    archived = world.act(key, "archive")
    assert archived["outcome"] == done["outcome"] and archived["ended_at"] == done["ended_at"]


# -- times and the log ----------------------------------------------------------------------------
def test_started_at_and_ended_at_follow_the_lifecycle(world: World) -> None:
    key, draft = world.experiment("approved")
    assert draft["started_at"] is None and draft["ended_at"] is None
    started = world.act(key, "start")
    assert started["started_at"] is not None and started["ended_at"] is None
    world.clock.advance(minutes=5)
    paused = world.act(key, "pause")
    world.clock.advance(minutes=5)
    resumed = world.act(key, "resume")
    assert paused["started_at"] == resumed["started_at"] == started["started_at"]
    assert resumed["ended_at"] is None
    world.clock.advance(minutes=5)
    completed = world.act(key, "complete")
    assert completed["started_at"] == started["started_at"]
    assert when(completed["ended_at"]) - when(started["started_at"]) >= timedelta(minutes=15)
    assert when(completed["ended_at"]) <= when(completed["updated_at"])
    archived = world.act(key, "archive")
    assert (archived["started_at"], archived["ended_at"]) == (completed["started_at"], completed["ended_at"])


def test_the_log_lists_every_transition_newest_first_with_actor_and_comment(world: World) -> None:
    key = world.create()
    steps: list[tuple[str, Caller, str | None]] = [
        ("submit", world.owner, "ready for review"),
        ("request-changes", world.approver, "lower the traffic"),
    ]
    for action, caller, comment in steps:
        world.act(key, action, caller, {"comment": comment})
    assert world.owner.patch(f"{EXP}/{key}", {"hypothesis": "safer"}).status_code == 200
    later: list[tuple[str, Caller, str | None]] = [
        ("submit", world.owner, None),
        ("approve", world.approver, "ok now"),
        ("start", world.owner, None),
        ("pause", world.admin, "investigating a spike"),
        ("resume", world.owner, "false alarm"),
        ("complete", world.owner, "no lift"),
        ("archive", world.owner, None),
    ]
    for action, caller, comment in later:
        world.act(key, action, caller, body_for(action, comment))
    log = world.log(key)
    expected = [
        (log_action(action), caller.user_id, comment)
        for action, caller, comment in reversed([*steps, ("update", world.owner, None), *later])
    ]
    assert [(e["action"], e["actor"], e["comment"]) for e in log] == [
        *expected,
        ("create", world.owner.user_id, None),
    ]
    stamps = [when(e["at"]) for e in log]
    assert stamps == sorted(stamps, reverse=True)
    assert [e["after"]["status"] for e in log if e["action"] not in ("create", "update")] == [
        "archived",
        "completed",
        "running",
        "paused",
        "running",
        "approved",
        "in_review",
        "draft",
        "in_review",
    ]
