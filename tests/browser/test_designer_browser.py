"""The designer in Debian's chromium: edit conditional_share in the modeler, see a problem select its
task, propose version 2, see the change with its old and new values, be refused approving it oneself,
and have the authority's department head approve it while an application started on version 1 stays
on it; the diagram on the reviewer's task page. Pages are served under a strict Content-Security-Policy, and a script error
or a policy violation fails the test."""
from __future__ import annotations

import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import expect
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))

from engine import demo  # noqa: E402
from engine.bootstrap import PROJECT_ROOT  # noqa: E402
from engine.persistence.models import ProcessDefinition, ProcessDraft, VersionProposal  # noqa: E402
from engine.services import instances, tasks  # noqa: E402
from engine_factory import EngineFactory  # noqa: E402
from browser_helpers import follow  # noqa: E402
from web_helpers import make_app  # noqa: E402

pytestmark = pytest.mark.browser
APPLICATION = {"catalog_item": "GA-001", "request_reason": "办理户籍业务需核验人口信息", "request_basis": "《户口登记条例》",
               "purpose": "户籍登记", "requested_scope": "姓名、身份证号、户籍地址", "requested_until": "2026-12-31"}
MODELERS = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn" / "modelers"
DEMO_PASSWORDS = {u.name: u.password for u in demo.DEMO_USERS}


@pytest.fixture
def project(sqlite_url, sandbox):
    """The project's procedures, forms, demo people and catalog on an SQLite file, clock frozen."""
    engines = EngineFactory(sqlite_url, PROJECT_ROOT / "forms", sandbox)
    engines.config = replace(engines.config, workflows_dir=PROJECT_ROOT / "workflows")
    demo.load(engines.at())
    yield engines
    engines.close()


# No inline script or style, nothing from elsewhere: the modeler and the viewer must work under it.
STRICT_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
                 "connect-src 'self'; object-src 'none'; base-uri 'none'")


@pytest.fixture
def server(project):
    from werkzeug.serving import make_server

    app = make_app(project.at(), TESTING=False)

    @app.after_request
    def strict(response):
        response.headers["Content-Security-Policy"] = STRICT_POLICY
        return response

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join()


