#!/usr/bin/env python3
"""Which Debian security updates the lab's images lack (docs/compose.md, "Keeping the images patched").

    scripts/lib/image_updates.py SECURITY_URI BASE_IMAGE [IMAGE...]

One throwaway container of BASE_IMAGE fetches the package lists of Debian's security suite alone (SECURITY_URI,
e.g. http://deb.debian.org/debian-security: a few MB, seconds) and simulates `apt-get upgrade` against the package
database (/var/lib/dpkg/status) of every image, copied out of a created, never started, container. Prints what is
missing; exit 0 when nothing is, 1 when something is, 2 when it could not check (offline, no Docker): never
longer than TIMEOUT seconds. Standard library only.
"""

import hashlib
import io
import re
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor

TIMEOUT = 14.0
SUITE = "trixie-security"
# `apt-get -s upgrade`: Inst PACKAGE [INSTALLED] (CANDIDATE ORIGIN[, ORIGIN...] [ARCH])
INST = re.compile(r"^Inst (\S+) (?:\[(\S+)\] )?\((\S+) (.*?)(?: \[[^\]]*\])?\)", re.MULTILINE)

# In the container: the security suite's lists only, then one simulated upgrade per package database (stdin: a tar).
CHECK = """set -e
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $1 $2 main" >/tmp/security.list
set -- -o Dir::Etc::SourceList=/tmp/security.list -o Dir::Etc::SourceParts=/nonexistent -o Debug::NoLocking=1
apt-get "$@" -o Acquire::Retries=0 -o Acquire::http::Timeout=8 -qq --error-on=any update >/dev/null
ls /var/lib/apt/lists/*_Packages* >/dev/null  # lists that failed to come would read as "nothing to update"
mkdir /tmp/status && tar -x -C /tmp/status
for status in /tmp/status/*; do
  echo "== ${status#/tmp/status/}"
  apt-get "$@" -o Dir::State::status="$status" -s upgrade
done
"""


def security_updates(apt_simulation: str) -> dict[str, str]:
    """Package -> the version Debian's security suite has, for each upgrade in an `apt-get -s upgrade` output
    that comes from the security archive (origin Debian-Security)."""
    return {
        match[1]: match[3]
        for match in INST.finditer(apt_simulation)
        if any(origin.startswith("Debian-Security:") for origin in match[4].split(", "))
    }


def sections(output: str) -> dict[str, str]:
    """The container's output split at its `== NAME` lines: NAME -> that package database's simulation."""
    parts = re.split(r"^== (\S+)\n", output, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def docker(*args: str, deadline: float, text: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=text, check=True, timeout=max(deadline - time.monotonic(), 0.1)
    )


def dpkg_status(image: str, deadline: float) -> bytes:
    """The image's /var/lib/dpkg/status, from a container that is created and removed, never started."""
    cid = docker("create", "--entrypoint", "true", image, deadline=deadline).stdout.strip()
    try:
        archive = docker("cp", f"{cid}:/var/lib/dpkg/status", "-", deadline=deadline, text=False).stdout
    finally:
        subprocess.run(["docker", "rm", cid], capture_output=True, check=False)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.extractfile("status")
        return member.read() if member else b""


def check(security_uri: str, base: str, images: list[str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """(images by the digest of their package database, missing updates by package) for the images present.
    The container fetches the lists while the package databases are copied out; they reach it as a tar on stdin."""
    deadline = time.monotonic() + TIMEOUT
    container = subprocess.Popen(
        ["docker", "run", "--rm", "--interactive", "--pull", "never", "--user", "0", "--read-only",
         "--tmpfs", "/tmp", "--tmpfs", "/var/lib/apt/lists", "--tmpfs", "/var/cache/apt",  # noqa: S108 (the container's)
         "--entrypoint", "sh", base, "-c", CHECK, "sh", security_uri, SUITE],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        present = [
            image
            for image in dict.fromkeys([base, *images])  # one not built (yet): nothing runs from it
            if not subprocess.run(["docker", "image", "inspect", image], capture_output=True, check=False).returncode
        ]
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda image: dpkg_status(image, deadline), present))
        by_status: dict[str, list[str]] = {}
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w") as tar:
            for image, status in zip(present, statuses, strict=True):
                digest = hashlib.sha256(status).hexdigest()[:16]
                if digest not in by_status:
                    member = tarfile.TarInfo(digest)
                    member.size = len(status)
                    tar.addfile(member, io.BytesIO(status))
                by_status.setdefault(digest, []).append(image)
        out, err = container.communicate(archive.getvalue(), timeout=max(deadline - time.monotonic(), 0.1))
    finally:
        if container.poll() is None:
            container.kill()
            container.wait()
    if container.returncode:
        raise subprocess.CalledProcessError(container.returncode, "docker run", out, err)
    missing: dict[str, str] = {}
    stale: dict[str, list[str]] = {}
    for digest, simulation in sections(out.decode()).items():
        updates = security_updates(simulation)
        if updates:
            stale[digest] = by_status[digest]
            missing.update(updates)
    return stale, missing


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        stale, missing = check(argv[0], argv[1], argv[2:])
    except (OSError, subprocess.SubprocessError, tarfile.TarError) as exc:
        stderr = getattr(exc, "stderr", None) or b""
        stderr = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
        reason = stderr.strip().splitlines()[-1] if stderr.strip() else exc
        if isinstance(exc, subprocess.TimeoutExpired):
            reason = f"no answer within {TIMEOUT:.0f} s"
        print(f"could not check the images for Debian security updates ({reason})")
        return 2
    if not missing:
        print("the images have every Debian security update")
        return 0
    images = sorted({image for group in stale.values() for image in group})
    packages = ", ".join(f"{name} {version}" for name, version in sorted(missing.items()))
    print(f"{len(missing)} Debian security updates missing from {len(images)} images: {packages}")
    print(f"  in {', '.join(images)}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
