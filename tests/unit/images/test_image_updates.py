"""scripts/lib/image_updates.py, which `./run up` asks whether the images lack Debian security updates: what it
reads from `apt-get -s upgrade`, and that it says "could not check" rather than "current" or a failure."""

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "lib" / "image_updates.py"
_spec = importlib.util.spec_from_file_location("image_updates", SCRIPT)
image_updates = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(image_updates)

# Taken from a real run against a debootstrapped trixie base (and one line of a plain point-release update).
SIMULATION = """\
NOTE: This is only a simulation!
Calculating upgrade...
The following packages will be upgraded:
  libssl3t64 libzstd1 login.defs passwd tzdata
Inst libzstd1 [1.5.7+dfsg-1] (1.5.7+dfsg-1+deb13u1 Debian-Security:13/stable-security [amd64])
Conf libzstd1 (1.5.7+dfsg-1+deb13u1 Debian-Security:13/stable-security [amd64])
Inst libssl3t64 [3.5.9-1~deb13u1] (3.5.10-1~deb13u1 Debian:13.3/stable, Debian-Security:13/stable-security [amd64])
Inst login.defs [1:4.17.4-2] (1:4.17.4-2+deb13u1 Debian-Security:13/stable-security [all])
Inst tzdata [2025b-4] (2025c-0+deb13u1 Debian:13.3/stable [all])
Conf login.defs (1:4.17.4-2+deb13u1 Debian-Security:13/stable-security [all])
"""


def test_security_updates_are_the_upgrades_from_the_security_archive():
    assert image_updates.security_updates(SIMULATION) == {
        "libzstd1": "1.5.7+dfsg-1+deb13u1",
        "libssl3t64": "3.5.10-1~deb13u1",  # in both archives: still a security fix
        "login.defs": "1:4.17.4-2+deb13u1",
    }  # tzdata comes from the point release only


def test_nothing_to_upgrade_is_nothing_missing():
    quiet = "Calculating upgrade...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n"
    assert image_updates.security_updates(quiet) == {}


def test_the_containers_output_splits_per_package_database():
    out = f"== aaaa\n{SIMULATION}== bbbb\n0 upgraded, 0 newly installed.\n"
    parts = image_updates.sections(out)
    assert list(parts) == ["aaaa", "bbbb"]
    assert image_updates.security_updates(parts["aaaa"]).keys() == {"libzstd1", "libssl3t64", "login.defs"}
    assert image_updates.security_updates(parts["bbbb"]) == {}


def test_an_archive_out_of_reach_is_could_not_check_quickly_never_current():
    """Offline (here: an image that does not exist and an address nothing answers): exit 2, said plainly."""
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "http://127.0.0.1:9/debian-security", "stacklab-test/no-such-image:none"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert run.returncode == 2, run
    assert run.stdout.startswith("could not check the images for Debian security updates"), run.stdout
    assert time.monotonic() - started < 15
