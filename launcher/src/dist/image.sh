#!/usr/bin/env bash
# Builds the OCI image TAG (lifeboat:VERSION) from the distribution's tarball, with podman, pulling nothing:
#
#   1. unpacks TARBALL into a build context, as lifeboat/;
#   2. makes the class data sharing archive for the paths the image gives it: bin/lifeboat-cds runs in a
#      container that sees that folder at /opt/lifeboat (the machine's own root as an overlay,
#      podman run --rootfs /:O, so no base image is needed), since a JDK 17 archive only serves the exact
#      paths it was made with; then checks that bin/lifeboat, run from /opt/lifeboat, takes it;
#   3. builds Containerfile (beside this script): FROM scratch, the folder copied to /opt/lifeboat.
#
# Usage: image.sh TARBALL TAG [ARCHIVE]
#   TARBALL  launcher/target/lifeboat-VERSION.tar.gz, with its runtime (a distribution without one is refused
#            with exit 3: the image is for application images that have no Java)
#   TAG      the image's name, e.g. lifeboat:0.1.0 (podman stores it as localhost/lifeboat:0.1.0)
#   ARCHIVE  also save the image there (docker-archive format: `docker load -i ARCHIVE`, `podman load -i ARCHIVE`)
#
# The machine needs podman and a glibc root with /bin/sh (the training run uses the machine's root). A
# containers.conf named by CONTAINERS_CONF is used as it is; without one, the containers' open-file limit is
# set to what this machine allows (podman's default cannot be set where the hard limit is lower). The
# previous image of the same TAG is removed when nothing else uses it.
#
# Run by: mvn package -Pimage (launcher/pom.xml), and by the container tests (DistributionImageTest).
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 TARBALL TAG [ARCHIVE]" >&2
  exit 2
fi
tarball=$1 tag=$2 archive=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
say() { echo "[image] $*" >&2; }
if ! command -v podman >/dev/null 2>&1; then
  say "podman is not installed: cannot build $tag"
  exit 1
fi
[ -f "$tarball" ] || { say "no such tarball: $tarball"; exit 1; }

work=$(mktemp -d)
cleanup() {
  # the training run writes as root in the container: a rootless podman needs its own namespace to delete
  rm -rf "$work" 2>/dev/null || podman unshare rm -rf "$work" || true
}
trap cleanup EXIT

if [ -z "${CONTAINERS_CONF:-}" ]; then
  hard=$(ulimit -Hn)
  if [ "$hard" = unlimited ] || [ "$hard" -gt 65536 ]; then nofile=65536; else nofile=$hard; fi
  printf '[containers]\ndefault_ulimits = ["nofile=%s:%s"]\n' "$nofile" "$nofile" > "$work/containers.conf"
  export CONTAINERS_CONF=$work/containers.conf
fi

# 1. the distribution, as the build context's lifeboat/
mkdir -p "$work/unpacked" "$work/context"
tar -C "$work/unpacked" -xzf "$tarball"
dist=$(find "$work/unpacked" -mindepth 1 -maxdepth 1 -type d -name 'lifeboat-*' | head -1)
[ -n "$dist" ] || { say "$tarball holds no lifeboat-VERSION/ folder"; exit 1; }
version=${dist##*/lifeboat-}
if [ ! -x "$dist/runtime/bin/java" ]; then
  say "$tarball has no runtime/ (it was built with a JDK without jlink or jmods): the image needs one"
  exit 3
fi
mv "$dist" "$work/context/lifeboat"

# 2. the class data sharing archive for /opt/lifeboat, and proof that bin/lifeboat takes it there
say "making the class data sharing archive for /opt/lifeboat"
check='/opt/lifeboat/bin/lifeboat-cds && LIFEBOAT_JAVA_OPTS=-Xlog:cds=info:stdout:none \
  /opt/lifeboat/bin/lifeboat --version'
# (--rootfs takes the first argument as the root: the options come before it)
if ! out=$(podman run --rm --network none -v "$work/context/lifeboat:/opt/lifeboat" --rootfs /:O \
    /bin/sh -c "$check" 2>&1); then
  say "the training run under /opt/lifeboat failed:"
  echo "$out" >&2
  exit 1
fi
marker=$(cat "$work/context/lifeboat/lib/lifeboat.jsa.for")
if [ "$marker" != "/opt/lifeboat/runtime/bin/java /opt/lifeboat/lifeboat.jar" ]; then
  say "the archive was made for '$marker', not for /opt/lifeboat's runtime and jar"
  exit 1
fi
if ! echo "$out" | grep -q 'Opened dynamic archive /opt/lifeboat/lib/lifeboat.jsa\|Mapped dynamic region'; then
  say "bin/lifeboat under /opt/lifeboat did not open lib/lifeboat.jsa:"
  echo "$out" >&2
  exit 1
fi
revision=$(echo "$out" | sed -n 's/^lifeboat .*(commit \([0-9a-f]*\).*/\1/p' | head -1)
echo "$out" | grep -E '^(lifeboat|Java) ' | sed 's/^/[image] /' >&2

# 3. the image
old=$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
podman build -q --layers=false -f "$here/Containerfile" --build-arg "VERSION=$version" \
  --build-arg "REVISION=${revision:-unknown}" -t "$tag" "$work/context" >/dev/null
new=$(podman image inspect --format '{{.Id}}' "$tag")
if [ -n "$old" ] && [ "$old" != "$new" ]; then
  podman rmi "$old" >/dev/null 2>&1 || true
fi
say "$tag (${new:0:12}, $(podman image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.0f MiB", $1 / 1048576}')): /opt/lifeboat, lifeboat $version"
if [ -n "$archive" ]; then
  rm -f "$archive"
  podman save -q --format docker-archive -o "$archive" "$tag"
  say "$archive ($(du -h "$archive" | cut -f1))"
fi
