#!/usr/bin/env bash
# npu4j overhead report: what the Java API adds to the C API, measured in one run against the
# emulated runtimes with their delays off (NPU4J_EMULATOR_SPEED=0), so that only the cost of the
# calls remains.
#
#   1. RKLLM token streaming: native/bench/rkllm_stream_bench (C, one callback per token) against
#      RkllmStreamBenchmark (JMH, the Java API with a no-op listener): ns/token and bytes/token.
#      Targets: Java - C < 2 us per token, < 64 B allocated per token.
#   2. AXCL execute on a reused IO binding (identity-small): native/bench/axcl_execute_bench (C)
#      against AxclExecuteBenchmark (JMH): ns/call and bytes/call, the target on the medians over
#      1000-call batches as for RKNN below (C: median_batch_ns_per_call; Java: executeBatch's p0.50).
#      Targets: Java - C < 1 us per call, 0 B per call.
#   3. RKNN zero-copy run on a reused binding (identity-tiny): native/bench/rknn_run_bench (C)
#      against RknnRunBenchmark (JMH): ns/call and bytes/call. The target compares medians over
#      1000-call batches (C: median_batch_ns_per_call; Java: runBatch's p0.50), which preemptions on a
#      loaded machine move far less than the means (printed too, no target).
#      Targets: Java - C <= 400 ns per call, 0 B per call.
#   4. Peak RSS of the chat CLI (samples/chat/target/npu4j-chat --emulator --prompt ...) against
#      the C driver streaming an answer to the same prompt (reported, no target).
#
# Usage: samples/bench/overhead.sh [--quick] [--build | --no-build] [--repeat N]
#   --quick     shorter JMH runs (2 warm-up and 3 measured iterations of 1 s) and 3 C runs
#   --build     build what is needed even if it exists (default: build only what is missing)
#   --no-build  never build; fail if something is missing
#   --repeat N  runs of each C driver, half before and half after JMH (the median is used; default 5)
# Exits 1 if a target is missed, 2 on a usage or build error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cmake_dir=$root/native/target/cmake
c_rkllm=$cmake_dir/bench/rkllm_stream_bench
c_axcl=$cmake_dir/bench/axcl_execute_bench
c_rknn=$cmake_dir/bench/rknn_run_bench
jar=$here/target/npu4j-bench.jar
chat=$root/samples/chat/target/npu4j-chat

# Must equal RkllmStreamBenchmark.TOKENS: C and Java stream the same number of tokens.
tokens=$(sed -n 's/.*int TOKENS = \([0-9_]*\);.*/\1/p' "$here/src/main/java/org/npu4j/bench/RkllmStreamBenchmark.java" | tr -d _)
calls=1000000
repeat=5
build=auto
jmh_opts=(-wi 3 -i 5 -w 2s -r 2s -f 1)
prompt="Why does an NPU need its IRQ on a big core?"

while (($#)); do
  case "$1" in
    --quick) jmh_opts=(-wi 2 -i 3 -w 1s -r 1s -f 1); repeat=3; calls=300000 ;;
    --build) build=always ;;
    --no-build) build=never ;;
    --repeat) shift; repeat=${1:?--repeat needs a number} ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "overhead.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

export NPU4J_EMULATOR_SPEED=0
export LC_ALL=C

