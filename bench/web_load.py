"""Load on loopback: concurrent clients against gunicorn (4 workers) on PostgreSQL.

Prepares a private schema (migrated, demo data, 200 applications waiting in li.si's inbox),
starts gunicorn on it, then runs CLIENTS threads for SECONDS: each signs in as the reviewer
li.si and keeps reading the inbox and a task page. Prints requests/s, the p50 and p95 latency,
and the number of errors (any status other than 200, or a failed connection); exits 1 on any.

    .venv/bin/python bench/web_load.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                       [--clients 30] [--seconds 60] [--workers 4]
"""
from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import postgres_schema  # noqa: E402

APPLICATIONS = 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pdw(env: dict, *args: str, stdin: str | None = None) -> str:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "pdw"), *args], env=env, input=stdin, text=True,
                          capture_output=True, check=True).stdout


def _prepare(env: dict) -> None:
    _pdw(env, "db", "upgrade")
    _pdw(env, "demo", "load")
    sys.path.insert(0, str(ROOT))
    from engine.bootstrap import build_engine
    from engine.config import Config
    from engine.services import instances

    engine = build_engine(Config.from_env(env))
    try:
        for n in range(APPLICATIONS):
            instances.start(engine.uow(), "conditional_share", actor="zhang.san",
                            data={"catalog_item": "GA-001", "request_reason": "核验户籍", "purpose": f"压力测试申请 {n}",
                                  "request_basis": "法定职责", "requested_scope": "姓名、身份证号",
                                  "requested_until": "2026-12-31"})
    finally:
        engine.close()


class Client:
    """One browser-like client: a cookie jar, signing in once, then reading pages."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def sign_in(self) -> None:
        page = self.get("/auth/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"username": "li.si", "password": "sjj-reviewer-demo", "csrf_token": token}).encode()
        with self.opener.open(self.base + "/auth/login", data=data, timeout=30) as response:
            response.read()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=os.environ.get("PDW_TEST_POSTGRES_URL",
                                                         "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    with postgres_schema(args.url, f"pdw_load_{uuid.uuid4().hex[:8]}") as url:
        env = {**os.environ, "PDW_DATABASE_URL": url, "PDW_SECRET_KEY": "load-test", "PDW_PASSWORD_HASH_COST": "4",
               "PDW_CLOCK": "2026-03-02T09:00:00+08:00"}
        _prepare(env)
        port = _free_port()
        server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(args.workers),
                                   "--bind", f"127.0.0.1:{port}", "webapp:create_app()"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(base + "/readyz", timeout=2).read()
                    break
                except OSError:  # refused, reset or timed out while gunicorn starts
                    if time.monotonic() > deadline or server.poll() is not None:
                        print("gunicorn did not become ready", file=sys.stderr)
                        return 1
                    time.sleep(0.2)
            return _run(base, args.clients, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _run(base: str, clients: int, seconds: float) -> int:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def work() -> None:
        client = Client(base)
        try:
            client.sign_in()
            page = client.get("/inbox/")
            task_ids = re.findall(r'/inbox/tasks/(\d+)', page) or ["1"]
        except (OSError, AttributeError) as err:
            with lock:
                errors.append(f"sign-in: {err}")
            return
        n = 0
        while time.monotonic() < stop:
            path = "/inbox/" if n % 2 == 0 else f"/inbox/tasks/{task_ids[n % len(task_ids)]}"
            n += 1
            began = time.perf_counter()
            try:
                client.get(path)
            except OSError as err:
                with lock:
                    errors.append(f"{path}: {err}")
                continue
            with lock:
                latencies.append(time.perf_counter() - began)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    print(f"{clients} clients for {seconds:.0f} s: {len(latencies)} requests, {len(latencies) / elapsed:.1f} requests/s, "
          f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, {len(errors)} error(s)")
    for error in errors[:5]:
        print(f"  {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
