# The two commands of the README: `make run` and `make test`. Both create .venv when it is missing,
# install everything, and are safe to run again (the install step re-runs only when pyproject.toml changes).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.studio-installed

# torch is installed before everything else, so that nothing resolves a loose torch requirement to a
# multi-GB CUDA build by accident. On Linux x86_64 the CPU build is the default: from PyTorch's CPU index
# when it can be reached, else pip's own `torch==2.13.0` (a local CPU wheel on our build machines).
# For a CUDA build: make TORCH_INDEX=https://download.pytorch.org/whl/cu128 TORCH_CUDA=1
TORCH_SPEC ?= torch==2.13.0
TORCH_CUDA ?= 0
UNAME_S := $(shell uname -s)
UNAME_M := $(shell uname -m)
ifeq ($(UNAME_S)-$(UNAME_M),Linux-x86_64)
TORCH_INDEX ?= $(shell getent hosts download.pytorch.org >/dev/null 2>&1 && echo https://download.pytorch.org/whl/cpu)
endif
TORCH_INDEX_FLAG := $(if $(strip $(TORCH_INDEX)),--extra-index-url $(TORCH_INDEX),)


.PHONY: run test lint setup i18n package test-package clean

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH_INDEX_FLAG) "$(TORCH_SPEC)"
	@if [ "$(TORCH_CUDA)" = "0" ] && [ "$(UNAME_S)-$(UNAME_M)" = "Linux-x86_64" ]; then \
	  $(BIN)/python -c "import torch, sys; sys.exit('a CUDA build of torch was installed; run make clean, or set TORCH_CUDA=1' if torch.version.cuda else 0)"; fi
	$(BIN)/pip install --quiet -e '.[dev,package]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/studio

# Core tests run with Qt made unimportable (the core must not need it); the rest run with Qt offscreen.
test: $(STAMP) lint
	STUDIO_BLOCK_QT=1 $(BIN)/python -m pytest -p no:pytest-qt tests/core
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/gui tests/e2e

lint: $(STAMP)
	$(BIN)/ruff check studio tests bench
	$(BIN)/lint-imports

# The installer for this platform, into dist/ (Linux: the one-folder build and a .deb).
package: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/studio.spec
	find dist/model-studio -xtype l -delete  # links to libraries packaging/trim.py left out
	@if [ "$(UNAME_S)" = "Linux" ]; then packaging/linux/build_deb.sh dist $(BIN)/python; fi

# Build the package and check the frozen app (CI runs this after `make test`).
test-package: package
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/packaging

i18n: $(STAMP)
	$(BIN)/python -m studio.devtools.i18n update

clean:
	rm -rf $(VENV) build dist *.egg-info
