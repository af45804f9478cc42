"""Issue 9's "done means", each driven through the `pdw` command line on a frozen clock (PDW_CLOCK),
on SQLite and PostgreSQL databases seeded with the project's procedures and the demo catalog."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from engine.cli import main

SHARE = {"catalog_item": "GA-001", "request_reason": "户籍业务核验", "request_basis": "《户口登记条例》",
         "purpose": "户籍登记", "requested_scope": "姓名、户籍地址", "requested_until": "2026-12-31"}
PRIVACY = {"catalog_item": "SC-001", "objection_type": "privacy", "description": "开放数据含本人手机号",
           "requested_measure": "delete"}


class Pdw:
    """`pdw ARGS...` against one database at a frozen instant."""

    def __init__(self, url: str, monkeypatch) -> None:
        self.monkeypatch = monkeypatch
        monkeypatch.setenv("PDW_DATABASE_URL", url)
        monkeypatch.setenv("PDW_CLOCK", "2026-03-02T09:00:00+08:00")
        monkeypatch.setenv("PDW_LANG", "en")
        self.runner = CliRunner()

    def __call__(self, *args: str, clock: str | None = None, ok: bool = True):
        if clock:
            self.monkeypatch.setenv("PDW_CLOCK", clock)
        result = self.runner.invoke(main, list(args), catch_exceptions=False)
        assert (result.exit_code == 0) == ok, result.output
        return result

    def json(self, *args: str, **kwargs):
        return json.loads(self(*args, "--json", **kwargs).stdout)

    def start(self, process_id: str, data: dict, actor: str = "zhang.san") -> str:
        return self("instances", "start", process_id, "--as", actor,
                    "--data", json.dumps(data, ensure_ascii=False)).stdout.splitlines()[0]

    def task(self, user: str, name: str) -> dict:
        [task] = [t for t in self.json("tasks", "list", "--as", user) if t["task_name"] == name]
        return task

    def complete(self, user: str, name: str, data: dict, **kwargs):
        return self("tasks", "complete", str(self.task(user, name)["id"]), "--as", user,
                    "--data", json.dumps(data, ensure_ascii=False), **kwargs)


@pytest.fixture
def pdw(project_engines, monkeypatch) -> Pdw:
    return Pdw(project_engines.config.database_url, monkeypatch)


def test_a_source_unit_that_never_answers_is_escalated_at_the_extended_deadline(pdw):
    instance_id = pdw.start("conditional_share", SHARE)
    pdw.complete("li.si", "review", {"decision": "extend", "extension_reason": "需征求市公安局意见"},
                 clock="2026-03-06T10:00:00+08:00")

    assert "0 timer(s) fired" in pdw("scheduler", "run", "--once", clock="2026-03-16T23:59:00+08:00").stdout
    assert "1 timer(s) fired" in pdw("scheduler", "run", "--once", clock="2026-03-17T00:00:00+08:00").stdout
    assert pdw.task("zhao.liu", "supervise_source_opinion")["instance_id"] == int(instance_id)
    shown = pdw.json("instances", "show", instance_id, "--as", "zhao.liu")
    assert shown["statutory"]["due_date"] == "2026-03-16"
    assert shown["statutory"]["extended_from"] == "2026-03-09"


def test_a_late_extension_is_refused_and_nothing_is_written(pdw):
    instance_id = pdw.start("conditional_share", SHARE)
    before = pdw.json("instances", "show", instance_id, "--as", "zhao.liu")

    refused = pdw.complete("li.si", "review", {"decision": "extend", "extension_reason": "需征求意见"},
                           clock="2026-03-10T09:00:00+08:00", ok=False)

    assert "the statutory reply period ended on 2026-03-09" in refused.stderr
    after = pdw.json("instances", "show", instance_id, "--as", "zhao.liu")
    assert (after["history"], after["tasks"], after["statutory"]) == (
        before["history"], before["tasks"], before["statutory"])


def test_the_privacy_deadline_escalates_while_suspension_is_considered(pdw):
    pdw.start("objection", PRIVACY)

    assert "1 timer(s) fired" in pdw("scheduler", "run", "--once", clock="2026-03-17T00:00:00+08:00").stdout
    assert pdw.task("zhao.liu", "supervise_consider")["task_name"] == "supervise_consider"


def test_an_objection_to_unopened_data_and_an_unknown_catalog_code_are_refused_with_nothing_written(pdw):
    refused = pdw("instances", "start", "objection", "--as", "zhang.san",
                  "--data", json.dumps({**PRIVACY, "catalog_item": "GA-001"}), ok=False)
    assert "catalog_item: catalog item 'GA-001' is not open (不予开放)" in refused.stderr
    refused = pdw("instances", "start", "conditional_share", "--as", "zhang.san",
                  "--data", json.dumps({**SHARE, "catalog_item": "XX-999"}), ok=False)
    assert "catalog_item: no catalog item 'XX-999'" in refused.stderr

    instance_id = pdw.start("conditional_share", SHARE)
    assert pdw.json("instances", "show", instance_id, "--as", "zhao.liu")["receipt_number"] == "DZ2026030200001"


def test_a_founded_privacy_objection_leaves_the_opening_suspended(pdw):
    instance_id = pdw.start("objection", PRIVACY)
    pdw.complete("zhou.jiu", "consider_suspension", {"suspend": True, "suspension_reason": "涉及个人信息"})
    pdw.complete("zhou.jiu", "assess", {"decision": "founded", "finding": "含个人手机号"})
    pdw.complete("zhou.jiu", "measures", {"measure": "deleted", "measure_summary": "已删除手机号字段",
                                          "measure_date": "2026-03-02"})
    pdw.complete("zhou.jiu", "decide_resume", {"resume": False, "resume_reasons": "个人信息已删除，维持暂停"})

    assert pdw.json("instances", "show", instance_id, "--as", "zhao.liu")["status"] == "completed"
    [item] = [i for i in pdw.json("catalog", "list") if i["code"] == "SC-001"]
    assert item["open_suspended"] is True


def test_an_unconditional_inclusion_completes(pdw):
    instance_id = pdw.start("catalog_demand", {"demand_type": "share", "data_name": "机动车登记信息",
                                               "description": "车辆所有人与号牌", "purpose": "执法核查"})
    pdw.complete("li.si", "intake", {"source_unit": "gaj", "intake_note": "请协商"})
    pdw.complete("wang.wu", "consultation", {"opinion": "agree", "opinion_reasons": "可无条件共享"})
    pdw.complete("li.si", "share_decision", {"decision": "include", "catalog_item": "GA-003",
                                             "item_name": "机动车登记信息", "attribute": "无条件共享",
                                             "update_frequency": "每日", "contact": "市公安局数据管理科",
                                             "data_format": "接口", "data_type": "结构化", "sensitivity_level": "一般"})

    assert pdw.json("instances", "show", instance_id, "--as", "zhao.liu")["status"] == "completed"
    # The listing is a catalog change held for the authority; approved, it is live.
    [proposal] = pdw.json("catalog", "proposals", "--as", "qian.ba")
    assert (proposal["catalog_item"], proposal["source_kind"]) == ("GA-003", "demand")
    pdw("catalog", "approve", str(proposal["id"]), "--as", "qian.ba")
    assert "GA-003" in {item["code"] for item in pdw.json("catalog", "list")}


def test_an_authorisation_is_ended_from_the_command_line(pdw):
    pdw.start("conditional_share", {**SHARE, "catalog_item": "SC-001"})  # unconditional: granted at once
    [grant] = pdw.json("grants", "list", "--active", "--as", "zhao.liu")

    pdw("grants", "revoke", str(grant["id"]), "--as", "li.si", "--reason", "共享用途已终止")

    assert pdw.json("grants", "list", "--active", "--as", "zhao.liu") == []
    [ended] = pdw.json("grants", "list", "--as", "zhao.liu")
    assert (ended["revoked_by"], ended["revoke_reason"], ended["active"]) == ("li.si", "共享用途已终止", False)
