"""Demo data: the city (达州市, its authority 达州市数据局) and two of its counties (通川区,
宣汉县), each with its own 数据局 as authority; the city's departments, one user per role, each
county's reviewer, supervisor and applicant, a small catalog, every procedure, the shipped round schedules, and one
application filed at 宣汉县 that the county's authority decides (「本级」).

`load` can run any number of times; it adds what is missing and leaves the rest.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from engine.bootstrap import Engine
from engine.persistence.models import Department, Level, ProcessInstance, User
from engine.services import accounts, catalog, definitions, instances, organisation, rounds
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
CITY_NAME = "达州市"
# The counties and districts: code -> name (达州 has seven; the demo ships two).
COUNTIES = {"tc": "通川区", "xh": "宣汉县"}
# Each county's departments: code -> (short name, full official name, kind, level).
COUNTY_DEPARTMENTS = {
    "tcsjj": ("通川区数据局", "达州市通川区数据局", "authority", "tc"),
    "tcscjgj": ("通川区市场监管局", "达州市通川区市场监督管理局", "department", "tc"),
    "xhsjj": ("宣汉县数据局", "宣汉县数据局", "authority", "xh"),
    "xhscjgj": ("宣汉县市场监管局", "宣汉县市场监督管理局", "department", "xh"),
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
    # Each source unit's head approves its Art. 44 risk assessment (department_head@UNIT, a round
    # the scheduler starts) and is alerted to its unit's overdue work.
    DemoUser("niu.er", "牛二", "gaj", ("department_head",), "gaj-department-head-demo"),
    DemoUser("yang.san", "杨三", "scjgj", ("department_head",), "scjgj-department-head-demo"),
    DemoUser("zhu.si", "朱四", "wjw", ("department_head",), "wjw-department-head-demo"),
    DemoUser("qin.wu", "秦五", "zrzyj", ("department_head",), "zrzyj-department-head-demo"),
    DemoUser("zhao.liu", "赵六", "sjj", ("supervisor",), "sjj-supervisor-demo"),
    DemoUser("sun.qi", "孙七", "sjj", ("designer",), "sjj-designer-demo"),
    DemoUser("admin", "系统管理员", "dsjzx", ("admin",), "dsjzx-admin-demo"),
    # One applicant of each other kind of account (engine.permissions.ACCOUNT_KINDS).
    DemoUser("feng.ba", "冯八", "dzsw", ("applicant",), "dzsw-applicant-demo"),
    DemoUser("qian.jiu", "钱九", "dzkj", ("applicant",), "dzkj-applicant-demo"),
    DemoUser("chen.shi", "陈十", None, ("applicant",), "home-applicant-demo"),
)
# Each county's reviewer and supervisor (at its 数据局) and an applicant of one of its departments.
COUNTY_USERS = (
    DemoUser("he.yi", "何一", "tcsjj", ("reviewer",), "tcsjj-reviewer-demo"),
    DemoUser("lu.er", "陆二", "tcsjj", ("supervisor",), "tcsjj-supervisor-demo"),
    DemoUser("ma.san", "马三", "tcscjgj", ("applicant",), "tcscjgj-applicant-demo"),
    DemoUser("xu.si", "徐四", "xhsjj", ("reviewer",), "xhsjj-reviewer-demo"),
    DemoUser("luo.wu", "罗五", "xhsjj", ("supervisor",), "xhsjj-supervisor-demo"),
    DemoUser("tang.liu", "唐六", "xhscjgj", ("applicant",), "xhscjgj-applicant-demo"),
)
# The application 宣汉县's applicant files: it waits for reviewer@xhsjj, the county's authority.
COUNTY_APPLICANT = "tang.liu"
COUNTY_APPLICATION = {"catalog_item": "GA-001", "request_reason": "核验个体工商户经营者身份",
                      "request_basis": "县级市场主体登记管理职责", "purpose": "登记审查",
                      "requested_scope": "姓名、身份证号"}


def load_organisation(engine: Engine) -> list[str]:
    """Add the city's and the counties' levels and departments that are missing; returns what was done."""
    done = []
    with engine.uow() as uow:
        session = uow.session
        city = organisation.city(session)
        if city is None:
            city = Level(code=organisation.CITY_CODE, name=CITY_NAME, kind="city", parent=None, authority=None)
            session.add(city)
        if city.name != CITY_NAME and city.name == "市本级":
            city.name = CITY_NAME  # the name the first migration gives a city it cannot know
        known = set(session.scalars(select(Department.code)))
        for code, (name, kind) in DEPARTMENTS.items():
            if code not in known:
                session.add(Department(code=code, name=name, full_name=name, kind=kind, level=city.code))
                done.append(f"department {code} {name}")
        if city.authority is None:
            city.authority = "sjj"
        session.flush()
        for code, name in COUNTIES.items():
            if session.get(Level, code) is None:
                session.add(Level(code=code, name=name, kind="county", parent=city.code, authority=None))
                done.append(f"level {code} {name}")
        session.flush()
        for code, (name, full_name, kind, level) in COUNTY_DEPARTMENTS.items():
            if code not in known:
                organisation.create_department(session, engine.config, code, name=name, full_name=full_name,
                                               kind=kind, level=level)
                done.append(f"department {code} {name} ({COUNTIES[level]})")
        uow.commit()
    return done


def load(engine: Engine) -> list[str]:
    """Add the demo departments, users, catalog and procedures; returns what was done, line by line."""
    done = load_organisation(engine)
    with engine.uow().read() as uow:
        users = set(uow.session.scalars(select(User.name)))
    for user in DEMO_USERS + COUNTY_USERS:
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
        done += _county_application(engine)
    return done


def _county_application(engine: Engine) -> list[str]:
    """File the county applicant's share application once; it lands at the county's authority."""
    with engine.uow().read() as uow:
        if uow.session.scalar(select(ProcessInstance.id).where(ProcessInstance.started_by == COUNTY_APPLICANT)
                              .limit(1)) is not None:
            return []
    until = (engine.clock.today() + timedelta(days=180)).isoformat()
    started = instances.start(engine.uow(), "conditional_share", actor=COUNTY_APPLICANT,
                              data={**COUNTY_APPLICATION, "requested_until": until})
    return [f"application {started.receipt_number} by {COUNTY_APPLICANT} ({COUNTIES['xh']})"]
