package org.npu4j.tuning;

import java.util.List;

/**
 * What {@link HostTuning} would change on a host, and whether this process may: the dry-run
 * result. Immutable and thread-safe.
 *
 * @param state       the host as read when planning
 * @param changes     the writes, in the order they are applied (restored in reverse)
 * @param notes       things looked at and left alone, each with why (e.g. "IRQ 93 already on CPU4")
 * @param notWritable the files of {@code changes} this process may not write (not root, read-only);
 *                    when not empty nothing is applied
 */
public record TuningPlan(HostState state, List<Change> changes, List<String> notes, List<String> notWritable) {

    /** Checks the values and makes the lists immutable. */
    public TuningPlan {
        changes = List.copyOf(changes);
        notes = List.copyOf(notes);
        notWritable = List.copyOf(notWritable);
    }

    /** Whether every change may be written by this process. */
    public boolean canApply() {
        return notWritable.isEmpty();
    }

    /** Whether there is nothing to change. */
    public boolean isEmpty() {
        return changes.isEmpty();
    }

    /** The plan for people: one line per change (file, old → new, why), then the notes. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        if (changes.isEmpty()) {
            sb.append("Nothing to change.\n");
        }
        for (Change c : changes) {
            sb.append("  ").append(c.file()).append(": ").append(c.oldValue() == null ? "(absent)" : c.oldValue())
                    .append(" -> ").append(c.newValue()).append('\n');
            sb.append("      ").append(c.reason()).append('\n');
        }
        for (String n : notes) {
            sb.append("  note: ").append(n).append('\n');
        }
        if (!notWritable.isEmpty()) {
            sb.append("Not allowed to write (run as root to apply):\n");
            for (String f : notWritable) {
                sb.append("  ").append(f).append('\n');
            }
        }
        return sb.toString();
    }
}
