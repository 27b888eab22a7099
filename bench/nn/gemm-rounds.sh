#!/usr/bin/env bash
# W6 GEMM round by round: the n = 1024 and 256 products at THREADS (default 2) of mlp
# (`mlp-bench gemm`), of a second mlp (MLP_BASE, e.g. main's build; optional) and of
# NumPy (gemm.py), interleaved, with OPENBLAS_CORETYPE as the environment has it and
# unset; one line per round and configuration with each ratio to NumPy and the steal
# time during mlp's and NumPy's runs (1/100 s the hypervisor gave this machine's CPUs
# to others), then the medians, least and most. gemm.sh prints medians of pairs; this
# shows how the ratios spread from round to round.
#
# Environment: MLP_BENCH (default .build/release/mlp-bench), MLP_BASE, PEER_PYTHON,
# ROUNDS (default 8), THREADS (default 2).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BENCH="${MLP_BENCH:-$ROOT/.build/release/mlp-bench}"
BASE="${MLP_BASE:-}"
PEER="${PEER_PYTHON:-$ROOT/bench/.venv/bin/python}"
"$PEER" -c 'import numpy' 2>/dev/null || PEER=python3
ROUNDS="${ROUNDS:-8}" T="${THREADS:-2}"
PRESET="${OPENBLAS_CORETYPE:-}"
ENVS="unset"; [ -n "$PRESET" ] && ENVS="preset unset"
load() { cut -d' ' -f1-3 /proc/loadavg; }
# time the hypervisor ran something else on this machine's CPUs (the cpu line's steal field, 1/100 s)
steal() { awk '/^cpu /{ print $9 }' /proc/stat; }
median() { printf '%s\n' "$@" | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# fig FILE PREC N: the GFLOP/s of that line
fig() { sed -n "s/^BENCH gemm $2 $3: \([0-9.]*\).*/\1/p" "$1"; }
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $T threads, load before $(load)"
declare -A R
tmp="/tmp/gemm-rounds.$$"
for r in $(seq 1 "$ROUNDS"); do for e in $ENVS; do
    run() { if [ "$e" = unset ]; then env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=$T OMP_NUM_THREADS=$T "$@"; else OPENBLAS_NUM_THREADS=$T OMP_NUM_THREADS=$T "$@"; fi; }
    s0=$(steal); run "$BENCH" gemm > "$tmp.mlp"; s1=$(steal)
    [ -n "$BASE" ] && run "$BASE" gemm > "$tmp.base"
    s2=$(steal); run "$PEER" "$HERE/gemm.py" > "$tmp.np"; s3=$(steal)
    line="round $r, $([ "$e" = unset ] && echo unset || echo "$PRESET"):"
    for prec in float64 float32; do for n in 1024 256; do
        a="$(fig "$tmp.mlp" $prec $n)" c="$(fig "$tmp.np" $prec $n)"
        R[$e,$prec,$n,mlp]+=" $(awk -v a="$a" -v c="$c" 'BEGIN { printf "%.3f", a / c }')"
        line+="$(awk -v p=$prec -v n=$n -v a="$a" -v c="$c" 'BEGIN { printf "  %s %s %.2f", substr(p, 6), n, a / c }')"
        if [ -n "$BASE" ]; then
            b="$(fig "$tmp.base" $prec $n)"
            R[$e,$prec,$n,base]+=" $(awk -v b="$b" -v c="$c" 'BEGIN { printf "%.3f", b / c }')"
            line+="$(awk -v b="$b" -v c="$c" 'BEGIN { printf " (base %.2f)", b / c }')"
        fi
    done; done
    echo "$line; steal mlp $((s1 - s0)), NumPy $((s3 - s2)); load $(load)"
done; done
rm -f "$tmp.mlp" "$tmp.base" "$tmp.np"
echo
echo "| OPENBLAS_CORETYPE | threads | precision | n | mlp / NumPy, median | min | max |$([ -n "$BASE" ] && echo " base / NumPy, median | min | max |")"
echo "|---|---|---|---|---|---|---|$([ -n "$BASE" ] && echo "---|---|---|")"
for e in $ENVS; do for prec in float64 float32; do for n in 1024 256; do
    row="| $([ "$e" = unset ] && echo unset || echo "$PRESET") | $T | $prec | $n |"
    for who in mlp $([ -n "$BASE" ] && echo base); do
        # shellcheck disable=SC2086
        set -- ${R[$e,$prec,$n,$who]}
        row+=" $(median "$@") | $(printf '%s\n' "$@" | sort -g | head -n 1) | $(printf '%s\n' "$@" | sort -g | tail -n 1) |"
    done
    echo "$row"
done; done; done
echo "== load after: $(load)"
