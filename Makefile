# The two set-up commands in README.md are `make demo` and `make test`;
# each creates its own virtual environment in .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_BUYER ?= B1
# The demo runs under Amazon's current program (config.demo.yaml: policy/amazon-2026.yaml).
DEMO_CONFIG ?= config.demo.yaml

.PHONY: demo test bench clean catalogs

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "refundbot needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/refundbot --config $(DEMO_CONFIG) demo
	$(BIN)/refundbot --config $(DEMO_CONFIG) chat --as buyer:$(DEMO_BUYER)

test: $(STAMP)
	scripts/ensure-test-services
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/engine_bench.py
	$(BIN)/python bench/reload_bench.py
	$(BIN)/python bench/store_bench.py

# After changing texts in bot/texts.py: refresh the template, merge it into every language's
# catalogue (then translate what is new), and compile them. The bot compiles a stale or missing
# .mo in memory from its .po, so this is optional for running it.
catalogs: $(STAMP)
	$(BIN)/python -m bot.i18n update
	$(BIN)/python -m bot.i18n compile
	$(BIN)/python -m bot.i18n check

clean:
	rm -rf $(VENV) var .pytest_cache
