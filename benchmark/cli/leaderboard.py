"""``saeprobe leaderboard build``: the static site from ``submissions/*/results``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.cli.options import add_json_option, write_json
from benchmark.protocols.protocol import DEFAULT_PROTOCOL
from benchmark.stats.settings import StatsSettings

DEFAULT_OUT = Path("leaderboard") / "site"
EPILOG = """examples:
  saeprobe leaderboard build                      build leaderboard/site/ from submissions/
  saeprobe leaderboard build --out /tmp/site      elsewhere
  saeprobe leaderboard build --resamples 2000     fewer bootstrap resamples (faster)
  saeprobe leaderboard build --protocol v1        rank the results made under v1
  saeprobe leaderboard build --results ./export   from `saeprobe results export ./export`
  saeprobe leaderboard build --results hub --hub-repo ORG/NAME [--revision REV]

Open the printed index.html in a browser: the site needs no server and no network.
"""


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("leaderboard", help="build the static leaderboard site")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser(
        "build", help="build the site", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    build.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: %(default)s")
    build.add_argument(
        "--submissions", type=Path, help="submissions folder (default: $SAEPROBE_SUBMISSIONS or "
        "./submissions)"
    )  # fmt: skip
    build.add_argument(
        "--results", metavar="DIR|hub", help="build from a results export instead of submissions"
    )
    build.add_argument("--hub-repo", metavar="ORG/NAME", help="with --results hub")
    build.add_argument("--revision", help="with --results hub: a branch, tag or commit")
    build.add_argument(
        "--synthetic", type=Path, metavar="FILE",
        help="the synthetic track's results (default: leaderboard/synthetic-track.json, if any)",
    )  # fmt: skip
    build.add_argument(
        "--protocol", default=DEFAULT_PROTOCOL,
        help="rank the results made under this protocol (default: %(default)s); the others are "
        "listed unranked",
    )  # fmt: skip
    build.add_argument("--resamples", type=int, default=StatsSettings().resamples)
    build.add_argument("--seed", type=int, default=StatsSettings().seed)
    add_json_option(build)
    build.set_defaults(handler=run_build)


def run_build(args: argparse.Namespace) -> int:
    from benchmark.workflows.results import BuildOptions, build_leaderboard

    options = BuildOptions(
        out=args.out,
        settings=StatsSettings(resamples=args.resamples, seed=args.seed),
        submissions=args.submissions,
        results=args.results,
        hub_repo=args.hub_repo,
        revision=args.revision,
        synthetic=args.synthetic,
        protocol=args.protocol,
    )
    report = build_leaderboard(options)
    summary = {
        "index": str(report.index.resolve()),
        "pages": report.pages,
        "files": report.files,
        "bytes": report.bytes,
        "seconds": round(report.seconds, 2),
        "ranking": report.ranked,
    }
    if args.json:
        write_json(summary)
        return 0
    for line in report.ranked:
        sys.stdout.write(f"{line}\n")
    sys.stdout.write(
        f"{report.pages} pages, {report.files} files, {report.bytes / 1e6:.1f} MB in "
        f"{report.seconds:.1f} s\n{report.index.resolve()}\n"
    )
    return 0
