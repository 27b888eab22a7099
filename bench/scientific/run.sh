#!/usr/bin/env bash
# NumPy/SciPy's numerics against mlp's (docs/numerics.md): each NAME.mlp and NAME.py
# times its own kernel in-process and prints `NAME <seconds> s`; the pair runs side by
# side ROUNDS times (interleaved, as bench/run.sh) and the median ratio is printed
# (> 1: mlp is faster). Peer: python3 with numpy and scipy.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MLP="${MLP:-$ROOT/.build/release/mlp}"
PEER="${PEER_PYTHON:-python3}"
ROUNDS="${ROUNDS:-5}"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-2}" OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), load: $(cut -d' ' -f1-3 /proc/loadavg)"
for w in ${WORKLOADS:-einsum_batched median1e6 odeint_oscillator}; do
    ratios=()
    for r in $(seq "$ROUNDS"); do
        m=$("$MLP" "$HERE/$w.mlp" | awk '{print $2}')
        p=$("$PEER" "$HERE/$w.py" | awk '{print $2}')
        ratios+=("$(python3 -c "print(f'{$p / $m:.3f} $m $p')")")
    done
    med=$(printf '%s\n' "${ratios[@]}" | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p")
    set -- $med
    printf '%-20s mlp %9.6f s   peer %9.6f s   ratio %s (median of %d rounds)\n' "$w" "$2" "$3" "$1" "$ROUNDS"
done
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
