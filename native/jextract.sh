#!/usr/bin/env bash
# Regenerates the committed FFM bindings from npu4j's own headers in native/include.
#
#   native/jextract.sh            regenerate rkllm-bindings, axcl-bindings and rknn-bindings
#   native/jextract.sh --check    only verify that the stamps match the headers
#
# Needs jextract (JDK 22+ API, built against libclang 14) on PATH, or JEXTRACT=/path/to/jextract.
# jextract is published in no package registry: build it from the openjdk/jextract sources.
# It is never committed here, nor is anything that builds it.
#
# The bindings are generated without -l/--library: symbols resolve through the library that
# npu4j-core loads at run time (the vendor runtime on a board, an emulated one elsewhere).
# Each ABI has an explicit allow-list in native/jextract/<abi>.args.
# After generation a stamp (SHA-256 of every input) is written beside the generated code;
# the bindings modules' tests fail when the headers change and the bindings were not regenerated.
set -euo pipefail

native=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$native")

# abi | module | package | header class | include dir (relative to native/include) | headers (space-separated)
abis=(
  "rkllm_v1_2|rkllm-bindings|org.npu4j.rkllm.ffi.v1_2|Rkllm|rkllm/v1_2|rkllm.h"
  "rkllm_v1_3|rkllm-bindings|org.npu4j.rkllm.ffi.v1_3|Rkllm|rkllm/v1_3|rkllm.h"
  "axcl|axcl-bindings|org.npu4j.axcl.ffi|Axcl|axcl|axcl.h"
  "rknn|rknn-bindings|org.npu4j.rknn.ffi|Rknn|rknn|rknn_api.h rknn_matmul_api.h"
)

# The stamp of one ABI: hash of each input file, paths relative to native/.
stamp_of() {
  local abi=$1 incdir=$2
  (cd "$native" && find "include/$incdir" -type f -name '*.h' | LC_ALL=C sort | xargs sha256sum \
     && sha256sum "jextract/$abi.args")
}

stamp_file() { # module package
  echo "$root/$1/src/main/resources/${2//.//}/jextract.stamp"
}

check=0
[[ "${1:-}" == "--check" ]] && check=1

status=0
for entry in "${abis[@]}"; do
  IFS='|' read -r abi module pkg cls incdir headers <<<"$entry"
  stamp=$(stamp_file "$module" "$pkg")
  if (( check )); then
    if ! diff -q <(stamp_of "$abi" "$incdir") <(grep -v '^#' "$stamp" 2>/dev/null) >/dev/null; then
      echo "stale: $module ($pkg) does not match native/include/$incdir; run native/jextract.sh" >&2
      status=1
    fi
    continue
  fi

  jextract=${JEXTRACT:-jextract}
  if ! command -v "$jextract" >/dev/null 2>&1; then
    echo "jextract not found (looked for '$jextract'): build it from the openjdk/jextract sources" \
         "(needs JDK 23+ and libclang 14, Debian's libclang-dev) and put it on PATH or set JEXTRACT" >&2
    exit 2
  fi

  out="$root/$module/src/main/java"
  rm -rf "${out:?}/${pkg//.//}"
  read -r -a header_files <<<"$headers"
  header_paths=("${header_files[@]/#/$native/include/$incdir/}")
  echo "jextract: native/include/$incdir/{${headers// /,}} -> $module ($pkg.$cls)"
  # jextract reads no comments from argument files: strip them.
  mapfile -t includes < <(grep -v '^#' "$native/jextract/$abi.args" | sed '/^\s*$/d')
  # shellcheck disable=SC2086
  "$jextract" \
      --output "$out" \
      --target-package "$pkg" \
      --header-class-name "$cls" \
      -I "$native/include/$incdir" \
      ${includes[*]} \
      "${header_paths[@]}"

  mkdir -p "$(dirname "$stamp")"
  {
    echo "# Inputs of the generated bindings in $pkg; written by native/jextract.sh, do not edit."
    echo "# $("$jextract" --version 2>&1 | head -1)"
    stamp_of "$abi" "$incdir"
  } >"$stamp"
done
exit $status
