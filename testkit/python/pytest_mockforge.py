"""pytest plugin for mockforge: a real `mockforge serve` for the session, reset
before each test, and expectations that fail the test with the closest misses.

Enable it with `-p pytest_mockforge` (or `pytest_plugins = ["pytest_mockforge"]`
in a conftest.py) with this directory on PYTHONPATH. Only the standard library
is used, so it runs under any Python 3 that has pytest.

    def test_order_is_confirmed(mockforge):
        produce_order(mockforge.kafka_bootstrap)
        mockforge.expect(protocol="kafka", topic="orders.confirmed",
                         match={"json": [{"path": "$.status", "equals": "confirmed"}]})

Settings (command line, ini file, or environment):
    --mockforge-bin / mockforge_bin / MOCKFORGE_BIN        binary (default: on PATH)
    --mockforge-config / mockforge_config / MOCKFORGE_CONFIG  a mockforge.yaml
    --mockforge-arg / mockforge_args                       extra `serve` arguments
    --mockforge-url / MOCKFORGE_URL                        use a running server's admin URL
    MOCKFORGE_ADMIN_TOKEN                                   bearer token for the admin API
"""

import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest


class MockforgeError(RuntimeError):
    """The admin API refused a request (bad expectation, history off, ...)."""


class Mockforge:
    """A mockforge server, started by this plugin or already running."""

    def __init__(self, admin_url, ports=None, bind="127.0.0.1", token=None, process=None,
                 workdir=None):
        self.admin_url = admin_url.rstrip("/")
        self.token = token
        self._process = process
        self._workdir = workdir
        if ports is None:
            info = self.request("GET", "/__mockforge/api/info")
            ports = info.get("ports", {})
            bind = info.get("bind") or bind
        if isinstance(bind, list):  # the first address the listeners bind to
            bind = bind[0] if bind else "127.0.0.1"
        self.ports = ports
        self.host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(bind, bind)

    # ---- Addresses ---------------------------------------------------------
    def _address(self, port):
        return f"[{self.host}]:{port}" if ":" in self.host else f"{self.host}:{port}"

    @property
    def kafka_bootstrap(self):
        return self._address(self.ports["kafka"])

    @property
    def mqtt_host(self):
        return self.host

    @property
    def mqtt_port(self):
        return self.ports["mqtt"]

    @property
    def amqp_url(self):
        return f"amqp://guest:guest@{self._address(self.ports['amqp'])}/"

    # ---- Admin API ---------------------------------------------------------
    def request(self, method, path, body=None, ok=(200,)):
        """Calls the admin API; returns the decoded JSON body (or text)."""
        status, payload = self._call(method, path, body)
        if status not in ok:
            raise MockforgeError(f"{method} {path}: HTTP {status}: {payload}")
        return payload

    def _call(self, method, path, body=None):
        data = None
        headers = {}
        if body is not None:
            data = json.dumps(body).encode() if not isinstance(body, (bytes, str)) else (
                body.encode() if isinstance(body, str) else body)
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.admin_url + path, data=data, headers=headers,
                                         method=method)
        try:
            with urllib.request.urlopen(request, timeout=630) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        text = raw.decode(errors="replace")
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def reset(self, protocol=None):
        path = f"/__mockforge/api/{protocol}/reset" if protocol else "/__mockforge/api/reset"
        return self.request("POST", path)

    def load_fixtures(self, directory, protocol=None):
        """Loads a fixture directory at run time (all sections, or one protocol's)."""
        query = {"dir": os.path.abspath(directory)}
        if protocol:
            query["protocol"] = protocol
        return self.request("POST", "/__mockforge/api/fixtures/load?" +
                            urllib.parse.urlencode(query))

    def history(self, **filters):
        """The recorded messages, oldest first (filters: protocol, topic, client_id, since, limit)."""
        query = urllib.parse.urlencode({k: v for k, v in filters.items() if v is not None})
        return self.request("GET", "/__mockforge/api/history" + (f"?{query}" if query else ""))[
            "messages"]

    def expect(self, spec=None, **fields):
        """Waits until the expectation is met and returns the verdict; fails the
        test with the verdict (and the closest misses) when it is not.

        Either a whole expectation as a dict, or its fields as keywords:
        expect(protocol="mqtt", topic="alerts/#", match={"regex": "hot"},
               count={"exactly": 1}, since="reset", timeout_ms=5000)
        or a sequence: expect(in_order=[{...}, {...}]).
        """
        body = dict(spec or {}, **fields)
        status, verdict = self._call("POST", "/__mockforge/api/expect", body)
        if status == 200:
            return verdict
        if status == 417:
            pytest.fail(format_verdict(verdict), pytrace=False)
        raise MockforgeError(f"expect: HTTP {status}: {verdict}")

    def stop(self):
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
        self._process = None


