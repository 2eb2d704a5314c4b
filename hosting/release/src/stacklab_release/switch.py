"""Switching `current` and housekeeping: `activate`, `rollback`, `remove`, `prune`, `list`, `current`,
`previous`."""

from __future__ import annotations

import shutil
from pathlib import Path

from stacklab_core import layout

from stacklab_release.site import (
    Failure,
    Site,
    is_complete,
    link_target,
    locked,
    log,
    read_release_file,
    release_dir,
    releases,
    serving_releases,
    switch_link,
)


def activate(site: Site, name: str) -> None:
    dest = release_dir(site, name)
    with locked(site):
        if not is_complete(dest):
            raise Failure(f"release {name} is not installed (or incomplete)")
        old = link_target(site.current)
        if old == name:
            log(f"release {name} is already current")
            return
        if old:
            switch_link(site.previous, old)
        switch_link(site.current, name)
    log(f"current: {name}" + (f" (previous: {old})" if old else ""))


def rollback(site: Site) -> None:
    previous = link_target(site.previous)
    if not previous:
        raise Failure("no previous release to roll back to")
    activate(site, previous)


def remove(site: Site, name: str) -> None:
    dest = release_dir(site, name)
    with locked(site):
        if link_target(site.current) == name:
            raise Failure(f"release {name} is current: activate another one first")
        if not dest.exists():
            raise Failure(f"no release {name}")
        shutil.rmtree(dest)
        if site.previous.is_symlink() and link_target(site.previous) is None:
            others = [r for r in releases(site) if r != link_target(site.current)]
            if others:
                switch_link(site.previous, others[-1])
            else:
                site.previous.unlink()
    log(f"removed release {name}")


def prune(site: Site, keep: int) -> None:
    if keep < 1:
        raise Failure("prune keeps at least 1 release")
    with locked(site):
        names = releases(site)
        kept = set(names[-keep:]) | {link_target(site.current), link_target(site.previous)} | serving_releases(site)
        for name in names:
            if name not in kept:
                shutil.rmtree(site.releases / name)
                log(f"pruned release {name}")
        for leftover in site.releases.iterdir():  # incomplete installs: no other install runs while we hold the lock
            if leftover.is_dir() and not is_complete(leftover):
                shutil.rmtree(leftover)
                log(f"removed incomplete release {leftover.name}")


def show_list(site: Site) -> None:
    current, previous = link_target(site.current), link_target(site.previous)
    for name in releases(site):
        mark = "*" if name == current else "-" if name == previous else " "
        info = read_release_file(site.releases / name / layout.RELEASE_FILE)
        version, installed = info.get("STACKLAB_VERSION", "?"), info.get("STACKLAB_INSTALLED", "?")
        log(f"{mark} {name}  version={version} installed={installed}")


def show_link(link: Path) -> None:
    name = link_target(link)
    if not name:
        raise Failure(f"no {link.name} release")
    log(name)