def sign_in(browser, base: str, name: str):
    page = browser.new_context(base_url=base).new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("console", lambda message: errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.script_errors = errors
    page.goto("/auth/login")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(DEMO_PASSWORDS[name])
    follow(page, page.get_by_role("button", name="登录"))
    return page


def version_xml(engine, version: int) -> bytes:
    with engine.uow().read() as uow:
        return uow.session.scalar(select(ProcessDefinition.bpmn_xml).where(
            ProcessDefinition.process_id == "conditional_share", ProcessDefinition.version == version))


def spiff_extensions(xml: bytes) -> list[tuple]:
    """Each spiffworkflow element with the id of the BPMN element it extends, its attributes and text."""
    root = etree.fromstring(xml)
    found = []
    for el in root.iter("{http://spiffworkflow.org/bpmn/schema/1.0/core}*"):
        owner = next(a for a in el.iterancestors() if a.get("id") and "spiffworkflow" not in a.tag)
        found.append((owner.get("id"), etree.QName(el).localname, tuple(sorted(el.attrib.items())),
                      (el.text or "").strip()))
    return sorted(found)


def choose(page, selector: str, value: str) -> None:
    page.locator(selector).select_option(value)


def test_a_designer_proposes_a_change_sees_its_values_is_refused_self_approval_and_another_approves_it(
        server, project, browser):
    engine = project.at()
    first = instances.start(engine.uow(), "conditional_share", actor="zhang.san", data=APPLICATION)

    page = sign_in(browser, server, "sun.qi")
    assert page.url.endswith("/designer/")
    follow(page, page.get_by_role("link", name="有条件共享数据申请"))
    follow(page, page.get_by_role("link", name="打开此版本"))
    page.wait_for_selector("#canvas[data-ready=true]")
    assert "/static/vendor/bpmn-js/" in page.content()

    page.locator('.djs-element[data-element-id="review"]').first.click()
    expect(page.locator("#properties [data-element-id=review]")).to_have_count(1)
    page.locator("#prop-name").fill("审核共享申请")
    page.locator("#prop-name").dispatch_event("change")
    choose(page, "#prop-form", "")
    page.locator("#btn-validate").click()
    problem = page.locator('#problems button[data-element="review"]')
    problem.wait_for()
    assert "用户任务没有表单" in page.locator("#problems").inner_text()

    page.locator('.djs-element[data-element-id="final_review"]').first.click()
    expect(page.locator("#properties [data-element-id=review]")).to_have_count(0)
    problem.click()
    expect(page.locator('.djs-element.selected[data-element-id="review"]')).to_have_count(1)
    expect(page.locator("#properties [data-element-id=review]")).to_have_count(1)

    choose(page, "#prop-form", "conditional_share/review.json")
    page.locator("#btn-validate").click()
    expect(page.locator("#problems-summary")).to_contain_text("没有问题")
    page.locator("#btn-deploy").click()
    # Before proposing: what changes against the live version, with its values, and who is affected.
    confirm = page.locator("#confirm-deploy")
    expect(confirm).to_be_visible()
    changed = confirm.locator('li.confirm-changed[data-element="review"]')
    assert "审核共享申请（第二十条第二款） → 审核共享申请" in changed.inner_text()
    # zhang.san's and the demo's own (filed at 宣汉县, engine.demo) run on the live version.
    assert confirm.locator("li.confirm-running").get_attribute("data-count") == "2"
    assert first.receipt_number in confirm.locator("li.confirm-running").inner_text()
    page.locator("#btn-confirm-deploy").click()
    # Proposed, not live: the designer lands on its review, with the old and new values.
    page.wait_for_url("**/designer/processes/conditional_share/versions/2/review")
    assert "已提交 conditional_share 版本 2，待审批人批准后生效。" in page.locator(".flash").inner_text()
    renamed = page.locator('ul.diff-changed li[data-element="review"] tr[data-field="bpmn_name"]')
    assert renamed.locator("td.old").inner_text() == "审核共享申请（第二十条第二款）"
    assert renamed.locator("td.new").inner_text() == "审核共享申请"
    assert "这是您本人提交的变更" in page.locator("#decision").inner_text()
    follow(page, page.locator("#btn-approve"))
    assert "无权批准流程变更" in page.locator(".flash").inner_text()
    assert not page.script_errors
    with engine.uow().read() as uow:
        assert uow.session.scalar(select(VersionProposal.status).where(
            VersionProposal.process_id == "conditional_share", VersionProposal.version == 2)) == "proposed"

    # A second person, the authority's department head, reviews the same difference and approves.
    head = sign_in(browser, server, "qian.ba")
    head.goto("/designer/changes")
    follow(head, head.locator('tr[data-process="conditional_share"][data-version="2"]').get_by_role("link",
                                                                                                  name="审阅"))
    renamed = head.locator('ul.diff-changed li[data-element="review"] tr[data-field="bpmn_name"]')
    assert renamed.locator("td.new").inner_text() == "审核共享申请"
    assert first.receipt_number in head.locator("ul.running").inner_text()
    follow(head, head.locator("#btn-approve"))
    assert "已批准 conditional_share 版本 2，现已生效。" in head.locator(".flash").inner_text()
    assert not head.script_errors

    page.goto("/designer/processes/conditional_share")
    assert page.locator('tr[data-version="1"] td.running').inner_text() == "2"  # with the demo's own
    assert page.locator('tr[data-version="2"] td.running').inner_text() == "0"
    assert page.locator('tr[data-version="2"] td.status-approved').count() == 1

    # The application started on version 1 goes on running on it.
    [task] = tasks.of_instance(engine.uow(), first.instance_id)
    assert task["title"] == "审核共享申请（第二十条第二款）"
    assert instances.read_stored(engine.uow(), first.instance_id)["version"] == 1

    page.locator("#mig-old").select_option("1")
    follow(page, page.get_by_role("button", name="试迁移（不做更改）"))
    row = page.locator(f'tr[data-instance="{first.instance_id}"]')
    assert first.receipt_number in row.inner_text() and "可以迁移" in row.inner_text()
    assert instances.read_stored(engine.uow(), first.instance_id)["version"] == 1

    # The two versions side by side: the renamed task is marked changed on both diagrams.
    page.goto("/designer/processes/conditional_share")
    follow(page, page.get_by_role("button", name="比较", exact=True))
    page.wait_for_selector("#diagram-old[data-ready=true]")
    page.wait_for_selector("#diagram-new[data-ready=true]")
    for side in ("#diagram-old", "#diagram-new"):
        expect(page.locator(f'{side} .djs-element.pdw-changed[data-element-id="review"]')).to_have_count(1)
    assert "审核共享申请（第二十条第二款）" in page.locator("ul.diff-changed").inner_text()

    # What the modeler wrote keeps every spiffworkflow extension of version 1, in its format.
    assert spiff_extensions(version_xml(engine, 2)) == spiff_extensions(version_xml(engine, 1))

    # The new version's file holds the renamed task and PDW's properties as the engine reads them.
    page.goto("/designer/processes/conditional_share/edit?version=2")
    page.wait_for_selector("#canvas[data-ready=true]")
    page.locator('.djs-element[data-element-id="review"]').first.click()
    assert page.locator("#prop-name").input_value() == "审核共享申请"
    assert page.locator("#prop-form").input_value() == "conditional_share/review.json"
    assert page.locator("#prop-rule").input_value() == "art20_share_reply"


def test_the_reviewer_and_the_applicant_see_the_application_diagram_with_the_open_step_and_its_deadline(server, project, browser):
    engine = project.at()
    first = instances.start(engine.uow(), "conditional_share", actor="zhang.san", data=APPLICATION)
    [task] = tasks.of_instance(engine.uow(), first.instance_id)
    page = sign_in(browser, server, "li.si")
    page.goto(f"/inbox/tasks/{task['id']}")
    page.wait_for_selector(".diagram-card[data-ready=true]")
    expect(page.locator('.djs-element.pdw-active[data-element-id="review"]')).to_have_count(1)
    expect(page.locator('.djs-element.pdw-done[data-element-id="lookup_item"]')).to_have_count(1)
    summary = page.locator(".diagram-summary").inner_text()
    assert "截止 2026-03-09" in summary and "剩余 5 个工作日" in summary
    assert "截止 2026-03-09" in page.locator(".diagram-deadline").inner_text()
    assert not page.script_errors

    # The applicant's page draws the same progress from the diagram without its internals.
    applicant = sign_in(browser, server, "zhang.san")
    applicant.goto(f"/portal/applications/{first.instance_id}")
    applicant.wait_for_selector(".diagram-card[data-ready=true]")
    assert applicant.locator('.djs-element.pdw-active[data-element-id="review"]').count() == 1
    assert "剩余 5 个工作日" in applicant.locator(".diagram-summary").inner_text()
    assert not applicant.script_errors


def test_a_spiffarena_file_uploaded_opened_and_saved_in_the_modeler_keeps_every_spiffworkflow_extension(
        server, project, browser):
    original = (MODELERS / "spiffarena.bpmn").read_bytes()
    page = sign_in(browser, server, "sun.qi")
    page.locator("#bpmn-file").set_input_files(str(MODELERS / "spiffarena.bpmn"))
    follow(page, page.get_by_role("button", name="上传"))
    page.wait_for_selector("#canvas[data-ready=true]")
    page.locator('.djs-element[data-element-id="tally"]').first.click()
    page.locator("#prop-name").fill("统计结果")
    page.locator("#prop-name").dispatch_event("change")
    page.locator("#btn-draft").click()
    expect(page.locator("#designer-status")).to_have_text("草稿已保存。")
    with project.at().uow().read() as uow:
        saved = uow.session.get(ProcessDraft, "spiffarena_review").bpmn_xml
    assert spiff_extensions(saved) == spiff_extensions(original)
    assert 'name="统计结果"'.encode() in saved
    assert not page.script_errors


def test_a_form_is_edited_beside_a_live_preview_rendered_as_reviewers_see_it(server, browser):
    page = sign_in(browser, server, "sun.qi")
    page.goto("/designer/processes/conditional_share/edit")
    page.wait_for_selector("#canvas[data-ready=true]")
    page.locator('.djs-element[data-element-id="review"]').first.click()
    follow(page, page.locator("#prop-form-edit"))
    preview = page.locator("#form-preview")
    assert "答复意见" in preview.inner_text()
    text = page.locator("#schema-text")
    text.fill(text.input_value().replace('"答复意见"', '"答复决定"'))
    expect(preview).to_contain_text("答复决定")
    expect(preview).not_to_contain_text("答复意见")
    text.fill("{")
    expect(page.locator("#schema-problems")).to_contain_text("不是有效的 JSON")
    text.fill(text.input_value() + '"type": "object", "properties": {"x": {"type": "string", "title": "附言"}}}')
    expect(preview.get_by_label("附言")).to_have_count(1)
    page.locator("#btn-form-save").click()
    expect(page.locator("#form-status")).to_have_text("已保存到草稿。")
    assert not page.script_errors


def test_the_process_s_statutory_clock_competence_and_applicants_are_set_in_the_panel(server, project, browser):
    page = sign_in(browser, server, "sun.qi")
    page.goto("/designer/processes/conditional_share/edit")
    page.wait_for_selector("#canvas[data-ready=true]")
    # With nothing selected the panel shows the process, as the shipped file sets it.
    assert page.locator("#prop-statutory-rule").input_value() == "art20_share_reply"
    assert page.locator("#prop-competent").is_checked() and not page.locator("#prop-startable-at").is_checked()
    assert [page.locator(f"#prop-kind-{k}").is_checked() for k in ("government", "public_service", "organisation",
                                                                    "person")] == [True, True, False, False]
    assert page.locator("#prop-statutory-rule option[value=art47_dispute_coordination]").count() == 1  # no period

    # On elements: where the formal reply is given, and where the period is extended.
    page.locator('.djs-element[data-element-id="end_refused"]').first.click()
    expect(page.locator("#prop-reply")).to_be_checked()
    page.locator('.djs-element[data-element-id="extend_deadline"]').first.click()
    expect(page.locator("#prop-extension")).to_have_value("art20_share_extension")
    page.locator('.djs-element[data-element-id="review"]').first.click()
    expect(page.locator("#prop-reply")).not_to_be_checked()
    page.locator("#prop-reply").check()

    page.locator("#canvas svg").first.click(position={"x": 5, "y": 5})  # back to the process
    expect(page.locator("#prop-statutory-rule")).to_have_count(1)
    page.locator("#prop-statutory-rule").select_option("art16_correction_reply")
    page.locator("#prop-startable-at").check()
    page.locator("#prop-kind-organisation").check()
    page.locator("#btn-draft").click()
    expect(page.locator("#designer-status")).to_have_text("草稿已保存。")
    with project.at().uow().read() as uow:
        saved = etree.fromstring(uow.session.get(ProcessDraft, "conditional_share").bpmn_xml)
    process = saved.find("{http://www.omg.org/spec/BPMN/20100524/MODEL}process")
    props = {p.get("name"): p.get("value") for p in process.iterfind(
        "{*}extensionElements/{*}properties/{*}property")}
    assert (props["statutoryRule"], props["startableAt"], props["competentUnit"], props["applicantKinds"]) == (
        "art16_correction_reply", "authority", "authority", "government,public_service,organisation")
    review = saved.find(".//{*}userTask[@id='review']")
    assert {p.get("name"): p.get("value") for p in review.iterfind(".//{*}property")}["statutoryReply"] == "第二十条第二款"
    assert not page.script_errors


def test_every_shipped_procedure_opens_in_the_modeler_without_an_import_warning(server, project, browser):
    page = sign_in(browser, server, "sun.qi")
    for path in sorted((PROJECT_ROOT / "workflows").glob("*.bpmn")):
        page.goto(f"/designer/processes/{path.stem}/edit")
        page.wait_for_selector("#canvas[data-ready=true]")
        assert page.locator("#canvas").get_attribute("data-import-warnings") == "0", path.name
    assert not page.script_errors


# What a palette or context-pad entry says (bpmn-js labels palette entries for screen readers).
TITLES = "entries => entries.map(e => e.getAttribute('aria-label') || e.title)"


def test_the_modelers_own_menus_and_tooltips_speak_the_pages_language(server, project, browser):
    page = sign_in(browser, server, "sun.qi")
    page.goto("/designer/processes/conditional_share/edit")
    page.wait_for_selector("#canvas[data-ready=true]")
    palette = page.locator(".djs-palette .entry").evaluate_all(TITLES)
    assert "创建开始事件" in palette and "创建任务" in palette and "抓手工具（移动画布）" in palette
    page.locator(".djs-element[data-element-id=review]").first.click()
    pad = page.locator(".djs-context-pad .entry").evaluate_all(TITLES)
    assert "追加任务" in pad and "删除" in pad and "更改元素类型" in pad
    assert not page.script_errors
