"""Every documented example runs: the `pdw` lines and curl calls of README.md and
docs/deployment.md, and every command's --help examples (engine/cli/examples.py), are read from
those files at test time and run against a real SQLite database with the demo data, so an
example that has gone stale fails here.

How an example is made runnable, and nothing more:

1. Shell syntax: a `# comment` is dropped; `a; b` and `a && b` are run one after the other;
   `echo TEXT | pdw ...` gives TEXT on standard input; `VAR=value pdw ...` runs on the test's
   database instead; a `[...]` part of a synopsis line is optional and left out.
2. Each command example runs on its own copy of the demo database (`pdw db upgrade`, `pdw demo
   load`, then one conditional_share application by zhang.san, whose review task is li.si's to
   take), after the preparation its command needs (PREPARE below: a claimed task, a grant, a
   token, a proposed version, a proposed migration, a held catalog change).
3. A number naming an object (task, application, grant, token, migration) becomes the id of the
   object prepared for it; version numbers and counts are kept.
4. Placeholders: `'{...}'` as `--data` becomes the example payload `pdw procedures show` prints
   for that procedure; a `"..."` value, or a trailing `...`, is filled from the example of the
   form the command fills (the start form, or the task's form).
5. Files: `2027.toml` is the tests' 2027 notice (tests/fixtures/arrangements); `catalog.csv` the demo catalog;
   `my_share.bpmn` the shipped conditional_share with a changed name; paths of the checkout
   (`workflows/*.bpmn`) resolve against it; files written (`--xlsx`) land in a temporary folder.
6. A user an example adds that the demo already has gets `.new` after the name.
7. `pdw web` and `pdw scheduler run` without `--once` serve forever: their arguments are parsed,
   not run.
8. The README's API block and the deployment guide's set-up block are each run in order as a
   script (the guide's on an empty database): a token a `pdw tokens create` line prints is
   bound to the variable its comment names (`as $APPLICANT`), else `$TOKEN`; curl calls go to
   the web app through its test client; lines of other programs (systemctl, git) are skipped.

An example passes when it exits 0 and prints no traceback; EXPECTED_REFUSALS lists the few
that the demo cannot satisfy, each with the one-line refusal it must give instead.
"""
from __future__ import annotations

import json
import re
import shlex
import shutil
from datetime import date
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.cli.examples import EXAMPLES
from engine.forms import example_of

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "deployment.md"
CLOCK = "2026-03-02T09:00:00+08:00"
PASSWORD = "a long secret for the operator"

# Examples whose object the demo cannot hold, with the start of the one line they answer.
EXPECTED_REFUSALS = {
    # The demo has no errored application to run on; the command still parses and is checked.
    "instances retry": "error: ",
}


@dataclass
class Example:
    """One documented line: where it came from and the commands it runs."""

    source: str
    text: str
    steps: list[list[str]] = field(default_factory=list)
    stdin: list[str | None] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.source}: {self.text}"


