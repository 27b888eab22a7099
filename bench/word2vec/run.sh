#!/usr/bin/env bash
# Benchmark P2 (../../../shared/reference/WORKLOADS.md): word2vec skip-gram with
# negative sampling on the King James Bible, ours (Word2Vec.train through
# `mlp-bench word2vec`, Sources/mlp-bench, release build) against gensim 4 (venv
# bench/.venv-w2v, created here on first use), dim 100, window 5, negative 5,
# min_count 5, sample 1e-3, 1 epoch, 1 and 2 threads. Words/s over the corpus's
# tokens, vocabulary building included on both sides, best of REPEAT alternating
# runs (and words per CPU second of the process, which a loaded machine blurs less); then
# the quality: three cosine similarities and the top-10 neighbour overlap of 20
# frequent words, within each implementation (seeds 1-3) and across.
# Prints the best and the median of the runs, and each side's speed-up from the
# second thread (median 2-thread words/s over median 1-thread words/s).
# usage: bench/word2vec/run.sh   (REPEAT=5, WORK=/tmp/mlp-w2v; FIFO=1 runs both
# sides under `chrt -f 1`, real-time priority, so that other jobs on a loaded machine
# do not take the cores in the middle of a run: it needs the right to do so, root)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPEAT=${REPEAT:-5}
WORK=${WORK:-/tmp/mlp-w2v}
mkdir -p "$WORK"
VENV=bench/.venv-w2v
PY=$VENV/bin/python

[ -s "$WORK/kjv.txt" ] || bash bench/word2vec/corpus.sh "$WORK/kjv.txt"
if ! "$PY" -c "import gensim" 2>/dev/null; then
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q gensim
fi
swift build -c release --product mlp-bench 2>&1 | tail -1

PRIO=()
[ "${FIFO:-0}" = 1 ] && PRIO=(chrt -f 1)
ours() {  # threads seed out
  MLP_W2V_CORPUS="$WORK/kjv.txt" MLP_W2V_THREADS=$1 MLP_W2V_SEED=$2 MLP_W2V_OUT=$3 \
    "${PRIO[@]}" .build/release/mlp-bench word2vec | grep '^word2vec mlp'
}
theirs() {  # threads seed out
  "${PRIO[@]}" "$PY" bench/word2vec/gensim_w2v.py "$WORK/kjv.txt" "$1" "$3" 1 "$2"
}
best() { grep -o "[0-9]* $1" | awk '$1 > m { m = $1 } END { print m }'; }
median() { grep -o "[0-9]* $1" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)) }'; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# Runs alternate between the two sides, so that both see the same machine load.
printf '%-8s %8s %14s %14s %7s %16s %16s %7s\n' mode threads "mlp words/s" "gensim words/s" ratio \
  "mlp words/cpu-s" "gensim w/cpu-s" ratio
for t in 1 2; do : > "$WORK/mlp_t$t.log"; : > "$WORK/gensim_t$t.log"; done
# rounds of 1 and 2 threads on both sides, alternating, so that all four see the same load
for r in $(seq "$REPEAT"); do
  for t in 1 2; do
    ours "$t" 1 "$WORK/mlp_t$t.txt" >> "$WORK/mlp_t$t.log"
    theirs "$t" 1 "$WORK/gensim_t$t.txt" >> "$WORK/gensim_t$t.log"
  done
done
for stat in best median; do
  for t in 1 2; do
    m=$($stat words/s < "$WORK/mlp_t$t.log"); g=$($stat words/s < "$WORK/gensim_t$t.log")
    mc=$($stat words/cpu-s < "$WORK/mlp_t$t.log"); gc=$($stat words/cpu-s < "$WORK/gensim_t$t.log")
    printf '%-8s %8d %14d %14d %7.2f %16d %16d %7.2f\n' "$stat" "$t" "$m" "$g" "$(echo "$m / $g" | bc -l)" \
      "$mc" "$gc" "$(echo "$mc / $gc" | bc -l)"
  done
done
m1=$(median words/s < "$WORK/mlp_t1.log"); m2=$(median words/s < "$WORK/mlp_t2.log")
g1=$(median words/s < "$WORK/gensim_t1.log"); g2=$(median words/s < "$WORK/gensim_t2.log")
printf 'speed-up from the second thread (medians): mlp %.2f, gensim %.2f\n' \
  "$(echo "$m2 / $m1" | bc -l)" "$(echo "$g2 / $g1" | bc -l)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# Quality: seeds 1-3 on 1 thread (seed 1 is the timed runs' output), and the 2-thread runs.
for seed in 2 3; do
  ours 1 $seed "$WORK/mlp_s$seed.txt" >/dev/null
  theirs 1 $seed "$WORK/gensim_s$seed.txt" >/dev/null
done
C="$PY bench/word2vec/compare.py"
echo "quality, 1 thread, seeds 1-3 (A mlp, B gensim):"
$C "$WORK"/mlp_t1.txt "$WORK"/mlp_s{2,3}.txt -- "$WORK"/gensim_t1.txt "$WORK"/gensim_s{2,3}.txt
echo "quality, 2 threads (A mlp, B gensim):"
$C "$WORK"/mlp_t2.txt -- "$WORK"/gensim_t2.txt
