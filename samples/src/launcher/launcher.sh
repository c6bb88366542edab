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
exec "$java" --enable-native-access=ALL-UNNAMED @launcher.jvm.args@ -cp "$here/@project.build.finalName@.jar:$here/lib/*" @launcher.main@ "$@"
