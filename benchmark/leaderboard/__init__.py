"""The static leaderboard: collect submissions' results, summarize them with the statistics
module into typed tables, render plots and pages (``saeprobe leaderboard build``)."""
