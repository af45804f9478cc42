"""What templates share: labels for codes (statuses, audit actions) and form value display."""
from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import lazy_gettext as _l

from engine.clock import SHANGHAI
from engine.services.reports import traffic_light
from webapp import schema_form
from webapp.engine import get_engine

STATUS = {"running": _l("办理中"), "completed": _l("已办结"), "errored": _l("异常，待处理"), "withdrawn": _l("已撤回"),
          "cancelled": _l("已由主管部门终止办理")}
# Where an application stands as its applicant is told (engine.services.portal.applicant_status).
APPLICANT_STATUS = {"received": _l("已受理"), "in_progress": _l("办理中"), "extended": _l("已延期答复"),
                    "answered": _l("已答复"), "withdrawn": _l("已撤回"), "ended": _l("已由主管部门终止办理")}
TASK_STATE = {"open": _l("待办"), "completed": _l("已完成"), "cancelled": _l("已撤销")}
# The catalog's share and open attributes (stored in Chinese, as the catalog is published).
CATALOG_ATTRIBUTES = {"无条件共享": _l("无条件共享"), "有条件共享": _l("有条件共享"), "不予共享": _l("不予共享"),
                      "无条件开放": _l("无条件开放"), "有条件开放": _l("有条件开放"), "不予开放": _l("不予开放")}
ACTIONS = {
    "instance.start": _l("提交申请"),
    "instance.withdraw": _l("撤回申请"),
    "instance.cancel": _l("主管部门终止办理"),
    "attachment.add": _l("上传申请材料"),
    "task.claim": _l("认领任务"),
    "task.unclaim": _l("退回任务"),
    "task.reassign": _l("改派任务"),
    "task.complete": _l("办理完成"),
    "timer.fire": _l("期限计时触发"),
    "deadline.recount": _l("按新放假安排重算期限"),
    "timer.recount": _l("按新放假安排调整计时"),
    "task.urge": _l("催办"),
    "task.bulletin": _l("通报"),
    "instance.migrate": _l("迁移到流程新版本"),
}
# Who read an application, as engine.access names the audiences, and what they read.
AUDIENCES = {"applicant": _l("申请人"), "deciding_unit": _l("承办单位人员"), "consulted_unit": _l("征求意见单位"),
             "supervisor": _l("监督人员"), "designer": _l("流程设计人员"), "admin": _l("系统管理员")}
READS = {"application.status": _l("申请详情"), "application.show": _l("申请详情"), "task.view": _l("任务页面"),
         "task.show": _l("任务详情"), "task.list": _l("任务列表"), "attachment.download": _l("下载申请材料"),
         "reply.read": _l("查看答复书"), "application.diagram": _l("流程图进度"), "application.timeline": _l("督办详情")}
# The traffic light of an open item (engine.services.reports.traffic_light).
LIGHTS = {"red": _l("红灯：已逾期"), "yellow": _l("黄灯：临近期限"), "green": _l("绿灯：期限内")}


def light_of(deadline) -> str | None:
    """The traffic light of an open item's deadline today: "red", "yellow", "green" or None."""
    engine = get_engine()
    return traffic_light(engine, due_date=deadline.due_date, rule=deadline.rule, today=engine.clock.today())


def beijing_time(stamp: str) -> str:
    """An ISO instant as officials read it: Beijing time to the minute."""
    return datetime.fromisoformat(stamp).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def init_app(app: Flask) -> None:
    """Make the label tables and form helpers available to every template."""
    app.jinja_env.globals.update(STATUS=STATUS, APPLICANT_STATUS=APPLICANT_STATUS, TASK_STATE=TASK_STATE, ACTIONS=ACTIONS, LIGHTS=LIGHTS,
                                 AUDIENCES=AUDIENCES, READS=READS,
                                 CATALOG_ATTRIBUTES=CATALOG_ATTRIBUTES, light_of=light_of,
                                 label_of=schema_form.label_of, display=schema_form.display)
    app.jinja_env.filters["beijing_time"] = beijing_time
