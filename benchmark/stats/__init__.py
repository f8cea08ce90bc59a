"""Statistics for the leaderboard: dataset-level bootstrap CIs and p-values, multiple-testing
control, rank intervals with tie groups, and test-example bootstrap CIs of a single AUC."""
