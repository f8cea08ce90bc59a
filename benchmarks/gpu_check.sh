#!/usr/bin/env bash
# The GPU path at the demo's scale, in under 10 minutes on one GPU (run from the repository
# root after `make setup`):
#   1. extraction throughput on the embedded model, CPU against CUDA;
#   2. the CUDA tests (extraction and SAE encoding agree with the CPU);
#   3. one demo dataset's SAE arm (ref-topk-2048 and its control, normal and covariate shift)
#      extracted and encoded on CUDA, its records compared with the shipped CPU ones
#      (saeprobe verify recomputes on the CPU; the GPU run's own records go to a scratch folder).
# Probes always run on the CPU: v1's results are defined by scikit-learn and XGBoost there.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
OUT=${OUT:-$(mktemp -d)}
DATASET=${DATASET:-5_hist_fig_ismale}
"$BIN/python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device')"
export SAEPROBE_CACHE="$OUT/cache"

echo "== extraction throughput (tokens/s), CPU then CUDA"
"$BIN/python" benchmarks/extraction_speed.py --prompts 256 --batch-sizes 32 --dtypes bf16 --device cpu
"$BIN/python" benchmarks/extraction_speed.py --prompts 256 --batch-sizes 32 64 --dtypes bf16 fp32 --device cuda

echo "== CUDA tests"
"$BIN/python" -m pytest -q tests/test_gpu.py

echo "== baselines of $DATASET on the CPU (v1's reference; XGBoost trains on CUDA only with the"
echo "   full xgboost package, and its records then say device: cuda)"
"$BIN/saeprobe" baselines run --suite demo --dataset "$DATASET" --regimes normal covariate_shift \
  --device cuda --no-progress 2>&1 | tail -2 || \
  "$BIN/saeprobe" baselines run --suite demo --dataset "$DATASET" --regimes normal covariate_shift \
  --no-progress | tail -2

echo "== SAE arm on $DATASET: extraction and encoding on CUDA"
/usr/bin/time -v "$BIN/saeprobe" eval ref-topk-2048 --suite demo --dataset "$DATASET" \
  --regimes normal covariate_shift --device cuda --out "$OUT/gpu" --no-progress 2>&1 |
  grep -E "Elapsed|Maximum resident|mean delta|sae|control" || true

echo "== agreement: the GPU run's cells against the shipped (CPU) records"
"$BIN/python" - "$OUT/gpu" "$DATASET" <<'PY'
import sys
from pathlib import Path
from benchmark.results.store import load_record
gpu, dataset = Path(sys.argv[1]), sys.argv[2]
shipped = next(Path("submissions/ref-topk-2048/results").glob("v1-*"))
for arm in ("sae", "control"):
    for path in sorted((gpu / arm / dataset).rglob("*.json")) if (gpu / arm).exists() else []:
        mine = load_record(path)
        theirs = load_record(shipped / arm / dataset / path.parent.name / path.name)
        if mine is None or theirs is None:
            print(arm, path.name, "no record to compare")
            continue
        by_key = {c.key: c for c in theirs.cells}
        same_c = differ = 0
        for cell in mine.cells:
            other = by_key[cell.key]
            for m, o in zip(cell.methods, other.methods, strict=True):
                same_c += m.params == o.params
                differ = max(differ, abs(m.test_auc - o.test_auc))
        print(f"{arm} {path.stem}: {len(mine.cells)} cells, same parameters {same_c}, "
              f"largest test-AUC difference {differ:.2g}")
PY
