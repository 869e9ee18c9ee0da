# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGE_STAMP := $(VENV)/.installed-package

.PHONY: run test lint venv bench package screenshot clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/papershelf

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

# ruff's lint and its formatter, then mypy: strict on core/, basic on the rest
# (pyproject.toml says which rules and why; mypy's cache is .mypy_cache).
lint: $(STAMP)
	$(BIN)/ruff check desktop tests bench packaging
	$(BIN)/ruff format --check desktop tests bench packaging
	$(BIN)/mypy

# The Linux installers in dist/: papershelf-VERSION-linux-x86_64.tar.gz and
# papershelf_VERSION_amd64.deb, built from packaging/papershelf.spec, then
# validated, linted and smoke-tested (packaging/linux/build.py). As root on
# Debian/Ubuntu it first apt-get installs the build machine's packages
# (packaging/linux/install-build-deps.sh); otherwise it names the missing ones.
package: $(PACKAGE_STAMP)
	bash packaging/linux/install-build-deps.sh $(BIN)/python
	$(BIN)/python packaging/linux/build.py

$(PACKAGE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,package]'
	touch $(PACKAGE_STAMP)

bench: $(STAMP)
	$(BIN)/python bench/run.py

screenshot: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/screenshot.py docs/screenshot.png 1600x1000
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/screenshot.py docs/screenshot-800x600.png 800x600

clean:
	rm -rf build dist .pytest_cache
