#!/bin/sh
# Real tensors before and after complex support (bench/complex/README.md): BEFORE is
# a binary of the commit before (default /work/main/.build/release/mlp), AFTER this
# tree's. Runs alternate; each run prints the median of 15 timings per operation;
# the last lines are the medians over the rounds and the ratio after/before.
BEFORE=${BEFORE:-/work/main/.build/release/mlp}
AFTER=${AFTER:-.build/release/mlp}
ROUNDS=${ROUNDS:-7}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
out=$(mktemp)
i=1
while [ $i -le $ROUNDS ]; do
  $BEFORE bench/complex/real_speed.mlp | sed 's/^/before /' >> $out
  $AFTER bench/complex/real_speed.mlp | sed 's/^/after /' >> $out
  i=$((i + 1))
done
for op in add mul_exp matmul512; do
  b=$(awk -v op=$op '$1 == "before" && $2 == op { print $3 }' $out | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  a=$(awk -v op=$op '$1 == "after" && $2 == op { print $3 }' $out | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  echo "$op: before $b ms, after $a ms, after/before $(awk -v a=$a -v b=$b 'BEGIN { printf "%.3f", a / b }')"
done
rm -f $out
