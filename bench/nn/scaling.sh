#!/usr/bin/env bash
# Issue 14's scaling table: where mlp stands against PyTorch and Keras-JAX as the
# work grows. W1 (dense(H, relu) >> dense(10, softmax), 784 inputs) at batch 16, 64,
# 256, 1024 with hidden width 128, and at hidden width 64, 256, 1024 with batch 64;
# an LSTM at hidden width 16, 64, 256 (LSTM.mlp: lstm(H) >> dense(8) per step on
# W2's data, input 8, sequence 50, batch 32, MSE, adam). Same rounds, medians and
# ratios as run.sh (lib.sh); goals: W1 at batch 64 (W1 itself) and LSTM 256, 1.0.
#
# Environment: SCALING_CASES (default all ten cases above, as lib.sh writes them:
# W1:BATCH:HIDDEN, LSTM:H), and MLP, MLP_BASE, PEER_PYTHON, ROUNDS, LIMIT (lib.sh).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
goal() { case "$1" in W1:64:128 | LSTM:256) echo 1.0 ;; *) echo - ;; esac; }
CASES="W1:16:128 W1:64:128 W1:256:128 W1:1024:128 W1:64:64 W1:64:256 W1:64:1024 LSTM:16 LSTM:64 LSTM:256"
# shellcheck disable=SC2086
nn_bench goal ${SCALING_CASES:-$CASES}
