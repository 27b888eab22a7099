#!/usr/bin/env bash
# What two busy CPUs cost this host, apart from anything the threads share: each
# program on one thread alone, then two independent one-thread processes at once, one
# pinned to each CPU (`taskset`, nothing shared), in alternating rounds. If the pair's
# CPU time a process is above one alone's, the second thread loses that much however
# private its data (bench/word2vec/README.md, 2026-12-07 17:5x). The control: OpenSSL's
# sha256 (compute only, in cache) alone and two at once, in kB/s a process: it loses
# nothing when the two CPUs are separate cores, so a loss of the others is the memory's.
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
sha() { taskset -c "$1" openssl speed -seconds 2 -bytes 16384 sha256 2>/dev/null | tail -1 | awk '{print $2}'; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %10s %20s %12s %20s %12s %24s\n' round "mlp alone" "mlp pair (cpu-s)" "gensim alone" "gensim pair (cpu-s)" \
  "sha256 alone" "sha256 pair (kB/s)"
for r in $(seq "$REPEAT"); do
  m=$(ours 0 | cpu)
  ours 0 | cpu > "$WORK/pair0" & ours 1 | cpu > "$WORK/pair1"; wait
  mp="$(cat "$WORK/pair0") $(cat "$WORK/pair1")"
  g=$(theirs 0 | cpu)
  theirs 0 | cpu > "$WORK/pair0" & theirs 1 | cpu > "$WORK/pair1"; wait
  gp="$(cat "$WORK/pair0") $(cat "$WORK/pair1")"
  h=$(sha 0)
  sha 0 > "$WORK/pair0" & sha 1 > "$WORK/pair1"; wait
  hp="$(cat "$WORK/pair0") $(cat "$WORK/pair1")"
  printf '%-6s %10s %20s %12s %20s %12s %24s\n' "$r" "$m" "$mp" "$g" "$gp" "$h" "$hp"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
