#!/usr/bin/env bash
# Neural-network workloads W1-W5 of WORKLOADS.md: mlp (W*.mlp) against PyTorch eager
# and Keras 3 on JAX with a jitted train step (peers.py), each at 1 and 2 threads,
# all in this one run. ROUNDS rounds, interleaved (every workload, side and thread
# count once per round, in turn); each configuration's figure is the median of its
# rounds, each side keeps its faster thread count, and the ratio is mlp / fastest
# peer (> 1 = mlp faster). The load average is printed before and after: this
# machine is shared, and only ratios from one run compare.
#
# Environment: NN_WORKLOADS (default "W1 W2 W3 W4 W5"), and MLP, MLP_BASE,
# PEER_PYTHON, ROUNDS, LIMIT as lib.sh says.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
goal() { case "$1" in W3) echo 2.0 ;; *) echo 1.0 ;; esac; }
# shellcheck disable=SC2086
nn_bench goal ${NN_WORKLOADS:-W1 W2 W3 W4 W5}
