#!/usr/bin/env python3
"""Schemathesis against the served OpenAPI document, with real credentials.

Starts the server binary on a free loopback port with a fresh SQLite data
directory, creates an administrator (`tokenwarden create-admin`), seeds the
workspace `acme` with project `WEB` and repository `website` (server
functions, as the browser calls them) and a personal token (the REST API),
then runs Schemathesis over every operation of the document: no
server error, and every status, content type, header and body as the
document says. Afterwards the server's log must show no panic.

    run.py <tokenwarden binary> <schemathesis executable>

Exits non-zero on any failure; prints the operation and case counts.
"""

import base64
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
PASSWORD = "a schemathesis passphrase"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(opener, base, name, fields):
    """A server function, as the browser calls it (a refusal raises; the
    answer, in postcard, is not read here)."""
    data = urllib.parse.urlencode(fields).encode()
    with opener.open(f"{base}/api/{name}", data=data, timeout=30) as response:
        response.read()


def create_personal_token(base, username, password, body):
    """A personal token made through the REST API (Data Center's
    access-tokens API, HTTP Basic); returns its secret."""
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    request = urllib.request.Request(
        f"{base}/rest/access-tokens/1.0/users/{username}",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Content-Type": "application/json", "Authorization": f"Basic {credentials}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["token"]


def main():
    binary, schemathesis = (os.path.abspath(a) for a in sys.argv[1:3])
    work = pathlib.Path(tempfile.mkdtemp(prefix="tokenwarden-schemathesis."))
    env = dict(os.environ, TOKENWARDEN_DATA_DIR=str(work / "data"), RUST_LOG="warn")
    for var in ["DATABASE_URL", "TOKENWARDEN_ADDR", "LEPTOS_SITE_ADDR", "TOKENWARDEN_TOKEN_KEY_FILE"]:
        env.pop(var, None)
    subprocess.run(
        [binary, "create-admin", "--username", "ops", "--email", "ops@example.com"],
        input=f"{PASSWORD}\n".encode(),
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(work / "server.log", "wb")
    server = subprocess.Popen([binary, "--addr", f"127.0.0.1:{port}"], env=env, stdout=log, stderr=log)
    try:
        started = time.monotonic()
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() - started > 30 or server.poll() is not None:
                    sys.exit("error: the server did not start; see " + str(work / "server.log"))
                time.sleep(0.1)

        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        call(opener, base, "login", {"identifier": "ops", "password": PASSWORD})
        call(opener, base, "create_workspace", {"slug": "acme", "name": "Acme", "admin_username": ""})
        call(opener, base, "create_project", {"workspace": "acme", "key": "WEB", "name": "Web"})
        call(opener, base, "create_repository", {"workspace": "acme", "project": "WEB", "slug": "website", "name": "Website"})
        secret = create_personal_token(
            base,
            "ops",
            PASSWORD,
            {"name": "schemathesis", "permissions": ["PROJECT_ADMIN", "REPO_ADMIN", "ACCOUNT_READ"], "expiryDays": 30},
        )

        report = work / "report.json"
        run = subprocess.run(
            [
                schemathesis,
                "--config-file",
                str(HERE / "schemathesis.toml"),
                "run",
                f"{base}/rest/api/1.0/openapi.json",
                "--checks",
                CHECKS,
                "--max-examples",
                os.environ.get("TOKENWARDEN_SCHEMATHESIS_EXAMPLES", "40"),
                "--seed",
                os.environ.get("TOKENWARDEN_SCHEMATHESIS_SEED", "20261124"),
                # One worker: Hypothesis under Python 3.11 can hit a CPython
                # bug ("AST constructor recursion depth mismatch") when
                # threads parse source at once.
                "--workers",
                "1",
                "--no-color",
                "--report",
                "json",
                "--report-json-path",
                str(report),
            ],
            env=dict(env, TOKENWARDEN_TOKEN=secret, TOKENWARDEN_PASSWORD=PASSWORD),
            cwd=work,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    server_log = (work / "server.log").read_text(errors="replace")
    if "panicked" in server_log:
        print(server_log)
        sys.exit("error: the server panicked under Schemathesis")
    summary = summarize(report)
    print(f"schemathesis: {summary}")
    if run.returncode != 0:
        sys.exit(f"error: Schemathesis found problems (exit {run.returncode}); the server log is {work / 'server.log'}")


def summarize(report):
    """Operations and cases from the JSON report, as one line."""
    try:
        data = json.loads(report.read_text())
        operations, cases = data["operations"], data["test_cases"]
        return (
            f"{operations['tested']} of {operations['total']} operations tested, "
            f"{cases['generated']} test cases, {cases['with_failures']} with failures"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "no report"


if __name__ == "__main__":
    main()
