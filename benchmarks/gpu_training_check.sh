#!/usr/bin/env bash
# Issue 13's GPU measurement in one run (estimated 3 to 5 minutes): on a bare machine with
# PyTorch 2.11, PyG 2.8 and Triton (this workplace's nvidia-h100-x1 or nvidia-h200),
#   1. tests/test_padding.py: padding invariance, the read-back-free step, and through real CUDA
#      graphs the same steps as op by op, a CUDA training run against the CPU one, and two CUDA
#      runs with one seed (their largest weight difference is printed);
#   2. benchmarks/train_throughput.py --device cuda at 500x3 and 64x3, batch 50, on the shipped
#      default set and on QM9-sized molecules (--join 2): the study's PyG loop, astray op by op
#      and astray's CUDA-graph step in the same run, with the card's float32 matmul peak.
#
# astray's other imports travel as two pure-Python wheels in .whl/ (numpy, scipy, matplotlib,
# pytest and torch_geometric are on the machine):
#   ase-3.29.0-py3-none-any.whl  platformdirs-4.14.8-py3-none-any.whl
# fetched beforehand in the repository root, outside git, with
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#       --implementation cp --platform manylinux2014_x86_64 -d .whl ase==3.29.0 platformdirs==4.14.8
# and run there from the repository root, carrying .whl:
#   bash benchmarks/gpu_training_check.sh
# Results go to $OUT (the device tool's folder), else ./gpu-check: machine.txt, tests.txt,
# throughput-join1.json / -join2.json and summary.txt. The exit status is the tests'.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu-check}"
mkdir -p "$OUT"
PYTHON="${PYTHON:-python3}"
WHEELS=(.whl/ase-3.29.0-py3-none-any.whl .whl/platformdirs-4.14.8-py3-none-any.whl)
for wheel in "${WHEELS[@]}"; do
    [[ -f $wheel ]] || { echo "missing $wheel: fetch it as this script's header says" >&2; exit 2; }
done
"$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site "${WHEELS[@]}" || exit 2
export PYTHONPATH="$PWD/src:/tmp/site" PYTHONUNBUFFERED=1 ASTRAY_HOME=/tmp/astray-home

{
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
    "$PYTHON" -c 'import torch, torch_geometric as g
print("torch", torch.__version__, "pyg", g.__version__, torch.cuda.get_device_name())'
} 2>&1 | tee "$OUT/machine.txt"

timeout 240 "$PYTHON" -m pytest -q -s -rs -p no:cacheprovider tests/test_padding.py 2>&1 \
    | tee "$OUT/tests.txt"
tests=${PIPESTATUS[0]}

for join in 1 2; do
    timeout 200 "$PYTHON" benchmarks/train_throughput.py --device cuda --sizes 500x3,64x3 \
        --join "$join" --steps 50 --rounds 6 --warmup 10 --json > "$OUT/throughput-join$join.json"
    "$PYTHON" - "$OUT/throughput-join$join.json" <<'PYTHON' 2>&1 | tee -a "$OUT/summary.txt"
import json
import sys

sys.path.insert(0, "benchmarks")
import train_throughput as benchmark

result = json.load(open(sys.argv[1]))
size = result["per_molecule"]
print(f"== {result['dataset']}, {result['join']} structures per molecule: {size['atoms']:.1f} "
      f"atoms, {size['pairs']:.0f} pairs; fp32 matmul peak "
      f"{result['matmul_peak_gflops'] / 1e3:.1f} TFLOP/s")
for entry in result["sizes"]:
    benchmark.report(entry)
PYTHON
done
exit "$tests"
