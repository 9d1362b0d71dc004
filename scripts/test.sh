#!/usr/bin/env bash
# The tests: install what is missing, build, and run every suite (lit +
# FileCheck and GoogleTest, all under CTest) twice: in the release build, and
# in a second build with AddressSanitizer + UndefinedBehaviorSanitizer
# (skip it with DLC_TEST_SANITIZERS=0). Ends with `N passed, N failed` over
# both runs and exits non-zero when anything fails.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/install-deps.sh" || exit 1

passed=0
failed=0

# run_suite LABEL BUILD_DIR [env...]: builds and runs CTest in BUILD_DIR.
run_suite() {
  local label=$1 dir=$2
  shift 2
  echo "== $label: building in $dir"
  if ! env "$@" BUILD_DIR="$dir" "$ROOT/scripts/build.sh"; then
    echo "== $label: build failed"
    failed=$((failed + 1))
    return
  fi
  echo "== $label: running tests"
  local log
  log=$(mktemp)
  (cd "$dir" && env "$@" ctest --output-on-failure -j "$(nproc)") 2>&1 | tee "$log"
  local summary
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
  rm -f "$log"
  if [[ -z "$summary" ]]; then
    echo "== $label: CTest printed no summary"
    failed=$((failed + 1))
    return
  fi
  local f t
  f=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$summary")
  t=$(sed -E 's/.* tests failed out of ([0-9]+).*/\1/' <<<"$summary")
  passed=$((passed + t - f))
  failed=$((failed + f))
}

run_suite release "${BUILD_DIR:-$ROOT/build}"
if [[ "${DLC_TEST_SANITIZERS:-1}" != 0 ]]; then
  run_suite "asan+ubsan" "${ASAN_BUILD_DIR:-$ROOT/build-asan}" DLC_SANITIZE=1 \
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
