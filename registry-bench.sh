#!/usr/bin/env bash
# Pull throughput of `overlaybd pull` against `skopeo copy docker://... dir:...` (Debian's skopeo) from the same
# loopback registry (Debian's docker-registry on 127.0.0.1, generated config, storage in a temporary folder), in one
# run: RUNS alternating runs each, MB/s of blob bytes, median printed with the ratio. The image: LAYERS raw LSMT layers
# of LAYER_MIB MiB of random data each (incompressible, so bytes on the wire = bytes on disk). `overlaybd` runs through
# the ./overlaybd launcher, as a user runs it; CPU seconds (user+sys) of both clients are printed beside the times.
# Needs: docker-registry, skopeo, a built CLI (mvn -DskipTests package). Usage: ./registry-bench.sh [LAYERS] [LAYER_MIB] [RUNS]
set -euo pipefail
cd "$(dirname "$0")"
LAYERS=${1:-4}; LAYER_MIB=${2:-64}; RUNS=${3:-3}
JAR=overlaybd-cli/target/overlaybd.jar
[ -f "$JAR" ] || mvn -B -q -ntp -DskipTests package
command -v docker-registry >/dev/null && command -v skopeo >/dev/null && [ -x /usr/bin/time ] || {
  echo "needs docker-registry, skopeo and GNU time (/usr/bin/time)" >&2; exit 2; }
work=$(mktemp -d); trap 'kill $reg_pid 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/registry.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/storage}}
http: {addr: "127.0.0.1:$port", secret: bench}
YML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 & reg_pid=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
ob() { ./overlaybd "$@"; } # the launcher: the class-data-sharing archive when the build made one
layers=()
for i in $(seq "$LAYERS"); do
  ob layer create --size 1g "$work/l$i.data" "$work/l$i.index"
  head -c $((LAYER_MIB << 20)) /dev/urandom > "$work/r$i.bin"
  ob layer write --offset $(( (i - 1) * LAYER_MIB ))m "$work/l$i.data" "$work/l$i.index" "$work/r$i.bin"
  ob layer commit "$work/l$i.data" "$work/l$i.index" "$work/l$i.lsmt"
  rm "$work/r$i.bin" "$work/l$i.data" "$work/l$i.index"
  layers+=("$work/l$i.lsmt")
done
ref="docker://127.0.0.1:$port/bench/pull:1"
ob push --plain-http "${layers[@]}" "$ref"
bytes=$(du -cb "${layers[@]}" | tail -1 | cut -f1)
echo "image: $LAYERS layers, $bytes bytes; $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
ours=(); theirs=(); inproc=(); cpu_ours=(); cpu_theirs=()
timed() { # timed OUT_CPU_FILE CMD...: runs CMD, prints its wall seconds; its user+sys seconds go to the file
  local f=$1; shift; local t0 t1; t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$f" "$@" >"$work/stdout"; t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
cpu() { awk '{print $1 + $2}' "$1"; }
for r in $(seq "$RUNS"); do
  rm -rf "$work/o" "$work/s"
  if (( r % 2 )); then # alternate which client goes first
    wo=$(timed "$work/co" ./overlaybd pull --plain-http --no-cache --no-progress --jobs 4 "$ref" "$work/o")
    line=$(cat "$work/stdout"); ws=$(timed "$work/cs" skopeo copy -q --src-tls-verify=false "$ref" "dir:$work/s")
  else
    ws=$(timed "$work/cs" skopeo copy -q --src-tls-verify=false "$ref" "dir:$work/s")
    wo=$(timed "$work/co" ./overlaybd pull --plain-http --no-cache --no-progress --jobs 4 "$ref" "$work/o")
    line=$(cat "$work/stdout")
  fi
  inproc+=("$(echo "$line" | sed -n 's/.*(\([0-9.]*\) MB\/s).*/\1/p')")
  ours+=("$(echo "$bytes / $wo / 1000000" | bc -l)"); theirs+=("$(echo "$bytes / $ws / 1000000" | bc -l)")
  cpu_ours+=("$(cpu "$work/co")"); cpu_theirs+=("$(cpu "$work/cs")")
  printf 'run %d: overlaybd pull %.1f MB/s (%.1f MB/s without JVM start, %.2f CPU s), skopeo copy %.1f MB/s (%.2f CPU s)\n' \
    "$r" "${ours[-1]}" "${inproc[-1]}" "${cpu_ours[-1]}" "${theirs[-1]}" "${cpu_theirs[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mo=$(median "${ours[@]}"); ms=$(median "${theirs[@]}"); mi=$(median "${inproc[@]}")
printf 'median: overlaybd pull %.1f MB/s, skopeo copy %.1f MB/s, ratio %.2fx (whole processes, JVM start included)\n' \
  "$mo" "$ms" "$(echo "$mo / $ms" | bc -l)"
printf 'median CPU seconds: overlaybd pull %.2f, skopeo copy %.2f; load after: %s\n' "$(median "${cpu_ours[@]}")" \
  "$(median "${cpu_theirs[@]}")" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'median without JVM start: overlaybd pull %.1f MB/s, ratio %.2fx to skopeo\n' "$mi" "$(echo "$mi / $ms" | bc -l)"
