# Two commands do all set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := demo-out
HYPOTHESIS_PROFILE ?= $(if $(CI),ci,dev)
# Randomized runs find what derandomized ones miss: each run draws a seed and prints it;
# reproduce a failure with `make test HYPOTHESIS_SEED=<seed>`.
ifndef HYPOTHESIS_SEED
HYPOTHESIS_SEED := $(shell od -An -N4 -tu4 /dev/urandom | tr -d ' ')
endif

.PHONY: demo test lint types pytest clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@echo "== 1. generate a 2,000-person org"
	$(BIN)/matcher generate --employees 2000 --seed 7 --out $(DEMO)/org
	@echo "== 2. analyze: who is isolated or peripheral, and why"
	$(BIN)/matcher analyze --employees $(DEMO)/org/employees.csv --interactions $(DEMO)/org/interactions.csv --out $(DEMO)/analysis
	@echo "== 3. assign the three example programs (scenarios/*.toml read $(DEMO)/org), with the flags of step 2"
	rm -f $(DEMO)/matcher.db
	$(BIN)/matcher assign scenarios/buddy.toml --analysis $(DEMO)/analysis --out $(DEMO)/buddy --db $(DEMO)/matcher.db
	$(BIN)/matcher assign scenarios/mentoring.toml --analysis $(DEMO)/analysis --out $(DEMO)/mentoring --db $(DEMO)/matcher.db
	$(BIN)/matcher assign scenarios/peer-support.toml --analysis $(DEMO)/analysis --out $(DEMO)/peer-support --db $(DEMO)/matcher.db
	@echo "== 3a. a circle program: peer-support circles of 4 to 6, three monthly rounds, no pair twice (groups.csv)"
	$(BIN)/matcher assign scenarios/peer-circles.toml --analysis $(DEMO)/analysis --out $(DEMO)/peer-circles --db $(DEMO)/matcher.db
	@echo "== 3b. a pulse survey: who says they have no one at work to turn to (README: Surveys)"
	$(BIN)/matcher generate --employees 2000 --seed 7 --survey 0.6 --out $(DEMO)/pulse/org --quiet
	$(BIN)/matcher ingest $(DEMO)/pulse/org/survey-export.csv --mapping $(DEMO)/pulse/org/survey.toml --employees $(DEMO)/pulse/org/employees.csv --out $(DEMO)/pulse/survey.csv
	$(BIN)/matcher analyze --employees $(DEMO)/pulse/org/employees.csv --interactions $(DEMO)/pulse/org/interactions.csv --survey $(DEMO)/pulse/survey.csv --out $(DEMO)/pulse/analysis
	rm -f $(DEMO)/pulse/matcher.db
	$(BIN)/matcher assign scenarios/peer-support-survey.toml --analysis $(DEMO)/pulse/analysis --out $(DEMO)/pulse/support --db $(DEMO)/pulse/matcher.db
	@echo "== a few matches, with the reasons HR sees (pairs.csv, for partners, has no reasons)"
	@head -n 4 $(DEMO)/mentoring/assignments.csv | cut -d, -f1-4,13-
	@echo "== 4. simulate: how many trained peer supporters does this org need? (2 quarters, 2 seeds)"
	$(BIN)/matcher simulate scenarios/peer-support-staffing.toml --out $(DEMO)/simulation \
		--set org.generate.employees=2000 --set org.generate.seed=7 \
		--set 'variant.0.sweep={"org.trained_supporters" = [5, 10, 20, 40]}' \
		--quarters 2 --replications 2
	@echo "== done: outputs in $(DEMO)/ (analysis/, buddy/, mentoring/, peer-support/, peer-circles/, pulse/, simulation/, matcher.db)"
	@echo "   open $(DEMO)/simulation/report.html in a browser for the simulation report"
	@echo "== next: review, re-solve and approve the proposals in your browser:"
	@echo "   $(BIN)/matcher review --db $(DEMO)/matcher.db --open"

lint: $(STAMP)
	$(BIN)/ruff check matcher tests benchmarks cli.py
	$(BIN)/ruff format --check matcher tests benchmarks cli.py
	$(BIN)/lint-imports --no-cache

types: $(STAMP)
	$(BIN)/mypy matcher

pytest: $(STAMP)
	@echo "hypothesis profile $(HYPOTHESIS_PROFILE), seed $(HYPOTHESIS_SEED) (reproduce: make test HYPOTHESIS_SEED=$(HYPOTHESIS_SEED))"
	$(BIN)/pytest -q -p no:cacheprovider --hypothesis-profile=$(HYPOTHESIS_PROFILE) --hypothesis-seed=$(HYPOTHESIS_SEED)

test: lint types pytest

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache .hypothesis
