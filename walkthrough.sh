#!/usr/bin/env bash
# New-user walk-through: the README's commands on a fresh clone of this repository's committed state, with only a
# JDK (an installed 'mvn' is hidden from PATH, so everything goes through ./mvnw). Makes two raw disk images, imports
# them as two layers, verifies, stacks and compares them, tries the mistakes the CLI must catch, and runs the demo.
# WALK_VERIFY=1 also runs './mvnw -B verify' (the test command; a few minutes). Maven honours MAVEN_ARGS, e.g.
# MAVEN_ARGS=-Dmaven.repo.local=/some/repo to keep ~/.m2 untouched. Everything happens in a temporary folder.
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
printf '#!/bin/sh\necho "mvn: not installed (walk-through: only a JDK)" >&2\nexit 127\n' > "$work/bin/mvn"
chmod +x "$work/bin/mvn"
export PATH="$work/bin:$PATH"
step() { echo; echo "== $*"; }
run() { echo "\$ $*"; "$@"; }
expect() { # expect CODE COMMAND...: run, show the first lines, check the exit code
  local want=$1; shift
  echo "\$ $*"
  set +e; "$@" > "$work/out" 2>&1; local got=$?; set -e
  sed -n 1,4p "$work/out"
  echo "(exit $got)"
  [ "$got" = "$want" ] || { echo "walk-through: expected exit $want" >&2; exit 1; }
}

step "fresh clone"
run git clone -q "$src" "$work/overlaybd-java"
cd "$work/overlaybd-java"
echo "\$ java -version"; java -version 2>&1 | sed -n 1p
expect 127 mvn -v

step "build with the Maven wrapper (downloads Maven on first use)"
start=$(date +%s)
./mvnw -B -ntp -q -DskipTests package
echo "built in $(( $(date +%s) - start )) s"
run ./overlaybd --version
run ./overlaybd help layer commit | sed -n 1,3p

step "two disk images: 64 MiB, 8 MiB of data; the second has 100 blocks changed and 1 MiB zeroed"
head -c $((4 << 20)) /dev/urandom > d.part
truncate -s 64m disk1.img
dd if=d.part of=disk1.img bs=1M seek=1 conv=notrunc status=none
awk 'BEGIN { for (i = 0; i < 131072; i++) printf "line %07d of text in the base image\n", i }' \
  | dd of=disk1.img bs=1M seek=40 conv=notrunc status=none iflag=fullblock
cp disk1.img disk2.img
for i in $(seq 1 100); do
  printf 'change %d' "$i" | dd of=disk2.img bs=1 seek=$(( (i * 613 % 16384) * 4096 )) conv=notrunc status=none
done
dd if=/dev/zero of=disk2.img bs=1M seek=2 count=1 conv=notrunc status=none

step "layer import: the base layer, then only the changed blocks on top of it"
run ./overlaybd layer import -z disk1.img layer1.zfile
run ./overlaybd layer import -z --tar disk2.img layer2.tar --lower layer1.zfile
run ./overlaybd verify layer1.zfile layer2.tar
run ./overlaybd info layer1.zfile layer2.tar
./overlaybd cat layer1.zfile layer2.tar | cmp - disk2.img && echo "layer1 + layer2 == disk2.img, byte for byte"
run ls -l disk1.img disk2.img layer1.zfile layer2.tar

step "mistakes are caught"
expect 1 ./overlaybd verify --check-chain layer2.tar layer1.zfile
expect 1 ./overlaybd verify disk1.img
expect 2 ./overlaybd cat disk1.img
expect 2 ./overlaybd export -o layer1.zfile layer1.zfile
expect 2 ./overlaybd layer commit --threads 0 a.data a.index out

step "the demo"
REBUILD=0 ./demo.sh 2>&1 | tail -12

if [ "${WALK_VERIFY:-0}" = 1 ]; then
  step "./mvnw -B verify (the test command; the interop fixtures are not beside this clone, so those tests skip)"
  ./mvnw -B -ntp verify | grep -E 'Tests run:|BUILD|WARN.*skip' | tail -8
fi
echo
echo "walk-through: all steps passed"
