#!/usr/bin/env bash
# W5 trained natively in float32 (every layer float32, this W5.mlp) against the same mlp
# binary and a second one (MLP_BASE, e.g. main's) on both this W5.mlp and an older W5
# script (OLD_W5: W5 with its dense layer in float64, which trains through the graph),
# and PyTorch, at 1 and 2 threads: ROUNDS (default 3, lib.sh) interleaved rounds, one line per round (the
# medians are taken by hand from the lines). Run it on a quiet machine.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${MLP_BASE:?set MLP_BASE to a second mlp binary}" "${OLD_W5:?set OLD_W5 to a W5 script with a float64 dense layer}"
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -n1), load before $(load)"
for r in $(seq 1 "$ROUNDS"); do
    line="round $r:"
    for t in 1 2; do
        for c in "mlp new $HERE/W5.mlp" "base new $HERE/W5.mlp" "mlp old $OLD_W5" "base old $OLD_W5"; do
            set -- $c
            bin="$MLP"; [ "$1" = base ] && bin="$MLP_BASE"
            line="$line $1/$2-W5/$t $(OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t figure "$bin" "$3")"
        done
        [ -x "$PEER" ] && line="$line torch/$t $(figure "$PEER" "$HERE/peers.py" W5 torch "$t")"
    done
    echo "$line (load $(load))"
done
echo "== load after $(load)"
