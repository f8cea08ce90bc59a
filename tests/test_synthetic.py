"""The synthetic ground-truth track: its metrics at their two ends (a random decoder recovers
nothing, the true dictionary everything), its determinism under a seed, its hash, and the
command line on a tiny budget."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from benchmark.cli.main import main
from benchmark.protocols.protocol import ProtocolError
from benchmark.saes.recipes import recipes
from benchmark.synthetic import run as synthetic_run
from benchmark.synthetic.ground_truth import ground_truth_model
from benchmark.synthetic.probing import probing_rows, probing_tasks
from benchmark.synthetic.run import architectures, run_once, run_rules_hash, runs_dir
from benchmark.synthetic.scores import recovered_fraction, score_sae
from benchmark.synthetic.summary import seed_interval
from benchmark.synthetic.track import TRACK_FILE, TRACKS, Track, load_track, track_file_of

TRACK = load_track()


def tiny_track(**training: object) -> Track:
    """The default ground truth with a budget of a few steps."""
    raw = TRACK.model_dump()
    raw["training"].update({"samples": 2048, "seeds": [0, 1], **training})
    raw["scoring"].update({"samples": 2000, "batch_size": 1000})
    raw["probing"].update({"rows": 2000, "min_rate": 0.05, "tasks": 2, "regimes": ["label_noise"]})
    return Track.model_validate(raw)


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return ground_truth_model(TRACK.model)


def test_the_ground_truth_model_is_fixed_by_its_seed(model) -> None:  # type: ignore[no-untyped-def]
    again = ground_truth_model(TRACK.model)
    assert torch.equal(model.feature_dict.feature_vectors, again.feature_dict.feature_vectors)
    shape = (TRACK.model.num_features, TRACK.model.hidden_dim)
    assert model.feature_dict.feature_vectors.shape == shape


def test_a_random_decoder_recovers_about_nothing(model) -> None:  # type: ignore[no-untyped-def]
    """The chance floor: 2,048 random directions in 128 dimensions rarely reach cos 0.8."""
    random = torch.randn(2048, TRACK.model.hidden_dim, generator=torch.Generator().manual_seed(7))
    features = model.feature_dict.feature_vectors
    assert recovered_fraction(random, features, 0.8) < 0.01


def test_the_true_dictionary_recovers_everything(model) -> None:  # type: ignore[no-untyped-def]
    """An SAE whose decoder is the feature dictionary: recovery 1 and MCC 1 (shuffled rows
    and scaled norms change neither)."""
    from sae_lens import StandardSAE, StandardSAEConfig

    features = model.feature_dict.feature_vectors
    n, d = features.shape
    order = torch.randperm(n, generator=torch.Generator().manual_seed(1))
    sae = StandardSAE(StandardSAEConfig(d_in=d, d_sae=n))
    with torch.no_grad():
        sae.W_dec.copy_(features[order] * 3.0)
        sae.W_enc.copy_(features[order].T)
    scores = score_sae(sae, model, TRACK.scoring.model_copy(update={"samples": 2000}))
    assert scores.recovered == 1.0
    assert scores.mcc == pytest.approx(1.0, abs=1e-5)
    assert recovered_fraction(features, features, 0.999) == 1.0


def test_probing_tasks_label_rows_by_a_feature_firing(model) -> None:  # type: ignore[no-untyped-def]
    rules = tiny_track().probing.model_copy(update={"tasks": 3})
    rows = probing_rows(model, rules)
    tasks = probing_tasks(rows, rules)
    assert len(tasks) == 3 and len({t.feature for t in tasks}) == 3
    rates = [t.rate for t in tasks]
    assert rates == sorted(rates) and rules.min_rate <= rates[0] and rates[-1] <= rules.max_rate
    for task in tasks:
        assert np.array_equal(task.data.labels, rows.fires[:, task.feature])
        assert task.rate == pytest.approx(task.data.labels.mean())
    again = probing_rows(model, rules)  # the rows are fixed by the probing seed
    assert np.array_equal(again.X, rows.X)


def test_a_run_is_deterministic_under_its_seed(tmp_path: Path, model) -> None:  # type: ignore[no-untyped-def]
    track = tiny_track()
    first = run_once(track, model, "topk", 0)
    cached = runs_dir(track) / "topk-seed0.json"
    assert cached.exists()
    cached.rename(tmp_path / "first.json")
    again = run_once(track, model, "topk", 0)
    assert again.scores == first.scores
    other = run_once(track, model, "topk", 1)
    assert other.scores != first.scores
    assert run_once(track, model, "topk", 0) == again  # read back from the cache


def test_a_new_track_reuses_the_runs_it_did_not_change(
    tmp_path: Path,
    model,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    earlier = tiny_track()
    file = tmp_path / "track-v1.yaml"
    file.write_text(yaml.safe_dump(earlier.model_dump()))
    monkeypatch.setattr(synthetic_run, "TRACKS", {1: file})
    first = run_once(earlier, model, "topk", 0)
    kept = runs_dir(earlier) / "topk-seed0" / "control" / "cfg.json"  # as probing leaves it
    kept.parent.mkdir(parents=True)
    kept.write_text("{}")
    raw = earlier.model_dump()
    raw["training"]["sparsity"] = {"relu": {"l1_coefficient": 3.0}}
    raw["training"]["seeds"] = [0, 1, 3]
    later = Track.model_validate(raw)
    assert runs_dir(later) != runs_dir(earlier)

    def no_training(*_: object) -> None:
        raise AssertionError("an unchanged run was trained again")

    monkeypatch.setattr(synthetic_run, "trained_sae", no_training)
    assert run_once(later, model, "topk", 0) == first
    assert (runs_dir(later) / "topk-seed0" / "control" / "cfg.json").read_text() == "{}"
    assert synthetic_run.earlier_run(later, "relu", 0) is None  # relu's rules changed
    assert synthetic_run.earlier_run(later, "topk", 3) is None  # never run
    for name in ("topk", "untrained", "batchtopk"):
        assert run_rules_hash(later, name) == run_rules_hash(earlier, name)
    assert run_rules_hash(later, "relu") != run_rules_hash(earlier, "relu")


def test_the_shipped_tracks_differ_only_in_relu_and_jumprelu() -> None:
    first, current = load_track(TRACKS[1]), TRACK
    same = [
        name
        for name in architectures(current)
        if run_rules_hash(first, name) == run_rules_hash(current, name)
    ]
    assert same == ["topk", "batchtopk", "matryoshka", "untrained"]


def test_a_training_seed_equal_to_the_models_is_refused() -> None:
    raw = TRACK.model_dump()
    raw["training"]["seeds"] = [TRACK.model.seed]
    with pytest.raises(ValueError, match="must not be a training seed"):
        Track.model_validate(raw)


def test_the_hash_names_every_rule() -> None:
    changed = TRACK.model_copy(update={"scoring": TRACK.scoring.model_copy(update={"seed": 1})})
    assert changed.content_hash() != TRACK.content_hash()
    assert TRACK.content_hash() == load_track().content_hash()
    assert runs_dir(changed) != runs_dir(TRACK)


def test_the_first_tracks_hash_did_not_move() -> None:
    """The shipped v1 results and the runs cached under v1 are found by this hash: a field added
    to the rules later (``sparsity``, with a default) must leave it as it was."""
    assert load_track(TRACKS[1]).content_hash()[:12] == "826427b32c4d"
    assert track_file_of(load_track(TRACKS[1]).content_hash()) == TRACKS[1]
    assert track_file_of(TRACK.content_hash()) == TRACK_FILE
    assert track_file_of("0" * 64) is None


def test_a_tracks_sparsity_settings_replace_the_recipes_own() -> None:
    raw = TRACK.model_dump()
    raw["training"]["sparsity"] = {"relu": {"l1_coefficient": 2.5}}
    track = Track.model_validate(raw)
    relu = track.training.recipes()["relu"]
    assert relu.settings["l1_coefficient"] == 2.5
    reference = recipes(TRACK.training.width, TRACK.training.k)
    assert track.training.recipes()["topk"] == reference["topk"]
    assert reference["relu"].settings["l1_coefficient"] == 8.0  # the corpus recipe is untouched
    assert track.content_hash() != TRACK.content_hash()


@pytest.mark.parametrize(
    ("sparsity", "message"),
    [
        ({"gated": {"l1_coefficient": 1.0}}, "unknown architecture 'gated'"),
        ({"topk": {"l1_coefficient": 1.0}}, "topk has no setting 'l1_coefficient'"),
    ],
)
def test_sparsity_settings_must_name_an_architecture_and_its_settings(
    tmp_path: Path, sparsity: dict, message: str
) -> None:
    raw = TRACK.model_dump()
    raw["training"]["sparsity"] = sparsity
    path = tmp_path / "track.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ProtocolError, match=message):
        load_track(path)


def test_the_seed_interval_is_a_t_interval() -> None:
    from scipy import stats

    interval = seed_interval([0.1, 0.2, 0.4])
    low, high = stats.t.interval(
        0.95, 2, loc=np.mean([0.1, 0.2, 0.4]), scale=stats.sem([0.1, 0.2, 0.4])
    )
    assert (interval.low, interval.high) == pytest.approx((low, high))
    assert np.isnan(seed_interval([0.3]).low)


def test_the_command_runs_the_track_and_refuses_unknown_architectures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    track_file = tmp_path / "track.yaml"
    track_file.write_text(yaml.safe_dump(tiny_track(seeds=[0]).model_dump()), encoding="utf-8")
    out = tmp_path / "summary.json"
    args = ["synthetic", "run", "--track", str(track_file), "--out", str(out), "--no-progress"]
    assert main([*args, "--architectures", "topk"]) == 0
    summary = json.loads(out.read_text())
    assert set(summary["summary"]) == {"topk"}
    assert summary["summary"]["topk"]["l0"]["mean"] == pytest.approx(TRACK.training.k)
    (run,) = [r for r in summary["runs"] if r["architecture"] == "topk"]
    assert [set(task["regimes"]) for task in run["probing"]] == [{"label_noise"}] * 2
    scores = run["probing"][0]["regimes"]["label_noise"]
    assert set(scores) == {"sae", "logistic", "control"}
    assert all(0.0 <= value <= 1.0 for value in scores.values())
    assert len(run["feature_cosines"]) == TRACK.model.num_features
    assert len(summary["feature_rates"]) == TRACK.model.num_features
    assert "topk" in capsys.readouterr().out
    assert main([*args, "--architectures", "gated"]) == 1
    assert "unknown architecture 'gated'" in capsys.readouterr().err


def test_runs_in_worker_processes_equal_runs_in_this_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--workers 2 trains each (architecture, seed) in its own spawned process: the same
    scores, cosines and probing AUCs as one after another here."""
    track = tiny_track(seeds=[0, 1])
    track_file = tmp_path / "track.yaml"
    track_file.write_text(yaml.safe_dump(track.model_dump()), encoding="utf-8")
    args = ["synthetic", "run", "--track", str(track_file), "--architectures", "topk"]
    found = {}
    for workers in ("2", "1"):
        out = tmp_path / f"summary-{workers}.json"
        assert main([*args, "--out", str(out), "--no-progress", "--workers", workers]) == 0
        found[workers] = json.loads(out.read_text())
        for cached in runs_dir(track).glob("*.json"):
            cached.unlink()  # the next run recomputes
    assert found["2"]["runs"] == [
        {**run, "train_seconds": r2["train_seconds"], "total_seconds": r2["total_seconds"]}
        for run, r2 in zip(found["1"]["runs"], found["2"]["runs"], strict=True)
    ]
    assert [run["seed"] for run in found["2"]["runs"]] == [0, 1]
    assert all(run["total_seconds"] >= run["train_seconds"] > 0 for run in found["2"]["runs"])
