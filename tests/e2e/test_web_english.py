"""Every page in English shows no Chinese but what people entered (names, applications, the catalog)."""
from __future__ import annotations

import csv
import io
import re

from engine.calendar.statute import load_statute
from engine.config import PROJECT_ROOT
from engine.demo import CITY_NAME, COUNTIES, COUNTY_DEPARTMENTS, COUNTY_USERS, DEMO_DATA, DEMO_USERS, DEPARTMENTS
from engine.services import instances
from engine_factory import FROZEN
from test_web_search import APPLICATION, PASSWORDS
from web_helpers import AuthActions, make_app, stray_chinese

PDF = b"%PDF-1.7\n%%EOF\n"


def _user_data() -> tuple[str, ...]:
    """What people entered: the application, the demo people's and organisations' names, the catalog's entries, and
    the titles and numbers of the State Council's holiday notices and the Measures (documents' own names)."""
    catalog = [v for row in csv.DictReader(io.StringIO((DEMO_DATA / "catalog.csv").read_text(encoding="utf-8")))
               for k, v in row.items() if k not in ("share_attribute", "open_attribute") and v]
    notices = [m for path in (PROJECT_ROOT / "engine" / "calendar" / "arrangements").glob("*.toml")
               for m in re.findall(r'^(?:notice|title) = "([^"]+)"', path.read_text(encoding="utf-8"), re.M)]
    notices.append(load_statute().document)  # the Measures' own number, 达市府规〔2025〕1号
    refusal = ["该目录项仅限公安机关内部使用", "《公共数据共享目录》"]
    query = "人口"  # what the reviewer typed into the search box
    departments = [name for name, _kind in DEPARTMENTS.values()]  # organisations' own names
    departments += [n for name, full_name, _kind, _level in COUNTY_DEPARTMENTS.values() for n in (name, full_name)]
    departments += [CITY_NAME, *COUNTIES.values(), *(u.display_name for u in COUNTY_USERS)]
    return (*APPLICATION.values(), *(u.display_name for u in DEMO_USERS), *departments, *catalog, *notices, *refusal,
            "理由说明", query)


def english(engines, name: str):
    client = make_app(engines.at(FROZEN)).test_client()
    client.get("/lang/en")
    AuthActions(client).login(name, PASSWORDS[name])
    return client


def check(client, path: str, data: tuple[str, ...]) -> str:
    response = client.get(path)
    assert response.status_code in (200, 404), (path, response.status_code)
    assert 'lang="en"' in response.text, path
    assert stray_chinese(response.text, data) == [], path
    return response.text


def test_every_page_in_english_shows_no_chinese_but_what_people_entered(demo_engines):
    data = _user_data()
    applicant = english(demo_engines, "zhang.san")
    portal = check(applicant, "/portal/", data)
    for path in sorted(set(re.findall(r'href="(/portal/apply/\w+)"', portal))):
        check(applicant, path, data)
    location = AuthActions(applicant).post("/portal/apply/conditional_share", "/portal/apply/conditional_share",
                                           APPLICATION).location
    AuthActions(applicant).post(location, f"{location}/attachments", {"attachment": (io.BytesIO(PDF), "licence.pdf")},
                                content_type="multipart/form-data")
    check(applicant, location, data)
    check(applicant, f"{location}/reply", data)
    check(applicant, "/portal/", data)

    reviewer = english(demo_engines, "li.si")
    # Officials apply through procedures applicants do not see (an attribute assessment, an incident).
    officials_portal = check(reviewer, "/portal/", data)
    for path in sorted(set(re.findall(r'href="(/portal/apply/\w+)"', officials_portal))):
        check(reviewer, path, data)
    assert "/portal/apply/security_incident" in officials_portal
    for tab in ("available", "mine", "completed"):
        check(reviewer, f"/inbox/?tab={tab}", data)
    applied = int(location.rsplit("/", 1)[1])  # (the demo's own, filed at a county, is not li.si's)
    task = instances.read_stored(demo_engines.at().uow(), applied)["tasks"][0]["id"]
    check(reviewer, f"/inbox/tasks/{task}", data)
    AuthActions(reviewer).post("/inbox/", f"/inbox/tasks/{task}/claim")
    check(reviewer, f"/inbox/tasks/{task}", data)
    check(reviewer, "/inbox/?q=%E4%BA%BA%E5%8F%A3", data)
    response = AuthActions(reviewer).post(f"/inbox/tasks/{task}", f"/inbox/tasks/{task}",
                                          {"decision": "refuse", "reason": "该目录项仅限公安机关内部使用",
                                           "basis": "《公共数据共享目录》", "comment": "理由说明"})
    assert response.status_code == 302
    check(reviewer, f"/inbox/tasks/{task}", data)
    check(reviewer, "/inbox/?tab=completed", data)
    check(reviewer, "/grants/?state=all", data)
    check(applicant, location, data)
    check(applicant, "/no-such-page", data)

    for name in ("wang.wu", "zhao.liu", "sun.qi", "admin"):
        someone = english(demo_engines, name)
        home = someone.get("/", follow_redirects=True)
        assert stray_chinese(home.text, data) == [], name
    supervisor = english(demo_engines, "zhao.liu")
    for path in ("/supervise/", "/supervise/ontime", "/supervise/assessment", "/supervise/promises",
                 location.replace("/portal/", "/supervise/")):
        check(supervisor, path, data)
    admin = english(demo_engines, "admin")
    check(admin, "/organisation/", data)
    calendar = check(admin, "/calendar/", data)
    for path in sorted(set(re.findall(r'href="(/calendar/\d{4})"', calendar))):
        check(admin, path, data)
