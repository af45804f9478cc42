"""承诺时限 within the law: a department may promise sooner than the Measures, never later."""
from __future__ import annotations

import pytest

from engine.errors import InvalidInput
from engine.services import supervision

PROCESS_ID = "conditional_share"


@pytest.mark.parametrize("process_id, days", [("conditional_share", 6), ("conditional_share", 10),
                                              ("correction_request", 25)])
def test_a_promise_longer_than_the_statutory_period_is_refused_naming_it(procedure, process_id, days):
    # Art. 20 para. 2 gives 5 working days; Art. 16 para. 2 gives 30 days, fewer than 25 working
    # days whenever the receipt falls before a long holiday (or at any time: 30 days hold at most 22).
    with pytest.raises(InvalidInput) as refused:
        supervision.set_promise(procedure.engine.uow(), "gaj", process_id, days, actor="zhao.liu")
    [problem] = refused.value.problems
    assert (problem.code, problem.where) == ("promise.longer_than_statutory", "working_days")
    assert supervision.promises(procedure.engine.uow(), "zhao.liu") == []


def test_a_promise_within_the_statutory_period_is_published(procedure):
    supervision.set_promise(procedure.engine.uow(), "gaj", "conditional_share", 5, actor="zhao.liu")
    supervision.set_promise(procedure.engine.uow(), "gaj", "correction_request", 15, actor="zhao.liu")
    assert sorted((p.process_id, p.working_days) for p in supervision.promises(procedure.engine.uow(), "zhao.liu")) \
        == [("conditional_share", 5), ("correction_request", 15)]
