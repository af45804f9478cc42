"""Demo data: the city's departments, one user per role, a small catalog, every procedure and the
shipped round schedules.

`load` can run any number of times; it adds what is missing and leaves the rest.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from engine.bootstrap import Engine
from engine.persistence.models import Department, User
from engine.services import accounts, catalog, definitions, rounds
from engine.services.users import SYSTEM, add_user

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"

DEPARTMENTS = {
    "sjj": ("达州市数据局", "authority"),
    "dsjzx": ("达州市大数据服务中心", "operator"),
    "gaj": ("达州市公安局", "source_unit"),
    "scjgj": ("达州市市场监督管理局", "source_unit"),
    "wjw": ("达州市卫生健康委员会", "source_unit"),
    "zrzyj": ("达州市自然资源和规划局", "source_unit"),
    "dzkj": ("达州数智科技有限公司", "company"),
    "dzsw": ("达州市水务集团有限公司", "public_service"),
}


@dataclass(frozen=True)
class DemoUser:
    """One demo account; the password is printed in the README."""

    name: str
    display_name: str
    department: str | None
    roles: tuple[str, ...]
    password: str


DEMO_USERS = (
    DemoUser("zhang.san", "张三", "scjgj", ("applicant",), "scjgj-applicant-demo"),
    DemoUser("li.si", "李四", "sjj", ("reviewer",), "sjj-reviewer-demo"),
    DemoUser("wang.wu", "王五", "gaj", ("source_unit_handler",), "gaj-source-unit-handler-demo"),
    # Every catalog item's source unit has a handler, so the consultations, corrections and
    # objections the procedures send there (source_unit_handler@UNIT) reach someone.
    DemoUser("zhou.jiu", "周九", "scjgj", ("source_unit_handler",), "scjgj-source-unit-handler-demo"),
    DemoUser("wu.shi", "吴十", "zrzyj", ("source_unit_handler",), "zrzyj-source-unit-handler-demo"),
    DemoUser("zheng.yi", "郑一", "wjw", ("source_unit_handler",), "wjw-source-unit-handler-demo"),
    # The data bureau's head receives the 通报 of work still overdue after a 催办.
    DemoUser("qian.ba", "钱八", "sjj", ("department_head",), "sjj-department-head-demo"),
    DemoUser("zhao.liu", "赵六", "sjj", ("supervisor",), "sjj-supervisor-demo"),
    DemoUser("sun.qi", "孙七", "sjj", ("designer",), "sjj-designer-demo"),
    DemoUser("admin", "系统管理员", "dsjzx", ("admin",), "dsjzx-admin-demo"),
    # One applicant of each other kind of account (engine.permissions.ACCOUNT_KINDS).
    DemoUser("feng.ba", "冯八", "dzsw", ("applicant",), "dzsw-applicant-demo"),
    DemoUser("qian.jiu", "钱九", "dzkj", ("applicant",), "dzkj-applicant-demo"),
    DemoUser("chen.shi", "陈十", None, ("applicant",), "home-applicant-demo"),
)


def load(engine: Engine) -> list[str]:
    """Add the demo departments, users, catalog and procedures; returns what was done, line by line."""
    done = []
    with engine.uow() as uow:
        known = set(uow.session.scalars(select(Department.code)))
        for code, (name, kind) in DEPARTMENTS.items():
            if code not in known:
                uow.session.add(Department(code=code, name=name, kind=kind))
                done.append(f"department {code} {name}")
        uow.commit()
    with engine.uow().read() as uow:
        users = set(uow.session.scalars(select(User.name)))
    for user in DEMO_USERS:
        if user.name not in users:
            add_user(engine.uow(), user.name, department=user.department, roles=list(user.roles),
                     display_name=user.display_name, actor=SYSTEM)
            accounts.set_password(engine.uow(), user.name, user.password, actor=SYSTEM)
            done.append(f"user {user.name} ({', '.join(user.roles)})")
    # The initial catalog is installed by the operator, audited and read against the rules as
    # any change is (engine.services.catalog.install_initial); later changes are proposals.
    report = catalog.install_initial(engine.uow(), (DEMO_DATA / "catalog.csv").read_text(encoding="utf-8"),
                                     file_name="catalog.csv", actor=SYSTEM)
    done.append(f"catalog: {report.count('added')} added, {report.count('changed')} changed")
    files = sorted(engine.config.workflows_dir.glob("*.bpmn"))
    if files:
        for deployed in definitions.deploy(engine.uow(), [(f.name, f.read_bytes()) for f in files], actor=SYSTEM):
            done.append(f"{deployed.process_id} v{deployed.version} {'deployed' if deployed.created else 'unchanged'}")
        for schedule in rounds.install_defaults(engine.uow, actor=SYSTEM):
            done.append(f"round schedule {schedule.id}: {schedule.procedure} for {schedule.department}, "
                        f"{schedule.cycle}, next due {schedule.next_due_on}")
    return done
