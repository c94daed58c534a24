#!/usr/bin/env bash
# LibreOffice renders every sheet of a workbook: converts it to PDF and checks that each sheet's
# name appears in a page footer (every sheet prints with its name at the bottom left). With
# PICTURES=DIR, also writes PNGs of the first page of the 部门画像, 异常 and 图表 sheets there
# (profile.png, anomalies.png, charts.png).
#
# Usage: scripts/lo-check.sh OUT_DIR   (reads OUT_DIR/report.xlsx, writes OUT_DIR/report.pdf)
set -euo pipefail
out=${1:?usage: scripts/lo-check.sh OUT_DIR}
book="$out/report.xlsx"
[ -s "$book" ] || { echo "lo-check: $book is missing (run make report first)" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1; }
if ! need soffice || ! need pdftotext || ! need unzip; then
  if [ "$(id -u)" = 0 ] && need apt-get; then
    echo "lo-check: installing LibreOffice Calc, poppler-utils, unzip and CJK fonts (apt-get)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libreoffice-calc-nogui poppler-utils unzip fonts-noto-cjk >/dev/null
  else
    echo "lo-check: needs soffice (LibreOffice), pdftotext (poppler-utils) and unzip" >&2
    exit 1
  fi
fi

rm -f "$out/report.pdf"
soffice --headless --convert-to pdf --outdir "$out" "$book" >/dev/null 2>&1 || true
[ -s "$out/report.pdf" ] || { echo "lo-check: LibreOffice could not convert $book" >&2; exit 1; }

# Sheet names in workbook order, from xl/workbook.xml.
mapfile -t sheets < <(unzip -p "$book" xl/workbook.xml | grep -o '<sheet name="[^"]*"' | sed 's/<sheet name="//; s/"$//')
pages=$(pdfinfo "$out/report.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
declare -A first_page
for ((p = 1; p <= pages; p++)); do
  while IFS= read -r line; do
    for s in "${sheets[@]}"; do
      if [ "$line" = "$s" ] && [ -z "${first_page[$s]:-}" ]; then first_page[$s]=$p; fi
    done
  done < <(pdftotext -f "$p" -l "$p" -layout "$out/report.pdf" - 2>/dev/null | sed 's/^ *//; s/ .*$//')
done
missing=0
for s in "${sheets[@]}"; do
  if [ -z "${first_page[$s]:-}" ]; then
    echo "lo-check: sheet $s not rendered" >&2
    missing=1
  fi
done
[ "$missing" = 0 ] || exit 1
echo "lo-check: LibreOffice rendered all ${#sheets[@]} sheets of $book ($pages pages → $out/report.pdf)"

if [ -n "${PICTURES:-}" ]; then
  mkdir -p "$PICTURES"
  # sheet:picture:height in pixels at 110 dpi (an A4 landscape page is 1286 × 910): the top
  # of the page, where the content is, keeps the pictures small.
  for spec in 部门画像:profile:450 异常:anomalies:400 图表:charts:910; do
    IFS=: read -r s name height <<<"$spec"
    p=${first_page[$s]:-}
    [ -n "$p" ] || continue
    pdftoppm -f "$p" -l "$p" -singlefile -png -r 110 -x 0 -y 0 -W 1286 -H "$height" \
      "$out/report.pdf" "$PICTURES/$name"
  done
  echo "lo-check: pictures in $PICTURES"
fi
