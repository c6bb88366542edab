package org.npu4j.tuning;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CPUs of the host: clusters (cpufreq policies), frequencies, {@code cpu_capacity}, core types
 * from {@code /proc/cpuinfo}, cpuidle states, and which cores are the big ones.
 *
 * <p>Read from {@code /sys/devices/system/cpu} ({@code online}, {@code cpuN/cpu_capacity},
 * {@code cpuN/cpuidle/stateK/}, {@code cpufreq/policyN/}) and {@code /proc/cpuinfo}, through
 * {@link HostFiles}. A snapshot: it does not follow later changes (read it again).
 *
 * <p><b>Big cores</b> are found by relative capacity, never by an absolute threshold
 * (boards.md: "detect by relative capacity"): the online CPUs whose {@code cpu_capacity} is within
 * 10% of the highest; without {@code cpu_capacity}, those whose policy's {@code cpuinfo_max_freq}
 * is within 10% of the highest; without either, all online CPUs. CPUs of the same known core type
 * as a big core are big too (RK3588's two A76 policies reach 2256000-2400000 kHz, both big).
 * Where all cores are equal (Raspberry Pi 5: 4x Cortex-A76; x86) every online CPU is big.
 *
 * <p>Immutable and thread-safe.
 */
public final class CpuTopology {
    static final String CPU_DIR = "/sys/devices/system/cpu";
    static final String CPUFREQ = CPU_DIR + "/cpufreq";
    static final String CPUINFO = "/proc/cpuinfo";
    /** Within this fraction of the highest capacity (or max frequency) a core counts as big. */
    private static final double SAME_CLASS = 0.9;
    private static final Pattern CPU_NAME = Pattern.compile("cpu(\\d+)");
    private static final Pattern POLICY_NAME = Pattern.compile("policy(\\d+)");
    private static final Pattern STATE_NAME = Pattern.compile("state(\\d+)");

    private final List<Cpu> cpus;
    private final List<CpuFreqPolicy> policies;
    private final List<CpuCluster> clusters;
    private final List<Integer> bigCores;
    private final List<CpuIdleState> idleStates;

    private CpuTopology(List<Cpu> cpus, List<CpuFreqPolicy> policies, List<CpuCluster> clusters,
            List<Integer> bigCores, List<CpuIdleState> idleStates) {
        this.cpus = List.copyOf(cpus);
        this.policies = List.copyOf(policies);
        this.clusters = List.copyOf(clusters);
        this.bigCores = List.copyOf(bigCores);
        this.idleStates = List.copyOf(idleStates);
    }

    /** The topology of the machine this JVM runs on. Same as {@code read(HostFiles.system())}. */
    public static CpuTopology system() {
        return read(HostFiles.system());
    }

    /**
     * Reads the topology.
     *
     * @throws HostFileException naming the file if {@code /sys/devices/system/cpu/online} or
     *                           {@code /proc/cpuinfo} is missing or malformed, or a present
     *                           {@code cpu_capacity}, cpufreq or cpuidle file does not hold a
     *                           value of the expected form
     */
    public static CpuTopology read(HostFiles files) {
        Objects.requireNonNull(files, "files");
        TreeSet<Integer> ids = new TreeSet<>();
        for (String name : files.list(CPU_DIR)) {
            Matcher m = CPU_NAME.matcher(name);
            if (m.matches() && files.isDirectory(CPU_DIR + "/" + name)) {
                ids.add(Integer.parseInt(m.group(1)));
            }
        }
        if (ids.isEmpty()) {
            throw new HostFileException(CPU_DIR, files.resolve(CPU_DIR),
                    "expected a directory with cpuN subdirectories (Linux sysfs)", null);
        }
        List<Integer> online = Parse.cpuList(files, CPU_DIR + "/online", false);
        Map<Integer, CpuInfoEntry> cpuinfo = readCpuInfo(files);

        List<CpuFreqPolicy> policies = new ArrayList<>();
        for (String name : files.list(CPUFREQ)) {
            Matcher m = POLICY_NAME.matcher(name);
            if (m.matches()) {
                policies.add(readPolicy(files, Integer.parseInt(m.group(1))));
            }
        }
        policies.sort(Comparator.comparingInt(CpuFreqPolicy::id));
        Map<Integer, Integer> policyOf = new HashMap<>();
        for (CpuFreqPolicy p : policies) {
            for (int c : p.cpus()) {
                policyOf.put(c, p.id());
            }
        }

        List<Cpu> cpus = new ArrayList<>();
        List<CpuIdleState> idle = new ArrayList<>();
        for (int id : ids) {
            String dir = CPU_DIR + "/cpu" + id;
            Optional<Integer> capacity = files.exists(dir + "/cpu_capacity")
                    ? Optional.of(Parse.intValue(files, dir + "/cpu_capacity", "the CPU capacity (an integer 0-1024)"))
                    : Optional.empty();
            CpuInfoEntry info = cpuinfo.get(id);
            CoreType type = info == null ? CoreType.UNKNOWN : info.type();
            String description = info == null ? CoreType.UNKNOWN.displayName() : info.description();
            cpus.add(new Cpu(id, online.contains(id), type, description, capacity,
                    Optional.ofNullable(policyOf.get(id))));
            idle.addAll(readIdleStates(files, id));
        }

        List<Integer> big = bigCores(cpus, policies);
        List<CpuCluster> clusters = clusters(cpus, policies, big);
        return new CpuTopology(cpus, policies, clusters, big, idle);
    }

    private record CpuInfoEntry(CoreType type, String description) {}

    private static Map<Integer, CpuInfoEntry> readCpuInfo(HostFiles files) {
        String text = files.read(CPUINFO);
        Map<Integer, CpuInfoEntry> out = new LinkedHashMap<>();
        for (String block : text.split("\\n\\s*\\n")) {
            Map<String, String> kv = new LinkedHashMap<>();
            for (String line : block.split("\\n")) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    kv.putIfAbsent(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
                }
            }
            String processor = kv.get("processor");
            if (processor == null) {
                continue;
            }
            int id;
            try {
                id = Integer.parseInt(processor);
            } catch (NumberFormatException e) {
                throw Parse.malformed(files, CPUINFO, "\"processor : N\" with a CPU number", "processor : " + processor);
            }
            String impl = kv.get("CPU implementer");
            String part = kv.get("CPU part");
            CoreType type = CoreType.UNKNOWN;
            String description = kv.getOrDefault("model name", CoreType.UNKNOWN.displayName());
            if (impl != null && part != null) {
                int i = hex(files, impl, "CPU implementer");
                int p = hex(files, part, "CPU part");
                type = CoreType.of(i, p);
                description = type != CoreType.UNKNOWN ? type.displayName()
                        : String.format("implementer 0x%02x part 0x%03x", i, p);
            }
            out.put(id, new CpuInfoEntry(type, description));
        }
        if (out.isEmpty()) {
            throw Parse.malformed(files, CPUINFO, "blocks starting with \"processor : N\"", text);
        }
        return out;
    }

    private static int hex(HostFiles files, String value, String field) {
        String v = value.startsWith("0x") || value.startsWith("0X") ? value.substring(2) : value;
        try {
            return Integer.parseInt(v, 16);
        } catch (NumberFormatException e) {
            throw Parse.malformed(files, CPUINFO, "\"" + field + " : 0x..\" in hex", field + " : " + value);
        }
    }

    private static CpuFreqPolicy readPolicy(HostFiles files, int id) {
        String dir = CPUFREQ + "/policy" + id;
        List<Integer> cpus = Parse.cpuList(files, dir + "/related_cpus", false);
        List<String> governors = files.exists(dir + "/scaling_available_governors")
                ? Parse.words(files, dir + "/scaling_available_governors", "governor names separated by spaces")
                : List.of();
        String governor = Parse.governor(files, dir + "/scaling_governor", governors);
        String khz = "a frequency in kHz";
        long min = Parse.longValue(files, dir + "/cpuinfo_min_freq", khz);
        long max = Parse.longValue(files, dir + "/cpuinfo_max_freq", khz);
        Optional<Long> smin = Parse.optionalLong(files, dir + "/scaling_min_freq", khz);
        Optional<Long> smax = Parse.optionalLong(files, dir + "/scaling_max_freq", khz);
        Optional<Long> cur = Parse.optionalLong(files, dir + "/scaling_cur_freq", khz);
        List<Long> freqs = files.exists(dir + "/scaling_available_frequencies")
                ? Parse.longList(files, dir + "/scaling_available_frequencies", "frequencies in kHz separated by spaces")
                : List.of();
        return new CpuFreqPolicy(id, cpus, governor, governors, min, max, smin, smax, cur, freqs);
    }

    private static List<CpuIdleState> readIdleStates(HostFiles files, int cpu) {
        String dir = CPU_DIR + "/cpu" + cpu + "/cpuidle";
        List<CpuIdleState> out = new ArrayList<>();
        for (String name : files.list(dir)) {
            Matcher m = STATE_NAME.matcher(name);
            if (!m.matches() || !files.exists(dir + "/" + name + "/disable")) {
                continue;
            }
            int k = Integer.parseInt(m.group(1));
            long disable = Parse.longValue(files, dir + "/" + name + "/disable", "0 or 1");
            String stateName = files.readIfPresent(dir + "/" + name + "/name").map(String::strip).orElse(name);
            out.add(new CpuIdleState(cpu, k, stateName, disable != 0));
        }
        out.sort(Comparator.comparingInt(CpuIdleState::index));
        return out;
    }

    private static List<Integer> bigCores(List<Cpu> cpus, List<CpuFreqPolicy> policies) {
        List<Cpu> online = cpus.stream().filter(Cpu::online).toList();
        TreeSet<Integer> big = new TreeSet<>();
        int maxCap = online.stream().flatMap(c -> c.capacity().stream()).mapToInt(Integer::intValue).max().orElse(-1);
        Map<Integer, Long> maxFreqOf = new HashMap<>();
        for (CpuFreqPolicy p : policies) {
            for (int c : p.cpus()) {
                maxFreqOf.put(c, p.maxKHz());
            }
        }
        long maxFreq = online.stream().map(c -> maxFreqOf.get(c.id())).filter(Objects::nonNull)
                .mapToLong(Long::longValue).max().orElse(-1);
        for (Cpu c : online) {
            if (maxCap > 0) {
                if (c.capacity().isPresent() && c.capacity().get() >= SAME_CLASS * maxCap) {
                    big.add(c.id());
                }
            } else if (maxFreq > 0) {
                Long f = maxFreqOf.get(c.id());
                if (f != null && f >= SAME_CLASS * maxFreq) {
                    big.add(c.id());
                }
            } else {
                big.add(c.id());
            }
        }
        List<CoreType> bigTypes = online.stream().filter(c -> big.contains(c.id())).map(Cpu::type)
                .filter(t -> t != CoreType.UNKNOWN).distinct().toList();
        for (Cpu c : online) {
            if (bigTypes.contains(c.type())) {
                big.add(c.id());
            }
        }
        return List.copyOf(big);
    }

    private static List<CpuCluster> clusters(List<Cpu> cpus, List<CpuFreqPolicy> policies, List<Integer> big) {
        List<CpuCluster> out = new ArrayList<>();
        TreeSet<Integer> covered = new TreeSet<>();
        for (CpuFreqPolicy p : policies) {
            List<Cpu> members = cpus.stream().filter(c -> p.cpus().contains(c.id())).toList();
            covered.addAll(p.cpus());
            out.add(cluster(p.name(), p.cpus(), members, Optional.of(p), big));
        }
        Map<String, List<Cpu>> rest = new LinkedHashMap<>();
        for (Cpu c : cpus) {
            if (!covered.contains(c.id())) {
                rest.computeIfAbsent(c.type() + "/" + c.capacity().orElse(-1) + "/" + c.description(),
                        k -> new ArrayList<>()).add(c);
            }
        }
        int n = 0;
        for (List<Cpu> members : rest.values()) {
            out.add(cluster("cluster" + n++, members.stream().map(Cpu::id).toList(), members, Optional.empty(), big));
        }
        return out;
    }

    private static CpuCluster cluster(String name, List<Integer> ids, List<Cpu> members, Optional<CpuFreqPolicy> policy,
            List<Integer> big) {
        Cpu first = members.stream().filter(Cpu::online).findFirst().orElse(members.isEmpty() ? null : members.get(0));
        CoreType type = first == null ? CoreType.UNKNOWN : first.type();
        Optional<Integer> capacity = members.stream().flatMap(c -> c.capacity().stream()).max(Integer::compare);
        boolean isBig = ids.stream().anyMatch(big::contains);
        return new CpuCluster(name, ids, type, capacity, policy, isBig);
    }

    /** Every CPU sysfs lists ({@code cpuN}), ascending, online or not. */
    public List<Cpu> cpus() {
        return cpus;
    }

    /** CPU {@code id}, if it exists. */
    public Optional<Cpu> cpu(int id) {
        return cpus.stream().filter(c -> c.id() == id).findFirst();
    }

    /** The online CPUs, ascending. */
    public List<Integer> onlineCpus() {
        return cpus.stream().filter(Cpu::online).map(Cpu::id).toList();
    }

    /** The cpufreq policies, by id; empty without cpufreq (e.g. a virtual machine). */
    public List<CpuFreqPolicy> policies() {
        return policies;
    }

    /** The cpufreq policy of CPU {@code cpu}, if any. */
    public Optional<CpuFreqPolicy> policyOf(int cpu) {
        return policies.stream().filter(p -> p.cpus().contains(cpu)).findFirst();
    }

    /** The clusters: one per cpufreq policy, then CPUs without a policy grouped by core type and capacity. */
    public List<CpuCluster> clusters() {
        return clusters;
    }

    /** The big cores (see the class description), ascending; never empty when a CPU is online. */
    public List<Integer> bigCores() {
        return bigCores;
    }

    /**
     * The big cores as a bit mask, bit N = CPU N: {@code 0xf0} on RK3588 (CPU4-7, what the vendor
     * demos pass to {@code taskset f0}), {@code 0xf} on a Raspberry Pi 5. The default for RKLLM's
     * {@code RKLLMExtendParam.enabled_cpus_mask}. Only CPUs 0-63 fit; higher ones are left out.
     */
    public long bigCoreMask() {
        return CpuList.toMask(bigCores.stream().filter(c -> c < 64).toList());
    }

    /** Whether all online cores are big: no big.LITTLE split (Raspberry Pi 5, x86). */
    public boolean allCoresEqual() {
        return bigCores.size() == onlineCpus().size();
    }

    /** The cpuidle states of every CPU that has them (those with a {@code disable} file). */
    public List<CpuIdleState> idleStates() {
        return idleStates;
    }

    /** E.g. {@code "CPU4 (Cortex-A76)"}. */
    public String describe(int cpu) {
        return "CPU" + cpu + cpu(cpu).map(c -> " (" + c.description() + ")").orElse("");
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("CpuTopology[");
        for (CpuCluster c : clusters) {
            sb.append(c.name()).append('=').append(CpuList.format(c.cpus())).append(' ').append(c.type().displayName())
                    .append(c.big() ? " big" : "").append("; ");
        }
        return sb.append("big=").append(CpuList.format(bigCores)).append(']').toString();
    }
}
