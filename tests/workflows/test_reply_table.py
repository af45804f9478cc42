"""The reply derived from the decision, for every procedure and every outcome its BPMN draws
(README: "What the applicant is answered").

The outcomes are generated from the shipped BPMN (engine.services.replies.reply_paths): every
end event reached through a reply, one per decision branch, and the ending by the authority and
the withdrawal. Each has a row in reply_table.ROWS, driven through the real procedure; its 答复书
(the data, the page and the PDF) must state the decision, the reason and basis where the
Measures require them, the measure of a founded objection, the unit that decided (full name),
the applicant's name and organisation (never a login), the dates and the remedy, and nothing
internal. A new end event or branch without a row fails here.
"""
from __future__ import annotations

import html
import io
import re
import time

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from engine.persistence.models import Notification, User
from engine.services import replies
from engine.services.progress import load_workflow
from engine.services.replies import ENDED_OUTCOME, WITHDRAWN_OUTCOME, reply_paths
from reply_table import APPLICANTS, INTERNAL, ROOT, ROWS, readme_section, readme_table
from webapp import create_app

WORKFLOWS = sorted((ROOT / "workflows").glob("*.bpmn"))
PATHS = {p.process_id: p for p in (reply_paths(f.read_bytes()) for f in WORKFLOWS)}
# Logins of the people the rows involve: none may appear in a letter.
LOGINS = ("zhang.san", "qian.jiu", "li.si", "wang.wu", "zhou.jiu", "zheng.yi", "zhao.liu")
REMEDY = "第四十七条第二款"


def test_every_outcome_the_shipped_procedures_draw_has_a_row_and_every_row_an_outcome():
    drawn = {(o.process_id, o.key) for paths in PATHS.values() for o in paths.outcomes}
    rows = {(row.process_id, row.key) for row in ROWS}

    assert drawn - rows == set(), "outcomes without a row in reply_table.ROWS"
    assert rows - drawn == set(), "rows of outcomes no shipped procedure draws"


def test_no_end_event_of_a_procedure_that_answers_is_reached_without_a_reply():
    assert {pid: paths.unanswered_ends for pid, paths in PATHS.items() if paths.unanswered_ends} == {}


def test_every_procedure_an_applicant_may_start_answers_them():
    starters = {f.stem for f in WORKFLOWS
                if re.search(rb'name="startableBy" value="[^"]*\bapplicant\b', f.read_bytes())}

    assert starters and {pid for pid in starters if not PATHS[pid].answers} == set()


def test_a_new_end_event_without_a_reply_is_found():
    xml = (ROOT / "workflows" / "cross_level_share.bpmn").read_bytes()
    # The refusal's flow now ends the application silently, before the reply is recorded.
    cut = re.sub(rb'(<bpmn:userTask id="decide")', rb'<bpmn:endEvent id="end_silent"><bpmn:incoming>f_silent'
                 rb'</bpmn:incoming></bpmn:endEvent><bpmn:sequenceFlow id="f_silent" sourceRef="triage" '
                 rb'targetRef="end_silent" />\1', xml)

    paths = reply_paths(cut)

    assert paths.unanswered_ends == ("end_silent",)


def test_a_new_answered_end_event_is_a_new_outcome_without_a_row():
    xml = (ROOT / "workflows" / "cross_level_share.bpmn").read_bytes()
    # The refusal now ends in a second end event of its own, after the reply.
    split = xml.replace(b'<bpmn:endEvent id="end_refused"', b'<bpmn:endEvent id="end_refused_archived">'
                        b'<bpmn:incoming>f_archived</bpmn:incoming></bpmn:endEvent><bpmn:sequenceFlow id="f_archived" '
                        b'sourceRef="decision_made" targetRef="end_refused_archived" />'
                        b'<bpmn:endEvent id="end_refused"', 1)

    keys = {o.key for o in reply_paths(split).outcomes}

    assert "decision_made.f_archived/end_refused_archived" in keys
    assert ("cross_level_share", "decision_made.f_archived/end_refused_archived") not in \
        {(row.process_id, row.key) for row in ROWS}


def test_the_readme_table_is_the_one_the_rows_render():
    section = readme_section((ROOT / "README.md").read_text(encoding="utf-8"))

    assert section == readme_table(), "README out of date: run `python tests/workflows/reply_table.py`"


