"""Train one architecture on the track's ground-truth model under one seed, score it, and keep
the scores in the cache (a finished run is never recomputed). ``untrained`` is the chance floor:
a TopK SAE as SAELens initialises it, scored without training."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from benchmark.atomic_io import write_text_atomic
from benchmark.paths import cache_root
from benchmark.saes.control import build_control
from benchmark.saes.load import load_sae_folder
from benchmark.saes.recipes import TrainingSettings
from benchmark.saes.train import fit_sae, training_sae
from benchmark.synthetic.probing import ProbingContext
from benchmark.synthetic.scores import SyntheticScores, best_cosines, score_sae
from benchmark.synthetic.track import TRACKS, Track, load_track

UNTRAINED = "untrained"  # the chance floor: a TopK SAE at its initialisation
TOPK = "topk"


def architectures(track: Track) -> list[str]:
    return [*track.training.recipes(), UNTRAINED]


@dataclass(frozen=True)
class SyntheticRun:
    """One trained SAE's scores; ``feature_cosines``: per true feature, the best decoder
    cosine; ``probing`` holds one entry per task: the feature, its firing rate, whether the SAE
    recovered it (and the best decoder cosine), and per regime the mean test AUCs of the SAE
    probe, the logistic baseline and the SAE's random control."""

    architecture: str
    seed: int
    scores: SyntheticScores
    train_seconds: float
    probing: list[dict[str, Any]] = field(default_factory=list)
    feature_cosines: list[float] = field(default_factory=list)
    total_seconds: float | None = None  # CPU s of training, scoring and probing (None: unknown)

    def as_dict(self) -> dict[str, Any]:
        return {
            "architecture": self.architecture,
            "seed": self.seed,
            "train_seconds": self.train_seconds,
            "scores": self.scores.as_dict(),
            "probing": self.probing,
            "feature_cosines": self.feature_cosines,
            "total_seconds": self.total_seconds,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SyntheticRun:
        scores = SyntheticScores(**raw["scores"])
        fields = (raw["architecture"], raw["seed"], scores, raw["train_seconds"])
        extra = (raw.get("probing", []), raw.get("feature_cosines", []), raw.get("total_seconds"))
        return cls(*fields, *extra)


def runs_dir(track: Track) -> Path:
    return cache_root() / "synthetic" / f"{track.name}-{track.content_hash()[:12]}"


def run_rules_hash(track: Track, architecture: str) -> str:
    """The hash of what one architecture's run depends on: the model, the budget, its own
    recipe (the chance floor: TopK's), the scoring and the probing; not the other
    architectures' settings, nor which seeds the track lists (the seed names the run)."""
    recipe = track.training.recipes()[TOPK if architecture == UNTRAINED else architecture]
    rules = {
        "model": track.model.model_dump(),
        "training": track.training.model_dump(exclude={"sparsity", "seeds"}),
        "recipe": asdict(recipe),
        "scoring": track.scoring.model_dump(),
        "probing": track.probing.model_dump(),
    }
    return hashlib.sha256(json.dumps(rules, sort_keys=True).encode()).hexdigest()


def earlier_run(track: Track, architecture: str, seed: int) -> Path | None:
    """A run cached under a shipped track whose rules for this run are the same as
    ``track``'s (a new track version retrains only the architectures it changed)."""
    rules = run_rules_hash(track, architecture)
    for file in TRACKS.values():
        other = load_track(file)
        path = runs_dir(other) / f"{architecture}-seed{seed}.json"
        if path.exists() and run_rules_hash(other, architecture) == rules:
            return path
    return None


def adopt_earlier_run(track: Track, architecture: str, seed: int, path: Path) -> None:
    """Copy an equal earlier run (its scores, and its SAE and control beside them) to ``path``
    in ``track``'s cache, unless there is none."""
    found = earlier_run(track, architecture, seed)
    if found is None or found == path:
        return
    if found.with_suffix("").is_dir():
        shutil.copytree(found.with_suffix(""), path.with_suffix(""), dirs_exist_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, found.read_text(encoding="utf-8"))


def trained_sae(track: Track, model: Any, architecture: str, seed: int) -> Any:
    """The recipe's SAE trained on the ground-truth model's activations (seeded init and data);
    ``untrained``: a TopK SAE as SAELens initialises it under the seed."""
    from sae_lens.synthetic.training import SyntheticActivationIterator

    rules, d_in = track.training, track.model.hidden_dim
    torch.manual_seed(seed)
    if architecture == UNTRAINED:
        return training_sae(rules.recipes()[TOPK], d_in, rules.width)
    settings = TrainingSettings(
        width=rules.width, k=rules.k, samples=rules.samples, batch_size=rules.batch_size,
        lr=rules.lr, seed=seed,
    )  # fmt: skip
    generator = model.activation_generator
    data = SyntheticActivationIterator(model.feature_dict, generator, rules.batch_size)
    return fit_sae(rules.recipes()[architecture], iter(data), d_in, settings)


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Train on one torch thread: a 1,024 x 128 TopK SAE's 2,000,000 samples took 12.3
    CPU-minutes on torch's default threads beside other jobs, and 176.5 CPU s on one."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def run_once(
    track: Track, model: Any, architecture: str, seed: int, probing: ProbingContext | None = None
) -> SyntheticRun:
    """The cached run (or an equal one of an earlier track), or train, score, probe (with
    ``probing``) and cache it; the trained SAE and its random control are kept beside the
    scores, as SAELens folders."""
    path = runs_dir(track) / f"{architecture}-seed{seed}.json"
    if not path.exists():
        adopt_earlier_run(track, architecture, seed, path)
    if path.exists():
        cached = SyntheticRun.from_dict(json.loads(path.read_text(encoding="utf-8")))
        if probing is None or cached.probing:
            return with_cosines(cached, path, model)
    started = time.process_time()
    with one_torch_thread():
        sae = trained_sae(track, model, architecture, seed)
    trained_at = time.process_time()
    scores = score_sae(sae, model, track.scoring)
    folder = path.with_suffix("")
    tasks = probed(sae, folder, model, track, probing) if probing is not None else []
    cosines = rounded(best_cosines(sae.W_dec, model.feature_dict.feature_vectors))
    seconds = round(trained_at - started, 1)
    total = round(time.process_time() - started, 1)
    run = SyntheticRun(architecture, seed, scores, seconds, tasks, cosines, total)
    save_run(path, run)
    return run


