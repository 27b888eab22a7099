#!/usr/bin/env bash
# Drives the real mlp REPL in a detached tmux pane (a real terminal, so
# libedit's Tab, Up, Ctrl-C paths run) and reads the screen back.
# Usage: Tests/repl/run.sh            (uses .build/release/mlp)
#        MLP=path/to/mlp Tests/repl/run.sh
# Last line: "N passed, N failed"; exit status non-zero on any failure.
set -u
export LC_ALL=C.UTF-8

MLP=${MLP:-.build/release/mlp}
if [ ! -x "$MLP" ]; then echo "no executable at $MLP"; echo "0 passed, 1 failed"; exit 1; fi
MLP=$(cd "$(dirname "$MLP")" && pwd)/$(basename "$MLP")
if ! command -v tmux >/dev/null; then echo "tmux is not installed"; echo "0 passed, 1 failed"; exit 1; fi

TMP=$(mktemp -d)
HOME_DIR=$TMP/home WORK=$TMP/work
mkdir -p "$HOME_DIR" "$WORK/datadir" && touch "$WORK/datadir/sample_file.txt"
TM=(tmux -S "$TMP/tmux.sock" -f /dev/null)   # private server: never touches the user's tmux
S=mlptest
trap '"${TM[@]}" kill-server 2>/dev/null; rm -rf "$TMP"' EXIT

passed=0 failed=0
screen() { "${TM[@]}" capture-pane -p -t "$S" 2>/dev/null | sed 's/[[:space:]]*$//'; }
pass() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() {
    failed=$((failed + 1)); echo "FAIL - $1"
    screen | awk 'NF{n=NR} {l[NR]=$0} END{for(i=(n>12?n-12:1);i<=n;i++) print "     | " l[i]}'
}
# check NAME CMD...: after a failure, a fresh REPL so later checks stay independent.
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; restart; fi; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# until_ok MS CMD...: polls CMD every 50 ms until it succeeds or MS pass.
until_ok() {
    local end=$(( $(now_ms) + $1 )); shift
    while ! "$@"; do [ "$(now_ms)" -ge "$end" ] && return 1; sleep 0.05; done
}
last_line() { screen | awk 'NF{l=$0} END{print l}'; }
last_is() { [ "$(last_line)" = "$1" ]; }
prompt_back() { until_ok 5000 last_is "mlp>"; }
# line_after INPUT OUTPUT: the line after the last screen line equal to INPUT is OUTPUT.
line_after() {
    screen | A="$1" B="$2" awk '$0==ENVIRON["A"]{n=NR} {l[NR]=$0} END{exit !(n && l[n+1]==ENVIRON["B"])}'
}
type_() { "${TM[@]}" send-keys -t "$S" -l -- "$1"; }
key() { "${TM[@]}" send-keys -t "$S" "$@"; }
# enter LINE: types LINE and Enter.
enter() { type_ "$1"; key Enter; }
# result LINE OUTPUT: enters LINE, waits for OUTPUT right under it.
result() { enter "$1"; until_ok 5000 line_after "mlp> $1" "$2"; }
session_gone() { ! "${TM[@]}" has-session -t "$S" 2>/dev/null; }
start() {
    "${TM[@]}" kill-session -t "$S" 2>/dev/null
    "${TM[@]}" new-session -d -s "$S" -x 100 -y 40 -c "$WORK" \
        "exec env HOME='$HOME_DIR' LANG=C.UTF-8 LC_ALL= '$MLP'"
    until_ok 10000 last_is "mlp>"
}
restart() { start || echo "     (the REPL did not start again)"; }

# ---- session 1 ----
if ! start; then fail "REPL starts and shows 'mlp> '"; echo "$passed passed, $failed failed"; exit 1; fi

t_builtin() {
    type_ "pri"; key Tab; until_ok 3000 last_is "mlp> print" || return 1
    type_ "(4242)"; key Enter; until_ok 5000 line_after "mlp> print(4242)" "4242"
}
check "Tab completes a builtin (pri -> print, no space)" t_builtin

t_variable() {
    enter "myvar_unique = 41"; prompt_back || return 1
    type_ "myvar_u"; key Tab; until_ok 3000 last_is "mlp> myvar_unique" || return 1
    type_ " + 1"; key Enter; until_ok 5000 line_after "mlp> myvar_unique + 1" "42"
}
check "Tab completes a variable defined earlier" t_variable

t_multiline() {
    enter "fn f(x) {"; until_ok 3000 last_is "...>" || return 1
    enter "x + 1"; until_ok 3000 last_is "...>" || return 1
    enter "}"; prompt_back && result "f(2)" "3"
}
check "multi-line entry with '...> ' continuation" t_multiline

