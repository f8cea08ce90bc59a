"""The synthetic ground-truth track: SAEs trained on activations generated from known features
(``sae_lens.synthetic``), scored on how many of those features they recover."""
