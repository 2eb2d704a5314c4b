"""stacklab-cgi-install DEST [--docroot DIR] [--python PATH]: put the CGI programs where Apache runs them.

Apache runs a CGI program with the interpreter named on its first line. The packaged scripts say
#!/usr/bin/python3, which cannot import stacklab_cgi when the package lives in a virtualenv, so this installer
copies them into DEST (e.g. /usr/lib/cgi-bin) with mode 0755 and the first line rewritten to PATH (default: the
python running this installer, i.e. the virtualenv's), and copies the form echo_cgi.html into the docroot.
"""

import argparse
import os
import sys
from importlib.resources import files
from pathlib import Path

SCRIPTS = ("echo_cgi.py", "cgi_test.py", "healthz.py", "lab_index.py")
PAGES = ("echo_cgi.html",)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="stacklab-cgi-install", description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="the directory Apache's ScriptAlias /cgi-bin/ points at")
    parser.add_argument("--docroot", type=Path, default=Path("/var/www/html"), help="where the form page goes")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter for the scripts' first line (default: %(default)s); on a server with releases, "
        "the path through the `current` symlink, so that a release switch changes what Apache runs",
    )
    return parser.parse_args(argv)


def install_file(text: str, target: Path, mode: int) -> None:
    """Write target atomically (a request never sees half a script) with the given mode."""
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.chmod(mode)
    os.replace(temporary, target)


def with_interpreter(script: str, python: str) -> str:
    _shebang, _, rest = script.partition("\n")
    return f"#!{python}\n{rest}"


def _fail(reason: str) -> int:
    print(f"stacklab-cgi-install: {reason}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not os.path.isabs(args.python) or any(c.isspace() for c in args.python):
        return _fail(f"--python must be an absolute path without spaces: {args.python!r}")
    if not os.access(args.python, os.X_OK):
        return _fail(f"{args.python} is not an executable interpreter")
    package = files("stacklab_cgi")
    for directory in (args.dest, args.docroot):
        directory.mkdir(parents=True, exist_ok=True)
    for name in SCRIPTS:
        script = (package / "cgi_bin" / name).read_text(encoding="utf-8")
        install_file(with_interpreter(script, args.python), args.dest / name, 0o755)
        print(f"installed {args.dest / name} (interpreter {args.python})")
    for name in PAGES:
        install_file((package / "htdocs" / name).read_text(encoding="utf-8"), args.docroot / name, 0o644)
        print(f"installed {args.docroot / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
