#!/usr/bin/env bash
# `make bench`: the nightly-run speed and memory targets, measured on a synthetic archive.
#
# Builds the release binary, writes an archive of COPIES × the five seeds (each copy a distinct
# department: the unit name gets a numeric suffix), runs `fiscal run` over it and checks:
#   - throughput ≥ MIN_DOCS_PER_SEC documents per second (default 100)
#   - peak resident memory ≤ MAX_RSS_MB (default 600)
# Prints the measurements; exits 1 when a target is missed.
set -euo pipefail
cd "$(dirname "$0")/../.."
COPIES="${COPIES:-200}"
MIN_DOCS_PER_SEC="${MIN_DOCS_PER_SEC:-100}"
MAX_RSS_MB="${MAX_RSS_MB:-600}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fiscal-archive/target}"

cargo build --release --locked --bin fiscal
bin="$CARGO_TARGET_DIR/release/fiscal"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The archive: copy i renames every department so copies are distinct departments.
mapfile -t seeds < <(find sample_data -name '*.txt' | sort)
for i in $(seq 1 "$COPIES"); do
  dir="$work/archive/$i"
  mkdir -p "$dir"
  for s in "${seeds[@]}"; do
    sed -e "s/智慧城市运行管理中心/智慧城市运行管理中心${i}/g" \
        -e "s/网格化管理服务中心/网格化管理服务中心${i}/g" "$s" > "$dir/$(basename "$s")"
  done
done
docs=$(( COPIES * ${#seeds[@]} ))

start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$work/rss" "$bin" run --input "$work/archive" --out "$work/out" --quiet || test $? -eq 3
end=$(date +%s.%N)
secs=$(echo "$end - $start" | bc -l)
rss_mb=$(( $(cat "$work/rss") / 1024 ))
rate=$(echo "$docs / $secs" | bc -l)
facts=$(grep -o '"facts": [0-9]*' "$work/out/run.json" | head -1 | grep -o '[0-9]*')
printf 'bench: %d documents, %d facts in %.2f s (%.1f documents/s), peak RSS %d MB, workbook %d KB\n' \
  "$docs" "$facts" "$secs" "$rate" "$rss_mb" $(( $(stat -c %s "$work/out/report.xlsx") / 1024 ))
fail=0
if (( $(echo "$rate < $MIN_DOCS_PER_SEC" | bc -l) )); then
  echo "bench: FAIL throughput $rate < $MIN_DOCS_PER_SEC documents/s"; fail=1
fi
if (( rss_mb > MAX_RSS_MB )); then
  echo "bench: FAIL peak RSS ${rss_mb} MB > ${MAX_RSS_MB} MB"; fail=1
fi
exit $fail
