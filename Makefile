# Fresh machine: `make demo` (install, the probe, a small scaling sweep and its report) or `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: install demo test test-all references benchmark clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# torch first, pinned: anything looser pulls gigabytes of CUDA packages
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[models,test]'
	# SO3LR: so3krates-torch pins torch-geometric==2.7.0 (used only by its training loss) and
	# would replace astray's 2.8; its inference needs only what astray[models] lists (4 s)
	$(PIP) install --quiet --no-deps so3krates-torch==0.2.1
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/astray demo --out astray-demo

# The linter first (ruff, configured in pyproject.toml): 0.1 s on the whole tree.
test: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/pytest -q -n 2

# Slow tests too (large-basis references, NEVPT2 dissociation energies).
test-all: $(STAMP)
	$(VENV)/bin/pytest -q -n 2 -m ''

# Regenerate the references shipped inside the package (default suite: exact, and the
# functionals of the models' training data: PBE, r2SCAN, PBE0).
references: $(STAMP)
	time $(VENV)/bin/astray reference --ship
	time $(VENV)/bin/astray reference --method dft:pbe/def2-tzvp --ship
	time $(VENV)/bin/astray reference --method dft:r2scan/def2-tzvp --ship
	time $(VENV)/bin/astray reference --method dft:pbe0/def2-tzvp --ship
	# the default data set's level of theory, for every model trained on it (H2++ is Coulomb)
	time $(VENV)/bin/astray reference H2 H2+ --method dft:b3lyp/6-31g --ship
	# the periodic table's level of theory: PBE spin ladders of the homonuclear dimers (resumable;
	# 2-8 CPU-minutes per first-row dimer, about a day for the rest of the table)
	time $(VENV)/bin/astray reference --suite homonuclear --elements H-Ar --spin-ladder \
		--method dft:pbe/def2-tzvp --ship

clean:
	rm -rf $(VENV) astray-demo .pytest_cache

# A one-node SLURM on this machine to try `astray scale --slurm` (Debian's slurm-wlm and munge,
# installed when missing and run as root); then: export SLURM_CONF=/tmp/astray-slurm-$(id -u)/slurm.conf
.PHONY: slurm-up slurm-down
slurm-up:
	scripts/slurm-local.sh start

slurm-down:
	scripts/slurm-local.sh stop
