"""The track's ground-truth model: ``sae_lens.synthetic.SyntheticModel`` built from the rules,
the same features for every architecture and seed."""

from __future__ import annotations

from typing import Any

from benchmark.synthetic.track import GroundTruthRules


def ground_truth_model(rules: GroundTruthRules) -> Any:
    """A ``SyntheticModel``: its feature dictionary and firing are fixed by ``rules.seed``."""
    from sae_lens.synthetic import SyntheticModel, SyntheticModelConfig
    from sae_lens.synthetic.firing_probabilities import ZipfianFiringProbabilityConfig
    from sae_lens.synthetic.hierarchy import HierarchyConfig
    from sae_lens.synthetic.synthetic_model import LowRankCorrelationConfig

    correlation = hierarchy = None
    if rules.correlation is not None:
        correlation = LowRankCorrelationConfig(
            rank=rules.correlation.rank,
            correlation_scale=rules.correlation.scale,
            seed=rules.seed,
        )
    if rules.hierarchy is not None:
        hierarchy = HierarchyConfig(
            total_root_nodes=rules.hierarchy.roots,
            branching_factor=rules.hierarchy.branching,
            max_depth=rules.hierarchy.depth,
            compensate_probabilities=rules.hierarchy.compensate,
        )
    firing = ZipfianFiringProbabilityConfig(
        exponent=rules.firing.exponent,
        max_prob=rules.firing.max_prob,
        min_prob=rules.firing.min_prob,
    )
    config = SyntheticModelConfig(
        num_features=rules.num_features,
        hidden_dim=rules.hidden_dim,
        firing_probability=firing,
        correlation=correlation,
        hierarchy=hierarchy,
        seed=rules.seed,
    )
    return SyntheticModel(config)
