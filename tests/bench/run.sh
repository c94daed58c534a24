#!/usr/bin/env bash
# `make bench`: the nightly run's speed and memory at archive scale, on generated archives.
#
# Builds the release binary and the generator (examples/synth_archive.rs: departments of every
# province, budgets and finals 2019–2024, text with tables or companion workbooks, planted
# problems and near misses), then for each size in SIZES (documents, default 2000 10000 20000)
# writes an archive and times `fiscal run` over it: wall seconds, CPU seconds, documents/s,
# MB/s of input, peak resident memory, and the CPU ratio of the last two sizes (linear = their
# size ratio, 2.0 for 10,000 → 20,000). Targets (issue 10): the largest size within MAX_CPU
# CPU-seconds (40, user+sys) and MAX_RSS_MB (1500), and the last two sizes' CPU ratio within
# MAX_RATIO (2.1); exits 1 when one is missed.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES="${SIZES:-2000 10000 20000}"
MAX_CPU="${MAX_CPU:-40}"
MAX_RATIO="${MAX_RATIO:-2.1}"
MAX_RSS_MB="${MAX_RSS_MB:-1500}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fiscal-archive/target}"

cargo build --release --locked --bin fiscal --example synth_archive
bin="$CARGO_TARGET_DIR/release/fiscal"
gen="$CARGO_TARGET_DIR/release/examples/synth_archive"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

printf '| documents | files | input MB | wall s | CPU s | documents/s | MB/s | peak RSS MB |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|---:|\n'
prev_cpu=""; prev_n=""; last_cpu=0; last_rss=0; ratio=""
for n in $SIZES; do
  dir="$work/archive-$n"
  # About 9 documents per department over the years.
  docs=$("$gen" $(( n / 9 + 1 )) 1 "$dir" --generate-only)
  files=$(find "$dir" -type f | wc -l)
  bytes=$(du -sb "$dir" | cut -f1)
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$bin" run --input "$dir" --out "$work/out-$n" --quiet --fail-on never
  read -r wall user sys rss_kb < "$work/time"
  cpu=$(echo "$user + $sys" | bc -l)
  mb=$(echo "$bytes / 1048576" | bc -l)
  printf '| %d | %d | %.1f | %.2f | %.2f | %.0f | %.1f | %d |\n' \
    "$docs" "$files" "$mb" "$wall" "$cpu" "$(echo "$docs / $wall" | bc -l)" \
    "$(echo "$mb / $wall" | bc -l)" $(( rss_kb / 1024 ))
  if [ -n "$prev_cpu" ]; then
    ratio=$(echo "$cpu / $prev_cpu" | bc -l)
    size_ratio=$(echo "$n / $prev_n" | bc -l)
    last_ratio=$(printf 'CPU %s → %s documents: ×%.2f (linear: ×%.2f)' "$prev_n" "$n" "$ratio" "$size_ratio")
  fi
  prev_cpu=$cpu; prev_n=$n; last_cpu=$cpu; last_rss=$(( rss_kb / 1024 ))
  last_dir="$dir"; last_out="$work/out-$n"
  [ "$n" = "${SIZES##* }" ] || rm -rf "$dir" "$work/out-$n"
done

# The nightly rerun at the largest size (issue 11): nothing changed (outputs kept), then 1% of
# the files changed (a line appended to every 100th text file: those are read, the rest come
# from the cache the full run wrote). Targets: MAX_UNCHANGED_PCT (10) and MAX_CHANGED_PCT (15)
# of the full run's CPU.
rerun() {
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$bin" run --input "$last_dir" --out "$last_out" --quiet --fail-on never
  read -r wall user sys rss_kb < "$work/time"
  echo "$user + $sys" | bc -l
}
unchanged_cpu=$(rerun)
find "$last_dir" -name '*.txt' | sort | awk 'NR % 100 == 0' | while read -r f; do echo "（修订）" >> "$f"; done
changed_cpu=$(rerun)
unchanged_pct=$(echo "100 * $unchanged_cpu / $last_cpu" | bc -l)
changed_pct=$(echo "100 * $changed_cpu / $last_cpu" | bc -l)
changed_read=$(sed -n 's/.*"documents_read": \([0-9]*\).*/\1/p' "$last_out/run.json")
changed_cached=$(sed -n 's/.*"documents_from_cache": \([0-9]*\).*/\1/p' "$last_out/run.json")
printf 'rerun, nothing changed: %.2f CPU s (%.1f%% of the full run)\n' "$unchanged_cpu" "$unchanged_pct"
printf 'rerun, 1%% of the text files changed: %.2f CPU s (%.1f%% of the full run; %s files read, %s from the cache)\n' \
  "$changed_cpu" "$changed_pct" "$changed_read" "$changed_cached"
[ -n "${last_ratio:-}" ] && echo "$last_ratio"
fail=0
if (( $(echo "$last_cpu > $MAX_CPU" | bc -l) )); then
  echo "bench: FAIL ${last_cpu} CPU s > ${MAX_CPU} s at the largest size"; fail=1
fi
if [ -n "$ratio" ] && (( $(echo "$ratio > $MAX_RATIO" | bc -l) )); then
  printf 'bench: FAIL CPU ratio %.2f > %s between the last two sizes\n' "$ratio" "$MAX_RATIO"; fail=1
fi
if (( $(echo "$unchanged_pct > ${MAX_UNCHANGED_PCT:-10}" | bc -l) )); then
  printf 'bench: FAIL an unchanged rerun took %.1f%% of the full run\n' "$unchanged_pct"; fail=1
fi
# Issue 11's target for the 1% rerun; not met yet (the outputs are rebuilt whole: README).
if (( $(echo "$changed_pct > ${MAX_CHANGED_PCT:-15}" | bc -l) )); then
  printf 'bench: FAIL a rerun with 1%% of the files changed took %.1f%% of the full run (target %s%%)\n' "$changed_pct" "${MAX_CHANGED_PCT:-15}"; fail=1
fi
if (( last_rss > MAX_RSS_MB )); then
  echo "bench: FAIL peak RSS ${last_rss} MB > ${MAX_RSS_MB} MB at the largest size"; fail=1
fi
exit $fail
