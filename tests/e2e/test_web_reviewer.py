"""What a reviewer reads of finished work: when it was done and whether on time, and who did what."""
from __future__ import annotations

import re

import pytest

from test_web_portal import apply
from web_helpers import AuthActions, make_app


def decide_at(engines, instant: str) -> tuple[object, str]:
    """li.si claims and refuses the first application at `instant`; returns their client and the task's path."""
    client = make_app(engines.at(instant)).test_client()
    auth = AuthActions(client)
    auth.login("li.si")
    task = re.search(r'/inbox/tasks/(\d+)/claim', client.get("/inbox/").text).group(1)
    auth.post("/inbox/", f"/inbox/tasks/{task}/claim")
    response = auth.post(f"/inbox/tasks/{task}", f"/inbox/tasks/{task}",
                         {"decision": "refuse", "reason": "不符合条件", "basis": "第二十条"})
    assert response.status_code == 302
    return client, f"/inbox/tasks/{task}"


@pytest.mark.parametrize("instant, shown", [
    ("2026-03-02T15:00:00+08:00", "按期办结"),
    # Due 2026-03-09; finished on Thursday 03-12: 03-10, 03-11 and 03-12 are working days late.
    ("2026-03-12T10:00:00+08:00", "逾期 3 个工作日办结"),
])
def test_a_finished_task_shows_when_it_was_finished_and_whether_on_time(client, auth, engines, instant, shown):
    auth.login("zhang.san")
    apply(auth)
    reviewer, path = decide_at(engines, instant)
    page = reviewer.get(path).text
    assert shown in page and f"办结于 {instant[:10]}" in page
    assert "剩余" not in page
    listing = reviewer.get("/inbox/?tab=completed").text
    assert shown in listing


def test_the_history_names_people_once_and_the_step_they_acted_on(client, auth, engines):
    auth.login("zhang.san")
    apply(auth)
    reviewer, path = decide_at(engines, "2026-03-02T15:00:00+08:00")
    history = reviewer.get(path).text.split('class="timeline"')[1]
    assert "li.si → li.si" not in history and "→" not in history
    assert "认领任务</strong> · 共享审核 · li.si" in history
