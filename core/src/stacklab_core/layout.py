"""Where the lab sits on a server (docs/server-layout.md): the release tree, the tools, the backups, the settings.

One spelling for every side that names these places: the release and backup tools (their zipapps carry this
module), fab deploy and the deploy tests by import, Ansible through this file's command line. Standard library
only, runnable by path with no package around it:

    python3 core/src/stacklab_core/layout.py      every value below as JSON, keyed by its lower-case name
"""

import json
import sys

# The release tree (the release tool's STACKLAB_ROOT): ROOT/releases/<name>/ with ROOT/current and ROOT/previous
# pointing into it.
ROOT = "/srv/stacklab"
RELEASES = "releases"
CURRENT = "current"
PREVIOUS = "previous"
SERVED = ".served"  # unit -> the inputs digest and the release it last started from (reload, prune)
LOCK = ".lock"  # held by every mutating release command
INPUTS = "inputs"  # releases/<name>/inputs/<app>: what that app's venv was made from
RELEASE_FILE = "RELEASE"  # releases/<name>/RELEASE, written last: a release without it is incomplete

# Settings and secrets (root-owned): /etc/stacklab/<app>.env per app, the backup tool's own file.
CONFIG_DIR = "/etc/stacklab"
BACKUP_CONFIG = f"{CONFIG_DIR}/backup.env"
# An app's secrets (root-only): CREDENTIALS_DIR/<app>/<NAME>, which its units load as systemd credentials
# (LoadCredential=NAME) and the app reads from $CREDENTIALS_DIRECTORY/NAME, never from its environment.
CREDENTIALS_DIR = f"{CONFIG_DIR}/credentials"

# The server tools Ansible installs (zipapps) and the deploy user's sudoers names.
TOOLS_DIR = "/usr/local/sbin"
RELEASE_TOOL = f"{TOOLS_DIR}/stacklab-release"
BACKUP_TOOL = f"{TOOLS_DIR}/stacklab-backup"

# The backup role's archives (its backup_dir), and fab deploy's, outside the timer's retention.
BACKUP_DIR = "/var/backups/stacklab"
PRE_DEPLOY_DIR = f"{BACKUP_DIR}/pre-deploy"

# Paths under ROOT as they are on a server with the default root.
CURRENT_LINK = f"{ROOT}/{CURRENT}"
SERVED_FILE = f"{ROOT}/{SERVED}"


def values() -> dict[str, str]:
    """Every constant of this module, keyed by its lower-case name (what Ansible reads)."""
    return {name.lower(): value for name, value in globals().items() if name.isupper() and isinstance(value, str)}


def main() -> int:
    print(json.dumps(values(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
