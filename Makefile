# fiscal-archive — the two commands a newcomer runs are `make report` and `make test`.
#
# Builds share one target directory under $HOME so `make test`, `make report` and CI reuse each
# other's compiled dependencies (polars is slow to build); override CARGO_TARGET_DIR to change.

CARGO ?= cargo
export CARGO_TARGET_DIR ?= $(HOME)/.cache/fiscal-archive/target
FISCAL := $(CARGO_TARGET_DIR)/debug/fiscal
OUT ?= out

.PHONY: all report test lint ci build toolchain clean

all: test

## report: read every sample input; writes out/inspect/*.json (the workbook lands with `fiscal run`)
report: toolchain
	$(CARGO) build --locked --bin fiscal
	@mkdir -p $(OUT)/inspect
	@find sample_data -name '*.txt' | sort | while read -r f; do \
	  name=$$(echo "$$f" | sed 's|^sample_data/||; s|/|__|g; s|\.txt$$||'); \
	  $(FISCAL) inspect --format json "$$f" > "$(OUT)/inspect/$$name.json" || exit 1; \
	  echo "read $$f -> $(OUT)/inspect/$$name.json"; \
	done
	@echo "not yet: the consolidated workbook (out/report.xlsx) comes with \`fiscal run\`; out/inspect/ holds what each file yields."

## test: unit and integration tests, including the gold acceptance tests
test: toolchain
	$(CARGO) test --locked

## lint: formatting and clippy, as CI runs them
lint: toolchain
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --locked -- -D warnings

## ci: what .ci/run runs
ci: lint test

build: toolchain
	$(CARGO) build --release --locked

toolchain:
	@command -v $(CARGO) >/dev/null 2>&1 || { \
	  echo "cargo not found: install Rust with https://rustup.rs (curl https://sh.rustup.rs -sSf | sh)"; exit 1; }

clean:
	rm -rf $(OUT)
