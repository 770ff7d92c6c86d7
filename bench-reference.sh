#!/usr/bin/env bash
# bench-reference.sh — whole-process wall times of this SDK's CLI beside the C++ reference's tools, same machine,
# same files, one sitting (issue 11 item 6).
#
# Usage:  ./bench-reference.sh REF_BIN_DIR [RESULT.md]
#
#   REF_BIN_DIR  the folder holding the reference's overlaybd-zfile, overlaybd-commit and overlaybd-merge (for
#                example DEST/build/output of ../shared/reference/refbuild.sh). The reference is not part of this
#                project: without that folder (or with tools missing) the script says so and exits 0.
#   RESULT.md    where the markdown table goes (default: $TMPDIR/bench-reference.md).
#
# Needs: hyperfine (Debian package), python3, java, and the CLI jar (overlaybd-cli/target/overlaybd.jar, from
# `mvn -DskipTests package`), run through the ./overlaybd launcher (CDS archive, JIT choice) unless OBD says otherwise.
# The fixtures come from ../shared/fixtures/interop (or $OVERLAYBD_INTEROP_DIR).
# Env: RUNS (default 10), WARMUP (default 2), OBD (our command, default the ./overlaybd launcher, which adds the
#      CDS archive and picks the JIT; OBD="java -jar overlaybd-cli/target/overlaybd.jar" measures plain java),
#      REF_SVC_CONFIG (overlaybd-merge's service config, default /etc/overlaybd/overlaybd.json, which refbuild.sh
#      writes when run as root).
#
# Cases: zfile compress (lz4, 4 KiB blocks, CRC) of a 64 MiB file and of the 4 MiB fixture input; zfile decompress
# and zfile check of the 64 MiB ZFile; layer commit raw and -z of a 64 MiB writable layer and of the layer1 fixture;
# merge of the 3-layer fixture stack to a ZFile. Each is timed by hyperfine, reference and ours alternating in one
# run; every output pair is compared (sha256) and reported as identical or not. Reported: mean ± σ wall time,
# user+sys CPU, and ours/reference. The load average before and after goes with the table: a loaded machine
# stretches both sides' wall times, but not equally (the JVM has several threads), so quote only in-run ratios.
set -euo pipefail

