"""stacklab-webclient: the course's week-5 web-client exercises as one command with three subcommands.

  links URL [--external] [--suffix .py]               the page's links, as absolute URLs
  download URL [--suffix .py] [--limit N] [--dest D]  save the files the page links to, and count them honestly
  api URL [--key K]                                   GET a JSON document and pretty-print it, or one key of it

Exit status: 0 on success, 1 when something failed (a download, a missing key), 2 for a bad command line or a
page or API that could not be fetched.
"""

import argparse
import sys
from pathlib import Path

from . import api
from .download import download_all
from .fetch import FetchError, fetch
from .links import has_suffix, is_external, page_links


def _page_links(args: argparse.Namespace) -> tuple[str, list[str]]:
    page = fetch(args.url, args.timeout, accept="text/html")
    links = page_links(page.body, page.url, page.charset)
    if getattr(args, "external", False):
        links = [url for url in links if is_external(url, page.url)]
    if args.suffix:
        links = [url for url in links if has_suffix(url, args.suffix)]
    return page.url, links


def links_command(args: argparse.Namespace) -> int:
    _, links = _page_links(args)
    for url in links:
        print(url)
    return 0


def download_command(args: argparse.Namespace) -> int:
    page_url, links = _page_links(args)
    chosen = links[: args.limit]
    print(f"{len(links)} matching links on {page_url}; downloading {len(chosen)}", flush=True)
    report = download_all(
        chosen,
        page_url,
        args.dest,
        args.timeout,
        on_saved=lambda url, path, size: print(f"saved {path} ({size} bytes) from {url}", flush=True),
        on_failed=lambda url, reason: print(f"failed {reason}", file=sys.stderr, flush=True),
    )
    failed = f", {len(report.failed)} failed" if report.failed else ""
    print(f"{len(report.saved)} of {len(chosen)} files saved in {args.dest}{failed}")
    return 1 if report.failed else 0


def api_command(args: argparse.Namespace) -> int:
    document = api.get_json(args.url, args.timeout)
    if args.key is not None:
        try:
            document = api.select_key(document, args.key)
        except KeyError as exc:
            print(f"error: {exc.args[0]}", file=sys.stderr)
            return 1
    print(api.render(document))
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="stacklab-webclient", description="The course's web-client exercises.")
    top.add_argument("--timeout", type=float, default=10.0, help="seconds per request (10)")
    commands = top.add_subparsers(dest="command", required=True)

    links = commands.add_parser("links", help="list the links of a page, as absolute URLs")
    links.add_argument("url")
    links.add_argument("--external", action="store_true", help="only links to other sites")
    links.add_argument("--suffix", help="only links whose path ends with this, e.g. .py")
    links.set_defaults(run=links_command)

    download = commands.add_parser("download", help="download the files a page links to")
    download.add_argument("url")
    download.add_argument("--suffix", help="only links whose path ends with this, e.g. .py")
    download.add_argument("--limit", type=_positive, default=10, help="at most this many files (10)")
    download.add_argument("--dest", type=Path, default=Path(), help="folder to save into (cwd)")
    download.set_defaults(run=download_command)

    api_parser = commands.add_parser("api", help="GET a JSON web API and pretty-print the reply")
    api_parser.add_argument("url")
    api_parser.add_argument("--key", help="print only this top-level key")
    api_parser.set_defaults(run=api_command)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except FetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
