"""Drives `mlp kernel` with the real Jupyter client (jupyter_client's KernelManager,
pyzmq for the raw-socket cases, `jupyter nbconvert --execute` for the notebooks) and
checks the replies field by field. Run by Tests/kernel/run.sh (from XCTest:
KernelTests.testJupyterKernelWithRealClient). Exit status 0 when every check holds.

usage: client.py MLP_BINARY
"""
import base64
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import zmq
from jupyter_client import KernelManager
from jupyter_client.session import Session

MLP = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what + ("" if cond or not detail else f"\n     {detail}"), flush=True)
    if not cond:
        failures.append(what)


def equal(got, want, what):
    check(got == want, what, f"got {got!r}, expected {want!r}")


tmp = tempfile.mkdtemp(prefix="mlp-kernel-test-")
out = subprocess.run([MLP, "kernel", "install", "--prefix", tmp], capture_output=True, text=True)
spec_dir = os.path.join(tmp, "share/jupyter/kernels/mlp")
equal(out.returncode, 0, "mlp kernel install --prefix exits 0")
check(out.stdout.strip() == f"installed the mlp kernelspec in {spec_dir}", "install names the folder", out.stdout + out.stderr)
spec = json.load(open(os.path.join(spec_dir, "kernel.json")))
equal(spec["argv"], [os.path.realpath(MLP), "kernel", "{connection_file}"], "kernel.json argv")
equal(spec["display_name"], "mlp", "kernel.json display_name")
equal(spec["language"], "mlp", "kernel.json language")
equal(spec["metadata"]["language_info"]["file_extension"], ".mlp", "kernel.json language_info file_extension")
for logo in ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"]:
    check(os.path.getsize(os.path.join(spec_dir, logo)) > 100, f"kernelspec has {logo}")
check(open(os.path.join(spec_dir, "logo-64x64.png"), "rb").read(8) == b"\x89PNG\r\n\x1a\n", "logo-64x64.png is a PNG")

home = os.path.join(tmp, "home")
env = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_DATA_DIR", "XDG_DATA_HOME")}
out = subprocess.run([MLP, "kernel", "install", "--user"], capture_output=True, text=True, env=dict(env, HOME=home))
check(out.returncode == 0 and os.path.exists(os.path.join(home, ".local/share/jupyter/kernels/mlp/kernel.json")),
      "mlp kernel install --user: ~/.local/share/jupyter/kernels/mlp", out.stdout + out.stderr)
out = subprocess.run([MLP, "kernel", "install", "--user"], capture_output=True, text=True, env=dict(env, JUPYTER_DATA_DIR=home + "/jd"))
check(out.returncode == 0 and os.path.exists(os.path.join(home, "jd/kernels/mlp/kernel.json")), "mlp kernel install --user: $JUPYTER_DATA_DIR")
out = subprocess.run([MLP, "kernel", "install", "--bogus"], capture_output=True, text=True)
check(out.returncode != 0 and "unknown option '--bogus'" in out.stderr, "mlp kernel install: a bad option is an error", out.stderr)
os.environ["JUPYTER_PATH"] = os.path.join(tmp, "share/jupyter")
listed = subprocess.run([os.path.join(os.path.dirname(sys.executable), "jupyter"), "kernelspec", "list", "--json"], capture_output=True, text=True)
specs = json.loads(listed.stdout)["kernelspecs"] if listed.returncode == 0 else {}
check(specs.get("mlp", {}).get("resource_dir") == spec_dir, "jupyter kernelspec list finds the kernelspec", listed.stdout[-500:] + listed.stderr[-500:])
os.environ["OPENBLAS_NUM_THREADS"] = "1"
log_path = os.path.join(tmp, "kernel.log")
log = open(log_path, "w")
km = KernelManager(kernel_name="mlp")
km.start_kernel(stderr=log, cwd=ROOT)
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=20)


def collect(msg_id, timeout=30):
    """The iopub messages of one request, up to its status: idle."""
    msgs = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        msgs.append(m)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            return msgs
    raise TimeoutError(f"no idle status for {msg_id}")


def shell_reply(msg_id, timeout=30):
    while True:
        m = kc.get_shell_msg(timeout=timeout)
        if m["parent_header"].get("msg_id") == msg_id:
            return m


def execute(code, timeout=30, **kw):
    msg_id = kc.execute(code, **kw)
    reply = shell_reply(msg_id, timeout)
    return reply, collect(msg_id, timeout)


