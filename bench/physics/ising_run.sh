#!/usr/bin/env bash
# P3 (../../../shared/reference/WORKLOADS.md): 2D Ising, L = 64, periodic, J = 1,
# checkerboard/single-spin-flip Metropolis at T = 2.269 and 1.5, and Wolff cluster
# updates at T = 2.269. In one run, interleaved, ROUNDS rounds, medians:
#   mlp     the native sweep (`mlp-bench ising`, IsingChains.run as ising() runs it)
#   mlp-e2e ising() through the interpreter (bench/physics/ising.mlp): the whole
#           builtin, statistics included, in CPU seconds of the process (bash time)
#   c       bench/physics/ising.c, gcc -O2, typewriter sweep (and Wolff)
#   numpy   bench/physics/ising_numpy.py, vectorised checkerboard
# All rates per CPU second of one thread (a shared machine's load blurs wall time).
# usage: bench/physics/ising_run.sh   (ROUNDS=5)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5}
PY=${PYTHON:-python3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
swift build -c release 2>&1 | tail -1
gcc -O2 -o "$WORK/ising_c" bench/physics/ising.c -lm
export MLP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== gcc $(gcc -dumpfullversion), $($PY -c 'import numpy, sys; print("python", sys.version.split()[0], "numpy", numpy.__version__)')"

e2e() {  # T sweeps: million attempts per CPU second of the mlp process (start-up, warm-up and statistics included)
  local t
  TIMEFORMAT=%U; t=$( { time .build/release/mlp bench/physics/ising.mlp metropolis "$1" "$2" > /dev/null; } 2>&1 )
  echo "64 * 64 * ($2 + 100) / $t / 1000000" | bc -l
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
num() { grep -o "[0-9.]* $1" | head -n 1 | cut -d' ' -f1; }

: > "$WORK/log"
for r in $(seq "$ROUNDS"); do
  .build/release/mlp-bench ising | sed 's/^/native /' >> "$WORK/log"
  for T in 2.269 1.5; do
    echo "e2e metropolis T=$T $(e2e $T 40000) million" >> "$WORK/log"
    "$WORK/ising_c" metropolis 64 $T 20000 "$r" | sed "s/^/c T=$T /" >> "$WORK/log"
    $PY bench/physics/ising_numpy.py 64 $T 1000 "$r" | sed "s/^/numpy T=$T /" >> "$WORK/log"
  done
  "$WORK/ising_c" wolff 64 2.269 60000 "$r" | sed 's/^/c-wolff /' >> "$WORK/log"
done
cp "$WORK/log" /tmp/ising_bench.log

pick() { grep "^$1" "$WORK/log" | grep -- "$2" | num "$3" | median; }
printf '%-28s %12s %12s %12s %12s %10s %10s\n' "Metropolis, M attempts/s" mlp mlp-e2e "C -O2" NumPy "mlp/C" "mlp/NumPy"
for T in 2.269 1.5; do
  m=$(pick native "T=$T:" "million attempts/s")
  e=$(grep "^e2e metropolis T=$T " "$WORK/log" | awk '{print $4}' | median)
  c=$(pick "c T=$T" "metropolis" "million attempts/s")
  n=$(pick "numpy T=$T" "metropolis" "million attempts/s")
  printf '%-28s %12.1f %12.1f %12.1f %12.2f %10.2f %10.1f\n' "L=64 T=$T" "$m" "$e" "$c" "$n" "$(echo "$m / $c" | bc -l)" "$(echo "$m / $n" | bc -l)"
done
mw=$(pick native "wolff" "clusters/s"); mf=$(pick native "wolff" "million spins flipped/s")
cw=$(pick c-wolff "" "clusters/s"); cf=$(pick c-wolff "" "million spins flipped/s")
printf '%-28s %12s %12s %10s\n' "Wolff L=64 T=2.269" mlp "C -O2" "mlp/C"
printf '%-28s %12.0f %12.0f %10.2f\n' "clusters/s" "$mw" "$cw" "$(echo "$mw / $cw" | bc -l)"
printf '%-28s %12.1f %12.1f %10.2f\n' "M spins flipped/s" "$mf" "$cf" "$(echo "$mf / $cf" | bc -l)"
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