def format_verdict(verdict):
    if not isinstance(verdict, dict):
        return str(verdict)
    lines = [verdict.get("message", "expectation not met")]
    for number, step in enumerate(verdict.get("steps", []), start=1):
        at = step.get("completed_at_seq")
        lines.append(f"  step {number}: {step.get('expect')} "
                     f"({'not reached' if at is None else f'completed at #{at}'})")
    for miss in verdict.get("closest_misses", []):
        lines.append(f"  #{miss.get('seq')} on {miss.get('destination')}:")
        lines.extend(f"    - {reason}" for reason in miss.get("reasons", []))
    return "\n".join(lines)


def start(binary="mockforge", config=None, args=(), ready_timeout=30.0, env=None):
    """Starts `mockforge serve` on ephemeral ports and waits until it is ready."""
    workdir = tempfile.mkdtemp(prefix="pytest-mockforge-")
    ready_file = os.path.join(workdir, "ready.json")
    command = [binary, "serve", "--admin-port", "0", "--kafka-port", "0", "--mqtt-port", "0",
               "--mqtt-ws-port", "0", "--amqp-port", "0", "--ready-file", ready_file]
    if config:
        command += ["--config", config]
    command += list(args)
    log = open(os.path.join(workdir, "serve.log"), "wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, **(env or {})})
    log.close()
    deadline = time.monotonic() + ready_timeout
    while not os.path.exists(ready_file):
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                process.kill()
                process.wait()
            with open(os.path.join(workdir, "serve.log"), "rb") as f:
                output = f.read().decode(errors="replace")
            shutil.rmtree(workdir, ignore_errors=True)
            raise MockforgeError(f"mockforge serve did not become ready:\n{output}")
        time.sleep(0.005)
    with open(ready_file) as f:
        info = json.load(f)
    ports = info["ports"]
    return Mockforge(f"http://127.0.0.1:{ports['admin']}", ports=ports,
                     token=os.environ.get("MOCKFORGE_ADMIN_TOKEN"), process=process,
                     workdir=workdir)


# ---- pytest hooks and fixtures ---------------------------------------------


def pytest_addoption(parser):
    group = parser.getgroup("mockforge")
    group.addoption("--mockforge-bin", help="the mockforge binary (default: on PATH)")
    group.addoption("--mockforge-config", help="a mockforge.yaml for the session's server")
    group.addoption("--mockforge-arg", action="append", default=[],
                    help="an extra `mockforge serve` argument (repeatable)")
    group.addoption("--mockforge-url", help="use the running server at this admin URL")
    parser.addini("mockforge_bin", "the mockforge binary")
    parser.addini("mockforge_config", "a mockforge.yaml for the session's server")
    parser.addini("mockforge_args", "extra `mockforge serve` arguments", type="args")


def _setting(config, option, ini, env):
    value = config.getoption(option)
    if value:
        return value
    value = config.getini(ini)
    if value:
        return value
    return os.environ.get(env)


@pytest.fixture(scope="session")
def mockforge_server(pytestconfig):
    """The session's mockforge server (started once, stopped at the end)."""
    url = pytestconfig.getoption("--mockforge-url") or os.environ.get("MOCKFORGE_URL")
    if url:
        yield Mockforge(url, token=os.environ.get("MOCKFORGE_ADMIN_TOKEN"))
        return
    binary = _setting(pytestconfig, "--mockforge-bin", "mockforge_bin", "MOCKFORGE_BIN") or \
        "mockforge"
    config = _setting(pytestconfig, "--mockforge-config", "mockforge_config", "MOCKFORGE_CONFIG")
    args = list(pytestconfig.getini("mockforge_args")) + list(
        pytestconfig.getoption("--mockforge-arg"))
    args += shlex.split(os.environ.get("MOCKFORGE_ARGS", ""))
    server = start(binary, config=config, args=args)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mockforge(mockforge_server):
    """The session's server, reset to its fixtures before the test."""
    mockforge_server.reset()
    return mockforge_server
