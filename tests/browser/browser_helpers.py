"""Helpers of the browser tests: the app served on loopback while a test drives it."""
from __future__ import annotations

import threading
from contextlib import contextmanager


@contextmanager
def serving(app):
    """`app` served by werkzeug on 127.0.0.1 (a free port) while the block runs; yields its base URL."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join()


def follow(page, target) -> None:
    """Clicks `target`, a link or a form's button, and waits until the page it leads to has loaded
    and run its deferred scripts. Without the wait, a count, a visibility or a page's text read at
    once may still see the page before, or the new page before its script has hidden a field."""
    with page.expect_navigation():
        target.click()
