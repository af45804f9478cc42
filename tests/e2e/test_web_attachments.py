"""Supporting documents over HTTP: type and size limits, kept in the database, served only to those who may see."""
from __future__ import annotations

import io
import re

import pytest

from engine.services import instances
from test_web_portal import apply
from web_helpers import AuthActions, flashes, make_app

PDF = b"%PDF-1.7\n" + b"0" * 2000 + b"\n%%EOF\n"


def upload(auth, location: str, name: str, content: bytes):
    return auth.post(location, f"{location}/attachments",
                     {"attachment": (io.BytesIO(content), name)}, content_type="multipart/form-data",
                     follow_redirects=True)


def test_an_applicant_attaches_a_document_that_the_reviewer_can_download(client, auth, engines):
    auth.login("zhang.san")
    location = apply(auth).location
    page = upload(auth, location, "营业执照.pdf", PDF).text
    assert "附件已上传。" in flashes(page)
    link = re.search(r'href="(/portal/attachments/\d+)"[^>]*>营业执照.pdf<', page).group(1)

    reviewer = make_app(engines.at()).test_client()
    AuthActions(reviewer).login("li.si")
    task_id = instances.read_stored(engines.at().uow(), 1)["tasks"][0]["id"]
    assert link in reviewer.get(f"/inbox/tasks/{task_id}").text
    with reviewer.get(link) as response:
        assert response.status_code == 200 and response.data == PDF
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert instances.read_stored(engines.at().uow(), 1)["history"][-1]["action"] == "attachment.add"


def test_a_document_is_not_served_to_someone_who_may_not_see_the_application(client, auth, engines):
    auth.login("zhang.san")
    location = apply(auth).location
    link = re.search(r'href="(/portal/attachments/\d+)"', upload(auth, location, "a.pdf", PDF).text).group(1)
    other = make_app(engines.at()).test_client()
    AuthActions(other).login("zhou.ba")
    assert other.get(link).status_code == 404
    assert client.get("/portal/attachments/999").status_code == 404


@pytest.mark.parametrize("name, content, message", [
    ("run.exe", b"MZ\x90\x00", "附件 run.exe 的类型不允许"),
    ("fake.pdf", b"<html><script>alert(1)</script>", "附件 fake.pdf 的类型不允许"),
    ("big.pdf", b"%PDF-" + b"0" * (1024 * 1024 + 1), "附件 big.pdf 超过 1 MB。"),
])
def test_a_document_of_the_wrong_type_or_size_is_refused_and_nothing_is_kept(client, auth, name, content, message):
    auth.login("zhang.san")
    location = apply(auth).location
    page = upload(auth, location, name, content).text
    assert any(m.startswith(message) for m in flashes(page)), flashes(page)
    assert "/portal/attachments/" not in page


def test_a_request_larger_than_any_document_is_the_apps_own_413_page(client, auth):
    auth.login("zhang.san")
    location = apply(auth).location
    # A plain body: the test client would spool a large multipart body to a file of its own.
    response = client.post(f"{location}/attachments", data=b"%PDF-" + b"0" * (2 * 1024 * 1024),
                           content_type="application/octet-stream")
    assert response.status_code == 413 and "文件过大" in response.text


def test_a_withdrawn_application_takes_no_more_documents(client, auth, engines):
    auth.login("zhang.san")
    location = apply(auth).location
    auth.post(location, f"{location}/withdraw", {"reason": "不再需要"})
    page = upload(auth, location, "late.pdf", PDF).text
    assert "申请 1 已办结，不能继续办理。" in flashes(page)
    assert "/portal/attachments/" not in page

