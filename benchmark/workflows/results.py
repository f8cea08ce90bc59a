"""The results journeys: export every submission's records as a Hub-ready dataset repository,
and build the leaderboard from ``submissions/`` or from such an export (a local folder, or a
dataset repository on the Hub)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmark.errors import SaeprobeError
from benchmark.leaderboard.site import BuildReport, build_site
from benchmark.protocols.protocol import DEFAULT_PROTOCOL
from benchmark.results.export import export_results, import_results
from benchmark.stats.settings import StatsSettings
from benchmark.submissions.store import submissions_root
from benchmark.synthetic.summary import TrackResults, load_results


@dataclass(frozen=True)
class ExportReport:
    out: Path
    records: int
    rows: int


@dataclass(frozen=True)
class BuildOptions:
    out: Path
    settings: StatsSettings
    submissions: Path | None = None  # default: $SAEPROBE_SUBMISSIONS or ./submissions
    results: str | None = None  # an export folder, or "hub" (with hub_repo)
    hub_repo: str | None = None
    revision: str | None = None
    synthetic: Path | None = None  # the synthetic track's results; default: the shipped file
    protocol: str = DEFAULT_PROTOCOL  # whose results are ranked


SHIPPED_SYNTHETIC = Path("leaderboard") / "synthetic-track.json"


def export_all_results(out: Path, submissions: Path | None = None) -> ExportReport:
    records, rows = export_results(submissions or submissions_root(), out)
    return ExportReport(out, records, rows)


def build_leaderboard(options: BuildOptions) -> BuildReport:
    """The site from the submissions folder, or from a results export laid out again."""
    synthetic = synthetic_results(options.synthetic)
    if options.results is None:
        root = options.submissions or submissions_root()
        return build_site(root, options.out, options.settings, synthetic, options.protocol)
    with tempfile.TemporaryDirectory(prefix="saeprobe-results-") as scratch:
        import_results(export_folder(options), Path(scratch) / "submissions")
        root = Path(scratch) / "submissions"
        return build_site(root, options.out, options.settings, synthetic, options.protocol)


def synthetic_results(path: Path | None) -> TrackResults | None:
    """The given results file (which must exist), else the shipped one where it is."""
    if path is None:
        return load_results(SHIPPED_SYNTHETIC) if SHIPPED_SYNTHETIC.is_file() else None
    if not path.is_file():
        raise SaeprobeError(f"--synthetic {path}: no such file")
    return load_results(path)


def export_folder(options: BuildOptions) -> Path:
    """A local export folder, or the Hub repository's snapshot (downloaded, or from the Hub
    cache when offline)."""
    if options.results != "hub":
        if options.hub_repo:
            raise SaeprobeError("--hub-repo only applies with --results hub")
        return Path(str(options.results)).expanduser()
    if not options.hub_repo:
        raise SaeprobeError("--results hub needs --hub-repo ORG/NAME")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        folder = snapshot_download(
            repo_id=options.hub_repo, repo_type="dataset", revision=options.revision
        )
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as error:
        raise SaeprobeError(f"--hub-repo {options.hub_repo}: cannot fetch it ({error})") from error
    return Path(folder)
