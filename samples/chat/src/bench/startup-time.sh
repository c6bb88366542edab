#!/bin/sh
# Start-up of the packaged npu4j-chat: milliseconds from process start to the first byte of the answer on
# stdout (the first token), with the launcher's AOT cache and without it (NPU4J_AOT=off), runs alternated so
# that both see the same machine load. Emulator, delays off.
#   samples/chat/src/bench/startup-time.sh [RUNS] [LAUNCHER]     (default: 10, samples/chat/target/npu4j-chat)
set -eu
runs=${1:-10}
launcher=${2:-$(dirname -- "$0")/../../target/npu4j-chat}
[ -x "$launcher" ] || { echo "no launcher $launcher: run ./mvnw package -pl samples/chat -am first" >&2; exit 1; }
export NPU4J_EMULATOR_SPEED=0

cpu=$(mktemp)
# One run: prints "<ms to first stdout byte> <ms to exit> <ms of CPU, user + system>".
once() {
  start=$(date +%s%N)
  NPU4J_AOT=$1 /usr/bin/time -o "$cpu" -f '%U %S' "$launcher" --emulator --prompt hi --max-new-tokens 8 2>/dev/null | {
    head -c1 >/dev/null
    first=$(date +%s%N)
    cat >/dev/null
    end=$(date +%s%N)
    echo $(( (first - start) / 1000000 )) $(( (end - start) / 1000000 )) \
      "$(awk '{printf "%d", ($1 + $2) * 1000}' "$cpu")"
  }
}

# Median of the numbers on stdin.
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

on=$(mktemp); off=$(mktemp)
trap 'rm -f "$on" "$off" "$cpu"' EXIT
i=0
while [ "$i" -lt "$runs" ]; do
  once on >>"$on"
  once off >>"$off"
  i=$((i + 1))
done
first_on=$(cut -d' ' -f1 "$on" | median); first_off=$(cut -d' ' -f1 "$off" | median)
exit_on=$(cut -d' ' -f2 "$on" | median); exit_off=$(cut -d' ' -f2 "$off" | median)
cpu_on=$(cut -d' ' -f3 "$on" | median); cpu_off=$(cut -d' ' -f3 "$off" | median)
echo "npu4j-chat start-up, emulator, delays off, median of $runs runs each (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "  first token: AOT cache $first_on ms, without $first_off ms (ratio $(echo "$first_on $first_off" | awk '{printf "%.2f", $1 / $2}'))"
echo "  exit:        AOT cache $exit_on ms, without $exit_off ms"
echo "  CPU (user + system): AOT cache $cpu_on ms, without $cpu_off ms"
