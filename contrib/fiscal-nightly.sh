#!/usr/bin/env bash
# Nightly fiscal-archive run for cron or systemd: runs the nightly pipeline and turns fiscal's
# exit code into one log line a person can act on. Logs go to stdout/stderr (cron: redirect to
# a file; systemd: the journal). Exit codes are passed through, so the scheduler can alert.
#
#   FISCAL      the binary (default: the release build of this checkout)
#   PIPELINE    the pipeline file (default: pipelines/nightly.toml)
set -u
cd "$(dirname "$0")/.."
FISCAL="${FISCAL:-$HOME/.cache/fiscal-archive/target/release/fiscal}"
PIPELINE="${PIPELINE:-pipelines/nightly.toml}"

echo "$(date -u +%FT%TZ) fiscal nightly: start ($PIPELINE)"
"$FISCAL" run --pipeline "$PIPELINE" --quiet
status=$?
case $status in
  0) msg="ok: every input read, nothing at or above fail_on" ;;
  3) msg="finished with failed inputs or anomalies at fail_on: see run.json (exit_reason, failed_inputs) and the 异常 sheet" ;;
  2) msg="NOT RUN: pipeline error, or the input root is missing or empty (unmounted share?); last night's outputs are untouched" ;;
  4) msg="NOT RUN: another run holds the output directory (see its .fiscal-run.lock); outputs untouched" ;;
  1) msg="FAILED: an output could not be written (disk full? permissions?)" ;;
  *) msg="FAILED: unexpected exit $status" ;;
esac
echo "$(date -u +%FT%TZ) fiscal nightly: exit $status: $msg"
exit $status
