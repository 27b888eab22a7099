#!/usr/bin/env bash
# The statistical-physics workloads of WORKLOADS.md, each part's script in turn
# (bench/physics/*_run.sh: ising_run.sh is P3, rbm_run.sh P1). Results: README.md.
set -euo pipefail
cd "$(dirname "$0")"
for s in ./*_run.sh; do echo "### $s"; bash "$s"; done