t_error() {
    enter "keep_me = 5"; prompt_back || return 1
    enter "undefined_name_zz"; prompt_back || return 1
    screen | grep -qi "error" || return 1
    result "keep_me * 2" "10"
}
check "an error keeps the session and its variables" t_error

# Ctrl-C stops running code (a loop, a long builtin) within a second, with an
# "interrupted" report and the variables intact.
interrupt_builtin() {   # SETUP CALL CHECK
    enter "$1"; prompt_back || return 1
    enter "$2"; sleep 0.6
    last_is "mlp> $2" || { echo "     the call did not keep running"; return 1; }
    local t0; t0=$(now_ms); key C-c
    until_ok 1000 last_is "mlp>" || return 1
    echo "     prompt back $(( $(now_ms) - t0 )) ms after Ctrl-C"
    screen | grep -q "stopped by Ctrl-C" || { echo "     no interrupt report"; return 1; }
    result "$3" "true"
}
t_interrupt_loop() { interrupt_builtin "survivor = 99" "while true {}" "survivor == 99"; }
check "Ctrl-C stops 'while true {}' within 1 s, variables intact" t_interrupt_loop

# Training shows a progress bar (stderr is the terminal); Ctrl-C ends it after the
# current step with the history so far, and the trained weights stay in the model.
# BATCH: the batch function (a slow one makes Ctrl-C land inside it, in mlp code).
interrupt_train() {
    enter "net = dense(1)"; prompt_back || return 1
    enter "h = train(net, sgd(0.01), $1, steps=100000000)"
    shows_bar() { screen | grep -q 'ETA'; }
    until_ok 5000 shows_bar || { echo "     no progress bar"; return 1; }
    key C-c
    until_ok 3000 last_is "mlp>" || return 1
    screen | grep -q "train: interrupted after step" || { echo "     no message"; return 1; }
    result "h.steps > 0 and h.steps == len(h.loss) and len(net.weights) == 2" "true"
}
t_interrupt_train() { interrupt_train "() -> [ones(64, 8), zeros(64, 1)]"; }
check "a progress bar while training; Ctrl-C stops training and keeps the weights" t_interrupt_train
t_interrupt_in_batch() { interrupt_train "fn() { for i in 0..300000 {}; [ones(64, 8), zeros(64, 1)] }"; }
check "Ctrl-C inside a slow batch function also stops training gracefully" t_interrupt_in_batch

t_interrupt_tsne() { interrupt_builtin "seed(1); x = randn(1500, 20); e = nil" "e = tsne(x, iters=1000000)" "len(x) == 1500 and e == nil"; }
check "Ctrl-C stops tsne within 1 s, variables intact" t_interrupt_tsne
t_interrupt_sort() { interrupt_builtin "l = map(x -> x, rand(2000000)); big = l + l + l + l + l + l; s = nil" "s = sort(big)" "len(big) == 12000000 and s == nil"; }
check "Ctrl-C stops sorting a long list within 1 s, variables intact" t_interrupt_sort
t_interrupt_pca() { interrupt_builtin "seed(1); x = randn(20000, 600); p = nil" "p = pca(x, 2)" "len(x) == 20000 and p == nil"; }
check "Ctrl-C stops pca (one LAPACK call) within 1 s, variables intact" t_interrupt_pca
t_interrupt_product() { interrupt_builtin "seed(1); x = randn(6000, 6000); y = nil" "y = x @ x" "len(x) == 6000 and y == nil"; }
check "Ctrl-C stops one large product (6000^3) within 1 s, variables intact" t_interrupt_product
t_interrupt_eigh() { interrupt_builtin "seed(1); x = randn(3000, 3000); s = x + x.T; v = nil" "v = eigh(s)" "len(s) == 3000 and v == nil"; }
check "Ctrl-C stops eigh of a large matrix within 1 s, variables intact" t_interrupt_eigh
# 200 dense layers of about 0.05 s each on a large batch: the forward pass polls between layers
t_interrupt_forward() { interrupt_builtin "seed(1); net = dense(256); for i in 0..200 { net = net >> dense(256) }; x = randn(10000, 256); y = nil" "y = net(x)" "len(x) == 10000 and y == nil"; }
check "Ctrl-C stops a model's forward pass between layers within 1 s, variables intact" t_interrupt_forward

t_interrupt_prompt() {
    type_ "garbage_partial_text"; until_ok 3000 last_is "mlp> garbage_partial_text" || return 1
    key C-c; until_ok 2000 last_is "mlp>" || return 1
    enter "fn g(y) {"; until_ok 3000 last_is "...>" || return 1
    key C-c; until_ok 2000 last_is "mlp>" || return 1
    result "2 + 3" "5" && [ "$(screen | grep -c garbage_partial_text)" = 1 ]
}
check "Ctrl-C at the prompt drops the line / pending entry" t_interrupt_prompt

