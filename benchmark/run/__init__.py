"""Running an evaluation: context -> jobs -> executor; cells -> arms (imports point down)."""
