#!/bin/sh
# Real tensors before and after complex support: BEFORE is a binary of the commit
# before (default /work/main/.build/release/mlp), AFTER this tree's; runs alternate.
BEFORE=${BEFORE:-/work/main/.build/release/mlp}
AFTER=${AFTER:-.build/release/mlp}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
for round in 1 2 3; do
  echo "round $round before: $($BEFORE bench/complex/real_speed.mlp | tr '\n' ' ')"
  echo "round $round after:  $($AFTER bench/complex/real_speed.mlp | tr '\n' ' ')"
done
