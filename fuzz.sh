#!/usr/bin/env bash
# Fuzzes one Jazzer target for a while: ./fuzz.sh TARGET DURATION [KEEP_GOING]
#   TARGET      a fuzz test class (*Fuzz.java), e.g. ZFileFuzz; ./fuzz.sh --list lists them
#   DURATION    Jazzer's duration syntax: 30s, 10m, 1h
#   KEEP_GOING  how many distinct findings to collect before stopping (default 10)
# The generated corpus grows in MODULE/.cifuzz-corpus/CLASS/METHOD (kept between runs, not committed); findings
# are moved to fuzz-findings/TARGET/ (not committed): fix the bug, then copy the input into the target's
# src/test/resources/.../TARGETInputs/METHOD folder, where every `mvn verify` runs it (regression mode).
# The fuzzing JVM has a small heap (FUZZ_XMX, default 512m), so an input that allocates without bound is a
# finding (OutOfMemoryError), and libFuzzer's -timeout (FUZZ_TIMEOUT seconds per input, default 20) makes a hang
# one. Extra Maven flags come from FUZZ_MVN_ARGS (e.g. -Dmaven.repo.local=...). A summary line ends the output:
#   TARGET: executions N, corpus M files, findings K
set -euo pipefail
cd "$(dirname "$0")"

targets() { find . -path '*/src/test/java/*' -name '*Fuzz.java' | sed 's#.*/##; s#\.java$##' | sort; }
if [ "${1:-}" = "--list" ] || [ $# -lt 2 ]; then
  [ "${1:-}" = "--list" ] || echo "usage: $0 TARGET DURATION [KEEP_GOING]   (targets below)" >&2
  targets
  [ "${1:-}" = "--list" ]; exit $?
fi
target=$1 duration=$2 keep_going=${3:-10}
file=$(find . -path '*/src/test/java/*' -name "$target.java" | head -1)
if [ -z "$file" ]; then
  echo "no fuzz target $target; targets are:" >&2; targets >&2; exit 2
fi
module=${file#./}; module=${module%%/*}
pkg_dir=$(dirname "${file#*/src/test/java/}")
inputs="$module/src/test/resources/$pkg_dir/${target}Inputs"
log="$module/target/fuzz-$target.log"
mkdir -p "$module/target" "fuzz-findings/$target"

set +e
# shellcheck disable=SC2086
JAZZER_FUZZ=1 mvn -B ${FUZZ_MVN_ARGS:-} -pl "$module" -am test -Dtest="$target" -Dsurefire.failIfNoSpecifiedTests=false \
  -Djacoco.skip=true -Dfuzz.argLine="-Xmx${FUZZ_XMX:-512m}" \
  -Djazzer.max_duration="$duration" -Djazzer.keep_going="$keep_going" \
  -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-timeout="${FUZZ_TIMEOUT:-20}" \
  -Djazzer.internal.arg.2=-rss_limit_mb="${FUZZ_RSS_MB:-2560}" -Djazzer.internal.arg.3=-print_final_stats=1 \
  2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e

# findings land in the inputs folder (or the module folder): move them out of the regression set
found=0
for f in $(find "$inputs" "$module" -maxdepth 2 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \
           -o -name 'slow-unit-*' -o -name 'leak-*' \) 2>/dev/null); do
  mv "$f" "fuzz-findings/$target/" && found=$((found + 1))
done
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
[ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
corpus_dir=$(find "$module/.cifuzz-corpus" -mindepth 2 -maxdepth 2 -type d -path "*$target*" 2>/dev/null | head -1)
corpus=$( [ -n "$corpus_dir" ] && find "$corpus_dir" -type f | wc -l || echo 0)
echo "$target: executions ${execs:-?}, corpus $corpus files, findings $found (in fuzz-findings/$target), exit $rc"
