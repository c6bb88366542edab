#!/usr/bin/env bash
# Finds a JDK of at least the required feature version in the places maven-toolchains-plugin
# discovers (JAVA_HOME, JDK_HOME, JAVA<N>_HOME, PATH, /usr/lib/jvm, /opt/java, ~/.sdkman, ~/.jdks,
# ~/.m2/toolchains.xml), or fails with a message naming what to install.
#
#   require-jdk.sh 25           exit 0 if there is one (run by the build in the validate phase)
#   require-jdk.sh --print 25   print its home (used by ./mvnw to run Maven itself on it)
set -u
print=0
if [[ "${1:-}" == "--print" ]]; then print=1; shift; fi
required=${1:-25}

feature_of() { # JDK home -> feature version from its 'release' file, or nothing
  local rel="$1/release"
  [[ -f "$rel" && -x "$1/bin/javac" ]] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel"
}

candidates=()
for v in JAVA_HOME JDK_HOME; do [[ -n "${!v:-}" ]] && candidates+=("${!v}"); done
while IFS='=' read -r name value; do
  [[ "$name" =~ ^JAVA[0-9]+_HOME$ ]] && candidates+=("$value")
done < <(env)
if command -v javac >/dev/null 2>&1; then
  candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
fi
for dir in /usr/lib/jvm /opt/java "$HOME/.sdkman/candidates/java" "$HOME/.jdks" /usr/java /usr/local/java; do
  [[ -d "$dir" ]] && for d in "$dir"/*/; do candidates+=("${d%/}"); done
done
if [[ -f "$HOME/.m2/toolchains.xml" ]]; then
  while read -r d; do candidates+=("$d"); done < <(sed -n 's:.*<jdkHome>\(.*\)</jdkHome>.*:\1:p' "$HOME/.m2/toolchains.xml")
fi

found=()
for c in "${candidates[@]}"; do
  f=$(feature_of "$c")
  [[ -n "$f" ]] && found+=("$c (JDK $f)")
  if [[ -n "$f" && "$f" -ge "$required" ]]; then
    (( print )) && echo "$c"
    exit 0
  fi
done

{
  echo "npu4j needs a JDK $required or newer to compile and test (the Foreign Function & Memory API, release $required)."
  if ((${#found[@]})); then
    echo "JDKs found, all too old:"; printf '  %s\n' "${found[@]}"
  else
    echo "No JDK found in JAVA_HOME, PATH, /usr/lib/jvm, /opt/java, ~/.sdkman, ~/.jdks or ~/.m2/toolchains.xml."
  fi
  echo "Install JDK $required, for example Eclipse Temurin $required (Debian/Ubuntu: the temurin-$required-jdk package"
  echo "from the Adoptium apt repository), or any OpenJDK $required build unpacked under /usr/lib/jvm."
  echo "Maven itself may keep running on an older JDK: the build finds JDK $required by itself."
} >&2
exit 1
