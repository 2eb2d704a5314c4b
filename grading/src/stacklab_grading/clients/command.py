"""`stacklab-check client NAME [options] -- COMMAND...`: grade a client. COMMAND is run as the course ran its
clients, `COMMAND HOST PORT` (the web client: `COMMAND URL N`), against a recording server on a loopback port;
exit status as `exercise`."""

import argparse
import shlex
import shutil
import sys
from pathlib import Path

from .. import engine, report
from . import ARGUMENTS, CLIENTS
from .session import ClientContext


def client_main(argv: list[str]) -> int:
    argv, command = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    parser = argparse.ArgumentParser(
        prog="stacklab-check client",
        usage="%(prog)s NAME [options] -- COMMAND...  (or --list)",
        description="Grade a client of the course against a recording server: COMMAND is run as "
        "`COMMAND HOST PORT`, fed scripted input, and what it does on the wire is checked.",
    )
    parser.add_argument("name", nargs="?", choices=sorted(CLIENTS), help="the exercise whose client this is")
    parser.add_argument("--list", action="store_true", help="list the client exercises and their checks")
    parser.add_argument("--prefix", default=engine.DEFAULT_PREFIX, help="the server's name in its replies")
    parser.add_argument("--format", choices=sorted(report.FORMATS), default="terminal", help="default terminal")
    parser.add_argument("--wait", type=float, default=3.0, help="seconds the client may take for each step")
    args = parser.parse_args(argv)
    if args.list:
        print(report.listing(CLIENTS.values()))
        return 0
    if args.name is None or not command:
        parser.error("name an exercise and give the client's command after --, e.g. -- python3 my_client.py")
    if args.wait <= 0:
        parser.error("--wait must be positive")
    if shutil.which(command[0]) is None:
        parser.error(f"{command[0]}: no such program")
    target = f"{shlex.join(command)} {ARGUMENTS.get(args.name, 'HOST PORT')}"
    # The web client runs in a directory of its own: a program named by a relative path must still be found.
    command = [
        str(Path(word).resolve()) if Path(word).is_file() and (i or "/" in word) else word
        for i, word in enumerate(command)
    ]
    exercise = CLIENTS[args.name]
    context = ClientContext("127.0.0.1", 0, args.prefix, args.wait, command=tuple(command))
    results = engine.run(exercise, context)
    sys.stdout.write(report.FORMATS[args.format](exercise, results, target))
    return 0 if all(result.status == "pass" for result in results) else 1