def save_run(path: Path, run: SyntheticRun) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(run.as_dict(), indent=1))


def rounded(cosines: torch.Tensor) -> list[float]:
    return [round(float(c), 4) for c in cosines]


def with_cosines(run: SyntheticRun, path: Path, model: Any) -> SyntheticRun:
    """A run cached before runs kept each feature's best cosine gets them from its saved SAE
    (and is saved again); a run without a saved SAE stays as it is."""
    folder = path.with_suffix("") / "sae"
    if run.feature_cosines or not folder.is_dir():
        return run
    decoder = load_sae_folder(folder).sae.W_dec
    cosines = rounded(best_cosines(decoder, model.feature_dict.feature_vectors))
    run = replace(run, feature_cosines=cosines)
    save_run(path, run)
    return run


def probed(
    sae: Any, folder: Path, model: Any, track: Track, probing: ProbingContext
) -> list[dict[str, Any]]:
    """The SAE and its control saved under ``folder`` and probed on every task."""
    if folder.exists():
        shutil.rmtree(folder)  # a crashed run's leftovers
    sae.save_inference_model(str(folder / "sae"))
    loaded = load_sae_folder(folder / "sae")
    control = build_control(loaded, probing.rows.X, probing.protocol.control, folder / "control")
    found = probing.probe(loaded, control)
    cosines = best_cosines(sae.W_dec, model.feature_dict.feature_vectors)
    return [
        {
            "feature": task.feature,
            "rate": task.rate,
            "max_cosine": float(cosines[task.feature]),
            "recovered": bool(cosines[task.feature] > track.scoring.recovery_cosine),
            "regimes": {regime: asdict(s) for regime, s in found[task.feature].items()},
        }
        for task in probing.tasks
    ]
