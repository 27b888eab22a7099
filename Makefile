# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PREFIX ?= /usr/local
MLP := .build/release/mlp
APT_PACKAGES := libedit-dev libopenblas-dev zlib1g-dev libzmq3-dev libssl-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core libfftw3-dev tmux dataset-fashion-mnist
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build demo test test-docs test-golden record-examples test-repl test-kernel fuzz bench-interp bench bench-native bench-peers bench-nn bench-gemm bench-rl stdlib install clean

# Installs the Debian packages of $(1) that are missing (apt-get only when needed).
define apt-install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi
endef

deps:
	$(call apt-install,$(APT_PACKAGES))

build: deps
	swift build -c release

# A short tour: the language, then a few of the lecture examples (all of them: make test).
DEMO := tour curve_fitting keras_basics custom_layer optimizers shapes_classifier
demo: build
	@for f in $(DEMO); do echo "== examples/$$f.mlp"; $(MLP) examples/$$f.mlp || exit 1; done

# Unit tests, golden tests (release binary), the fuzzer and the terminal REPL test, all from XCTest.
test: build
	swift test

# The BLAS kernels pinned as the recorded outputs expect (docs/testing.md).
GOLDEN_ENV := OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1

test-golden: build
	$(GOLDEN_ENV) $(MLP) test Tests/golden examples
	OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 $(MLP) test --tolerance 1e-6 Tests/golden examples

# Records the examples' outputs again (after a deliberate change), with the pinned kernels.
record-examples: build
	MLP_RECORD=1 $(GOLDEN_ENV) $(MLP) test examples

# The results written in README.md, docs/*.md and the builtins' examples (also part of `make test`).
test-docs: build
	$(GOLDEN_ENV) $(MLP) doc check

test-repl: build
	bash Tests/repl/run.sh

# The Jupyter kernel with the real client and the example notebooks (a cached venv
# in .build/kernel-venv; skipped when the Python packages cannot be installed).
test-kernel: build
	bash Tests/kernel/run.sh

fuzz: build
	.build/release/mlp-fuzz --count 100000 --seed 1

bench-interp: build
	bash bench/interp/run.sh

# Reinforcement learning (WORKLOADS.md P5, P6; bench/rl/README.md): mlp against NumPy and CPython.
bench-rl: build
	bash bench/rl/run.sh

# Every benchmark (bench/interp, then the bench/tensor pairs against NumPy), 2 threads
# each side, one table. The NumPy peer comes from bench/.venv (`make bench-peers`),
# else from python3.
bench: build
	OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 bash bench/run.sh

# The library's own kernels without the interpreter (Sources/mlp-bench, bench/README.md):
# tensor kernels on 2 threads, the W5 conv net on one (it times this thread's CPU), and
# word2vec when MLP_W2V_CORPUS names a corpus (against gensim: bench/word2vec/run.sh).
bench-native: build
	OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 .build/release/mlp-bench tensor
	OPENBLAS_NUM_THREADS=1 .build/release/mlp-bench conv
	OPENBLAS_NUM_THREADS=1 .build/release/mlp-bench rnn
	if [ -n "$$MLP_W2V_CORPUS" ]; then .build/release/mlp-bench word2vec; fi

# The peers for `make bench`: a local venv with NumPy (git-ignored), installed by
# package name from the configured registry (torch's CPU-only wheel by its version,
# which pip's configured find-links provide here; PyPI's plain torch brings its CUDA
# libraries, gigabytes, unused here).
# (Debian's bible-kjv gives bench/word2vec its corpus.)
BENCH_APT_PACKAGES := bible-kjv

bench-peers: deps
	$(call apt-install,$(BENCH_APT_PACKAGES))
	python3 -m venv bench/.venv
	bench/.venv/bin/pip install numpy
	bench/.venv/bin/pip install torch==2.13.0+cpu
	bench/.venv/bin/pip install keras jax
	bench/.venv/bin/pip install scikit-learn
	bench/.venv/bin/pip install matplotlib
	bench/.venv/bin/pip install netket
	KERAS_BACKEND=jax bench/.venv/bin/python -c 'import numpy, torch, keras, jax; print("numpy", numpy.__version__, "torch", torch.__version__, "keras", keras.__version__, "jax", jax.__version__)'
	bench/.venv/bin/python -c 'import sklearn; print("scikit-learn", sklearn.__version__)'
	bench/.venv/bin/python -c 'import netket; print("netket", netket.__version__)'

# The neural-network workloads W1-W5 against PyTorch and Keras-JAX (bench/nn/README.md).
bench-nn: build
	bash bench/nn/run.sh

# W6: mlp's matrix products against NumPy's, OPENBLAS_CORETYPE preset and unset (bench/nn/README.md).
bench-gemm: build
	bash bench/nn/gemm.sh

# The stdlib is built into the binary: after editing stdlib/*.mlp, regenerate
# Sources/MLPRuntime/Stdlib.generated.swift (a unit test fails until then).
stdlib:
	bash tools/embed-stdlib.sh

# Then `mlp kernel install --user` (or --prefix P) makes it a Jupyter kernel (docs/jupyter.md).
install: build
	install -d $(PREFIX)/bin $(PREFIX)/share/mlp/data
	install -m 755 $(MLP) $(PREFIX)/bin/mlp
	cp -r data/. $(PREFIX)/share/mlp/data/
	@echo "installed $(PREFIX)/bin/mlp; for Jupyter: $(PREFIX)/bin/mlp kernel install --user (docs/jupyter.md)"

clean:
	rm -rf .build
