"""In CI a skipped test is a failure: a test that cannot run there proves nothing.

Loaded by the Makefile (``-p tests.plugins.no_skips``) and active only when the environment has
``CI`` set to a true value, as the CI runner does. A skip becomes a failed report naming the skip's
reason, so the summary counts it and pytest exits non-zero. Expected failures (xfail) are left as
they are. A whole module skipped at collection time fails the session the same way.
"""
from __future__ import annotations

import os

import pytest

_TRUE = {"1", "true", "yes", "on"}


def _active() -> bool:
    return os.environ.get("CI", "").strip().lower() in _TRUE


def _reason(longrepr) -> str:
    # A skip's longrepr is (path, line, "Skipped: reason").
    text = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return text.removeprefix("Skipped: ")


class NoSkips:
    def __init__(self) -> None:
        self.skipped: list[tuple[str, str]] = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.skipped and not hasattr(report, "wasxfail"):
            reason = _reason(report.longrepr)
            self.skipped.append((report.nodeid, reason))
            report.outcome = "failed"
            report.longrepr = f"skipped, which CI counts as a failure: {reason}"

    def pytest_collectreport(self, report):
        if report.skipped:
            self.skipped.append((report.nodeid or ".", _reason(report.longrepr)))

    def pytest_terminal_summary(self, terminalreporter):
        if not self.skipped:
            return
        terminalreporter.section("skipped tests (failures in CI)", red=True)
        for nodeid, reason in self.skipped:
            terminalreporter.line(f"{nodeid}: {reason}")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        if self.skipped and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_configure(config):
    if _active():
        config.pluginmanager.register(NoSkips(), "no_skips_in_ci")
