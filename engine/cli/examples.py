"""One or more worked examples for every `pdw` command, shown at the end of its --help."""
from __future__ import annotations

EXAMPLES: dict[str, tuple[str, ...]] = {
    "audit verify": ("pdw audit verify",),
    "calendar due": ("pdw calendar due --received 2026-09-28 --rule art20_share_reply --json",),
    "calendar is-workday": ("pdw calendar is-workday 2026-10-10",),
    "calendar year": ("pdw calendar year 2026",),
    "calendar install": ("pdw calendar install 2027.toml --dry-run --as admin",
                         "pdw calendar install 2027.toml --yes --as admin"),
    "calendar recount": ("pdw calendar recount --dry-run --as admin",),
    "calendar rules": ("pdw calendar rules",),
    "catalog import": ("pdw catalog import catalog.csv --as admin",),
    "catalog list": ("pdw catalog list --json",),
    "catalog edit": ("pdw catalog edit SC-002 --set update_frequency=每日 --as admin",),
    "catalog proposals": ("pdw catalog proposals --as li.si", "pdw catalog proposals --status all --json --as li.si"),
    "catalog approve": ("pdw catalog approve 1 --reason 已核实 --as li.si",),
    "catalog refuse": ("pdw catalog refuse 1 --reason 未与数源单位协商 --as li.si",),
    "mail set-aside": ("pdw mail set-aside --as admin", "pdw mail set-aside --json --as admin"),
    "db upgrade": ("PDW_DATABASE_URL=postgresql+psycopg://pdw@db.example/pdw pdw db upgrade",),
    "db backup": ("pdw db backup pdw-backup.sqlite3",),
    "db restore": ("pdw db backup pdw-backup.sqlite3 && pdw db restore pdw-backup.sqlite3 --yes",),
    "demo load": ("pdw db upgrade && pdw demo load",),
    "departments promise": ("pdw departments promise gaj conditional_share 3 --as zhao.liu",),
    "departments add": ("pdw departments add xhgaj --name 宣汉县公安局 --full-name 宣汉县公安局 --level xh --as admin",
                        "pdw levels add dc --name 达川区 --as admin && pdw departments add dcsjj --name 达川区数据局 "
                        "--full-name 达州市达川区数据局 --kind authority --level dc --as admin"),
    "departments rename": ("pdw departments rename xhscjgj --full-name 宣汉县市场监督管理局 --as admin",),
    "departments move": ("pdw departments move dzsw --level tc --as admin",),
    "departments retire": ("pdw departments retire dzkj --as admin",),
    "departments list": ("pdw departments list --level xh", "pdw departments list --retired --json"),
    "levels add": ("pdw levels add dc --name 达川区 --as admin",),
    "levels list": ("pdw levels list", "pdw levels list --json"),
    "grants list": ("pdw grants list --active --as li.si", "pdw grants list --grantee scjgj --json --as li.si"),
    "grants revoke": ("pdw grants revoke 4 --reason '授权期满' --as li.si",),
    "instances start": ("pdw instances start conditional_share --as zhang.san "
                        "--data '{\"catalog_item\": \"GA-001\", \"purpose\": \"...\", ...}'",),
    "instances list": ("pdw instances list --status errored --as zhao.liu",
                       "pdw instances list --process objection --json --as zhao.liu"),
    "instances show": ("pdw instances show 12 --as li.si --json",),
    "instances readers": ("pdw instances readers 12 --as zhao.liu",),
    "instances retry": ("pdw instances retry 12 --as zhao.liu",),
    "instances cancel": ("pdw instances cancel 12 --reason 'entered twice' --as zhao.liu",),
    "procedures show": ("pdw procedures show conditional_share --as zhang.san",
                        "pdw procedures show objection --as chen.shi --json"),
    "report overdue": ("pdw report overdue --as zhao.liu --json",
                       "pdw report overdue --at 2026-03-02 --xlsx overdue.xlsx --as zhao.liu"),
    "report unassignable": ("pdw report unassignable --as zhao.liu --json",),
    "report ontime": ("pdw report ontime --from 2026-01-01 --to 2026-03-31 --by department --as zhao.liu",
                      "pdw report ontime --from 2026-01-01 --to 2026-12-31 --by month --xlsx ontime.xlsx --as zhao.liu"),
    "rounds list": ("pdw rounds list --as zhao.liu", "pdw rounds list --json --as zhao.liu"),
    "rounds schedule": ("pdw rounds schedule --procedure risk_assessment --cycle quarterly --anchor 2026-04-01 "
                        "--department gaj --group source_unit_handler@gaj --deadline-rule round_art44_risk_assessment "
                        "--data '{\"round_name\": \"{period}\", \"scope\": \"本单位政务信息系统\"}' --as admin",
                        "pdw rounds schedule 1 --disable --as admin"),
    "rounds defaults": ("pdw rounds defaults --as admin",),
    "scheduler run": ("pdw scheduler run", "pdw scheduler run --once"),
    "tasks list": ("pdw tasks list --as li.si", "pdw tasks list --instance 12 --state all --json --as zhao.liu"),
    "tasks show": ("pdw tasks show 7 --as li.si",),
    "tasks claim": ("pdw tasks claim 7 --as li.si",),
    "tasks unclaim": ("pdw tasks unclaim 7 --as li.si",),
    "tasks reassign": ("pdw tasks reassign 7 --to li.si --as zhao.liu",),
    "tasks complete": ("pdw tasks complete 7 --as li.si --data '{\"decision\": \"approve\", \"granted_scope\": \"...\", \"granted_until\": \"...\"}'",),
    "tokens create": ("pdw tokens create li.si --expires-days 90 --as admin",),
    "tokens list": ("pdw tokens list", "pdw tokens list li.si --json"),
    "tokens revoke": ("pdw tokens revoke 3 --as admin",),
    "users add": ("pdw users add li.si --department sjj --roles reviewer --as admin",
                  "pdw users add chen.ba --department wjw --department-name 达州市卫生健康委员会 "
                  "--roles source_unit_handler --as admin"),
    "users disable": ("pdw users disable li.si --as admin",),
    "users list": ("pdw users list", "pdw users list --json"),
    "users set-password": ("pdw users set-password li.si --as admin",
                           "echo 'a long secret' | pdw users set-password li.si --password-stdin --as admin"),
    "workflows validate": ("pdw workflows validate workflows/*.bpmn",),
    "workflows deploy": ("pdw workflows deploy my_share.bpmn --as sun.qi",),
    "workflows pending": ("pdw workflows pending --as qian.ba",),
    "workflows review": ("pdw workflows review conditional_share 2 --as qian.ba",),
    "workflows approve": ("pdw workflows approve conditional_share 2 --as qian.ba",),
    "workflows reject": ("pdw workflows reject conditional_share 2 --as qian.ba --reason 复核意见路由不符合第二十条",),
    "workflows migrate": ("pdw workflows migrate conditional_share 1 2 --instance 12 --instance 13 --as sun.qi",),
    "workflows approve-migration": ("pdw workflows approve-migration 3 --as qian.ba",),
    "workflows reject-migration": ("pdw workflows reject-migration 3 --as qian.ba --reason 待办结后再迁移",),
    "workflows list": ("pdw workflows list --json",),
    "web": ("pdw web --host 127.0.0.1 --port 5000",),
}


def epilog(path: str) -> str | None:
    """The examples of command `path` ("tasks claim") as a --help epilog, kept as written."""
    lines = EXAMPLES.get(path)
    if not lines:
        return None
    # \b stops click from re-wrapping the paragraph.
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)
