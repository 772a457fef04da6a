#!/usr/bin/env bash
# Writes OUT.tar: the root filesystem of a small glibc image with no Java in it, made from this machine's
# Debian packages, since no registry image can be pulled here. It holds what a slim glibc base image
# (debian:bookworm-slim, say) has and Lifeboat's distribution relies on, and nothing more:
#   libc6 libgcc-s1 libstdc++6 zlib1g   the C and C++ libraries, and zlib
#   dash coreutils                      /bin/sh and the basic commands (env, dirname, sleep, cat, ...)
#   the libraries coreutils links to (libselinux, libpcre2), found with ldd
# plus the usual top-level folders (/bin, /lib, /lib64 and /sbin as links into /usr), /tmp and /etc/passwd;
# documentation is left out.
# Usage: glibc-base.sh OUT.tar   (exit 3: not a Debian-based machine)
set -euo pipefail
out=$1
command -v dpkg >/dev/null || { echo "glibc-base: no dpkg: this machine is not Debian-based" >&2; exit 3; }
root=$(mktemp -d)
list=$root.list
trap 'rm -rf "$root" "$list"' EXIT

# the packages' files and links (tar makes their folders), relative to /, without documentation
dpkg -L libc6 libgcc-s1 libstdc++6 zlib1g dash coreutils | grep -v '^/usr/share/' | while read -r path; do
  if [ -L "$path" ] || [ -f "$path" ]; then echo "${path#/}"; fi
done > "$list"
# what those programs load beyond the packages above, the links and the files they lead to
# shellcheck disable=SC2046
ldd $(grep -E '^(usr/)?bin/' "$list" | sed 's,^,/,') 2>/dev/null | awk '/=> \// {print $3}' | sort -u \
  | while read -r lib; do echo "${lib#/}"; real=$(readlink -f "$lib"); echo "${real#/}"; done >> "$list"

mkdir -p "$root"/usr/{bin,lib,lib64,sbin} "$root"/{dev,proc,sys,etc,var/log,run,root,opt,app,archive,tmp}
chmod 1777 "$root/tmp"
for l in bin lib lib64 sbin; do ln -s "usr/$l" "$root/$l"; done
# bin/dash lands in usr/bin through the link, as on a machine with a merged /usr
sort -u "$list" | tar -C / -cf - --no-recursion -T - | tar -C "$root" -xf - --keep-directory-symlink
ln -sf dash "$root/usr/bin/sh"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
tar -C "$root" -cf "$out" .
