#!/bin/sh
# @launcher.name@: launcher of @project.name@, written by the build (samples/src/launcher/launcher.sh)
# into target/, next to @project.build.finalName@.jar and lib/.
# Runs on $JAVA_HOME/bin/java if JAVA_HOME is a JDK 25 or newer, else on the JDK the build ran on
# (the default java of a machine may be older).
self=$(readlink -f -- "$0" 2>/dev/null || printf '%s' "$0")
here=$(CDPATH= cd -- "$(dirname -- "$self")" && pwd)
build_jdk='@java.home@'
java=
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ -f "$JAVA_HOME/release" ]; then
  feature=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$JAVA_HOME/release")
  if [ -n "$feature" ] && [ "$feature" -ge 25 ] 2>/dev/null; then
    java="$JAVA_HOME/bin/java"
  fi
fi
if [ -z "$java" ]; then
  if [ -x "$build_jdk/bin/java" ]; then
    java="$build_jdk/bin/java"
  else
    echo "@launcher.name@ needs a JDK 25 or newer: set JAVA_HOME to one (the JDK it was built with, $build_jdk, is gone)." >&2
    exit 1
  fi
fi
# The JVM options of samples/pom.xml (launcher.java.options), split on blanks. picocli's jar comes right after the
# program's: its classes are the first the AOT cache cannot hold (Java 5 class files), and the class loader opens
# the jars in class path order until it finds one, so with lib/* alone it opened every jar before it (~50 ms).
set -- @launcher.java.options@ --enable-native-access=ALL-UNNAMED \
  -cp "$here/@project.build.finalName@.jar:$here/lib/picocli-@picocli.version@.jar:$here/lib/*" @launcher.main@ "$@"
# JDK 25 AOT cache (JEP 483/514/515: classes loaded and linked, method profiles), written next to the launcher by
# the build's training run (NPU4J_AOT_TRAINING=1, see samples/pom.xml); NPU4J_AOT=off runs without it. A cache that
# is missing, made by another JDK or for another class path is ignored by the JVM, whose messages about it (on
# stdout) are turned off.
aot="$here/@launcher.name@.aot"
if [ -n "${NPU4J_AOT_TRAINING:-}" ]; then
  # The training run: a JVM whose cache assembly fails (its child JVM crashed, say) still exits 0 and leaves an
  # empty file, so the build would ship a launcher that silently starts without a cache; fail it instead.
  rm -f -- "$aot"
  "$java" "-XX:AOTCacheOutput=$aot" "$@"
  status=$?
  if [ "$status" -eq 0 ] && [ ! -s "$aot" ]; then
    echo "@launcher.name@: the AOT training run did not write the AOT cache $aot (the JVM's messages above say why)" >&2
    rm -f -- "$aot"
    exit 1
  fi
  exit "$status"
elif [ -f "$aot" ] && [ "${NPU4J_AOT:-on}" != off ]; then
  set -- "-XX:AOTCache=$aot" '-Xlog:aot*=off' '-Xlog:cds*=off' "$@"
fi
exec "$java" "$@"
