"""The pacer's decisions: full round trips, one claim in flight, claiming ahead only for quick
handlers."""

from __future__ import annotations

from hubjobs.pacing import AHEAD_FACTOR, AHEAD_MAX_RUN_SECONDS, MAX_INFLIGHT_CYCLES, CyclePlan, Pacer


def quick(concurrency: int) -> Pacer:
    pacer = Pacer(concurrency)
    for _ in range(5):
        pacer.record_run(AHEAD_MAX_RUN_SECONDS / 100)
    return pacer


def test_nothing_is_held_until_handlers_prove_quick() -> None:
    pacer = Pacer(10)
    assert pacer.ahead == 0
    assert pacer.plan(queued_outcomes=0, occupied=0, in_flight=0, claiming=False, claim=True) == CyclePlan(0, 5)
    assert quick(10).ahead == AHEAD_FACTOR * 10


def test_slow_handlers_stop_claiming_ahead() -> None:
    pacer = quick(10)
    for _ in range(50):
        pacer.record_run(1.0)
    assert pacer.ahead == 0


def test_an_idle_worker_sends_even_one_outcome_at_once() -> None:
    pacer = Pacer(10)
    assert pacer.plan(queued_outcomes=1, occupied=9, in_flight=0, claiming=False, claim=False) == CyclePlan(1, 0)


def test_a_finished_job_frees_its_slot_for_the_claim_of_the_same_trip() -> None:
    pacer = Pacer(4)
    assert pacer.plan(queued_outcomes=2, occupied=2, in_flight=0, claiming=False, claim=True) == CyclePlan(2, 2)


def test_while_a_trip_is_in_flight_tiny_trips_wait() -> None:
    pacer = Pacer(10)
    assert pacer.plan(queued_outcomes=1, occupied=5, in_flight=1, claiming=True, claim=True) is None
    assert pacer.plan(queued_outcomes=5, occupied=5, in_flight=1, claiming=True, claim=True) == CyclePlan(5, 0)


def test_only_one_trip_claims_at_a_time() -> None:
    pacer = quick(10)
    plan = pacer.plan(queued_outcomes=10, occupied=10, in_flight=1, claiming=True, claim=True)
    assert plan == CyclePlan(10, 0)


def test_quick_handlers_claim_the_next_batch_while_one_runs() -> None:
    pacer = quick(10)
    held = AHEAD_FACTOR * 10
    assert pacer.plan(queued_outcomes=0, occupied=10, in_flight=0, claiming=False, claim=True) == CyclePlan(0, held)
    assert pacer.plan(queued_outcomes=0, occupied=10 + held, in_flight=0, claiming=False, claim=True) is None
    # outcomes alone go beside an in-flight claim only as a full batch
    assert pacer.plan(queued_outcomes=9, occupied=19, in_flight=1, claiming=True, claim=True) is None
    assert pacer.plan(queued_outcomes=10, occupied=20, in_flight=1, claiming=True, claim=True) == CyclePlan(10, 0)


def test_limited_queues_are_never_claimed_ahead() -> None:
    pacer = quick(10)
    assert pacer.plan(queued_outcomes=0, occupied=10, in_flight=0, claiming=False, claim=True,
                      may_hold=False) is None
    assert pacer.plan(queued_outcomes=0, occupied=4, in_flight=0, claiming=False, claim=True,
                      may_hold=False) == CyclePlan(0, 5)


def test_never_more_trips_in_flight_than_the_limit() -> None:
    pacer = Pacer(10)
    assert pacer.plan(queued_outcomes=10, occupied=0, in_flight=MAX_INFLIGHT_CYCLES, claiming=False,
                      claim=True) is None


def test_claiming_ahead_can_be_turned_off() -> None:
    pacer = Pacer(10, claim_ahead=False)
    for _ in range(5):
        pacer.record_run(0.0)
    assert pacer.ahead == 0
    assert pacer.plan(queued_outcomes=0, occupied=10, in_flight=0, claiming=False, claim=True) is None


def test_only_one_trip_carries_outcomes_at_a_time() -> None:
    pacer = Pacer(10)
    # the outcomes wait (they still hold their slots); the claim may go
    assert pacer.plan(queued_outcomes=2, occupied=0, in_flight=1, claiming=False, claim=True,
                      finishing=True) == CyclePlan(0, 5)
    assert pacer.plan(queued_outcomes=2, occupied=0, in_flight=1, claiming=True, claim=True,
                      finishing=True) is None


def test_a_queue_with_its_own_slots_claims_no_more_than_its_room() -> None:
    pacer = Pacer(10)
    assert pacer.plan(queued_outcomes=0, occupied=0, in_flight=0, claiming=False, claim=True,
                      room=3) == CyclePlan(0, 3)
    assert pacer.plan(queued_outcomes=0, occupied=0, in_flight=0, claiming=False, claim=True, room=0) is None
    assert pacer.plan(queued_outcomes=2, occupied=2, in_flight=0, claiming=False, claim=True,
                      room=-1) == CyclePlan(2, 0)
