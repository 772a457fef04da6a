#!/usr/bin/env bash
# Prepares the container runtime the container tests (examples/container-tests, tag "container") use:
# Debian's podman with runc and catatonit (for --init), and docker-compose to validate the example compose
# file. Idempotent. It never fails the CI run: when the runtime cannot work here it says why and exits 0,
# and the tests then skip with the same reason.
#
# The tests need nothing else from this script: they write their own containers.conf, import the image
# they need and start their own `podman system service` for the docker CLI. This script checks that all of
# that works, so that a skip is explained before the build starts.
set -u

say() { echo "container-runtime: $*"; }
give_up() { say "$*"; say "the container tests will skip"; exit 0; }

packages=()
command -v podman >/dev/null 2>&1 || packages+=(podman)
command -v runc >/dev/null 2>&1 || packages+=(runc)
command -v catatonit >/dev/null 2>&1 || packages+=(catatonit)
compose=
command -v docker-compose >/dev/null 2>&1 || compose=docker-compose
if [ ${#packages[@]} -gt 0 ] || [ -n "$compose" ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    give_up "missing ${packages[*]} $compose and cannot install them (needs root and apt-get)"
  fi
  say "installing ${packages[*]} $compose"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq >/tmp/container-runtime-apt.log 2>&1 || say "apt-get update failed"
  if [ ${#packages[@]} -gt 0 ] && ! timeout 600 apt-get install -y -qq "${packages[@]}" >>/tmp/container-runtime-apt.log 2>&1; then
    tail -5 /tmp/container-runtime-apt.log
    command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1 || give_up "apt-get install ${packages[*]} failed"
  fi
  # Only to validate the example compose file; without its recommended docker.io engine.
  if [ -n "$compose" ] && ! timeout 600 apt-get install -y -qq --no-install-recommends docker-compose >>/tmp/container-runtime-apt.log 2>&1; then
    say "docker-compose could not be installed: the compose file is only parsed, not validated by docker-compose"
  fi
fi
say "$(podman --version), $(runc --version | head -1), catatonit $(command -v catatonit || echo missing)"

# podman's default limits cannot be set on this host (setrlimit: operation not permitted), podman 4.3
# ignores --ulimit together with --rootfs, and crun fails on this host's cgroup setup: runc and these
# limits go in a containers.conf.
state=/tmp/lifeboat-container-runtime
mkdir -p "$state"
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -gt 65536 ]; then nofile=65536; else nofile=$hard; fi
cat >"$state/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=8192:8192"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF="$state/containers.conf"

if ! out=$(timeout 120 podman run --rm --rootfs /:O true 2>&1); then
  give_up "podman cannot start a container here: $(echo "$out" | tail -1)"
fi
say "podman runs containers (runc, the machine's root as an overlay, CONTAINERS_CONF=$CONTAINERS_CONF)"
if ! out=$(timeout 120 podman run --rm --init --rootfs /:O true 2>&1); then
  say "podman --init does not work here: $(echo "$out" | tail -1)"
fi

# The Docker API cannot use --rootfs: an image of empty top-level directories, run with the host's /usr
# and /etc bind-mounted. The tests import the same image when it is missing.
image=localhost/lifeboat-test-skeleton:1
if ! podman image exists "$image"; then
  skel=$(mktemp -d)
  mkdir -p "$skel"/{dev,proc,sys,tmp,etc,usr,var,run,root,opt,app,archive}
  for l in bin lib lib64 sbin; do ln -s "usr/$l" "$skel/$l"; done
  tar -C "$skel" -cf "$state/skeleton.tar" . && podman import -q "$state/skeleton.tar" "$image" >/dev/null \
    && say "imported $image" || say "could not import $image"
  rm -rf "$skel"
fi

if ! command -v docker >/dev/null 2>&1; then
  say "no docker CLI on this machine: the docker stop test will skip (podman's API needs a docker client)"
  exit 0
fi
# The docker CLI against podman's Docker-compatible API, on a socket of its own for this check.
socket="$state/check.sock"
rm -f "$socket"
podman --runtime runc system service --time=0 "unix://$socket" >"$state/service.log" 2>&1 &
service=$!
ok=
for _ in $(seq 1 50); do
  if DOCKER_HOST="unix://$socket" timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then ok=1; break; fi
  sleep 0.2
done
if [ -n "$ok" ] && DOCKER_HOST="unix://$socket" timeout 60 docker run --rm -v /usr:/usr:ro -v /etc:/etc:ro "$image" true >/dev/null 2>&1; then
  say "$(docker --version) runs containers through podman's API (the tests start their own: podman --runtime runc system service --time=0 unix://SOCKET, DOCKER_HOST=unix://SOCKET)"
else
  say "the docker CLI could not run a container through podman's API: $(tail -1 "$state/service.log")"
fi
kill "$service" 2>/dev/null
wait "$service" 2>/dev/null
rm -f "$socket"
exit 0
