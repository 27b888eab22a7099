#!/usr/bin/env bash
# What two busy CPUs cost this host, apart from anything the threads share: each
# program on one thread alone, then two independent one-thread processes at once, one
# pinned to each CPU (`taskset`, nothing shared), in alternating rounds. If the pair's
# CPU time a process is above one alone's, the second thread loses that much however
# private its data (bench/word2vec/README.md, 2026-12-07 17:5x).
# usage: bench/word2vec/pairs.sh   (REPEAT=5, WORK=/tmp/mlp-w2v; run.sh first: corpus, venv, build)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPEAT=${REPEAT:-5}
WORK=${WORK:-/tmp/mlp-w2v}
C=$WORK/kjv.txt
[ -s "$C" ] || { echo "no corpus: run bench/word2vec/run.sh first" >&2; exit 1; }
ours() { MLP_W2V_CORPUS=$C MLP_W2V_THREADS=1 taskset -c "$1" .build/release/mlp-bench word2vec | grep '^word2vec mlp: threads'; }
theirs() { taskset -c "$1" bench/.venv-w2v/bin/python bench/word2vec/gensim_w2v.py "$C" 1 | grep '^word2vec gensim: threads'; }
cpu() { sed -E 's/.* cpu ([0-9.]+) s.*/\1/'; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %10s %20s %10s %20s\n' round "mlp alone" "mlp pair (cpu-s)" "gensim alone" "gensim pair (cpu-s)"
for r in $(seq "$REPEAT"); do
  m=$(ours 0 | cpu)
  ours 0 | cpu > "$WORK/pair0" & ours 1 | cpu > "$WORK/pair1"; wait
  mp="$(cat "$WORK/pair0") $(cat "$WORK/pair1")"
  g=$(theirs 0 | cpu)
  theirs 0 | cpu > "$WORK/pair0" & theirs 1 | cpu > "$WORK/pair1"; wait
  gp="$(cat "$WORK/pair0") $(cat "$WORK/pair1")"
  printf '%-6s %10s %20s %10s %20s\n' "$r" "$m" "$mp" "$g" "$gp"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
