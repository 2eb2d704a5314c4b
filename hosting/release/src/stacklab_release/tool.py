"""stacklab-release: install, switch and prune the lab's releases on a server (Python 3 stdlib only).

Shared by Ansible (installs the first release) and `fab deploy` (ships the later ones); Ansible installs it as
/usr/local/sbin/stacklab-release, a zipapp of this package and stacklab_core.layout (stacklab_deploy.build). This
module is the command line; the work is in site.py (the release tree), install.py and reuse.py, units.py (systemd)
and switch.py. Layout (docs/server-layout.md, stacklab_core.layout):

    $STACKLAB_ROOT (default /srv/stacklab)
      releases/<name>/   wheelhouse/, venvs/<app>/, inputs/<app>, static/django/, RELEASE (written last: a release
                         without it is incomplete and never listed, activated or served)
      current  -> releases/<name>    the release the units run (switched atomically)
      previous -> releases/<name>    the release `current` pointed at before the last switch

Commands (run as root; exit status 0 on success, 1 on failure with one `stacklab-release: error: ...` line on stderr;
every mutating command holds $STACKLAB_ROOT/.lock):

    install SRC NAME [--apps a,b]  SRC: a wheelhouse directory or a .tar.gz of one, or `-`: that .tar.gz on stdin
                                   (how fab's deploy user hands it over: root then opens no path the user named),
                                   with the wheels at its top or under
                                   wheelhouse/; an optional RELEASE file with KEY=VALUE lines is kept; an optional
                                   SHA256SUMS is verified). Makes releases/NAME with one venv per app (every stack
                                   its RELEASE file's STACKLAB_STACKS names, from the lab's catalog at build time,
                                   whose stacklab_<app> wheel is there; or --apps), installed offline
                                   (pip --no-index, versions from requirements.txt), runs the per-app steps (Django
                                   collectstatic into static/django, with throwaway settings: it needs neither the
                                   secret key nor the database), then writes RELEASE. Does nothing if NAME is
                                   already installed (idempotent). Only what changed is redone: a wheel SHA256SUMS
                                   lists but SRC lacks is taken from the current release (fab uploads only the
                                   wheels the host lacks); an app whose wheels all have the same contents as in the
                                   current release (wheel_identity) gets that release's venv as hard links, and
                                   Django's unchanged static files likewise; inputs/<app> records what each venv
                                   was made from.
    check NAME                     Loads each app of NAME the way its unit would, without touching the running
                                   services: gunicorn units run `gunicorn --check-config` (imports the WSGI app),
                                   other units import their `-m` module; as the unit's User= with its environment.
                                   Units whose app is unchanged from the current release are not checked again.
    migrate NAME                   Django migrations with NAME's code, as the django unit's user and environment;
                                   nothing when Django's wheels are those of the current release.
    activate NAME                  current -> NAME (atomic rename of a new symlink); previous -> the old current.
    rollback                       activate the previous release.
    reload                         gunicorn units (ExecReload, CanReload=yes): `systemctl reload` (HUP), then wait
                                   until every worker is new; other units that run from current: `systemctl restart`
                                   (their socket units keep listening meanwhile). Only units whose app changed since
                                   they last started ($STACKLAB_ROOT/.served) are touched; the others keep running.
    units                          one line per unit that runs from current: unit, state, reload|restart.
    list                           complete releases, oldest first; `*` marks current, `-` previous.
    current | previous             the release name (exit 1 when there is none).
    prune N                        delete all but the N newest releases (current and previous are always kept, and
                                   those a running unit was started from).
    remove NAME                    delete a release that is not current (a rejected one); re-points previous.
    manage ARGS...                 Django's manage.py of the current release, as the django unit's user and
                                   environment (e.g. `manage createsuperuser`, `manage shell -c "..."`).
    version                        the tool's interface version (API): fab deploy requires its own.

The code of a release never runs as root (fab's deploy user may run this tool through sudo, with a release it
uploaded: docs/security.md): pip installs wheels without running them; collectstatic and the import checks run as
`nobody`; check and migrate run as their unit's User=, and refuse to run at all when systemd has no such unit.

A release also carries conf/<app>/gunicorn.conf.py (copied from stacklab_<app>/gunicorn_conf.py when the package has
one): gunicorn units must run `-c /srv/stacklab/current/conf/<app>/gunicorn.conf.py`, never `-c python:MODULE`,
which imports the app's package into the master, so that the workers a HUP forks would keep serving the old code.

Names: <UTC %Y%m%dT%H%M%S>-<git sha7>, e.g. 20250101T120000-1a2b3c4 (letters, digits, `.`, `_`, `-` accepted).
RELEASE holds KEY=VALUE lines (systemd EnvironmentFile syntax): STACKLAB_RELEASE=<name>, STACKLAB_GIT_SHA,
STACKLAB_VERSION, STACKLAB_BUILT, STACKLAB_INSTALLED, plus what the source's RELEASE file carried.

Environment: STACKLAB_ROOT (default /srv/stacklab), STACKLAB_PYTHON (default python3; the interpreter of every
venv), STACKLAB_UNIT_PREFIX (default stacklab-).
"""

from __future__ import annotations

import argparse
import os
import sys

from stacklab_release.install import install
from stacklab_release.site import Failure, Site, log
from stacklab_release.switch import activate, prune, remove, rollback, show_link, show_list
from stacklab_release.units import check, manage, migrate, reload, units

# The interface fab relies on, raised when it changes (2: `install -` from stdin, release code never as root;
# 3: install takes the wheels SHA256SUMS lists but the upload lacks from the current release, and every step
# redoes only what changed); fab deploy refuses a host whose tool differs: Ansible (fab provision) installs the
# tool, fab never does.
API = 3

COMMANDS = {
    "check": check,
    "migrate": migrate,
    "activate": activate,
    "remove": remove,
    "rollback": rollback,
    "reload": reload,
    "units": units,
    "list": show_list,
}


def main(argv: list[str] | None = None, site: Site | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stacklab-release", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("install")
    p.add_argument("src")
    p.add_argument("name")
    p.add_argument("--apps", type=lambda s: [a for a in s.split(",") if a])
    for command in ("check", "migrate", "activate", "remove"):
        sub.add_parser(command).add_argument("name")
    sub.add_parser("prune").add_argument("keep", type=int)
    sub.add_parser("manage").add_argument("args", nargs=argparse.REMAINDER)
    for command in ("rollback", "reload", "units", "list", "current", "previous", "version"):
        sub.add_parser(command)
    args = parser.parse_args(argv)
    site = site or Site.from_env(os.environ)
    os.umask(0o022)
    try:
        match args.command:
            case "install":
                install(site, args.src, args.name, args.apps)
            case "check" | "migrate" | "activate" | "remove":
                COMMANDS[args.command](site, args.name)
            case "manage":
                manage(site, args.args)
            case "prune":
                prune(site, args.keep)
            case "current" | "previous":
                show_link(getattr(site, args.command))
            case "version":
                log(f"stacklab-release API {API}")
            case _:
                COMMANDS[args.command](site)
    except Failure as exc:
        print(f"stacklab-release: error: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
