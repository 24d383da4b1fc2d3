"""The helpers of `onestop.ports.events` refuse what is not theirs with a typed error."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.time.sla import SlaStatus
from onestop.exceptions import InvalidStoreInput, InvalidValue, NaiveDatetime
from onestop.ports.events import SummaryOrder, decode_cursor, encode_cursor
from onestop.testing.records import T0, make_summary


@pytest.mark.parametrize(
    ("now", "error"),
    [
        (date(2025, 7, 14), InvalidValue),
        ("2025-07-14T09:00:00+07:00", InvalidValue),
        (datetime(2025, 7, 14, 9), NaiveDatetime),  # noqa: DTZ001 - naive on purpose
    ],
)
def test_sla_needs_an_aware_instant(now: object, error: type[Exception]) -> None:
    """A date, text or a naive datetime is refused, not compared with the due date."""
    with pytest.raises(error):
        make_summary("a").sla(now)  # type: ignore[arg-type]


def test_sla_of_a_row_with_a_malformed_due_date_is_refused() -> None:
    """A row whose due date is not a datetime (never one a store returns) is refused."""
    with pytest.raises(InvalidValue, match=r"summary\.due"):
        make_summary("a", due="2025-07-21").sla(T0)


def test_sla_judges_an_aware_instant_in_any_zone() -> None:
    """On track before the risk line, at risk after it, overdue past the due date."""
    row = make_summary("a")
    assert row.sla(T0) is SlaStatus.ON_TRACK
    assert row.sla(T0 + timedelta(days=6, hours=1)) is SlaStatus.AT_RISK
    assert row.sla((T0 + timedelta(days=8)).astimezone()) is SlaStatus.OVERDUE


@pytest.mark.parametrize(
    "key",
    [
        "a" * 100_000,
        ["0", T0, "a"],
        (2, T0, "a"),
        (True, T0, "a"),
        (0, "2025-07-14", "a"),
        (0, datetime(2025, 7, 14), "a"),  # noqa: DTZ001 - naive on purpose
        (0, T0, "a\x00b"),
        (0, T0, "a\ud800"),
        (0, T0, b"a"),
        (0, T0),
    ],
)
def test_encode_cursor_refuses_what_is_not_a_sort_key(key: object) -> None:
    """Text, a list, a rank other than 0 or 1, a naive instant, bytes: InvalidStoreInput."""
    with pytest.raises(InvalidStoreInput) as caught:
        encode_cursor(key, SummaryOrder.DUE)  # type: ignore[arg-type]
    assert len(str(caught.value)) < 200


def test_encode_cursor_refuses_an_order_that_is_not_one() -> None:
    """The order's value as text is not a SummaryOrder."""
    with pytest.raises(InvalidStoreInput):
        encode_cursor((0, T0, "a"), "due")  # type: ignore[arg-type]


@given(
    rank=st.sampled_from([0, 1]),
    instant=st.datetimes(timezones=st.just(UTC)),
    stream_id=st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1
    ),
    order=st.sampled_from(SummaryOrder),
)
def test_a_cursor_encoded_decodes_to_its_key(
    rank: int, instant: datetime, stream_id: str, order: SummaryOrder
) -> None:
    """Every sort key a store keeps survives the trip through its cursor."""
    cursor = encode_cursor((rank, instant, stream_id), order)
    assert decode_cursor(cursor, order) == (rank, instant, stream_id)