# ---- what is needed ---------------------------------------------------------------------------
modules=samples/bench
[[ -f $root/samples/chat/pom.xml ]] && modules+=,samples/chat
missing=()
for f in "$c_rkllm" "$jar"; do [[ -e $f ]] || missing+=("$f"); done
if [[ $build == always || ( $build == auto && ${#missing[@]} -gt 0 ) || ( $build == auto && -f $root/samples/chat/pom.xml && ! -x $chat ) ]]; then
  echo "Building $modules (and what they need) ..." >&2
  (cd "$root" && ./mvnw -B -q package -DskipTests -pl "$modules" -am) >&2 || { echo "overhead.sh: build failed" >&2; exit 2; }
elif ((${#missing[@]})); then
  echo "overhead.sh: missing ${missing[*]}; run without --no-build, or: ./mvnw -B package -DskipTests -pl $modules -am" >&2
  exit 2
fi
java_home=$(bash "$root/.mvn/require-jdk.sh" --print 25) || exit 2
java=$java_home/bin/java

# ---- helpers ----------------------------------------------------------------------------------
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) exit 1; print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; } # value of key=value in a line
calc() { awk "BEGIN {printf \"$1\", $2}"; }
jmh_score() { # CSV file, benchmark label -> score
  awk -F, -v key="\"$2\"" '$1 == key {print $5}' "$1"
}
passed=0
failed=0
verdict() { # condition (awk expression), text
  if awk "BEGIN {exit !($1)}"; then echo "  PASS  $2"; passed=$((passed + 1)); else echo "  FAIL  $2"; failed=$((failed + 1)); fi
}
peak_rss_kb() { # command... -> peak RSS of the command in kB on stdout; the command's output is discarded
  if [[ -x /usr/bin/time ]]; then
    local f; f=$(mktemp)
    /usr/bin/time -f %M -o "$f" "$@" >/dev/null 2>&1 || { rm -f "$f"; return 1; }
    tail -n 1 "$f"; rm -f "$f"
  else # no GNU time: sample VmHWM (a high-water mark) of the process while it runs
    "$@" >/dev/null 2>&1 & local pid=$! hwm=0 v
    while kill -0 "$pid" 2>/dev/null; do
      v=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
      [[ -n $v && $v -gt $hwm ]] && hwm=$v
      sleep 0.01
    done
    wait "$pid" || return 1
    echo "$hwm"
  fi
}
run_c_batched() { # driver, args... -> "mean median" per run of a per-call driver (rknn_run_bench, axcl_execute_bench)
  local i
  for ((i = 0; i < repeat; i++)); do
    "$@" 2>/dev/null | sed -n 's/.* ns_per_call=\([0-9.]*\) median_batch_ns_per_call=\([0-9.]*\)$/\1 \2/p'
  done
}
run_c() { # driver, args... -> one value per run on stdout (the number after the second '=')
  local i
  for ((i = 0; i < repeat; i++)); do "$@" 2>/dev/null | sed -n 's/.*=[0-9]* [a-z_]*=\([0-9.]*\)$/\1/p'; done
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "npu4j overhead report, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Java: $("$java" -version 2>&1 | head -n 1); emulators with NPU4J_EMULATOR_SPEED=0 (no emulated device time)"
echo

# ---- 1. RKLLM streaming -----------------------------------------------------------------------
have_axcl=0
if [[ -x $c_axcl ]] && "$java" -jar "$jar" -l 2>/dev/null | grep -q AxclExecuteBenchmark; then have_axcl=1; fi
have_rknn=0
if [[ -x $c_rknn ]] && "$java" -jar "$jar" -l 2>/dev/null | grep -q RknnRunBenchmark; then have_rknn=1; fi
benchmarks=RkllmStreamBenchmark
((have_axcl)) && benchmarks+="|AxclExecuteBenchmark"
((have_rknn)) && benchmarks+="|RknnRunBenchmark"

# The C runs go around the JMH run, half before and half after, so that both see the machine's load
# of the same minutes (it is shared: the load average is printed above).
before=$(((repeat + 1) / 2))
after=$((repeat - before))
echo "C drivers ($before runs each) ..." >&2
repeat=$before
mapfile -t c_tok < <(run_c "$c_rkllm" --tokens "$tokens")
((have_axcl)) && mapfile -t c_call < <(run_c_batched "$c_axcl" --calls "$calls")
((have_rknn)) && mapfile -t c_rk < <(run_c_batched "$c_rknn" --calls "$calls")
echo "JMH ($benchmarks, ${jmh_opts[*]}, -prof gc) ..." >&2
"$java" -jar "$jar" "${jmh_opts[@]}" -prof gc -rf csv -rff "$tmp/jmh.csv" "$benchmarks" >"$tmp/jmh.log" 2>&1 \
  || { tail -n 30 "$tmp/jmh.log" >&2; echo "overhead.sh: JMH failed (log above)" >&2; exit 2; }
echo "C drivers ($after runs each) ..." >&2
repeat=$after
mapfile -t -O "${#c_tok[@]}" c_tok < <(run_c "$c_rkllm" --tokens "$tokens")
((have_axcl)) && mapfile -t -O "${#c_call[@]}" c_call < <(run_c_batched "$c_axcl" --calls "$calls")
((have_rknn)) && mapfile -t -O "${#c_rk[@]}" c_rk < <(run_c_batched "$c_rknn" --calls "$calls")
repeat=$((before + after))
((${#c_tok[@]} == repeat)) || { echo "overhead.sh: $c_rkllm failed" >&2; exit 2; }
if ((have_axcl)) && ((${#c_call[@]} != repeat)); then echo "overhead.sh: $c_axcl failed" >&2; exit 2; fi
if ((have_rknn)) && ((${#c_rk[@]} != repeat)); then echo "overhead.sh: $c_rknn failed" >&2; exit 2; fi

c_ns=$(printf '%s\n' "${c_tok[@]}" | median)
j_ns=$(jmh_score "$tmp/jmh.csv" org.npu4j.bench.RkllmStreamBenchmark.stream)
j_err=$(awk -F, '$1 == "\"org.npu4j.bench.RkllmStreamBenchmark.stream\"" {print $6}' "$tmp/jmh.csv")
j_b=$(jmh_score "$tmp/jmh.csv" org.npu4j.bench.RkllmStreamBenchmark.stream:gc.alloc.rate.norm)
echo "RKLLM token streaming, $tokens tokens per generation (emulated RK3588 Qwen3-0.6B, RKLLM 1.3.0 ABI)"
echo "  C    rkllm_stream_bench    $(calc %.1f "$c_ns") ns/token (median of: ${c_tok[*]})"
echo "  Java RkllmStreamBenchmark  $(calc %.1f "$j_ns") ns/token (+- $(calc %.1f "$j_err"), 99.9% CI), $(calc %.1f "$j_b") B/token"
echo "  Java/C $(calc %.2f "$j_ns / $c_ns"); Java - C = $(calc %.1f "$j_ns - $c_ns") ns/token"
verdict "$j_ns - $c_ns < 2000" "Java per-token overhead $(calc %.1f "$j_ns - $c_ns") ns < 2000 ns"
verdict "$j_b < 64" "Java allocation $(calc %.1f "$j_b") B/token < 64 B/token"
echo

# ---- 2. AXCL execute --------------------------------------------------------------------------
if ((have_axcl)); then
  c_call_ns=$(printf '%s\n' "${c_call[@]}" | awk '{print $1}' | median)
  c_call_med=$(printf '%s\n' "${c_call[@]}" | awk '{print $2}' | median)
  j_call_ns=$(jmh_score "$tmp/jmh.csv" org.npu4j.bench.AxclExecuteBenchmark.execute)
  j_call_err=$(awk -F, '$1 == "\"org.npu4j.bench.AxclExecuteBenchmark.execute\"" {print $6}' "$tmp/jmh.csv")
  j_call_b=$(jmh_score "$tmp/jmh.csv" org.npu4j.bench.AxclExecuteBenchmark.execute:gc.alloc.rate.norm)
  j_call_med=$(jmh_score "$tmp/jmh.csv" org.npu4j.bench.AxclExecuteBenchmark.executeBatch:p0.50)
  echo "AXCL execute on a reused IO binding (emulated AX650N, identity-small: 1 KiB in, 1 KiB out)"
  echo "  C    axcl_execute_bench    median batch $(calc %.1f "$c_call_med") ns/call, mean $(calc %.1f "$c_call_ns") ns/call (medians of $repeat runs of $calls calls; mean/median batch per run: $(printf '%s\n' "${c_call[@]}" | awk '{printf "%s%s/%s", (NR > 1 ? " " : ""), $1, $2}'))"
  echo "  Java AxclExecuteBenchmark  median batch $(calc %.1f "$j_call_med") ns/call (executeBatch p0.50), mean $(calc %.1f "$j_call_ns") ns/call (+- $(calc %.1f "$j_call_err"), 99.9% CI), $(calc %.3f "$j_call_b") B/call"
  echo "  median batch: Java/C $(calc %.2f "$j_call_med / $c_call_med"); Java - C = $(calc %.1f "$j_call_med - $c_call_med") ns/call;" \
       "means: Java - C = $(calc %.1f "$j_call_ns - $c_call_ns") ns/call (no target: preemptions dominate them under load)"
  verdict "$j_call_med - $c_call_med < 1000" "Java per-call overhead $(calc %.1f "$j_call_med - $c_call_med") ns < 1000 ns (medians of 1000-call batches)"
  # JMH's own bookkeeping leaves a fraction of a byte per operation: below 1 B/call is no allocation.
  verdict "$j_call_b < 1" "Java allocation $(calc %.3f "$j_call_b") B/call rounds to 0 B/call"
else
  echo "AXCL execute: SKIPPED ($c_axcl or AxclExecuteBenchmark not built: the AXCL API is not in this tree yet)"
fi
echo

# ---- 3. RKNN run -----------------------------------------------------------------------------
if ((have_rknn)); then
  c_rk_ns=$(printf '%s\n' "${c_rk[@]}" | awk '{print $1}' | median)
  c_rk_med=$(printf '%s\n' "${c_rk[@]}" | awk '{print $2}' | median)
  j_rk_ns=$(jmh_score "$tmp/jmh.csv" org.npu4j.bench.RknnRunBenchmark.run)
  j_rk_err=$(awk -F, '$1 == "\"org.npu4j.bench.RknnRunBenchmark.run\"" {print $6}' "$tmp/jmh.csv")
  j_rk_b=$(jmh_score "$tmp/jmh.csv" org.npu4j.bench.RknnRunBenchmark.run:gc.alloc.rate.norm)
  j_rk_med=$(jmh_score "$tmp/jmh.csv" org.npu4j.bench.RknnRunBenchmark.runBatch:p0.50)
  echo "RKNN zero-copy run on a reused binding (emulated RK3588, identity-tiny: 256 B in with the 16-pixel row stride, 64 B out)"
  echo "  C    rknn_run_bench        median batch $(calc %.1f "$c_rk_med") ns/call, mean $(calc %.1f "$c_rk_ns") ns/call (medians of $repeat runs of $calls calls; mean/median batch per run: $(printf '%s\n' "${c_rk[@]}" | awk '{printf "%s%s/%s", (NR > 1 ? " " : ""), $1, $2}'))"
  echo "  Java RknnRunBenchmark      median batch $(calc %.1f "$j_rk_med") ns/call (runBatch p0.50), mean $(calc %.1f "$j_rk_ns") ns/call (+- $(calc %.1f "$j_rk_err"), 99.9% CI), $(calc %.3f "$j_rk_b") B/call"
  echo "  median batch: Java/C $(calc %.2f "$j_rk_med / $c_rk_med"); Java - C = $(calc %.1f "$j_rk_med - $c_rk_med") ns/call;" \
       "means: Java - C = $(calc %.1f "$j_rk_ns - $c_rk_ns") ns/call (no target: preemptions dominate them under load)"
  verdict "$j_rk_med - $c_rk_med <= 400" "Java per-call overhead $(calc %.1f "$j_rk_med - $c_rk_med") ns <= 400 ns (medians of 1000-call batches)"
  verdict "$j_rk_b < 1" "Java allocation $(calc %.3f "$j_rk_b") B/call rounds to 0 B/call"
else
  echo "RKNN run: SKIPPED ($c_rknn or RknnRunBenchmark not built)"
fi
echo

# ---- 4. RSS -----------------------------------------------------------------------------------
if [[ -x $chat ]]; then
  echo "Peak RSS ..." >&2
  c_rss=$(peak_rss_kb "$c_rkllm" --tokens 256 --warmup 0 --prompt "$prompt") || c_rss=
  j_rss=$(peak_rss_kb "$chat" --emulator --prompt "$prompt") || j_rss=
  how=$([[ -x /usr/bin/time ]] && echo "/usr/bin/time -f %M" || echo "VmHWM sampled every 10 ms")
  echo "Peak RSS, one answer to \"$prompt\" ($how)"
  if [[ -n $c_rss && -n $j_rss ]]; then
    echo "  C    rkllm_stream_bench    $(calc %.1f "$c_rss / 1024") MB"
    echo "  Java npu4j-chat --emulator $(calc %.1f "$j_rss / 1024") MB"
    echo "  Java/C $(calc %.1f "$j_rss / $c_rss"); Java - C = $(calc %.1f "($j_rss - $c_rss) / 1024") MB (a JVM's heap, JIT and class data; no target)"
  else
    echo "  could not measure (C: ${c_rss:-failed}, Java: ${j_rss:-failed})"
  fi
else
  echo "Peak RSS of the chat CLI: SKIPPED ($chat not built: samples/chat is not in this tree yet)"
fi
echo
echo "targets: $passed passed, $failed failed"
((failed == 0)) || exit 1