def types(msgs):
    return [m["msg_type"] for m in msgs]


try:
    # kernel_info
    info = kc.kernel_info(reply=True, timeout=10)
    c = info["content"]
    equal(info["msg_type"], "kernel_info_reply", "kernel_info: msg_type")
    equal(c["status"], "ok", "kernel_info: status")
    equal(c["protocol_version"], "5.3", "kernel_info: protocol_version")
    equal(c["implementation"], "mlp", "kernel_info: implementation")
    equal(c["language_info"]["name"], "mlp", "kernel_info: language_info.name")
    equal(c["language_info"]["file_extension"], ".mlp", "kernel_info: language_info.file_extension")
    check(c["language_info"].get("codemirror_mode"), "kernel_info: language_info.codemirror_mode")
    check(c["banner"].startswith("mlp "), "kernel_info: banner", c["banner"])

    # execute: busy, execute_input, stream, execute_result, idle
    reply, msgs = execute("x = 3\nprint(x)\nx + 1")
    equal(reply["content"]["status"], "ok", "execute: status ok")
    equal(reply["content"]["execution_count"], 1, "execute: execution_count 1")
    equal(types(msgs), ["status", "execute_input", "stream", "execute_result", "status"], "execute: iopub messages in order")
    equal(msgs[0]["content"], {"execution_state": "busy"}, "execute: status busy first")
    equal(msgs[1]["content"], {"code": "x = 3\nprint(x)\nx + 1", "execution_count": 1}, "execute: execute_input")
    equal(msgs[2]["content"], {"name": "stdout", "text": "3\n"}, "execute: stream stdout")
    equal(msgs[3]["content"], {"execution_count": 1, "data": {"text/plain": "4"}, "metadata": {}}, "execute: execute_result")
    reply, msgs = execute("x * 2;")
    equal(reply["content"]["execution_count"], 2, "execute: execution_count 2")
    equal(types(msgs), ["status", "execute_input", "status"], "execute: ';' shows no result, as in the REPL")
    reply, msgs = execute("x", silent=True)
    equal(types(msgs), ["status", "status"], "execute silent: no execute_input, no result")
    equal(reply["content"]["execution_count"], 2, "execute silent: the count does not move")

    # a tensor's text/plain is the REPL's (which is print's for a tensor)
    reply, msgs = execute("t = reshape(tensor([0, 1, 2, 3, 4, 5]), [2, 3]) / 2\nt")
    result = [m for m in msgs if m["msg_type"] == "execute_result"]
    equal(result[0]["content"]["data"]["text/plain"] if result else None,
          "tensor([[0  , 0.5, 1  ],\n        [1.5, 2  , 2.5]])", "execute_result of a tensor: the REPL's text")
    reply, msgs = execute("print(t)")
    equal([m["content"]["text"] for m in msgs if m["msg_type"] == "stream"], [result[0]["content"]["data"]["text/plain"] + "\n"],
          "print(t) gives the same text")

    # printed lines show while the cell still runs (not only at its end)
    msg_id = kc.execute('print("first")\nt0 = clock()\nwhile clock() - t0 < 1 { }\nprint("second")')
    seen, t0 = None, time.time()
    while time.time() - t0 < 5:
        m = kc.get_iopub_msg(timeout=5)
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream":
            seen = (m["content"]["text"], time.time() - t0)
            break
    check(seen is not None and seen[0] == "first\n" and seen[1] < 0.5,
          f"stream: a line printed before a 1 s loop shows at once ({seen[1] * 1000 if seen else -1:.0f} ms)", seen)
    shell_reply(msg_id)

    # stderr
    reply, msgs = execute(":load no/such/file.mlp")
    streams = [m["content"] for m in msgs if m["msg_type"] == "stream"]
    check(len(streams) == 1 and streams[0]["name"] == "stderr" and "cannot read 'no/such/file.mlp'" in streams[0]["text"],
          "stream stderr: an error report of :load", streams)

    # errors: positioned message, trace; the kernel stays usable
    reply, msgs = execute("undefined_thing + 1")
    c = reply["content"]
    equal(c["status"], "error", "error: status error")
    equal(c["ename"], "NameError", "error: ename")
    equal(c["evalue"], "undefined name 'undefined_thing'.", "error: evalue")
    n = c["execution_count"]
    equal(c["traceback"][:3], [f"In[{n}]:1:1: error: undefined name 'undefined_thing'.", "    1 | undefined_thing + 1", "      | ^"],
          "error: traceback is the positioned message")
    errs = [m["content"] for m in msgs if m["msg_type"] == "error"]
    check(len(errs) == 1 and errs[0]["ename"] == "NameError" and errs[0]["traceback"] == c["traceback"], "error: iopub error message", errs)
    reply, msgs = execute("fn inner(a) { a + nil }\nfn outer(a) { inner(a) }\nouter(1)")
    tb = reply["content"]["traceback"]
    n = reply["content"]["execution_count"]
    check(tb[0].startswith(f"In[{n}]:1:17: error:") and f"  at inner (In[{n}]:1)" in tb and f"  at outer (In[{n}]:2)" in tb,
          "error: the trace of calls", tb)
    equal(reply["content"]["ename"], "RuntimeError", "error: runtime ename")
    reply, msgs = execute("x")
    equal([m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result"], ["3"], "after errors, variables are kept")

    # ?name help and commands in a cell
    reply, msgs = execute("?zeros")
    text = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")
    check(text.startswith("zeros(") and "example:" in text, "?zeros cell prints the help", text)

    reply, msgs = execute(":time x * 2")
    text = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")
    check(re.fullmatch(r"6\ntime: [0-9.]+ (µs|ms|s)\n", text) is not None, ":time in a cell: the value and the time", text)
    reply, msgs = execute(":quit")
    text = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")
    check(reply["content"]["status"] == "ok" and "shut down by the frontend" in text, ":quit in a cell explains, the kernel stays", text)

    # complete
    def complete(code, pos=None):
        r = kc.complete(code, len(code) if pos is None else pos, reply=True, timeout=10)
        equal(r["msg_type"], "complete_reply", f"complete {code!r}: msg_type")
        return r["content"]
    c = complete("zer")
    equal((c["status"], c["cursor_start"], c["cursor_end"]), ("ok", 0, 3), "complete names: cursor range")
    check("zeros" in c["matches"] and all(m.startswith("zer") for m in c["matches"]), "complete names: zeros", c["matches"])
    c = complete("y = \\alpha")
    equal((c["matches"], c["cursor_start"], c["cursor_end"]), (["α"], 4, 10), "complete \\alpha -> α")
    c = complete("αβ = 1; print(ze")
    equal((c["cursor_start"], c["cursor_end"]), (14, 16), "complete after non-ASCII: cursor in code points")
    execute("g = generator(1)")
    c = complete("g.sp")
    equal((c["matches"], c["cursor_start"]), (["g.split"], 0), "complete fields after '.'")
    c = complete('read_text("Tests/ker')
    equal((c["matches"], c["cursor_start"]), (["Tests/kernel/"], 11), "complete paths in strings")

    # inspect
    r = kc.inspect("plot(xs)", 2, reply=True, timeout=10)["content"]
    check(r["status"] == "ok" and r["found"] and r["data"]["text/plain"].startswith("plot(x, y=nil"), "inspect: ?plot help", r)
    r = kc.inspect("x", 1, reply=True, timeout=10)["content"]
    equal((r["found"], r["data"]), (True, {"text/plain": "x = 3"}), "inspect a variable")
    r = kc.inspect("no_such_name", 3, reply=True, timeout=10)["content"]
    equal((r["status"], r["found"], r["data"]), ("ok", False, {}), "inspect an unknown name")

    # is_complete
    def is_complete(code):
        msg_id = kc.is_complete(code)
        return shell_reply(msg_id, 10)["content"]
    equal(is_complete("fn f(a) {"), {"status": "incomplete", "indent": "    "}, "is_complete: open brace")
    equal(is_complete("xs = [1,\n  2,"), {"status": "incomplete", "indent": "  "}, "is_complete: open list")
    equal(is_complete("1 + 1"), {"status": "complete"}, "is_complete: complete")

    # history
    msg_id = kc.history(hist_access_type="tail", n=2)
    r = shell_reply(msg_id, 10)["content"]
    check(r["status"] == "ok" and len(r["history"]) == 2 and r["history"][-1][2] == "g = generator(1)", "history tail", r)

    # plots inline
    for code in ["plot([1, 4, 9], title=\"squares\")", "scatter(randn(50), randn(50))", "hist(randn(500), bins=20)",
                 "imshow(rand(5, 7))", "imshow_grid(rand(6, 8, 8), 2, 3)"]:
        reply, msgs = execute(code)
        shown = [m["content"] for m in msgs if m["msg_type"] == "display_data"]
        ok = len(shown) == 1 and reply["content"]["status"] == "ok"
        if ok:
            data = shown[0]["data"]
            png = base64.b64decode(data["image/png"])
            ok = png[:8] == b"\x89PNG\r\n\x1a\n" and "<svg" in data.get("image/svg+xml", "") and "text/plain" in data
        check(ok, f"display_data PNG + SVG: {code}", [list(s["data"]) for s in shown])
    reply, msgs = execute("plot([1, 2], file=\"" + tmp + "/p.png\")")
    check("display_data" not in types(msgs) and os.path.getsize(tmp + "/p.png") > 100, "plot with file= writes the file only")

    # the progress bar: one display, updated in place
    reply, msgs = execute("net = dense(8, tanh) >> dense(1)\n"
                          "fn batch() { x = randn(256, 4); [x, sum(x, axis=1, keepdims=true)] }\n"
                          "h = train(net, adam, batch, loss=mse, steps=1500, verbose=true)\n"
                          "print(\"done\")", timeout=60)
    shown = [m for m in msgs if m["msg_type"] == "display_data"]
    updates = [m for m in msgs if m["msg_type"] == "update_display_data"]
    ids = {m["content"]["transient"]["display_id"] for m in shown + updates}
    last = updates[-1]["content"]["data"]["text/plain"] if updates else ""
    check(len(shown) == 1 and len(updates) >= 1 and len(ids) == 1 and re.match(r"1500 steps in [0-9.]+s, loss ", last),
          f"progress bar: 1 display_data, {len(updates)} updates of it, ends with the summary", (types(msgs), last))
    check("\x1b" not in json.dumps([m["content"] for m in shown + updates]), "progress bar: no escape sequences")
    equal([m["content"]["text"] for m in msgs if m["msg_type"] == "stream"], ["done\n"], "progress bar: no stream flood")

    # heartbeat and interrupts while a cell runs
    ctx = zmq.Context.instance()
    conn = km.get_connection_info()

    def heartbeat():
        s = ctx.socket(zmq.REQ)
        s.linger = 0
        s.connect(f"tcp://{conn['ip']}:{conn['hb_port']}")
        s.send(b"ping")
        ok = s.poll(1000) != 0 and s.recv() == b"ping"
        s.close()
        return ok

    def interrupted_loop(interrupt, what):
        execute("i = 0")
        msg_id = kc.execute("while true { i += 1 }")
        time.sleep(0.5)
        check(heartbeat(), f"{what}: the heartbeat answers while a cell runs")
        t0 = time.time()
        interrupt()
        reply = shell_reply(msg_id, 10)
        dt = time.time() - t0
        collect(msg_id)
        c = reply["content"]
        check(c["status"] == "error" and c["ename"] == "Interrupted" and "stopped by Ctrl-C" in c["traceback"][0],
              f"{what}: the cell stops with an Interrupted error", c)
        check(dt < 0.1, f"{what}: stopped {dt * 1000:.0f} ms after the request (< 100 ms)")
        r, msgs = execute("i > 1000")
        equal([m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result"], ["true"],
              f"{what}: the loop's variable is kept")

    interrupted_loop(km.interrupt_kernel, "SIGINT (interrupt_mode signal)")

    def control_interrupt():
        msg = kc.session.msg("interrupt_request", {})
        kc.control_channel.send(msg)
        r = kc.control_channel.get_msg(timeout=5)
        equal((r["msg_type"], r["content"], r["parent_header"]["msg_id"]), ("interrupt_reply", {"status": "ok"}, msg["header"]["msg_id"]),
              "interrupt_request on control: interrupt_reply")
    interrupted_loop(control_interrupt, "interrupt_request on control")

    # interrupting training ends it gracefully, as Ctrl-C in the REPL: the weights so far are kept, the cell goes on
    msg_id = kc.execute("h2 = train(net, adam, batch, loss=mse, steps=100000000, verbose=true)\nprint(\"after\")")
    time.sleep(1.0)
    t0 = time.time()
    km.interrupt_kernel()
    reply = shell_reply(msg_id, 10)
    dt = time.time() - t0
    msgs = collect(msg_id)
    streams = [m["content"] for m in msgs if m["msg_type"] == "stream"]
    check(reply["content"]["status"] == "ok" and dt < 0.1, f"interrupted training: the cell ends {dt * 1000:.0f} ms after SIGINT (< 100 ms)", reply["content"])
    check(len(streams) == 2 and streams[0]["name"] == "stderr" and "train: interrupted" in streams[0]["text"]
          and streams[1] == {"name": "stdout", "text": "after\n"}, "interrupted training: a warning on stderr, then the rest of the cell", streams)
    r, msgs = execute("len(h2.loss) > 10")
    equal([m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result"], ["true"], "interrupted training: its history is kept")

    for _ in range(5):
        km.interrupt_kernel()
        time.sleep(0.05)
    reply, msgs = execute("x")
    equal(reply["content"]["status"], "ok", "five SIGINTs while idle: the kernel goes on")

    # robustness: stack overflow, a too-large allocation
    reply, msgs = execute("fn down(n) { down(n + 1) }\ndown(0)", timeout=60)
    check(reply["content"]["status"] == "error" and "stack overflow" in reply["content"]["evalue"], "stack overflow: an error", reply["content"])
    reply, msgs = execute("big = zeros(100000, 100000)")
    check(reply["content"]["status"] == "error" and "too large" in reply["content"]["evalue"], "out-of-memory request: an error", reply["content"])
    reply, msgs = execute("x + 1")
    equal(reply["content"]["status"], "ok", "after the stack overflow and the large request, the kernel runs cells")

    # unknown message type, malformed JSON, bad signature
    msg = kc.session.msg("no_such_request", {})
    kc.shell_channel.send(msg)
    r = shell_reply(msg["header"]["msg_id"], 10)
    equal((r["msg_type"], r["content"]["status"], r["content"]["ename"]), ("no_such_reply", "error", "UnknownMessageType"),
          "unknown message type: an error reply")

    def raw_shell():
        s = ctx.socket(zmq.DEALER)
        s.linger = 0
        s.connect(f"tcp://{conn['ip']}:{conn['shell_port']}")
        return s

    s = raw_shell()
    header = kc.session.pack(kc.session.msg_header("execute_request"))
    frames = [header, b"{}", b"{}", b"{not json"]
    s.send_multipart([b"<IDS|MSG>", kc.session.sign(frames)] + frames)
    got = s.poll(5000) and s.recv_multipart()
    if got:
        content = json.loads(got[got.index(b"<IDS|MSG>") + 5])
        check(json.loads(got[got.index(b"<IDS|MSG>") + 2])["msg_type"] == "execute_reply" and content["status"] == "error"
              and content["ename"] == "MalformedMessage", "malformed JSON: an error reply", content)
    else:
        check(False, "malformed JSON: an error reply", "no reply")
    bad = Session(key=b"not the key", username="test")
    bad.send(s, "kernel_info_request", {})
    check(s.poll(1000) == 0, "bad signature: no reply")
    s.close()
    log.flush()
    check("dropped a message on shell with a bad signature" in open(log_path).read(), "bad signature: logged")
    reply, msgs = execute("x")
    equal(reply["content"]["status"], "ok", "after the bad messages, the kernel runs cells")

    # shutdown on control, while a cell runs an endless loop: the loop stops, the kernel exits
    kc.execute("while true { }")
    time.sleep(0.3)
    msg = kc.session.msg("shutdown_request", {"restart": False})
    kc.control_channel.send(msg)
    r = kc.control_channel.get_msg(timeout=5)
    equal((r["msg_type"], r["content"]), ("shutdown_reply", {"status": "ok", "restart": False}), "shutdown_request: shutdown_reply")
    t0 = time.time()
    rc = km.provisioner.process.wait(timeout=10)
    took = time.time() - t0
    equal(rc, 0, "shutdown: the kernel exits with status 0")
    check(took < 1, f"shutdown: the running cell stops and the kernel exits within 1 s ({took:.2f} s)")
finally:
    kc.stop_channels()
    if km.is_alive():
        km.shutdown_kernel(now=True)

# a real out-of-memory: a kernel under `ulimit -v` (4 GiB of address space, of which the
# session's stack and OpenBLAS take about 1.1 GiB) asked for a 4.3 GB tensor
limited = os.path.join(tmp, "share/jupyter/kernels/mlp-limited")
os.makedirs(limited)
json.dump({"argv": ["/bin/sh", "-c", 'ulimit -v 4194304 && exec "$0" kernel "$1"', MLP, "{connection_file}"],
           "display_name": "mlp (4 GiB)", "language": "mlp"}, open(os.path.join(limited, "kernel.json"), "w"))
km2 = KernelManager(kernel_name="mlp-limited")
km2.start_kernel(cwd=ROOT)
kc2 = km2.client()
kc2.start_channels()
try:
    kc2.wait_for_ready(timeout=20)
    quiet = lambda m: None
    r = kc2.execute_interactive("y = 2\nx = zeros(2^29)", output_hook=quiet, timeout=30)["content"]
    check(r["status"] == "error" and r["evalue"] == "zeros: out of memory: needs 4.3 GB for a tensor of 536870912 elements.",
          "out of memory (ulimit -v): an error", r)
    got = []
    r = kc2.execute_interactive("y + 1", output_hook=lambda m: got.append(m["content"]), timeout=30)["content"]
    check(r["status"] == "ok" and {"execution_count": 2, "data": {"text/plain": "3"}, "metadata": {}} in got,
          "out of memory: the kernel goes on with its variables", (r, got))
finally:
    kc2.stop_channels()
    km2.shutdown_kernel(now=True)

# an orphaned kernel ends: the shell that started it (standing in for a notebook server
# killed without a shutdown request) is killed
from jupyter_client.connect import write_connection_file


def running(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


connection, _ = write_connection_file(os.path.join(tmp, "orphan.json"))
sh = subprocess.Popen(["/bin/sh", "-c", '"$0" kernel "$1" & echo $!; wait', MLP, connection],
                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
kernel_pid = int(sh.stdout.readline())
time.sleep(0.5)
check(running(kernel_pid), "orphan: the kernel runs while its parent lives")
sh.kill()
sh.wait()
t0 = time.time()
while running(kernel_pid) and time.time() - t0 < 3:
    time.sleep(0.02)
check(not running(kernel_pid), f"orphan: the kernel exits when its parent is gone ({time.time() - t0:.2f} s)")

# the notebooks of examples/notebooks, executed by nbconvert
out_dir = os.path.join(tmp, "executed")
notebooks = sorted(glob.glob(os.path.join(ROOT, "examples/notebooks/*.ipynb")))
check(len(notebooks) >= 3, f"{len(notebooks)} notebooks in examples/notebooks")
t0 = time.time()
run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                      "--ExecutePreprocessor.timeout=120", "--output-dir", out_dir] + notebooks,
                     capture_output=True, text=True, cwd=os.path.join(ROOT, "examples/notebooks"))
equal(run.returncode, 0, f"nbconvert --execute of the notebooks ({time.time() - t0:.1f} s)")
if run.returncode != 0:
    print(run.stderr[-3000:])
expected = json.load(open(os.path.join(ROOT, "examples/notebooks/expected.json")))
for path in notebooks:
    name = os.path.basename(path)
    done = os.path.join(out_dir, name)
    if not os.path.exists(done):
        check(False, f"{name}: executed")
        continue
    nb = json.load(open(done))
    equal(nb["metadata"]["kernelspec"]["name"], "mlp", f"{name}: kernelspec mlp")
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    outputs = [o for c in cells for o in c["outputs"]]
    check(all(o["output_type"] != "error" for o in outputs), f"{name}: no cell raised",
          [o for o in outputs if o["output_type"] == "error"])
    check(all(c["execution_count"] == i + 1 for i, c in enumerate(cells)), f"{name}: cells counted 1..{len(cells)}")
    pngs = [o["data"]["image/png"] for o in outputs if o["output_type"] == "display_data" and "image/png" in o["data"]]
    check(len(pngs) >= expected[name]["images"] and all(base64.b64decode(p)[:4] == b"\x89PNG" for p in pngs),
          f"{name}: {len(pngs)} inline PNG images (at least {expected[name]['images']})")
    text = ""
    joined = lambda t: "".join(t) if isinstance(t, list) else t   # nbformat may store text as lines
    for o in outputs:
        if o["output_type"] == "stream":
            text += joined(o["text"])
        elif o["output_type"] in ("execute_result", "display_data") and "image/png" not in o["data"]:
            text += joined(o["data"].get("text/plain", "")) + "\n"
    for pattern in expected[name]["text"]:
        check(re.search(pattern, text) is not None, f"{name}: output matches {pattern!r}", text[-2000:])

print(f"{len(failures)} failed" if failures else "all kernel checks passed")
sys.exit(1 if failures else 0)
