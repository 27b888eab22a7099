#!/usr/bin/env bash
# W6 GEMM (issue 14, item 2): mlp's products (`mlp-bench gemm`: Tensor.matmul in
# float64, the float32 layers' sgemm path) against NumPy's (gemm.py) in the same run,
# at n = 1024 and 256, 1 and 2 threads, with OPENBLAS_CORETYPE as the environment
# has it and unset (each library then picks its kernels itself; mlp corrects a
# choice weaker than the processor, Sources/MLPTensor/BLASKernels.swift). ROUNDS
# interleaved rounds (default 7: single rounds spread 0.7-1.2 on this machine), medians,
# ratio mlp / NumPy.
#
# Environment: MLP_BENCH (default .build/release/mlp-bench), PEER_PYTHON (default
# bench/.venv/bin/python when it has NumPy, else python3), ROUNDS, THREADS (default "1 2").
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BENCH="${MLP_BENCH:-$ROOT/.build/release/mlp-bench}"
PEER="${PEER_PYTHON:-$ROOT/bench/.venv/bin/python}"
"$PEER" -c 'import numpy' 2>/dev/null || PEER=python3
ROUNDS="${ROUNDS:-7}"
THREADS="${THREADS:-1 2}"
[ -x "$BENCH" ] || { echo "gemm.sh: $BENCH not found; run 'swift build -c release'" >&2; exit 2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
median() { printf '%s\n' "$@" | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

PRESET="${OPENBLAS_CORETYPE:-}"
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) CPUs, load before $(load)"
echo "== NumPy $("$PEER" -c 'import numpy; print(numpy.__version__)'), $ROUNDS interleaved rounds, medians"
ENVS="unset"; [ -n "$PRESET" ] && ENVS="preset unset"
declare -A FIG
for r in $(seq 1 "$ROUNDS"); do
    for e in $ENVS; do for t in $THREADS; do
        # run CMD...: the environment of this configuration
        run() { if [ "$e" = unset ]; then env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t "$@"; else OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t "$@"; fi; }
        core="$(run "$BENCH" gemm | tee /tmp/gemm-mlp.$$ | sed -n 's/.*OpenBLAS core \([A-Za-z0-9]*\).*/\1/p')"
        numpycore="$(run "$PEER" -c 'import numpy; from threadpoolctl import threadpool_info; print([i["architecture"] for i in threadpool_info() if i["internal_api"] == "openblas"][0])' 2>/dev/null || echo '?')"
        run "$PEER" "$HERE/gemm.py" > /tmp/gemm-np.$$
        while read -r _ _ prec n g _; do FIG[$e,$t,mlp,$prec,${n%:}]+=" $g"; done < <(grep '^BENCH gemm' /tmp/gemm-mlp.$$)
        while read -r _ _ prec n g _; do FIG[$e,$t,np,$prec,${n%:}]+=" $g"; done < /tmp/gemm-np.$$
        echo "round $r, OPENBLAS_CORETYPE $([ "$e" = unset ] && echo unset || echo "$PRESET"), $t threads: mlp core $core, NumPy core $numpycore (load $(load))"
    done; done
done
rm -f /tmp/gemm-mlp.$$ /tmp/gemm-np.$$
echo
echo "| OPENBLAS_CORETYPE | threads | precision | n | mlp GFLOP/s | NumPy GFLOP/s | ratio |"
echo "|---|---|---|---|---|---|---|"
for e in $ENVS; do for t in $THREADS; do for prec in float64 float32; do for n in 1024 256; do
    # shellcheck disable=SC2086
    a="$(median ${FIG[$e,$t,mlp,$prec,$n]:-})" b="$(median ${FIG[$e,$t,np,$prec,$n]:-})"
    awk -v e="$([ "$e" = unset ] && echo unset || echo "$PRESET")" -v t="$t" -v p="$prec" -v n="$n" -v a="$a" -v b="$b" \
        'BEGIN { printf "| %s | %s | %s | %s | %s | %s | %s |\n", e, t, p, n, a, b, (a != "" && b + 0 > 0) ? sprintf("%.2f", a / b) : "-" }'
done; done; done; done
echo "== load after: $(load)"
