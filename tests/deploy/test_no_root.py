"""No code of a release ever runs as root (docs/security.md, "Least privilege"): the deploy user ships releases, and
a release whose wheel drops a `.pth` file into its venv (conftest.py: root_canary, which notes the effective uid of
every interpreter that starts there) is shipped by `fab deploy` twice, the second a code change that patches the
first's venvs, then a backup of the host is restored with `fab restore`; test_privilege.py's `fab provision` comes
after. The canary must run (as the unprivileged user that builds the venvs) and never as root.

Runs after test_deploy.py (file order); the releases it leaves current carry the canary.
"""

import pytest
from stacklab_testing.deploy import NOBODY

pytestmark = pytest.mark.timeout(900)


def test_deploys_run_no_release_code_as_root(root_canary):
    seen = root_canary()
    assert 0 not in seen, f"a deploy ran the release's code as root (uids {seen})"
    assert NOBODY in seen, f"the canary never ran where the venvs are patched: the test proves nothing ({seen})"


def test_restore_runs_no_release_code_as_root(fab, root_canary, tmp_path):
    made = fab("backup", "--dir", str(tmp_path))
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr
    name = made.stdout.strip().splitlines()[-1].rsplit("/", 1)[-1]
    restored = fab("restore", name)  # the archive on the host, by its name
    assert restored.returncode == 0, restored.stdout[-3000:] + restored.stderr
    seen = root_canary()
    assert 0 not in seen, f"the restore ran the release's code as root (uids {seen})"
