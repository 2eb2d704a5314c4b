"""Headless Chromium for the tests that check how a page renders (the class report, the dashboard)."""

import shutil
from pathlib import Path

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium(profile: Path) -> list[str]:
    """The command line of a headless Chromium with its own profile folder; fails (never skips) without one."""
    found = shutil.which("chromium")
    if not found:
        pytest.fail(
            "no chromium on PATH: the unit stage installs it (./run unit, or `./run _host_packages`: the "
            "Debian package chromium)"
        )
    return [found, *FLAGS, f"--user-data-dir={profile}"]
