#!/usr/bin/env bash
# Assembles the self-contained distribution from the fat jar:
#
#   lifeboat-VERSION/
#     bin/lifeboat        the launch script (the repository's bin/lifeboat)
#     bin/lifeboat-cds    (re)creates the class data sharing archive for where the distribution lies
#     lifeboat.jar        the fat jar
#     runtime/            a Java runtime made with jlink, holding only the modules Lifeboat needs
#     lib/lifeboat.jsa    the class data sharing archive, made by a training run on that runtime
#     lib/modules.txt     the runtime's modules
#     lib/libjnidispatch.so  JNA's native library, loaded from here rather than unpacked from the jar
#   lifeboat-VERSION.tar.gz
#
# Usage: assemble.sh JDK JAR VERSION REPOSITORY OUT
#   JDK         the JDK whose jdeps and jlink make the runtime (its java runs the training)
#   JAR         the fat jar
#   VERSION     the project's version
#   REPOSITORY  the repository's root (bin/lifeboat, bin/lifeboat-cds)
#   OUT         where the folder and the archive go
#
# Without jlink, or without the JDK's modules to link from (Debian's openjdk-17-jmods, say), the
# distribution is made without a runtime and says so: bin/lifeboat then uses JAVA_HOME or java on the PATH.
set -euo pipefail
jdk=$1 jar=$2 version=$3 repo=$4 out=$5
# absolute, since some steps run in other folders
mkdir -p "$out"
out=$(cd "$out" && pwd) repo=$(cd "$repo" && pwd) jar=$(cd "$(dirname "$jar")" && pwd)/$(basename "$jar")
name=lifeboat-$version
dist=$out/$name
rm -rf "$dist" "$out/$name.tar.gz"
mkdir -p "$dist/bin" "$dist/lib"
cp -p "$jar" "$dist/lifeboat.jar"
cp -p "$repo/bin/lifeboat" "$repo/bin/lifeboat-cds" "$dist/bin/"
chmod 755 "$dist/bin/lifeboat" "$dist/bin/lifeboat-cds"

# The modules: launcher/src/dist/modules.txt, what jdeps finds the jar to use and what is only found at
# run time (DistributionIT keeps the first part in step with jdeps), less those this JDK does not have
# (JDK 22 moved the elliptic-curve provider into java.base, say).
# the JDK's own properties, read once: its version (jlink's options) and its architecture (JNA's library)
settings=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1)
runtime=
if [ -x "$jdk/bin/jlink" ]; then
  present=$("$jdk/bin/java" --list-modules | sed 's/@.*//')
  modules=$(grep -v '^[#-]' "$repo/launcher/src/dist/modules.txt" | awk 'NF {print $1}' | grep -Fx "$present" | paste -sd, -)
  major=$(echo "$settings" | sed -n 's/.*java.specification.version = //p')
  compress=zip-6
  if [ "${major%%.*}" -lt 21 ]; then compress=2; fi   # JDK 17 names it 2
  # --generate-cds-archive: the runtime's own archive of the JDK's classes, which Lifeboat's builds on
  if "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
      --generate-cds-archive --compress="$compress" --output "$dist/runtime" >"$out/jlink.log" 2>&1; then
    runtime=$dist/runtime
    {
      echo "# The modules of runtime/, linked by jlink from $("$jdk/bin/java" -version 2>&1 | head -1);"
      echo "# why each: launcher/src/dist/modules.txt in the source"
      echo "$modules" | tr ',' '\n'
    } > "$dist/lib/modules.txt"
  else
    rm -rf "$dist/runtime"
    echo "[dist] jlink could not make a runtime ($(tail -1 "$out/jlink.log")): the distribution has none" >&2
  fi
else
  echo "[dist] $jdk has no jlink: the distribution has no runtime" >&2
fi

# JNA's native library beside the jar, for the runtime's architecture, so that it is loaded where it lies
# (bin/lifeboat points jna.boot.library.path at it) instead of being unpacked to a temporary folder, which a
# read-only root filesystem with a noexec /dev/shm does not offer
arch=$(echo "$settings" | sed -n 's/.*os.arch = //p')
case $arch in amd64|x86_64) jna=linux-x86-64 ;; aarch64) jna=linux-aarch64 ;; *) jna= ;; esac
unpack=$(mktemp -d)
if [ -n "$jna" ] && (cd "$unpack" && "$jdk/bin/jar" xf "$dist/lifeboat.jar" "com/sun/jna/$jna/libjnidispatch.so") \
    && [ -f "$unpack/com/sun/jna/$jna/libjnidispatch.so" ]; then
  mv "$unpack/com/sun/jna/$jna/libjnidispatch.so" "$dist/lib/libjnidispatch.so"
  chmod 644 "$dist/lib/libjnidispatch.so"
else
  echo "[dist] JNA's native library for $arch is not in the jar: it is unpacked at run time" >&2
fi
rm -rf "$unpack"

# The class data sharing archive, for the bundled runtime: bin/lifeboat-cds runs Lifeboat once through a
# run and a stop (a child that exits at once, the file uploader) and dumps the classes it loaded.
if [ -n "$runtime" ]; then
  "$dist/bin/lifeboat-cds" >&2 || echo "[dist] the class data sharing archive could not be made" >&2
fi

tar -C "$out" -czf "$out/$name.tar.gz" "$name"
if [ -n "$runtime" ]; then
  what="a runtime of $(grep -vc '^#' "$dist/lib/modules.txt") modules ($(du -sh "$runtime" | cut -f1))"
else
  what="no runtime"
fi
echo "[dist] $out/$name.tar.gz ($(du -h "$out/$name.tar.gz" | cut -f1); $(du -sh "$dist" | cut -f1) unpacked, $what)" >&2