REF=${1:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT_MD=${2:-${TMPDIR:-/tmp}/bench-reference.md}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
FIX=${OVERLAYBD_INTEROP_DIR:-$HERE/../shared/fixtures/interop}
JAR=$HERE/overlaybd-cli/target/overlaybd.jar
SVC=${REF_SVC_CONFIG:-/etc/overlaybd/overlaybd.json}

skip() { echo "bench-reference: skipped: $*"; exit 0; }
[ -n "$REF" ] || skip "no REF_BIN_DIR given (usage: $0 REF_BIN_DIR [RESULT.md])"
for t in overlaybd-zfile overlaybd-commit overlaybd-merge; do
  [ -x "$REF/$t" ] || skip "$REF/$t not found: build the reference with ../shared/reference/refbuild.sh"
done
[ -f "$SVC" ] || skip "overlaybd-merge needs its service config: $SVC not found (set REF_SVC_CONFIG)"
command -v hyperfine >/dev/null || { echo "bench-reference: hyperfine not found (apt-get install hyperfine)"; exit 2; }
command -v python3 >/dev/null || { echo "bench-reference: python3 not found"; exit 2; }
[ -f "$JAR" ] || { echo "bench-reference: $JAR not found: run mvn -DskipTests package first"; exit 2; }
[ -d "$FIX" ] || { echo "bench-reference: fixtures not found at $FIX (set OVERLAYBD_INTEROP_DIR)"; exit 2; }

OBD=${OBD:-$HERE/overlaybd}

U=0a1b2c3d-0001-4a5b-8c6d-000000000001  # the same uuid for both tools, so that commits can be compared
W=$(mktemp -d "${TMPDIR:-/tmp}/obd-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"

# inputs: the fixture input, a 64 MiB file of the same kind of content, the 3-layer stack, writable layers
cp "$FIX/zfile/input.bin" input.bin
for _ in $(seq 16); do cat input.bin; done > big.bin
mkdir stack && cp "$FIX"/lsmt/{layer1.lz4.zfile,layer2.zstd16k.zfile,layer3.lz4.tar.zfile} stack/
chmod u+w stack/*
# absolute paths: the reference resolves "file" against its working folder (and takes a missing one as remote)
cat > stack/config.json <<EOF
{ "lowers": [ { "file": "$W/stack/layer1.lz4.zfile" }, { "file": "$W/stack/layer2.zstd16k.zfile" },
              { "file": "$W/stack/layer3.lz4.tar.zfile" } ], "resultFile": "$W/stack/result.txt" }
EOF
cp "$FIX/lsmt/rw/layer1.data" l1.data && cp "$FIX/lsmt/rw/layer1.index" l1.index
$OBD layer create --size 1g big.data big.index
$OBD layer write --offset 0 big.data big.index big.bin
chmod u+w ./*
"$REF/overlaybd-zfile" -f big.bin big.ref.zfile >/dev/null

{
  echo "# Whole-process wall times beside the reference"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"\
       "$(nproc) CPUs; $(java -version 2>&1 | head -1); hyperfine $WARMUP warm-up + $RUNS runs per command, alternating"\
       "in one run; our command: \`${OBD/$HERE\//}\`."
  echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| case | reference wall | ours wall | ours / reference | reference CPU | ours CPU | same output |"
  echo "|---|---:|---:|---:|---:|---:|---|"
} > "$OUT_MD"

# case NAME REF_CMD OURS_CMD REF_OUT OURS_OUT  (outputs removed before each run; "-" = no output file)
case_() {
  local name=$1 rcmd=$2 ocmd=$3 rout=$4 oout=$5 rprep="true" oprep="true"
  [ "$rout" != - ] && rprep="rm -f $rout" && oprep="rm -f $oout"
  echo "== $name"
  hyperfine -N -w "$WARMUP" -r "$RUNS" --prepare "$rprep" --prepare "$oprep" --export-json "$W/h.json" -n reference "$rcmd" -n ours "$ocmd" \
    >/dev/null 2>"$W/h.err" || { cat "$W/h.err"; echo "bench-reference: '$name' failed"; exit 1; }
  local same="–"
  if [ "$rout" != - ]; then
    # each side's last run left its output
    if cmp -s "$rout" "$oout"; then same="identical"; else same="differs"; fi
  fi
  python3 - "$W/h.json" "$name" "$same" >> "$OUT_MD" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
ref, ours = r["reference"], r["ours"]
f = lambda x: f"{x['mean']:.3f} ± {x['stddev']:.3f} s"
cpu = lambda x: f"{x['user'] + x['system']:.3f} s"
print(f"| {sys.argv[2]} | {f(ref)} | {f(ours)} | {ours['mean'] / ref['mean']:.2f} | {cpu(ref)} | {cpu(ours)} | {sys.argv[3]} |")
PY
  tail -1 "$OUT_MD"
}

case_ "zfile compress, lz4 4 KiB, 64 MiB" "$REF/overlaybd-zfile -f big.bin r.zfile" \
  "$OBD zfile compress big.bin o.zfile" r.zfile o.zfile
case_ "zfile compress, lz4 4 KiB, 4 MiB (fixture input.bin)" "$REF/overlaybd-zfile -f input.bin r.zfile" \
  "$OBD zfile compress input.bin o.zfile" r.zfile o.zfile
case_ "zfile decompress (-x), 64 MiB" "$REF/overlaybd-zfile -x big.ref.zfile r.bin" \
  "$OBD zfile decompress big.ref.zfile o.bin" r.bin o.bin
case_ "zfile check (--verify), 64 MiB" "$REF/overlaybd-zfile --verify big.ref.zfile" \
  "$OBD zfile check big.ref.zfile" - -
case_ "layer commit, raw, 64 MiB layer" "$REF/overlaybd-commit --uuid $U big.data big.index r.lsmt" \
  "$OBD layer commit --uuid $U big.data big.index o.lsmt" r.lsmt o.lsmt
case_ "layer commit -z, 64 MiB layer" "$REF/overlaybd-commit -z --uuid $U big.data big.index r.lsmt" \
  "$OBD layer commit -z --uuid $U big.data big.index o.lsmt" r.lsmt o.lsmt
case_ "layer commit -z, fixture layer1 (4.5 MB)" "$REF/overlaybd-commit -z --uuid $U l1.data l1.index r.lsmt" \
  "$OBD layer commit -z --uuid $U l1.data l1.index o.lsmt" r.lsmt o.lsmt
case_ "merge 3 layers to a ZFile (fixture stack)" \
  "$REF/overlaybd-merge --service_config_path $SVC stack/config.json r.merged" \
  "$OBD merge -o o.merged stack/config.json" r.merged o.merged

{
  echo
  echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg). CPU = user + system time of the process (all threads)."
  echo "\"same output\": the files both tools wrote in the last run are byte-identical (the 64 MiB raw commits differ"
  echo "only if the tools differ; ZFile outputs need identical LZ4 blocks)."
} >> "$OUT_MD"
echo "bench-reference: table in $OUT_MD"
