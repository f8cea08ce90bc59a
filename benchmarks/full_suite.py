"""Write the per-cell costs that `saeprobe plan` projects from (benchmark/run/cell-costs.json),
from the per-cell CPU seconds the other benchmarks measured on the demo, then print the plan of
the full suite (113 datasets) for one SAE and its control.

    python benchmarks/sae_arm.py --engines lean v2 --cells-json sae.json
    python benchmarks/baselines.py --shared-only --cells-json baselines.json
    python benchmarks/full_suite.py sae.json baselines.json --measured-on "2 cores, ..."

Each row names the protocol whose rules it ran under: `plan --protocol P` times the SAE arms
with P's rows and the baselines with the rows of any protocol whose baseline rules equal P's.
The SAE arms must have been measured on one width (the reference SAEs: 2,048 latents); the plan
scales their encoding to other widths.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmark.atomic_io import write_text_atomic
from benchmark.run.plan import COSTS_FILE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("measured", nargs="+", type=Path)
    parser.add_argument("--measured-on", required=True, help="machine, model and date")
    parser.add_argument("--width", type=int, default=2048, help="the measured SAE's width")
    parser.add_argument("--d-in", type=int, default=576, help="the measured activations' width")
    args = parser.parse_args()

    rows = [row for path in args.measured for row in json.loads(path.read_text())]
    body = {"measured_on": args.measured_on, "width": args.width, "d_in": args.d_in, "rows": rows}
    write_text_atomic(COSTS_FILE, json.dumps(body, indent=0) + "\n")
    print(f"wrote {len(rows)} measured cells to {COSTS_FILE}")

    from benchmark.cli.main import main as saeprobe

    regimes = sorted({str(row["regime"]) for row in rows})
    for protocol in sorted({str(row.get("protocol", "v1")) for row in rows}):
        saeprobe(["plan", "--suite", "full", "--protocol", protocol, "--regimes", *regimes])


if __name__ == "__main__":
    main()
