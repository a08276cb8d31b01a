# Two commands for a fresh clone: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,dask,faiss,serve,test-serve,torch,skorch,text,crowd,hf,suite]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/activelab bench --data digits --model logreg \
		--strategies margin,entropy,random --initial 10 --budget 150 --batch-size 10 \
		--repeats 4 --jobs 2 --out demo-output

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) demo-output bench-output .pytest_cache .ruff_cache