t_latex() {
    type_ '\alpha'; key Tab; until_ok 3000 last_is "mlp> α" || return 1
    enter " = 3"; prompt_back || return 1
    type_ '\alp'; key Tab; until_ok 3000 last_is "mlp> α" || return 1
    type_ " + 1"; key Enter; until_ok 5000 line_after "mlp> α + 1" "4"
}
check "\\alpha<Tab> becomes α" t_latex

t_field() {
    enter "cfg = {learning_rate: 7, momentum: 9}"; prompt_back || return 1
    type_ "cfg.lea"; key Tab; until_ok 3000 last_is "mlp> cfg.learning_rate" || return 1
    key Enter; until_ok 5000 line_after "mlp> cfg.learning_rate" "7"
}
check "Tab completes a field after '.'" t_field

t_file() {
    type_ 's = "da'; key Tab; until_ok 3000 last_is 'mlp> s = "datadir/' || return 1
    type_ "sa"; key Tab; until_ok 3000 last_is 'mlp> s = "datadir/sample_file.txt' || return 1
    enter '"'; prompt_back
}
check "Tab completes file names inside a string ('/' after directories)" t_file

check "?name for an unknown name" result "?no_such_name_qq" "no help for 'no_such_name_qq'"
check "?prnt suggests print" result "?prnt" "no help for 'prnt' (did you mean 'print'?)"

t_load_quoted() {
    type_ ':load "datad'; key Tab; until_ok 3000 last_is 'mlp> :load "datadir/' || return 1
    type_ "sa"; key Tab; until_ok 3000 last_is 'mlp> :load "datadir/sample_file.txt"' || return 1
    key C-u; key C-c; prompt_back
}
check ':load " completes a quoted path (and closes the quote)' t_load_quoted

t_keyword_tab() {
    type_ "train(net, adam, d, ep"; key Tab; until_ok 3000 last_is "mlp> train(net, adam, d, epochs=" || return 1
    key C-c; prompt_back
}
check "Tab completes a keyword argument inside a call (ep -> epochs=)" t_keyword_tab

t_user_help() {
    enter "# Spring energy at x."; prompt_back || return 1
    enter "fn spring_e(x, k=2) { k * x^2 / 2 }"; prompt_back || return 1
    enter "?spring_e"; until_ok 3000 line_after "mlp> ?spring_e" "spring_e(x, k=2)"
}
check "?f shows a user function's signature" t_user_help

t_who() {
    enter "who_w = zeros(2, 3)"; prompt_back || return 1
    who_line() { screen | grep -q '^who_w  *tensor  *\[2, 3\]$'; }
    enter ":who"; until_ok 3000 who_line
}
check ":who lists a tensor with its shape" t_who

t_reset_undefined() {
    enter "old_name_r = 1"; prompt_back || return 1
    enter ":reset"; prompt_back || return 1
    enter "old_name_r"; prompt_back || return 1
    screen | grep -q "undefined name 'old_name_r'"
}
check "after :reset an old name is undefined" t_reset_undefined

t_quit() { enter "history_marker_77 = 1"; prompt_back && enter ":quit" && until_ok 3000 session_gone; }
check ":quit leaves the REPL" t_quit

# The multi-line entry is stored once, as one entry (libedit encodes '\n' as \012).
t_history_file() {
    [ "$(grep -cF 'fn\040f(x)\040{\012x\040+\0401\012}' "$HOME_DIR/.mlp_history" 2>/dev/null)" = 1 ]
}
check "history file ~/.mlp_history holds the multi-line entry once" t_history_file

# ---- session 2: history survives a restart ----
if start; then
    t_history() { key Up; until_ok 3000 last_is "mlp> history_marker_77 = 1"; }
    check "Up shows the previous session's last entry" t_history
    t_eof() { key C-c; until_ok 2000 last_is "mlp>" && key C-d && until_ok 3000 session_gone; }
    check "Ctrl-D leaves the REPL" t_eof
else
    fail "REPL restarts"
fi

# ---- session 3: a FIFO where the history file goes is left alone (opening it blocked the start) ----
rm -f "$HOME_DIR/.mlp_history" && mkfifo "$HOME_DIR/.mlp_history"
if start; then
    check "a FIFO as history file: entries still run" result "6 * 7" "42"
    t_fifo_kept() { enter ":quit"; until_ok 3000 session_gone && [ -p "$HOME_DIR/.mlp_history" ]; }
    check "the FIFO is not written or replaced" t_fifo_kept
else
    fail "REPL starts with a FIFO as ~/.mlp_history"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
