#!/usr/bin/env bash
# bench-reference-reads.sh — in-process read figures of this SDK (JMH) beside the C++ reference (refbench), on the
# same files, the same offsets and the same queries, in one sitting (issue 11, items 2-4).
#
# Usage:  ./bench-reference-reads.sh REF_DIR [OUT_DIR]
#
#   REF_DIR  holds the reference's `refbench` and `refbench-nocrc` (built as ../shared/reference/README.md says; the
#            nocrc variant really skips the per-block CRC, which the stock zfile_open_ro(verify=false) does not).
#            Without them the script says so and exits 0: the reference is not part of this project.
#   OUT_DIR  where the raw outputs and the summary go (default: $TMPDIR/bench-reference-reads).
#
# Needs: overlaybd-jmh/target/benchmarks.jar (`./mvnw -DskipTests package`), python3, a Java 17 (`java`) and, for
# the default path of Java 25 (mapped reads), a JDK 25 (JAVA25, default /usr/lib/jvm/temurin-25-jdk-amd64/bin/java;
# skipped without one).
# Env: REPS (refbench timed repeats, default 15), NOPS (refbench reads per thread per repeat, default 200000),
#      JMH_ARGS (default "-f 1 -wi 3 -w 2s -i 5 -r 2s"), CASES (default "zfile stack index").
#
# Cases, each JMH run first and refbench right after it on the files JMH wrote (-Doverlaybd.bench.dump):
#   zfile  random 4 KiB reads of a 256 MiB ZFile (lz4, 4 KiB blocks, CRC present, checked off), 1 and 2 threads:
#          SDK default path on Java 17 (positional) and Java 25 (mapped), vs refbench-nocrc rand (one file object
#          per thread, as the reference's daemon would; the SDK's threads share one device).
#   stack  random 4 KiB reads of a 3-layer raw stack, 1 and 2 threads, and a ZFile stack of 1 vs 255 layers holding
#          the same bytes: SDK default path on 17 and 25 vs refbench stack.
#   index  a full lookup() of 8 sectors (search and clipped results) at 1k / 10k / 100k / 1M segments: SDK (and its
#          in-run binary search) vs refbench lookup on the same entries and queries (its create_memory_index and
#          merge_memory_indexes indexes; the merged one is the reference's AVX-512 B+-tree when the CPU has it).
#   lz4    LZ4 block compression (4 and 64 KiB blocks) of the same 16 MiB: the SDK's JNI encoder (lz4-java's
#          LZ4_compress_default) vs the reference's vendored lz4.c (REF_DIR/src/overlaybd/src/overlaybd/zfile/lz4),
#          compiled with -O2 -DNDEBUG into a small driver written by this script (median of 15 passes of 16 MiB).
# Report: the load average before and after each case, medians of the refbench repeats, JMH score ± error, and the
# SDK / reference ratio. Quote only ratios from one sitting on a quiet machine.
set -euo pipefail

