#!/usr/bin/env bash
# Builds overlaybd-java and walks through the whole workflow on a sample image made from this repo's own files:
# create a writable layer, write data, commit it as a ZFile; stack a second layer (tar-wrapped), verify the stack,
# read bytes back, show info and extents. Everything happens in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -f overlaybd-cli/target/overlaybd.jar ] || [ "${REBUILD:-1}" = 1 ]; then
  # ./mvnw fetches Maven itself (once) when it is not installed; set MVN=mvn to use your own
  mvn=${MVN:-./mvnw}
  echo "== building the jars and the CLI: $mvn -B -DskipTests install (the first build downloads Maven and the"
  echo "   dependencies into ~/.m2, a few minutes; later builds about a minute; REBUILD=0 skips this step)"
  "$mvn" -B -ntp -Dstyle.color=never -DskipTests install ${MAVEN_EXTRA_ARGS:-} \
    | sed -n 's/^\[INFO\] Building \(overlaybd[^ ]*\).*/   building \1/p; /BUILD FAILURE/,$p'
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "build failed (rerun without the filter: $mvn -B -DskipTests install)" >&2; exit 1; }
fi
# prints the command as it could be typed (arguments quoted where needed), then runs it
obd() {
  local shown
  printf -v shown ' %q' "$@"
  echo "\$ overlaybd${shown//$work\//}" >&2
  ./overlaybd "$@"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp LICENSE "$work/LICENSE"
cp overlaybd-cli/target/overlaybd.jar "$work/sample.jar"

echo
echo "== layer 1: a 64 MiB device holding LICENSE at 0 and the CLI jar at 8 MiB"
obd layer create --size 64m --uuid 0a1b2c3d-0000-4000-8000-000000000001 "$work/l1.data" "$work/l1.index"
obd layer write --offset 0 "$work/l1.data" "$work/l1.index" "$work/LICENSE"
obd layer write --offset 8m "$work/l1.data" "$work/l1.index" "$work/sample.jar"
obd layer commit --zfile -m "base: LICENSE + jar" "$work/l1.data" "$work/l1.index" "$work/layer1.zfile"

echo
echo "== layer 2 on top: README at 0 (hides LICENSE's first bytes), 1 MiB discarded at 2 MiB, tar-wrapped"
obd layer create --size 64m --uuid 0a1b2c3d-0000-4000-8000-000000000002 \
    --parent-uuid 0a1b2c3d-0000-4000-8000-000000000001 "$work/l2.data" "$work/l2.index"
obd layer write --offset 0 "$work/l2.data" "$work/l2.index" README.md
obd layer discard --offset 2m --length 1m "$work/l2.data" "$work/l2.index"
obd layer commit --zfile --tar -m "readme" "$work/l2.data" "$work/l2.index" "$work/layer2.tar"

echo
echo "== verify the stack (every block CRC, index invariants, parent chain)"
obd verify --check-chain "$work/layer1.zfile" "$work/layer2.tar"

echo
echo "== info"
obd info "$work/layer1.zfile" "$work/layer2.tar"

echo
echo "== extents of the stack"
obd extents "$work/layer1.zfile" "$work/layer2.tar"

echo
echo "== read bytes back: the first line of README through the stack"
obd cat --length 80 "$work/layer1.zfile" "$work/layer2.tar" | head -1
size=$(stat -c %s "$work/sample.jar")
obd cat --offset 8m --length "$size" "$work/layer1.zfile" "$work/layer2.tar" > "$work/jar.out"
cmp "$work/jar.out" "$work/sample.jar" && echo "the jar read back through the stack is byte-identical ($size bytes)"

echo
echo "== merge the stack into one layer and compare whole devices"
obd merge -o "$work/merged.zfile" "$work/layer1.zfile" "$work/layer2.tar"
a=$(obd cat "$work/layer1.zfile" "$work/layer2.tar" | sha256sum | cut -d' ' -f1)
b=$(obd cat "$work/merged.zfile" | sha256sum | cut -d' ' -f1)
echo "stack  sha256 $a"
echo "merged sha256 $b"
[ "$a" = "$b" ] && echo "merged layer == stack"

echo
echo "== import a disk image: export the stack, change 2 blocks, store only those as a third layer"
obd export -o "$work/disk.img" "$work/layer1.zfile" "$work/layer2.tar"
printf 'changed by the demo' | dd of="$work/disk.img" bs=1 seek=$((20 << 20)) conv=notrunc status=none
dd if=/dev/zero of="$work/disk.img" bs=4096 seek=$((8 << 8)) count=1 conv=notrunc status=none
obd layer import --zfile "$work/disk.img" "$work/layer3.zfile" --lower "$work/layer1.zfile" "$work/layer2.tar"
obd verify "$work/layer1.zfile" "$work/layer2.tar" "$work/layer3.zfile"
c=$(obd cat "$work/layer1.zfile" "$work/layer2.tar" "$work/layer3.zfile" | sha256sum | cut -d' ' -f1)
d=$(sha256sum < "$work/disk.img" | cut -d' ' -f1)
[ "$c" = "$d" ] && echo "three layers == the changed disk image"

echo
echo "== a corrupted copy is caught"
cp "$work/layer1.zfile" "$work/bad.zfile"
printf '\xff' | dd of="$work/bad.zfile" bs=1 seek=5000 conv=notrunc status=none
set +e
obd verify "$work/bad.zfile"
echo "exit code $? (1 = problems found)"
