#!/usr/bin/env bash
# Runs the JMH benchmarks that README.md / BENCHMARKS.md quote, one after the other, on a quiet machine.
# Results: bench-results/<name>.json (JMH JSON) and .txt. Takes about 40 minutes on 2 cores.
# Usage: ./bench.sh            (all)
#        ./bench.sh ZFileRandomRead IndexLookup   (a subset, by class name)
set -euo pipefail
cd "$(dirname "$0")"
[ -f overlaybd-jmh/target/benchmarks.jar ] || mvn -B -q -ntp -DskipTests install
mkdir -p bench-results
run() {
  local name=$1; shift
  echo "== $name $*"
  java -jar overlaybd-jmh/target/benchmarks.jar "$name" -rf json -rff "bench-results/$name.json" "$@" \
    | tee "bench-results/$name.txt" | grep -E "^(Benchmark|[A-Za-z0-9]+\.)" || true
}
want() { [ -z "$SELECTED" ] || [[ " $SELECTED " == *" $1 "* ]]; }
SELECTED="$*"
want RawCrc32c        && run RawCrc32c -f 1 -wi 3 -w 1s -i 5 -r 1s
want ZFileRandomRead  && run ZFileRandomRead -f 1 -wi 2 -w 1s -i 4 -r 1s
want ZFileSequentialRead && run ZFileSequentialRead -f 1 -wi 2 -w 1s -i 4 -r 1s -p crc=true
want ZFileCompress    && run ZFileCompress -f 1 -wi 3 -w 2s -i 6 -r 2s
want Lz4BlockCompress && run Lz4BlockCompress -f 1 -wi 3 -w 1s -i 5 -r 1s
want IndexLookup      && run IndexLookup -f 1 -wi 2 -w 1s -i 4 -r 1s
want StackRandomRead  && run StackRandomRead -f 1 -wi 2 -w 1s -i 4 -r 1s
want IndexMerge       && run IndexMerge -f 1 -wi 2 -w 1s -i 4 -r 1s
want Commit           && run Commit -f 1 -wi 2 -w 1s -i 4 -r 1s
want VerifyThroughput && run VerifyThroughput -f 1 -wi 2 -w 2s -i 4 -r 2s
