#!/usr/bin/env bash
# Writes the King James Bible as one verse per line: lower-case, letters only
# (punctuation, digits and verse numbers removed). Needs Debian's bible-kjv.
# usage: corpus.sh OUT
set -euo pipefail
out=${1:?usage: corpus.sh OUT}
bible -l0 Gen1:1-Rev22:21 \
  | grep -E '^ +[0-9]+ ' \
  | sed -E 's/^ +[0-9]+ //' \
  | tr 'A-Z' 'a-z' \
  | sed -E "s/[^a-z ]+/ /g; s/ +/ /g; s/^ //; s/ $//" \
  | grep -v '^$' > "$out"
