"""Trials behind the synthetic track's settings: train one architecture on the track's
ground-truth model under a changed budget or sparsity setting, and print its training CPU
seconds and scores (recovered, MCC, F1, explained variance, L0, dead latents) as one JSON line.
Nothing is cached. The README's tables of v2's sparsity settings and of smaller budgets came
from these commands:

    python benchmarks/synthetic_trials.py jumprelu --set l0_coefficient=0.85 \\
        --set jumprelu_init_threshold=0.5
    python benchmarks/synthetic_trials.py topk --samples 500000 --lr 0.01
    python benchmarks/synthetic_trials.py relu --set l1_coefficient=2.0 \
        --track benchmark/synthetic/track-v1.yaml
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("architecture")
    parser.add_argument("--track", type=Path, help="a track file (default: the current track)")
    parser.add_argument("--samples", type=int, help="training samples (default: the track's)")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a sparsity setting"
    )
    args = parser.parse_args()
    print(json.dumps(trial(args)))


def trial(args: argparse.Namespace) -> dict[str, Any]:
    import yaml

    from benchmark.synthetic.ground_truth import ground_truth_model
    from benchmark.synthetic.run import one_torch_thread, trained_sae
    from benchmark.synthetic.scores import score_sae
    from benchmark.synthetic.track import TRACK_FILE, Track

    raw = yaml.safe_load((args.track or TRACK_FILE).read_text(encoding="utf-8"))
    training = raw["training"]
    changed = {"samples": args.samples, "batch_size": args.batch_size, "lr": args.lr}
    training.update({key: value for key, value in changed.items() if value is not None})
    settings = dict(pair.split("=", 1) for pair in args.set)
    if settings:
        sparsity = training.setdefault("sparsity", {})
        sparsity[args.architecture] = {
            **sparsity.get(args.architecture, {}),
            **{name: float(value) for name, value in settings.items()},
        }
    track = Track.model_validate(raw)
    model = ground_truth_model(track.model)
    started = time.process_time()
    with one_torch_thread():
        sae = trained_sae(track, model, args.architecture, args.seed)
    seconds = time.process_time() - started
    scores = score_sae(sae, model, track.scoring).as_dict()
    return {
        "architecture": args.architecture,
        "seed": args.seed,
        "samples": track.training.samples,
        "batch_size": track.training.batch_size,
        "lr": track.training.lr,
        "sparsity": track.training.sparsity.get(args.architecture, {}),
        "training_cpu_s": round(seconds, 1),
        **{name: round(value, 3) for name, value in scores.items()},
    }


if __name__ == "__main__":
    main()
