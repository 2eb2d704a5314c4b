"""Figures for HTTPS: the time of a first certificate issuance (new order, HTTP-01 validation of every name through
nginx's port 80, certificate) and of a renewal, on a server whose TLS the acme role set up (docs/https.md).
Prints them next to their targets; asserts nothing.

    python3 bench/acme.py HOST        HOST: an ssh alias of hosting/cache/ssh/config that may sudo (e.g.
                                      stacklab-h3-admin), with scripts/acme-test-server's pebble still running

It asks the CA of the server's own certificate (lineage `stacklab`) for the same names under a lineage of its own
(`stacklab-bench`), renews that one, then deletes it: the lab's certificate is not touched. Each renewal also runs
the deploy hook (an nginx reload), as the timer's would. Stdlib only.
"""

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SSH_CONFIG = ROOT / "hosting/cache/ssh/config"
LIVE = "stacklab"
BENCH = "stacklab-bench"
TARGETS = {"first issuance": 30.0, "renewal": 30.0}  # seconds; Let's Encrypt itself takes a few


def on(host: str, command: str) -> str:
    ssh = ["ssh", "-F", str(SSH_CONFIG), "-o", "BatchMode=yes", host, "sudo", "sh", "-c", shlex.quote(command)]
    done = subprocess.run(ssh, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench/acme.py: {command!r} on {host} failed: {done.stderr.strip()[-600:]}")
    return done.stdout


def timed(host: str, command: str) -> float:
    start = time.monotonic()
    on(host, command)
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("host", help="ssh alias of the server, as a user that may sudo")
    args = parser.parse_args()
    server = on(args.host, f"sed -n 's/^server = //p' /etc/letsencrypt/renewal/{LIVE}.conf").strip()
    webroot = on(args.host, f"sed -n 's/^webroot_path = //p' /etc/letsencrypt/renewal/{LIVE}.conf").strip(" ,\n")
    names = on(args.host, f"openssl x509 -in /etc/letsencrypt/live/{LIVE}/cert.pem -noout -ext subjectAltName")
    domains = ",".join(part.strip()[4:] for part in names.splitlines()[-1].split(",") if "DNS:" in part)
    env = "REQUESTS_CA_BUNDLE=/etc/stacklab/acme-directory-ca.pem " if "letsencrypt.org" not in server else ""
    certbot = f"{env}certbot --non-interactive --cert-name {BENCH}"
    on(args.host, f"{certbot} delete >/dev/null 2>&1 || true")
    try:
        figures = {
            "first issuance": timed(
                args.host,
                f"{certbot} certonly --agree-tos --register-unsafely-without-email "
                f"--server {server} --webroot -w {webroot} -d {domains}",
            ),
            "renewal": timed(args.host, f"{certbot} renew --force-renewal --no-random-sleep-on-renew"),
        }
    finally:
        on(args.host, f"{certbot} delete")
    print(f"ACME CA {server}, {len(domains.split(','))} names: {domains}")
    for label, seconds in figures.items():
        verdict = "ok" if seconds <= TARGETS[label] else "over target"
        print(f"{label:<15} {seconds:5.1f} s   (target <= {TARGETS[label]:.0f} s: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
