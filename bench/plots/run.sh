#!/usr/bin/env bash
# A 10^5-point scatter to PNG: mlp (Cairo) against matplotlib (Agg) in the same run,
# interleaved rounds (mlp first), medians of the in-process drawing time and of the
# whole process (start-up, making the points, drawing, writing) in wall-clock and in
# CPU seconds (user + sys: what the machine's load from other work disturbs least);
# prints the ratios.
# Needs bench/.venv with matplotlib (make bench-peers). ROUNDS (default 7).
set -eu
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MLP="${MLP:-$ROOT/.build/release/mlp}"
PY="${PY:-$ROOT/bench/.venv/bin/python}"
ROUNDS="${ROUNDS:-7}"
[ -x "$MLP" ] || { echo "run.sh: build mlp first (swift build -c release)" >&2; exit 2; }
"$PY" -c "import matplotlib" 2>/dev/null || { echo "run.sh: $PY has no matplotlib (make bench-peers)" >&2; exit 2; }
export OPENBLAS_NUM_THREADS=1
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
: > /tmp/mlp_bench_plots_m; : > /tmp/mlp_bench_plots_p; : > /tmp/mlp_bench_plots_mw; : > /tmp/mlp_bench_plots_pw
: > /tmp/mlp_bench_plots_mc; : > /tmp/mlp_bench_plots_pc
cpu() { /usr/bin/time -f "%U %S" -o /tmp/mlp_bench_plots_t "$@" > /dev/null; awk '{print $1 + $2}' /tmp/mlp_bench_plots_t; }
echo "load before: $(uptime | sed 's/.*load average: //')"
for r in $(seq "$ROUNDS"); do
    t0=$(now); "$MLP" "$HERE/scatter.mlp" >> /tmp/mlp_bench_plots_m; t1=$(now)
    echo "$t1 - $t0" | bc -l >> /tmp/mlp_bench_plots_mw
    t0=$(now); "$PY" "$HERE/scatter.py" >> /tmp/mlp_bench_plots_p; t1=$(now)
    echo "$t1 - $t0" | bc -l >> /tmp/mlp_bench_plots_pw
    cpu "$MLP" "$HERE/scatter.mlp" >> /tmp/mlp_bench_plots_mc
    cpu "$PY" "$HERE/scatter.py" >> /tmp/mlp_bench_plots_pc
done
echo "load after:  $(uptime | sed 's/.*load average: //')"
m=$(median < /tmp/mlp_bench_plots_m); p=$(median < /tmp/mlp_bench_plots_p)
mw=$(median < /tmp/mlp_bench_plots_mw); pw=$(median < /tmp/mlp_bench_plots_pw)
mc=$(median < /tmp/mlp_bench_plots_mc); pc=$(median < /tmp/mlp_bench_plots_pc)
printf "%-34s %10s %12s %8s\n" "10^5-point scatter to PNG ($ROUNDS rounds)" "mlp (s)" "matplotlib" "ratio"
printf "%-34s %10.3f %12.3f %7.1fx\n" "drawing + writing (median)" "$m" "$p" "$(echo "$p / $m" | bc -l)"
printf "%-34s %10.3f %12.3f %7.1fx\n" "whole process, wall (median)" "$mw" "$pw" "$(echo "$pw / $mw" | bc -l)"
printf "%-34s %10.3f %12.3f %7.1fx\n" "whole process, CPU (median)" "$mc" "$pc" "$(echo "$pc / $mc" | bc -l)"