def _walked(uow, instance_id: int) -> tuple[set[str], set[tuple[str, str]]]:
    """The elements the instance completed, and the (element, next element) steps it took
    (SpiffWorkflow's own tasks in between, such as a step's boundary-event holder, skipped)."""
    with uow.read():
        workflow = load_workflow(uow, uow.instances.get(instance_id))
        done = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id]
        steps = set()
        for task in done:
            parent = task.parent
            while parent is not None and not parent.task_spec.bpmn_id:
                parent = parent.parent
            if parent is not None:
                steps.add((parent.task_spec.bpmn_id, task.task_spec.bpmn_id))
        return {t.task_spec.bpmn_id for t in done}, steps


def _notices(uow, instance_id: int) -> list[tuple[str, str]]:
    """(code, recipient) of the notifications of the application that tell of a reply."""
    with uow.read():
        return [(n.code, n.recipient_user) for n in uow.session.scalars(
            select(Notification).where(Notification.instance_id == instance_id,
                                       Notification.code.in_(("notification.replied", "notification.ended")))
            .order_by(Notification.id))]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _letter_texts(engine, applicant: str, instance_id: int) -> tuple[str, str]:
    """The letter as the applicant reads it on the reply page (its article) and in the PDF."""
    app = create_app({"PDW_ENGINE": engine, "SECRET_KEY": "test", "TESTING": True})
    client = app.test_client()
    with engine.uow().read() as uow:
        generation = uow.session.scalar(select(User.session_generation).where(User.name == applicant))
    with client.session_transaction() as session:
        session.update({"user": applicant, "generation": generation, "seen": time.time()})
    page = client.get(f"/portal/applications/{instance_id}/reply")
    pdf = client.get(f"/portal/applications/{instance_id}/reply.pdf")
    assert (page.status_code, pdf.status_code, pdf.mimetype) == (200, 200, "application/pdf")
    article = re.search(r'<article class="formal-reply.*?</article>', page.text, re.S).group(0)
    page_text = html.unescape(re.sub(r"<[^>]+>", " ", article))
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    return page_text, pdf_text


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_every_outcome_of_every_procedure_gets_a_whole_reply(drive, row):
    p = drive(row.process_id)
    instance_id = p.start(actor=row.applicant, **row.application)
    if row.drive is not None:
        row.drive(p, instance_id)
    outcome = next(o for o in PATHS[row.process_id].outcomes if o.key == row.key)
    if outcome.end is not None:
        elements, steps = _walked(p.engine.uow(), instance_id)
        gateway = outcome.branch.split(".")[0]
        assert outcome.end in elements and (gateway, outcome.via) in steps, "the row does not walk its outcome"

    letter = replies.formal_reply(p.engine.uow(), row.applicant, instance_id)
    page, pdf = _letter_texts(p.engine, row.applicant, instance_id)

    name, organisation = APPLICANTS[row.applicant]
    assert (letter["application"]["applicant"], letter["application"]["organisation"]) == (name, organisation)
    for text in (page, pdf):
        assert name in text and organisation in text and letter["application"]["received_on"] in text
        assert not any(login in text for login in LOGINS), "a login in the letter"
        assert not any(internal in text for internal in INTERNAL), "an internal field in the letter"
    shown = repr(letter)
    assert not any(login in shown for login in LOGINS) and not any(text in shown for text in INTERNAL)
    told = _notices(p.engine.uow(), instance_id)
    if row.key == WITHDRAWN_OUTCOME:
        assert told == [], "a withdrawal is the applicant's own act, not a reply"
        assert letter["reply"] is None and letter["application"]["status"] == "withdrawn"
        assert "已撤回" in page and "已撤回" in pdf
        return
    reply = letter["reply"]
    assert reply is not None, "no reply recorded"
    # One notice per reply, to the applicant (an ending by the authority is its own notice).
    assert told == [("notification.ended" if row.key == ENDED_OUTCOME else "notification.replied", row.applicant)]
    assert reply["decision_label"] == row.words
    assert letter["authority"]["name"] == row.issuer
    assert letter["remedy"] == REMEDY and reply["given_at"]
    required = [row.words, letter["authority"]["name"], reply["given_at"][:10], REMEDY]
    if row.reason:
        assert reply["reason"], "the reason is missing"
        required.append(reply["reason"])
    if row.basis:
        assert reply["basis"], "the basis is missing"
        required.append(reply["basis"])
    if row.measure:
        assert ("采取的措施", row.measure) in reply["details"]
        required.append(row.measure)
    for text in (page, pdf):
        missing = [part for part in required if _flat(part) not in _flat(text)]
        assert missing == [], f"the letter does not state {missing}"

