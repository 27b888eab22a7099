#!/bin/bash
# The Jupyter kernel with the real client: jupyter_client, nbconvert, ipykernel's
# tooling and nbformat go into a git-ignored venv (.build/kernel-venv, kept between
# runs), installed by package name from the configured registry, as `make bench-peers`
# does; then Tests/kernel/client.py drives .build/release/mlp.
# Exit status 77 (with the reason on stdout) when the packages cannot be installed:
# the XCTest reports the test as skipped, never as passed.
set -u
cd "$(dirname "$0")/../.."
VENV=${MLP_KERNEL_VENV:-.build/kernel-venv}   # another folder: MLP_KERNEL_VENV
PACKAGES="jupyter_client nbconvert ipykernel nbformat"
if ! "$VENV/bin/python" -c "import jupyter_client, nbconvert, nbformat, ipykernel, zmq" 2>/dev/null; then
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV"; then
        echo "SKIPPED: python3 -m venv failed (Debian: apt-get install python3-venv)"
        exit 77
    fi
    if ! "$VENV/bin/pip" install -q --disable-pip-version-check $PACKAGES; then
        rm -rf "$VENV"
        echo "SKIPPED: cannot install $PACKAGES from the package registry (PyPI unreachable?)"
        exit 77
    fi
fi
exec "$VENV/bin/python" Tests/kernel/client.py .build/release/mlp
