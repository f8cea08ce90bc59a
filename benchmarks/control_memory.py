"""Peak memory and CPU of building the random control of wide SAEs: random TopK SAEs (d_in 576,
k 32) calibrated on the protocol's 8,192 demo rows, each width in a fresh process, one BLAS
thread. ``--in-memory`` keeps every width's sorted projections in memory (the path before they
went to disk past ``SORTED_IN_MEMORY``); the default is the harness's.

    python benchmarks/control_memory.py [--widths 2048 65536 262144] [--in-memory]

Needs the demo's cached activations. Peak RSS includes the SAE's weights (1.2 GB of float32 at
262,144 latents, twice: the SAE and its control) and the calibration rows.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path


def one_width(width: int, in_memory: bool) -> dict[str, float]:
    """Run in a child process: build the control, measured from just before."""
    from threadpoolctl import threadpool_limits

    import benchmark.saes.control as control_module
    from benchmark.activations.catalog import DEFAULT_MODEL, EMBEDDED
    from benchmark.activations.hooks import Hook
    from benchmark.activations.models import resolve_model
    from benchmark.protocols.protocol import load_protocol
    from benchmark.run.context import RunContext, load_suite_arrays
    from benchmark.saes.load import load_sae_folder
    from benchmark.saes.measure import sample_rows
    from datasets_registry.suites import get_suite

    sys.path.insert(0, str(Path(__file__).parent))
    from width_scaling import random_topk

    protocol = load_protocol("v1")
    rules = protocol.control
    hook = Hook.parse(EMBEDDED[DEFAULT_MODEL].default_hook)
    ctx = RunContext(resolve_model(DEFAULT_MODEL), hook, protocol, progress=False)
    calibration = load_suite_arrays(ctx, get_suite(rules.calibration_suite))
    rows = sample_rows([item.X for item in calibration], rules.calibration_rows, rules.seed)
    if in_memory:
        control_module.SORTED_IN_MEMORY = 1 << 62
    with tempfile.TemporaryDirectory() as folder, threadpool_limits(limits=1):
        sae = load_sae_folder(random_topk(width, Path(folder) / "sae"))
        before = resource.getrusage(resource.RUSAGE_SELF)
        control_module.build_control(sae, rows, rules, Path(folder) / "control")
        after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"width": width, "cpu_s": cpu, "peak_rss_gb": after.ru_maxrss / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--widths", nargs="+", type=int, default=[2048, 65536, 262144])
    parser.add_argument("--in-memory", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_width(args.one, args.in_memory)))
        return
    print(f"sorted projections: {'in memory' if args.in_memory else 'the harness default'}")
    print("| width | build CPU s | peak RSS GB |")
    print("|---:|---:|---:|")
    for width in args.widths:
        command = [sys.executable, __file__, "--one", str(width)]
        command += ["--in-memory"] if args.in_memory else []
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        print(f"| {width:,} | {row['cpu_s']:.1f} | {row['peak_rss_gb']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
