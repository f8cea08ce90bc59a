"""Build the static site: pages from ``pages``, rendered by jinja2 with autoescaping, plots as
SVG files, every table also as JSON and CSV under ``data/``. The site is written to a staging
folder and moved into place, so a failed build never leaves a half-written site (and the next
build removes the staging folder of a killed one)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import jinja2

from benchmark import __version__
from benchmark.atomic_io import replace_folder, staging_folder
from benchmark.leaderboard.baselines import baselines_table
from benchmark.leaderboard.collect import Evaluation, collect_evaluations
from benchmark.leaderboard.compare import compare_href, compare_pages
from benchmark.leaderboard.noise_floor import noise_floors
from benchmark.leaderboard.pages import (
    REGIME_TITLES,
    Page,
    dataset_page,
    deltas_table,
    heatmap_table,
    other_protocols_table,
    overview_plots,
    ranking_table,
    regime_page,
    slug,
    submission_page,
)
from benchmark.leaderboard.summary import (
    EntrySummary,
    group_by_protocol,
    main_protocol,
    rank,
    summarize,
)
from benchmark.leaderboard.synthetic_page import synthetic_page
from benchmark.protocols.protocol import (
    DEFAULT_PROTOCOL,
    PROTOCOLS_DIR,
    Protocol,
    UnknownProtocolError,
    load_protocol,
)
from benchmark.results.provenance import harness_commit
from benchmark.stats.settings import StatsSettings
from benchmark.synthetic.summary import TrackResults

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


@dataclass(frozen=True)
class BuildReport:
    index: Path
    pages: int
    files: int
    bytes: int
    seconds: float
    ranked: list[str]


def build_site(
    submissions: Path,
    out: Path,
    settings: StatsSettings | None = None,
    synthetic: TrackResults | None = None,
    protocol_name: str = DEFAULT_PROTOCOL,
) -> BuildReport:
    """The site from ``submissions``' records, ranking those made under ``protocol_name``
    (or, when none are, the protocol with the most evaluations), with the synthetic track's
    page when its results are given."""
    started = time.perf_counter()
    submissions = submissions.resolve()  # records are cited relative to it
    settings = settings or StatsSettings()
    evaluations = collect_evaluations(submissions)
    groups = group_by_protocol(evaluations)
    requested = load_protocol(protocol_name)
    main = main_protocol(groups, requested.content_hash())
    protocol = ranked_protocol(groups[main], requested) if main else requested
    summaries = [summarize(e, settings) for e in groups.get(main, [])] if main else []
    others = [e for h, group in groups.items() if h != main for e in group]
    floors = noise_floors(main) if main else {}
    pages, ranked = site_pages(summaries, others, submissions, settings, protocol, floors)
    provenance = site_provenance(summaries, protocol, main)
    if synthetic is not None:
        pages.append(synthetic_page(synthetic))
    provenance["synthetic"] = synthetic is not None
    with staging_folder(out.parent) as staging:
        write_site(staging / "site", pages, provenance)
        replace_folder(staging / "site", out)
    files = [p for p in out.rglob("*") if p.is_file()]
    return BuildReport(
        index=out / "index.html",
        pages=len(pages),
        files=len(files),
        bytes=sum(p.stat().st_size for p in files),
        seconds=time.perf_counter() - started,
        ranked=ranked,
    )


def site_pages(
    summaries: Sequence[EntrySummary],
    others: Sequence[Evaluation],
    submissions: Path,
    settings: StatsSettings,
    protocol: Protocol,
    floors: dict[str, float],
) -> tuple[list[Page], list[str]]:
    """Every page; ``floors`` are the ranked protocol's noise floors per regime (if measured).
    Trained random baselines are shown but not ranked: they are controls of a reference, and
    ranking them would also narrow the datasets every ranked entry shares."""
    ranked = rank([s for s in summaries if not is_random_baseline(s)], settings)
    by_id = {s.evaluation.id: s for s in summaries}
    ranked_ids = {r.entry for r in ranked}
    order = [by_id[r.entry] for r in ranked]
    order += [s for s in summaries if s.evaluation.id not in ranked_ids]
    regimes = sorted({r for s in summaries for r in s.evaluation.regimes()})
    index = Page("index.html", "index.html", "SAE probing leaderboard")
    index.tables = [
        heatmap_table(order, sorted(regimes, key=regime_order), floors),
        ranking_table(ranked, by_id),
        deltas_table(order, floors=floors),
    ]
    index.plots = overview_plots(ranked, by_id) if ranked else []
    sanity = baselines_table(order, sorted(regimes, key=regime_order), settings)
    if sanity is not None:
        index.tables.append(sanity)
    if others:
        index.tables.append(other_protocols_table(others))
    datasets = sorted({c.dataset for s in summaries for c in s.evaluation.cells["sae"]})
    pages = [
        index,
        *[submission_page(s, submissions, settings) for s in order],
        *[regime_page(regime, order) for regime in regimes],
        *[dataset_page(dataset, order) for dataset in datasets],
        methodology_page(protocol, settings),
    ]
    pairs = [(a, b) for a, b in combinations(order, 2) if comparable(a, b)]
    pages += compare_pages(pairs, submissions, settings)
    index.extra = {
        "regimes": [(regime, f"regimes/{regime}.html") for regime in regimes],
        "datasets": [(dataset, f"datasets/{slug(dataset)}.html") for dataset in datasets],
        "entries": [
            (s.evaluation.id, s.evaluation.submission.manifest.display_name) for s in order
        ],
        "pairs": [(pair_name(a, b), compare_href(a.evaluation, b.evaluation)) for a, b in pairs],
        "pair_map": {
            f"{a.evaluation.id} {b.evaluation.id}": compare_href(a.evaluation, b.evaluation)
            for a, b in pairs
        },
    }
    return pages, [
        f"{r.rank}. {r.entry} (score {r.score:+.4f}, rank {r.rank_low}-{r.rank_high}, "
        f"group {r.group})"
        for r in ranked
    ]


def is_random_baseline(summary: EntrySummary) -> bool:
    return summary.evaluation.submission.manifest.random_baseline is not None


def comparable(a: EntrySummary, b: EntrySummary) -> bool:
    """Pairs that get a compare page: two submissions, or a random baseline and its reference
    (not two baselines, nor a baseline and another reference: the pages grow quadratically)."""
    link_a = a.evaluation.submission.manifest.random_baseline
    link_b = b.evaluation.submission.manifest.random_baseline
    if link_a is None and link_b is None:
        return True
    if link_a is not None:
        return link_b is None and link_a.of == b.evaluation.id
    return link_b is not None and link_b.of == a.evaluation.id


def pair_name(a: EntrySummary, b: EntrySummary) -> str:
    names = (s.evaluation.submission.manifest.display_name for s in (a, b))
    return " vs ".join(names)


def regime_order(regime: str) -> int:
    """Normal first, then the hard regimes as the methodology lists them."""
    order = list(REGIME_TITLES)
    return order.index(regime) if regime in order else len(order)


def ranked_protocol(ranked: Sequence[Evaluation], requested: Protocol) -> Protocol:
    """The protocol the ranked evaluations name (``requested`` when they name none that exists
    here)."""
    try:
        return load_protocol(ranked[0].protocol)
    except UnknownProtocolError:
        return requested


def methodology_page(protocol: Protocol, settings: StatsSettings) -> Page:
    source = PROTOCOLS_DIR / f"{protocol.name}.yaml"
    return Page(
        "methodology.html",
        "methodology.html",
        "Methodology",
        extra={
            "protocol": protocol,
            "protocol_hash": protocol.content_hash(),
            "protocol_text": source.read_text(encoding="utf-8"),
            "settings": settings,
            "confidence_percent": f"{settings.confidence * 100:g}",
            "alpha": f"{settings.alpha:.3g}",
        },
    )


def site_provenance(
    summaries: Sequence[EntrySummary], protocol: Protocol, main: str | None
) -> dict[str, object]:
    models = sorted(
        {
            f"{s.evaluation.provenance.model} ({s.evaluation.provenance.model_weights_hash[:12]}),"
            f" {s.evaluation.provenance.hook}"
            for s in summaries
        }
    )
    return {
        "harness_version": __version__,
        "harness_commit": harness_commit() or "unknown",
        "protocol": protocol.name,
        "protocol_hash": (main or protocol.content_hash())[:12],
        "models": models,
        "records": sum(len(s.evaluation.records) for s in summaries),
    }


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def write_site(folder: Path, pages: Sequence[Page], provenance: dict[str, object]) -> None:
    env = environment()
    for page in pages:
        target = folder / page.path
        target.parent.mkdir(parents=True, exist_ok=True)
        html = env.get_template(page.template).render(page=page, provenance=provenance)
        target.write_text(html, encoding="utf-8")
        for plot in page.plots:
            (folder / "plots").mkdir(exist_ok=True)
            (folder / "plots" / plot.file).write_text(plot.svg, encoding="utf-8")
        write_tables(folder / "data", page)
    shutil.copytree(STATIC, folder / "static")


def write_tables(folder: Path, page: Page) -> None:
    folder.mkdir(exist_ok=True)
    for table in page.tables:
        (folder / f"{table.id}.json").write_text(table.model_dump_json(indent=1), "utf-8")
        (folder / f"{table.id}.csv").write_text(table.csv(), "utf-8")