def _sh_blocks(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [block.replace("\\\n", " ") for block in re.findall(r"```sh\n(.*?)```", text, re.S)]


def _parse(source: str, line: str) -> Example | None:
    line = re.sub(r"\s\[[^\]]*\]", "", line)  # rule 1: synopsis options are optional
    words = shlex.split(line, comments=True)
    example = Example(source, line.split(" #")[0].strip())
    command: list[str] = []
    stdin = None
    for word in [*words, ";"]:
        if word in (";", "&&") or word.endswith(";"):
            if word.endswith(";") and word != ";":
                command.append(word[:-1])
            if command:
                while command and re.fullmatch(r"[A-Z_]+=.*", command[0]):
                    command.pop(0)
                if command and command[0] in ("pdw", "curl"):
                    example.steps.append(command)
                    example.stdin.append(stdin)
            command, stdin = [], None
        elif word == "|" and command[:1] == ["echo"]:
            stdin, command = " ".join(command[1:]) + "\n", []
        else:
            command.append(word)
    return example if example.steps else None


def documented(path: Path) -> list[Example]:
    """The `pdw` and curl lines of every ```sh block of a file."""
    found = []
    for block in _sh_blocks(path):
        for line in block.splitlines():
            example = _parse(f"{path.relative_to(ROOT)}", line)
            if example is not None:
                found.append(example)
    return found


def help_examples() -> list[Example]:
    """engine/cli/examples.py's lines, as --help shows them."""
    return [example for path, lines in EXAMPLES.items() for line in lines
            if (example := _parse(f"pdw {path} --help", line)) is not None]


def _readme_command_lines() -> list[Example]:
    # The command-line section; the API section runs as a script (rule 8).
    return [e for e in documented(README) if all(step[0] == "pdw" for step in e.steps)
            and not any(step[:2] == ["pdw", "tokens"] and "create" in step and "$" in e.text for step in e.steps)
            and "APPLICANT" not in e.text]


COMMAND_EXAMPLES = [e for e in (*_readme_command_lines(), *help_examples())]


def _path_of(args: list[str]) -> str:
    ctx = click.Context(main)
    first = main.get_command(ctx, args[0])
    if isinstance(first, click.Group) and len(args) > 1 and args[1] in first.commands:
        return f"{args[0]} {args[1]}"
    return args[0]


class Pdw:
    """`pdw` on one database, from a temporary working folder."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, check: bool = True):
        env = {"PDW_DATABASE_URL": self.url, "PDW_CLOCK": CLOCK, "PDW_PASSWORD_HASH_COST": "10", "PDW_LANG": "en"}
        with _chdir(self.folder):
            result = self.runner.invoke(main, list(args), env=env, input=input)
        assert "Traceback" not in result.output, result.output
        if check:
            assert result.exit_code == 0, f"pdw {' '.join(args)}\n{result.output}{result.exception!r}"
        return result

    def json(self, *args: str):
        return json.loads(self(*args, "--json").stdout)


class _chdir:
    def __init__(self, path: Path) -> None:
        self.path, self.old = path, None

    def __enter__(self):
        import os

        self.old = os.getcwd()
        os.chdir(self.path)

    def __exit__(self, *exc):
        import os

        os.chdir(self.old)


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> Path:
    """A demo database with one conditional_share application waiting for li.si's review."""
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.sqlite3"
    pdw = Pdw(f"sqlite:///{path}", folder)
    pdw("db", "upgrade")
    pdw("demo", "load")
    payload = pdw.json("procedures", "show", "conditional_share", "--as", "zhang.san")["example"]
    pdw("instances", "start", "conditional_share", "--as", "zhang.san", "--data", json.dumps(payload))
    return path


@pytest.fixture
def pdw(demo_template, tmp_path) -> Pdw:
    path = tmp_path / "pdw.sqlite3"
    shutil.copy(demo_template, path)
    return Pdw(f"sqlite:///{path}", tmp_path)


def _review_task(pdw: Pdw) -> int:
    return next(t["id"] for t in pdw.json("tasks", "list", "--as", "li.si") if t["process_id"] == "conditional_share")


def _application(pdw: Pdw) -> int:
    return pdw.json("instances", "list", "--as", "zhao.liu")[0]["id"]


def _form_example(pdw: Pdw, task_id: int) -> dict:
    shown = pdw.json("tasks", "show", str(task_id), "--as", "li.si")
    return example_of(shown["form_schema"], today=date(2026, 3, 2))


def _my_share(folder: Path) -> Path:
    text = (ROOT / "workflows" / "conditional_share.bpmn").read_text(encoding="utf-8")
    changed = re.sub(r'(<bpmn:process id="conditional_share"[^>]*name=")([^"]*)"', r'\1\2（修订）"', text, count=1)
    assert changed != text
    path = folder / "my_share.bpmn"
    path.write_text(changed, encoding="utf-8")
    return path


def _propose_version(pdw: Pdw) -> None:
    pdw("workflows", "deploy", str(_my_share(pdw.folder)), "--as", "sun.qi")


def _approved_version_and_two_applications(pdw: Pdw) -> list[int]:
    _propose_version(pdw)
    first = _application(pdw)
    pdw("workflows", "approve", "conditional_share", "2", "--as", "qian.ba")
    # A second application on version 1, made before the new version went live, is not possible
    # once it is live; the one the template holds is moved (twice named when the example names two).
    return [first]


def _prepare(pdw: Pdw, path: str) -> dict:
    """What the command `path` needs before its example runs; returns the ids to put in."""
    if path in ("tasks show", "tasks claim", "tasks reassign"):
        return {"ids": [_review_task(pdw)]}
    if path in ("tasks unclaim", "tasks complete"):
        task = _review_task(pdw)
        pdw("tasks", "claim", str(task), "--as", "li.si")
        return {"ids": [task], "form": _form_example(pdw, task)}
    if path in ("instances show", "instances readers", "instances retry", "instances cancel"):
        return {"ids": [_application(pdw)]}
    if path == "grants revoke":
        task = _review_task(pdw)
        pdw("tasks", "claim", str(task), "--as", "li.si")
        pdw("tasks", "complete", str(task), "--as", "li.si", "--data", json.dumps(_form_example(pdw, task)))
        return {"ids": [pdw.json("grants", "list", "--as", "li.si")[0]["id"]]}
    if path == "tokens revoke":
        pdw("tokens", "create", "li.si", "--as", "admin")
        return {"ids": [pdw.json("tokens", "list")[0]["id"]]}
    if path in ("workflows review", "workflows approve", "workflows reject"):
        _propose_version(pdw)
        return {}
    if path == "workflows migrate":
        return {"instances": _approved_version_and_two_applications(pdw)}
    if path in ("workflows approve-migration", "workflows reject-migration"):
        (application,) = _approved_version_and_two_applications(pdw)
        pdw("workflows", "migrate", "conditional_share", "1", "2", "--instance", str(application), "--as", "sun.qi")
        pending = pdw.json("workflows", "pending", "--as", "qian.ba")
        return {"ids": [pending["migrations"][0]["id"]]}
    if path == "tasks list":
        return {"instances": [_application(pdw)]}
    if path in ("catalog approve", "catalog refuse"):
        pdw("catalog", "edit", "SC-002", "--set", "update_frequency=每日", "--as", "admin")
        return {"ids": [pdw.json("catalog", "proposals", "--as", "li.si")[0]["id"]]}
    if path == "instances start":
        return {"form": pdw.json("procedures", "show", "conditional_share", "--as", "zhang.san")["example"]}
    return {}


def _files(pdw: Pdw) -> dict[str, str]:
    shutil.copy(ROOT / "tests" / "fixtures" / "arrangements" / "2027.toml", pdw.folder / "2027.toml")
    shutil.copy(ROOT / "engine" / "demo_data" / "catalog.csv", pdw.folder / "catalog.csv")
    _my_share(pdw.folder)
    return {}


def _fill(value: str, form: dict) -> str:
    # Rule 4: '{...}' is the whole example; "..." values and a trailing ... come from it.
    if value.strip() == "{...}":
        return json.dumps(form, ensure_ascii=False)
    if "..." not in value:
        return value  # written out whole: run as written
    given = json.loads(re.sub(r",\s*\.\.\.\s*}", "}", value))
    filled = {**form, **{k: (form.get(k) if v == "..." else v) for k, v in given.items()}}
    return json.dumps(filled, ensure_ascii=False)


def _substitute(pdw: Pdw, args: list[str], path: str, prepared: dict) -> list[str]:
    args = list(args)
    depth = len(path.split())
    ids = list(prepared.get("ids", []))
    if ids:
        for i in range(depth, len(args)):
            if args[i].isdigit() and not args[i - 1].startswith("--"):
                args[i] = str(ids.pop(0))
                break
    instances = prepared.get("instances")
    if instances:
        out, i = [], 0
        while i < len(args):
            if args[i] == "--instance":
                if not out.count("--instance"):
                    out += ["--instance", str(instances[0])]
                i += 2
                continue
            out.append(args[i])
            i += 1
        args = out
    for i, word in enumerate(args):
        if args[i - 1] == "--data" and i > 0:
            args[i] = _fill(word, prepared.get("form", {}))
        elif word.startswith("workflows/") and "*" in word:
            args[i:i + 1] = sorted(str(p) for p in ROOT.glob(word))
            break
    if path == "users add":
        existing = {u["name"] for u in pdw.json("users", "list")}
        if args[2] in existing:
            args[2] += ".new"
    return args


LONG_RUNNING = ("web",)


def _runs_forever(args: list[str]) -> bool:
    return args[0] in LONG_RUNNING or (args[:2] == ["scheduler", "run"] and "--once" not in args)


@pytest.mark.parametrize("example", COMMAND_EXAMPLES, ids=str)
def test_every_documented_command_runs_as_written(pdw, example):
    _files(pdw)
    for step, stdin in zip(example.steps, example.stdin):
        args = step[1:]
        path = _path_of(args)
        if _runs_forever(args):
            main.make_context("pdw", list(args))  # parses, or raises a usage error
            continue
        prepared = _prepare(pdw, path)
        args = _substitute(pdw, args, path, prepared)
        expected = EXPECTED_REFUSALS.get(path)
        if path == "users set-password" and stdin is None:
            stdin = f"{PASSWORD}\n{PASSWORD}\n"
        result = pdw(*args, input=stdin, check=expected is None)
        if expected is not None:
            assert result.exit_code == 1 and result.output.startswith(expected), result.output


def _scripts(path: Path) -> list[Example]:
    # Rule 8: the blocks that hold a curl call (and, in the guide, every block) run in order.
    blocks = _sh_blocks(path)
    if path == README:
        blocks = [b for b in blocks if "curl " in b]
    lines = [line for block in blocks for line in block.splitlines()]
    script = Example(str(path.relative_to(ROOT)), "the whole block in order")
    for line in lines:
        example = _parse(script.source, line)
        if example is not None:
            variable = re.search(r"as \$([A-Z_]+)", line)
            for step, stdin in zip(example.steps, example.stdin):
                script.steps.append(step + ([f"=>${variable.group(1)}"] if variable and step[0] == "pdw" else []))
                script.stdin.append(stdin)
    return [script]


class Curl:
    """A documented curl call, answered by the web app's test client."""

    def __init__(self, words: list[str]) -> None:
        self.headers: dict[str, str] = {}
        self.data: str | None = None
        self.url = ""
        self.fail = False
        i = 1
        while i < len(words):
            word = words[i]
            if word == "-H":
                name, _, value = words[i + 1].partition(":")
                self.headers[name.strip()] = value.strip()
                i += 1
            elif word in ("-d", "--data"):
                self.data = words[i + 1]
                i += 1
            elif word.startswith("-"):
                self.fail = self.fail or "f" in word
            else:
                self.url = word
            i += 1

    def send(self, client, variables: dict[str, str]):
        headers = {k: re.sub(r"\$([A-Z_]+)", lambda m: variables[m.group(1)], v) for k, v in self.headers.items()}
        path = re.sub(r"^https?://[^/]+", "", self.url)
        method = "POST" if self.data is not None else "GET"
        return client.open(path, method=method, headers=headers, data=self.data)


@pytest.fixture
def empty_pdw(tmp_path) -> Pdw:
    return Pdw(f"sqlite:///{tmp_path / 'pdw.sqlite3'}", tmp_path)


def _run_script(pdw: Pdw, script: Example, monkeypatch, sandbox) -> None:
    from engine.bootstrap import build_engine
    from webapp import create_app

    _files(pdw)
    variables: dict[str, str] = {}
    for step, stdin in zip(script.steps, script.stdin):
        if step[0] == "curl":
            monkeypatch.setenv("PDW_DATABASE_URL", pdw.url)
            monkeypatch.setenv("PDW_CLOCK", CLOCK)
            engine = build_engine(sandbox=sandbox)
            try:
                app = create_app({"PDW_ENGINE": engine, "TESTING": True, "SECRET_KEY": "documented"})
                response = Curl(step).send(app.test_client(), variables)
            finally:
                engine.close()
            assert response.status_code < 400, f"{' '.join(step)}\n{response.status_code} {response.get_data(True)}"
            continue
        bind = step[-1][3:] if step[-1].startswith("=>$") else "TOKEN"
        args = [w for w in step[1:] if not w.startswith("=>$")]
        path = _path_of(args)
        prepared = _prepare(pdw, path) if any(a.isdigit() for a in args) else {}
        args = _substitute(pdw, args, path, prepared)
        if path == "users set-password" and stdin is None:
            stdin = f"{PASSWORD}\n{PASSWORD}\n"
        result = pdw(*args, input=stdin)
        if path == "tokens create":
            variables[bind] = result.stdout.strip().splitlines()[-1]


def test_the_readme_api_examples_run_in_order_on_the_demo_data(pdw, monkeypatch, sandbox):
    (script,) = _scripts(README)
    assert any(step[0] == "curl" for step in script.steps)
    _run_script(pdw, script, monkeypatch, sandbox)


def test_the_deployment_guide_runs_as_written_from_an_empty_database(empty_pdw, monkeypatch, sandbox):
    (script,) = _scripts(GUIDE)
    assert [step[:3] for step in script.steps][:2] == [["pdw", "--version"], ["pdw", "db", "upgrade"]]
    _run_script(empty_pdw, script, monkeypatch, sandbox)


def test_the_api_serves_the_start_form_the_command_line_prints_and_its_example_is_accepted(pdw, monkeypatch,
                                                                                            sandbox):
    from engine.bootstrap import build_engine
    from webapp import create_app

    shown = pdw.json("procedures", "show", "conditional_share", "--as", "zhang.san")
    assert [f["name"] for f in shown["fields"] if f["required"]] == shown["form"]["required"]
    token = pdw("tokens", "create", "zhang.san", "--as", "admin").stdout.strip().splitlines()[-1]
    monkeypatch.setenv("PDW_DATABASE_URL", pdw.url)
    monkeypatch.setenv("PDW_CLOCK", CLOCK)
    engine = build_engine(sandbox=sandbox)
    try:
        client = create_app({"PDW_ENGINE": engine, "TESTING": True, "SECRET_KEY": "documented"}).test_client()
        auth = {"Authorization": f"Bearer {token}"}
        served = client.get("/api/v1/procedures/conditional_share/form", headers=auth)
        assert served.status_code == 200 and served.get_json() == shown
        started = client.post("/api/v1/instances", headers=auth,
                              json={"process_id": "conditional_share", "data": served.get_json()["example"]})
        assert started.status_code == 201, started.get_json()
        refused = client.get("/api/v1/procedures/conditional_share/form",
                             headers={"Authorization": f"Bearer {_token(pdw, 'li.si')}"})
        assert refused.status_code == 403
    finally:
        engine.close()


def _token(pdw: Pdw, name: str) -> str:
    return pdw("tokens", "create", name, "--as", "admin").stdout.strip().splitlines()[-1]


def test_a_field_required_for_one_decision_says_so_in_tasks_show(pdw):
    task = _review_task(pdw)
    lines = pdw("tasks", "show", str(task), "--as", "li.si").stdout.splitlines()
    scope = next(line for line in lines if line.strip().startswith("granted_scope"))
    assert "required if decision=approve" in scope
    assert "required if decision=refuse" in next(line for line in lines if line.strip().startswith("reason\t"))


@pytest.mark.parametrize("stale", [
    # Examples as they once read: a field the form does not have; a decision missing the fields
    # it requires; an option the command does not have.
    """pdw instances start conditional_share --as zhang.san --data '{"catalog_code": "GA-001", "purpose": "..."}'""",
    """pdw tasks complete 7 --as li.si --data '{"decision": "approve"}'""",
    "pdw tasks show 1",
])
def test_a_stale_example_fails_when_run_the_way_the_documented_ones_are(pdw, stale):
    (step,) = _parse("stale", stale).steps
    args = step[1:]
    path = _path_of(args)
    args = _substitute(pdw, args, path, _prepare(pdw, path))
    assert pdw(*args, check=False).exit_code != 0
