"""What the test suites and bench/ share, in the dev group only (never in the wheelhouse or on a server).

    guard    the stage guard: a pytest plugin every run loads (pyproject.toml addopts), no skip or short count
             passing a stage by accident
    target   the health suite's targets (compose, swarm, vm): port plan, address, a way inside each service
    web      the health suite's HTTP helpers (logins, forms, pages), also used by tests/deploy
    deploy   the deploy tests' stand-in settings and helpers, also used by bench/deploy.py
    load     steady load with every request checked (tests/deploy, bench/deploy.py)

Installed editable (pyproject.toml's [tool.uv.sources]), so REPO is this checkout.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[4]  # tests/lib/src/stacklab_testing/__init__.py
