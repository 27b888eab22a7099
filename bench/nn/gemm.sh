#!/usr/bin/env bash
# W6 GEMM (issue 14, item 2): mlp's products (`mlp-bench gemm-serve`: Tensor.matmul in
# float64, the float32 layers' sgemm path) against NumPy's (`gemm.py --serve`) in the
# same run, at n = 1024 and 256, 1 and 2 threads, with OPENBLAS_CORETYPE as the
# environment has it and unset (each library then picks its kernels itself; mlp
# corrects a choice weaker than the processor, Sources/MLPTensor/BLASKernels.swift).
# gemm_pairs.py keeps one process of each running and times their batches in pairs,
# back to back: the median of the pair ratios (mlp / NumPy) is the figure. Medians of
# separate runs, as this script took before, moved by 0.3 between two runs on a
# shared KVM host; gemm-rounds.sh still shows such runs round by round.
#
# Environment: MLP_BENCH (default .build/release/mlp-bench), PEER_PYTHON (default
# bench/.venv/bin/python when it has NumPy, else python3), PAIRS (default 25),
# THREADS (default "1 2"), TARGET, GAP (gemm_pairs.py).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BENCH="${MLP_BENCH:-$ROOT/.build/release/mlp-bench}"
PEER="${PEER_PYTHON:-$ROOT/bench/.venv/bin/python}"
"$PEER" -c 'import numpy' 2>/dev/null || PEER=python3
[ -x "$BENCH" ] || { echo "gemm.sh: $BENCH not found; run 'swift build -c release'" >&2; exit 2; }
PAIRS="${PAIRS:-25}" exec python3 "$HERE/gemm_pairs.py" "$BENCH" "$PEER"
