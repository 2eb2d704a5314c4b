"""`stacklab-check`: the course's exercises graded (`exercise NAME ...`), and the lab's one-exchange health
checks for anything else (stacklab_core.checks.main, unchanged).

    stacklab-check exercise NAME [--target HOST[:PORT]] [--prefix NAME] [--format FORMAT] [--wait SECONDS]
                                 [--user NAME --password PASSWORD]   (the Django sites' account)
    stacklab-check exercise --list
    stacklab-check client NAME -- COMMAND...             run your client against a recording server
    stacklab-check ws30-docroot DIR                     write the document root the ws30 exercise expects
    stacklab-check --roster CLASS.CSV [...]             a whole class at once (classroom.py)
    stacklab-check [--target ...] [names...]            the lab's health checks, as before

Exit status: 0 when every check passed, 1 when one failed or was not run, 2 for a usage error.
New subcommands go in SUBCOMMANDS.
"""

import argparse
import sys
from collections.abc import Callable

from stacklab_core import checks

from . import classroom, engine, report
from .clients.command import client_main
from .exercises import EXERCISES
from .exercises.ws30 import docroot_main


def exercise_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="stacklab-check exercise",
        description="Grade a server against one of the course's exercises: a chain of protocol checks.",
    )
    parser.add_argument("name", nargs="?", choices=sorted(EXERCISES), help="the exercise")
    parser.add_argument("--list", action="store_true", help="list the exercises and their checks")
    parser.add_argument(
        "--target",
        default="127.0.0.1",
        help="HOST[:PORT] of the server (default 127.0.0.1 and the course's port of the exercise)",
    )
    parser.add_argument(
        "--prefix",
        default=engine.DEFAULT_PREFIX,
        help="the name that replaces uw-student in every expected reply: your GitHub name (default uw-student)",
    )
    parser.add_argument(
        "--user", default=engine.DEFAULT_USER, help="an account of the site, for the Django exercises (default jon)"
    )
    parser.add_argument(
        "--password", default=engine.DEFAULT_PASSWORD, help="that account's password (default jacky, the course's)"
    )
    parser.add_argument("--format", choices=sorted(report.FORMATS), default="terminal", help="default terminal")
    parser.add_argument("--wait", type=float, default=3.0, help="seconds any one reply may take (default 3)")
    args = parser.parse_args(argv)
    if args.list:
        print(report.listing(EXERCISES.values()))
        return 0
    if args.name is None:
        parser.error("name an exercise (or --list)")
    if args.wait <= 0:
        parser.error("--wait must be positive")
    exercise = EXERCISES[args.name]
    try:
        host, port = split_target(args.target, exercise.port)
    except ValueError as exc:
        parser.error(str(exc))
    results = engine.run(
        exercise, engine.Context(host, port, args.prefix, args.wait, user=args.user, password=args.password)
    )
    sys.stdout.write(report.FORMATS[args.format](exercise, results, f"{host}:{port}"))
    return 0 if all(result.status == "pass" for result in results) else 1


def split_target(text: str, default_port: int) -> tuple[str, int]:
    """ "host", "host:port", "[::1]:port" -> (host, port)."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, ""
    if not host or (port and not port.isdigit()) or not 0 < int(port or default_port) < 65536:
        raise ValueError(f"--target {text!r}: expected HOST or HOST:PORT")
    return host, int(port or default_port)


SUBCOMMANDS: dict[str, Callable[[list[str]], int]] = {
    "exercise": exercise_main,
    "client": client_main,
    "ws30-docroot": docroot_main,
    "--roster": classroom.main,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        return SUBCOMMANDS[argv[0]](argv[1:])
    return checks.main(argv)


if __name__ == "__main__":
    sys.exit(main())
