# One-command set-up and the project's entry points. `make demo` and `make test`
# run the set-up first when it is missing or out of date.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# A folder of prebuilt wheels (e.g. mmcv built with ops) given as WHEELHOUSE=DIR.
# --find-links adds to pip's configured links; PIP_FIND_LINKS would replace them.
WHEELHOUSE ?=
FIND_LINKS := $(if $(WHEELHOUSE),--find-links $(abspath $(WHEELHOUSE)),)
# The exact versions set-up and CI install; setup.cfg states ranges.
LOCK := -c requirements/constraints.txt
STAMP := $(VENV)/.segplug-setup
DEMO_DIR ?= work_dirs/demo
DEMO_CONFIG := configs/deeplabv3plus_shapes.py
DEMO_INSTANCE_DIR ?= work_dirs/demo-instance
DEMO_INSTANCE_CONFIG := configs/mask_rcnn/mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py
PYTEST_ARGS ?=
# pytest-xdist workers, one torch thread each (tests/conftest.py), so the
# tools' start-up and Python work of one overlap the other's convolutions;
# worksteal evens out the long learning tests. TEST_WORKERS=0 runs in this
# process.
TEST_WORKERS ?= 2

.PHONY: setup demo demo-instance test test-quick lint format clean-venv

setup: $(STAMP)

$(STAMP): setup.cfg setup.py pyproject.toml Makefile requirements/*.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel
	$(PIP) install -q $(FIND_LINKS) $(LOCK) torch numpy
	# mmcv 2.1.0 has no wheel for this torch: a wheelhouse build is used when
	# given, else it is built from source against the installed torch. Its
	# build needs setuptools < 70, torch needs >= 77.0.3: build with the
	# older one, then restore.
	$(PIP) install -q "setuptools>=64,<70"
	MMCV_WITH_OPS=1 $(PIP) install $(FIND_LINKS) $(LOCK) --no-build-isolation mmcv
	# <81: the last setuptools with pkg_resources, which mmengine needs to
	# resolve cross-package bases such as _base_ = ['mmdet::...'].
	$(PIP) install -q "setuptools>=77.0.3,<81"
	$(PIP) install -q $(FIND_LINKS) $(LOCK) -e ".[dev,app]"
	# The browser test drives Debian's Chromium through playwright, whose
	# own browser download needs a host these machines do not reach.
	command -v chromium >/dev/null 2>&1 || \
		{ apt-get update -qq && apt-get install -y -qq chromium; } || \
		{ echo "error: the browser test needs Chromium: install Debian's chromium package (apt-get install chromium)"; exit 1; }
	# mim, for `mim train segplug ...` (requirements/mim.txt says why
	# --no-deps)
	$(PIP) install -q $(LOCK) --no-deps openmim
	$(PIP) install -q $(LOCK) -r requirements/mim.txt
	$(PY) -c "import segplug, mmcv.ops, mmseg, mmdet; print('segplug set-up OK')"
	touch $@

# Synthetic shapes data -> train DeepLab v3+ on the CPU -> val mIoU,
# prediction overlays in $(DEMO_DIR)/overlays, the training curves and the
# val confusion matrix next to them.
demo: setup
	$(PY) tools/make_shapes.py --out data/shapes
	$(PY) tools/train.py $(DEMO_CONFIG) --work-dir $(DEMO_DIR)
	$(PY) tools/test.py $(DEMO_CONFIG) "$$(cat $(DEMO_DIR)/last_checkpoint)" \
		--work-dir $(DEMO_DIR)/test --show-dir $(DEMO_DIR)/overlays
	$(PY) tools/plot_logs.py $(DEMO_DIR) --out $(DEMO_DIR)/curves.png
	$(PY) tools/confusion_matrix.py $(DEMO_CONFIG) \
		"$$(cat $(DEMO_DIR)/last_checkpoint)" \
		--out $(DEMO_DIR)/confusion_matrix.png
	@echo "overlays: $(DEMO_DIR)/overlays"
	@echo "training curves: $(DEMO_DIR)/curves.png"
	@echo "confusion matrix: $(DEMO_DIR)/confusion_matrix.png"

# The same data as COCO instances -> train a small Mask R-CNN on the CPU
# (val bbox/segm AP at the end) -> predicted instances drawn on 8 val
# images as PNG under $(DEMO_INSTANCE_DIR)/drawn.
demo-instance: setup
	$(PY) tools/make_shapes.py --out data/shapes
	$(PY) tools/train.py $(DEMO_INSTANCE_CONFIG) --work-dir $(DEMO_INSTANCE_DIR)
	$(PY) tools/test.py $(DEMO_INSTANCE_CONFIG) \
		"$$(cat $(DEMO_INSTANCE_DIR)/last_checkpoint)" \
		--work-dir $(DEMO_INSTANCE_DIR)/test --show-dir $(DEMO_INSTANCE_DIR)/drawn \
		--cfg-options test_dataloader.dataset.indices=8 \
		test_evaluator.format_only=True \
		test_evaluator.outfile_prefix=$(DEMO_INSTANCE_DIR)/test/results

test: setup
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# While you work: everything but the tests marked slow (learning runs, the
# tools end to end, multi-process runs), about a minute.
test-quick: setup
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal -m "not slow" $(PYTEST_ARGS)

# flake8, isort and yapf with setup.cfg's settings (mmseg's); `make format`
# rewrites the files, `make lint` only checks.
LINT_PATHS := segplug tools tests configs setup.py
lint: setup
	$(VENV)/bin/flake8 $(LINT_PATHS)
	$(VENV)/bin/isort --check-only --diff $(LINT_PATHS)
	$(VENV)/bin/yapf --recursive --diff $(LINT_PATHS)

format: setup
	$(VENV)/bin/isort $(LINT_PATHS)
	$(VENV)/bin/yapf --recursive --in-place $(LINT_PATHS)

clean-venv:
	rm -rf $(VENV)
