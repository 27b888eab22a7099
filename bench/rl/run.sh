#!/usr/bin/env bash
# Reinforcement-learning benchmarks (WORKLOADS.md P5 and P6, and an episode loop over an
# environment written in the language): mlp and its peer run alternately in the same run,
# ROUNDS times; each program times its own loop and prints a rate; the medians and their
# ratios (mlp / peer) are printed, with the statistics the workloads ask for.
#   P5: updates per second, mlp bench/rl/p5.mlp vs NumPy bench/rl/p5.py (50 runs x 2 x 200 updates)
#   P6: environment steps per second, mlp qlearn vs the NumPy scalar loop (p6.py, 10 seeds;
#       mlp runs 200 seeds, so that its loop lasts long enough to time)
#   envloop: steps per second of a random-policy episode loop, mlp env (dict of closures) vs CPython class
# Environment: MLP (default .build/release/mlp), PYTHON (default python3), ROUNDS (default 5).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MLP="${MLP:-$ROOT/.build/release/mlp}"
PY="${PYTHON:-python3}"
ROUNDS="${ROUNDS:-5}"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
[ -x "$MLP" ] || { echo "run.sh: $MLP not found; build it with 'swift build -c release'" >&2; exit 2; }

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }

echo "uptime before: $(uptime)"
for w in p5 p6 envloop; do
    case $w in
        p5) margs=50; pargs=50; key=updates_per_s ;;
        p6) margs=200; pargs=10; key=steps_per_s ;;
        envloop) margs=2000; pargs=2000; key=steps_per_s ;;
    esac
    m=(); p=()
    for r in $(seq "$ROUNDS"); do
        mo="$("$MLP" "$HERE/$w.mlp" $margs)" || { echo "$w.mlp failed" >&2; exit 1; }
        po="$("$PY" "$HERE/$w.py" $pargs)" || { echo "$w.py failed" >&2; exit 1; }
        m+=("$(echo "$mo" | field "$key")"); p+=("$(echo "$po" | field "$key")")
    done
    mm="$(printf '%s\n' "${m[@]}" | median)"; pm="$(printf '%s\n' "${p[@]}" | median)"
    printf '%-8s %-14s mlp %12.0f  peer %12.0f  ratio %6.2fx\n' "$w" "$key" "$mm" "$pm" "$(awk -v a="$mm" -v b="$pm" 'BEGIN { print a / b }')"
    echo "         mlp:  $(echo "$mo" | tail -n 1)"
    echo "         peer: $(echo "$po" | tail -n 1)"
done
echo "uptime after: $(uptime)"