REF=${1:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${2:-${TMPDIR:-/tmp}/bench-reference-reads}
REPS=${REPS:-15}
NOPS=${NOPS:-200000}
JMH_ARGS=${JMH_ARGS:-"-f 1 -wi 3 -w 2s -i 5 -r 2s"}
CASES=${CASES:-"zfile stack index lz4"}
JAVA17=${JAVA17:-java}
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JAR=$HERE/overlaybd-jmh/target/benchmarks.jar

skip() { echo "bench-reference-reads: skipped: $*"; exit 0; }
[ -n "$REF" ] || skip "no REF_DIR given (usage: $0 REF_DIR [OUT_DIR])"
for t in refbench refbench-nocrc; do
  [ -x "$REF/$t" ] || skip "$REF/$t not found (see ../shared/reference/README.md)"
done
[ -f "$JAR" ] || { echo "bench-reference-reads: $JAR not found: run ./mvnw -DskipTests package"; exit 2; }
command -v python3 >/dev/null || { echo "bench-reference-reads: python3 not found"; exit 2; }
JAVAS="17:$JAVA17"
if [ -x "$JAVA25" ]; then JAVAS="$JAVAS 25:$JAVA25"; else echo "no Java 25 at $JAVA25: Java 17 only"; fi
mkdir -p "$OUT"
DUMP=$(mktemp -d "${TMPDIR:-/tmp}/obd-dump.XXXXXX")
trap 'rm -rf "$DUMP"' EXIT
LOG=$OUT/summary.txt
: > "$LOG"
say() { echo "$*" | tee -a "$LOG"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# jmh NAME ARGS... : one JMH run per JDK of $JAVAS, CSV into $OUT/NAME-jVERSION.csv
jmh() {
  local name=$1 jv; shift
  for jv in $JAVAS; do
    jmh_one "$name-j${jv%%:*}" "${jv#*:}" "$@"
  done
}

# jmh_one NAME JAVA ARGS... : one JMH run, CSV into $OUT/NAME.csv
jmh_one() {
  local name=$1 java=$2; shift 2
  # shellcheck disable=SC2086
  "$java" -jar "$JAR" "$@" $JMH_ARGS -jvmArgsAppend "-Doverlaybd.bench.dump=$DUMP" -rf csv -rff "$OUT/$name.csv" \
    > "$OUT/$name.log" 2>&1 || { echo "JMH $name failed, see $OUT/$name.log"; exit 1; }
  python3 - "$OUT/$name.csv" "$name" <<'EOF' | tee -a "$LOG"
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
head = rows[0]
for r in rows[1:]:
    d = dict(zip(head, r))
    params = " ".join(f"{k[7:]}={v}" for k, v in d.items() if k.startswith("Param: "))
    print(f"  SDK {sys.argv[2]:<14} {d['Benchmark'].split('.')[-1]:<12} t={d['Threads']} {params:<48} "
          f"{float(d['Score']):>14,.1f} ± {float(d['Score Error (99.9%)']):,.1f} {d['Unit']}")
EOF
}

# ref LABEL CMD... : refbench, median of the timed repeats (kIOPS or Mlookups)
ref() {
  local label=$1; shift
  "$@" > "$OUT/ref-$label.log" 2> "$OUT/ref-$label.err" || { echo "refbench $label failed, see $OUT/ref-$label.err"; exit 1; }
  python3 - "$OUT/ref-$label.log" "$label" <<'EOF' | tee -a "$LOG"
import re, statistics, sys
groups = {}
for line in open(sys.argv[1]):
    if not line.startswith("RESULT"):
        continue
    m = re.search(r"(kIOPS|Mlookups)=([0-9.]+)", line)
    key = re.sub(r" rep=\S+| reads=\S+| sec=\S+| queries=\S+| (kIOPS|Mlookups)=\S+", "", line.strip())
    groups.setdefault(key, []).append(float(m.group(2)))
for key, v in groups.items():
    unit = "k reads/s" if "kIOPS" in open(sys.argv[1]).read() else "M lookups/s"
    print(f"  REF {sys.argv[2]:<14} median {statistics.median(v):>10,.2f} {unit} (min {min(v):,.2f}, max {max(v):,.2f},"
          f" {len(v)} repeats)  [{key[7:]}]")
EOF
}

for c in $CASES; do
  case $c in
  zfile)
    say "== zfile: random 4 KiB reads, lz4 4 KiB blocks, CRC off; load before $(load)"
    for t in 1 2; do
      jmh "zfile-t$t" 'ZFileRandomRead.zfileRead' -p codec=lz4 -p blockSize=4096 -p crc=false -p source=auto -t "$t"
      ref "zfile-t$t" "$REF/refbench-nocrc" rand "$DUMP/bench.zfile" "$DUMP/offsets.u64" "$t" "$NOPS" "$REPS" 0
    done
    say "   load after $(load)"
    ;;
  stack)
    say "== stack: random 4 KiB reads; load before $(load)"
    for t in 1 2; do
      jmh "stack3-t$t" 'StackRandomRead.read' -p format=raw -p layers=3 -p writes=overlapping -p io=auto -t "$t"
      d=$DUMP/stack-raw-3
      ref "stack3-t$t" "$REF/refbench" stack "$d/offsets.u64" "$t" "$NOPS" "$REPS" "$d"/l0.lsmt "$d"/l1.lsmt "$d"/l2.lsmt
    done
    jmh stack255 'StackRandomRead.read' -p format=zfile -p layers=1,255 -p writes=overlapping -p io=auto
    for n in 1 255; do
      d=$DUMP/stack-zfile-$n
      files=()
      for ((k = 0; k < n; k++)); do files+=("$d/l$k.lz4.zfile"); done
      ref "stack$n-zfile" "$REF/refbench" stack "$d/offsets.u64" 1 "$NOPS" "$REPS" "${files[@]}"
    done
    say "   load after $(load)"
    ;;
  index)
    say "== index: lookup of 8 sectors; load before $(load)"
    jmh index 'IndexLookup.(lookup|binarySearch)$'
    for n in 1000 10000 100000 1000000; do
      [ -f "$DUMP/index-$n.map" ] || continue # a JMH_ARGS -p segments=... ran fewer sizes
      ref "index-$n" "$REF/refbench" lookup "$DUMP/index-$n.map" "$DUMP/index-$n.queries" "$REPS"
    done
    say "   load after $(load)"
    ;;
  lz4)
    say "== lz4: block compression of 16 MiB of mixed content; load before $(load)"
    jmh lz4 'Lz4BlockCompress' -p encoder=jni
    src=$REF/src/overlaybd/src/overlaybd/zfile/lz4
    if [ -f "$src/lz4.c" ]; then
      cat > "$DUMP/lz4drv.c" <<'CSRC'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "lz4.h"
int main(int argc, char **argv) {
    FILE *f = fopen(argv[1], "rb");
    int bs = atoi(argv[2]);
    if (!f || bs <= 0) return 2;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *in = malloc(n), *out = malloc(LZ4_compressBound(bs));
    if (fread(in, 1, n, f) != (size_t)n) return 1;
    double t[16];
    long long sink = 0;
    for (int r = 0; r < 16; r++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long p = 0; p + bs <= n; p += bs) sink += LZ4_compress_default(in + p, out, bs, LZ4_compressBound(bs));
        clock_gettime(CLOCK_MONOTONIC, &b);
        double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
        t[r] = s;
    }
    for (int i = 2; i < 16; i++) /* sort passes 1..15 (pass 0 warms up) */
        for (int j = i; j > 1 && t[j] < t[j - 1]; j--) { double x = t[j]; t[j] = t[j - 1]; t[j - 1] = x; }
    printf("liblz4 (the reference's lz4.c) block %d: median %.3f GB/s, min %.3f, max %.3f (15 passes, sink %lld)\n",
           bs, n / t[8] / 1e9, n / t[15] / 1e9, n / t[1] / 1e9, sink);
    return 0;
}
CSRC
      gcc -O2 -DNDEBUG -I"$src" -o "$DUMP/lz4drv" "$DUMP/lz4drv.c" "$src/lz4.c"
      for bs in 4096 65536; do "$DUMP/lz4drv" "$DUMP/lz4-input.bin" "$bs" | sed 's/^/  REF /' | tee -a "$LOG"; done
    else
      say "  (no reference lz4.c under $src: skipped)"
    fi
    say "   load after $(load)"
    ;;
  *) echo "unknown case $c"; exit 2 ;;
  esac
done
echo "summary: $LOG"
