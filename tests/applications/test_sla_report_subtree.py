"""The SLA report of one agency with or without the agencies under it (``subtree``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from onestop.cli._common import open_mall
from onestop.cli.demo import run_demo
from onestop.exceptions import AgencyNotFound, InvalidValue

NOW = datetime(2027, 1, 4, 3, 4, tzinfo=UTC)  # paused time is counted up to *now*
PARENT = "pemprov-dki"  # the sample mall's province: every agency of it is below it


@pytest.fixture(scope="module")
def mall(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The sample mall after a short simulated day (its agencies all under `PARENT`)."""
    store = f"sqlite:///{tmp_path_factory.mktemp('sla') / 'demo.sqlite3'}"
    run_demo(store_url=store, applications_per_day=40, follow_up_days=1)
    opened = open_mall(None, store, as_json=False)
    yield opened
    opened.store.close()


def test_an_agency_alone_counts_its_own_applications_only(mall: Any) -> None:
    """``subtree=False`` counts the agency's own applications; the default adds those of
    every agency under it, which the agency alone leaves out."""
    whole = mall.sla_report(agency=PARENT, now=NOW)
    alone = mall.sla_report(agency=PARENT, now=NOW, subtree=False)
    assert {row.agency for row in whole} - {PARENT}  # the sub-agencies' rows
    assert {row.agency for row in alone} <= {PARENT}
    assert set(alone) == {row for row in whole if row.agency == PARENT}
    below = next(iter({row.agency for row in whole} - {PARENT}))
    assert mall.sla_report(agency=below, now=NOW, subtree=False) == tuple(
        row for row in mall.sla_report(agency=below, now=NOW) if row.agency == below
    )


@pytest.mark.parametrize("subtree", [1, "no", None, 0.0])
def test_subtree_must_be_a_bool(mall: Any, subtree: Any) -> None:
    """``subtree`` that is not a bool is an InvalidValue naming it, not a truthy guess."""
    with pytest.raises(InvalidValue, match="subtree"):
        mall.sla_report(agency=PARENT, subtree=subtree)


def test_an_unknown_agency_alone_is_still_not_found(mall: Any) -> None:
    """``subtree=False`` does not skip the check that the catalogue has the agency."""
    with pytest.raises(AgencyNotFound):
        mall.sla_report(agency="nowhere", subtree=False)
