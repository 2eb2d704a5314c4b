#!/usr/bin/env python3
"""Render a service's front-server template (services/<name>/conf/*.j2) the way Ansible's template module does,
for containers: the image builds run it, and on a host it shows what a container gets.

    scripts/render_conf.py TEMPLATE OUTPUT [--env-file stack.env] [--vars FILE] [--set name=value ...]
                           [--templates DIR]
    uv run scripts/render_conf.py services/flask/conf/nginx-site.conf.j2 - --vars services/flask/conf/nginx-site.env

Variables: every stack.env key lower-cased (`flask_port`), a key set in the environment overriding the file's
value (as compose does: build args carry the resolved port plan), and as Ansible's group_vars name them, the
plan itself (`stacklab_plan`, its keys as written) and the catalog (`stacklab_catalog`, catalog.py's JSON); then
the --vars file's (name=value lines: a front's values in its image, services/<name>/conf/nginx-site.env, which
stacklab_swarm reuses), then each --set. A variable the template uses without a `default` and nobody sets is an
error, not an empty string. Needs jinja2 (the workspace's dev tools; in images, the python runtime's venv).

Imports and includes are looked up beside the template, then in --templates: by default the nginx role's
templates/ folder, which holds what the nginx fronts share (nginx-front.j2), as Ansible's template module finds it
when the role installs a site (ansible/roles/nginx/tasks/site.yml).
"""

import argparse
import json
import os
import re
import sys
from pathlib import Path

import jinja2
from stacklab_core import catalog
from stacklab_core.envfile import read  # the lab's one KEY=VALUE reader (image builds install stacklab-core)

ROOT = Path(__file__).resolve().parent.parent


def plan(env_file: Path) -> dict[str, str]:
    """Every key of the file lower-cased; the environment's value of a key beats the file's."""
    try:
        values = read(env_file)
    except ValueError as exc:
        sys.exit(f"render_conf: {exc}")
    return {key.lower(): os.environ.get(key) or value for key, value in values.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", type=Path)
    parser.add_argument("output", type=Path, help="file to write, or - for stdout")
    parser.add_argument("--env-file", type=Path, default=ROOT / "stack.env")
    parser.add_argument("--vars", type=Path, help="a file of per-target variables, one name=value per line")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a per-target variable")
    parser.add_argument(
        "--templates", type=Path, default=ROOT / "ansible" / "roles" / "nginx" / "templates",
        help="the folder of shared templates (imports, includes) after the template's own",
    )  # fmt: skip
    args = parser.parse_args(argv)

    variables = plan(args.env_file)
    variables |= {
        "stacklab_plan": {key.upper(): value for key, value in variables.items()},
        "stacklab_catalog": json.loads(catalog.as_json()),
    }
    if args.vars:
        try:
            variables |= read(args.vars)
        except (OSError, ValueError) as exc:
            sys.exit(f"render_conf: {exc}")
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"--set {item!r}: expected NAME=VALUE")
        variables[name] = value
    # Ansible's template defaults: a newline after a block tag is dropped, the file's last newline kept.
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader([args.template.parent, args.templates]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 (server configuration, not HTML)
    )
    environment.filters["regex_escape"] = re.escape  # as Ansible's filter does
    try:
        text = environment.get_template(args.template.name).render(variables)
    except jinja2.TemplateError as exc:
        sys.exit(f"render_conf: {args.template}: {exc}")
    if str(args.output) == "-":
        sys.stdout.write(text)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
