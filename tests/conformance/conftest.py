"""Fixtures for the IBM Cloud IAM conformance suite.

The emulator under test is the `iam-emulator` binary. It is started the way users' CI starts it
(`--listen 127.0.0.1:0`), its ready line (the first stdout line, one JSON object) is read, and
the parsed object is handed to the tests. Tests then talk to it only through IBM's clients:
IBM's pinned Python SDKs, `curl` with IBM's documented commands, `requests` for raw wire checks
and a real headless Chromium.

Fixtures:
- `emu`: one emulator shared by the whole session. Tests using it must not change global
  emulator state (faults, config, refresh-token revocation).
- `start_emulator`: a factory for private emulators (`start_emulator("--token-ttl", "11")`),
  stopped after the test. Use it for anything that mutates global state.
"""

import os

import pytest

from iamconf import EmulatorProcess, running_emulators

# The emulator only listens on loopback; never route these requests through a proxy.
_no_proxy = [p for p in os.environ.get("NO_PROXY", os.environ.get("no_proxy", "")).split(",") if p]
for _host in ("127.0.0.1", "localhost"):
    if _host not in _no_proxy:
        _no_proxy.append(_host)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = ",".join(_no_proxy)


@pytest.fixture(scope="session")
def emu():
    """The shared emulator: its ready-line info dict (with helper methods)."""
    proc = EmulatorProcess.start()
    try:
        yield proc.info
    finally:
        proc.stop()


@pytest.fixture
def start_emulator():
    """Factory for private emulators that a test may reconfigure freely."""
    started = []

    def start(*args):
        proc = EmulatorProcess.start(*args)
        started.append(proc)
        return proc.info

    yield start
    for proc in started:
        proc.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the stderr (logs) of every running emulator to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for proc in running_emulators():
            report.sections.append((f"iam-emulator stderr ({proc.info.get('url', '?')})", proc.stderr_tail()))
