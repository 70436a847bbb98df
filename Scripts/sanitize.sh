#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer and then under ThreadSanitizer, each in
# a build folder of its own (.build-asan, .build-tsan). Not part of `swift test`: a
# sanitized build and run take several minutes.
#
#   Scripts/sanitize.sh            # both
#   Scripts/sanitize.sh address    # one of address, thread
#
# Exits non-zero when a build fails, a test fails or a sanitizer reports an error.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizers=("$@")
[ ${#sanitizers[@]} -eq 0 ] && sanitizers=(address thread)

status=0
for sanitizer in "${sanitizers[@]}"; do
    case "$sanitizer" in
        address) folder=.build-asan ;;
        thread) folder=.build-tsan ;;
        *) echo "sanitize.sh: unknown sanitizer '$sanitizer' (choose address or thread)" >&2; exit 2 ;;
    esac
    log="$folder/sanitize.log"
    mkdir -p "$folder"
    echo "== swift test --sanitize=$sanitizer (log: $log)"
    # halt_on_error makes any report fail the run. LeakSanitizer is off: Swift keeps enum
    # case tags in spare bits of object pointers (the graph's edges), so LeakSanitizer
    # cannot see those references and reports live objects as leaked at exit. Graph
    # lifetimes are tested by GraphLifetimeTests instead.
    set +e
    ASAN_OPTIONS=halt_on_error=1:detect_leaks=0 TSAN_OPTIONS=halt_on_error=1 \
        swift test --sanitize="$sanitizer" --scratch-path "$folder" >"$log" 2>&1
    result=$?
    set -e
    grep -E "Executed .* tests|Test run with|error:|ERROR: |WARNING: ThreadSanitizer" "$log" | sort -u | head -20
    if [ "$result" -ne 0 ] || grep -qE "ERROR: AddressSanitizer|WARNING: ThreadSanitizer" "$log"; then
        echo "== $sanitizer: FAILED (see $log)"
        status=1
    else
        echo "== $sanitizer: clean"
    fi
done
exit $status
