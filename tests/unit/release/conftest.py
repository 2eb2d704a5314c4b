import pytest


@pytest.fixture(autouse=True)
def as_ourselves(monkeypatch):
    """As root the tool builds venvs and runs collectstatic as nobody, who cannot reach these tests' interpreter
    or tmp_path (root's, 0700): here they run as we are. The drop itself is exercised on a stand-in
    (tests/deploy/test_privilege.py, test_root_canary.py)."""
    monkeypatch.setattr("stacklab_release.install.unprivileged", dict)
    monkeypatch.setattr("stacklab_release.stage.unprivileged", dict)
