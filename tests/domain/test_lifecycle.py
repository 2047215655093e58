from datetime import UTC, datetime, timedelta

import pytest

from mockserver.domain.lifecycle import Step, Timeline, next_change

START = datetime(2026, 1, 1, tzinfo=UTC)
ORDER = Timeline(
    (
        Step("submitted", timedelta(0)),
        Step("processing", timedelta(seconds=2)),
        Step("fulfilled", timedelta(seconds=5)),
    )
)


@pytest.mark.parametrize(
    ("after", "status", "since"),
    [(0, "submitted", 0), (1.9, "submitted", 0), (2, "processing", 2), (60, "fulfilled", 5)],
)
def test_status_and_since_follow_the_clock(after: float, status: str, since: float) -> None:
    now = START + timedelta(seconds=after)
    assert ORDER.status_at(START, now) == status
    assert ORDER.since(START, now) == START + timedelta(seconds=since)


def test_a_timeline_must_start_at_zero_and_be_ordered() -> None:
    with pytest.raises(ValueError, match="offset 0"):
        Timeline((Step("a", timedelta(seconds=1)),))
    with pytest.raises(ValueError, match="time order"):
        Timeline((Step("a", timedelta(0)), Step("b", timedelta(2)), Step("c", timedelta(1))))


def test_reached_tells_when_a_status_begins() -> None:
    assert ORDER.reached("fulfilled", START) == START + timedelta(seconds=5)
    with pytest.raises(ValueError, match="not on this timeline"):
        ORDER.reached("rejected", START)


def test_the_next_change_is_read_off_the_status_function() -> None:
    def statuses(at: datetime) -> dict[str, str]:
        return {"order": ORDER.status_at(START, at)}

    instants = [*ORDER.instants(START), None, START + timedelta(seconds=3)]
    assert next_change(statuses, instants, START) == (
        START + timedelta(seconds=2),
        {"order": "processing"},
    )
    # An instant at which nothing changes (3 s) is passed over; none after the last step.
    assert next_change(statuses, instants, START + timedelta(seconds=2)) == (
        START + timedelta(seconds=5),
        {"order": "fulfilled"},
    )
    assert next_change(statuses, instants, START + timedelta(seconds=5)) is None
