package org.npu4j.chat;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.npu4j.llm.ChatSession;
import org.npu4j.llm.Completion;
import org.npu4j.llm.ImageData;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.TokenListener;

/**
 * The interactive chat: JLine line editing and history ({@code $HOME/.npu4j/chat_history}), answers
 * streamed as they are generated (a thinking model's {@code <think>} block in faint text), Ctrl-C
 * stops the current answer ({@link LanguageModel#abort()}) and gives the prompt back, Ctrl-D or {@code /exit}
 * quits.
 */
final class Repl {
    static final String PROMPT = "you> ";

    private final ChatSession chat;
    private final boolean emulator;
    private final AtomicBoolean answering = new AtomicBoolean();
    private int answers;
    private long tokens;

    /** Images shown with the next message ({@code --image}, {@code /image}). */
    private final List<ImageData> pending = new ArrayList<>();

    Repl(ChatSession chat, boolean verbose, List<ImageData> images) {
        this(chat, verbose);
        pending.addAll(images);
    }

    Repl(ChatSession chat, boolean verbose) {
        this.chat = chat;
        this.emulator = chat.model().info().emulator();
    }

    int run() throws IOException {
        try (Terminal terminal = TerminalBuilder.builder().name("npu4j-chat").system(true).build()) {
            LineReader reader = LineReaderBuilder.builder().appName("npu4j-chat").terminal(terminal)
                    .variable(LineReader.HISTORY_FILE, historyFile()).build();
            PrintWriter w = terminal.writer();
            boolean ansi = !Terminal.TYPE_DUMB.equals(terminal.getType())
                    && !Terminal.TYPE_DUMB_COLOR.equals(terminal.getType());
            LanguageModel model = chat.model();
            terminal.handle(Terminal.Signal.INT, signal -> {
                if (answering.get()) {
                    model.abort();
                }
            });
            w.println("Type a message, /help for commands; Ctrl-C stops an answer, Ctrl-D quits.");
            w.flush();
            while (true) {
                String line;
                try {
                    line = reader.readLine(PROMPT);
                } catch (UserInterruptException e) {
                    continue; // Ctrl-C at the prompt: a fresh line
                } catch (EndOfFileException e) {
                    w.println();
                    break;
                }
                line = line.strip();
                if (line.isEmpty()) {
                    continue;
                }
                if (line.startsWith("/")) {
                    if (!command(line, w)) {
                        break;
                    }
                    continue;
                }
                answer(line, w, ansi);
            }
            w.flush();
        }
        return 0;
    }

    private void answer(String message, PrintWriter w, boolean ansi) {
        answering.set(true);
        Completion r;
        try {
            r = chat.send(message, List.copyOf(pending), new Printer(w, ansi));
            pending.clear();
        } catch (RuntimeException e) {
            w.println();
            w.println("npu4j-chat: " + e.getMessage());
            w.flush();
            return;
        } finally {
            answering.set(false);
        }
        answers++;
        tokens += r.tokenCount();
        w.println();
        w.println(Stats.line(r, emulator));
        w.flush();
    }

    /** Runs a {@code /command}; false to quit. */
    private boolean command(String line, PrintWriter w) {
        int space = line.indexOf(' ');
        String name = space < 0 ? line : line.substring(0, space);
        String arg = space < 0 ? "" : line.substring(space + 1).strip();
        try {
            switch (name) {
                case "/exit", "/quit" -> {
                    return false;
                }
                case "/reset" -> {
                    chat.reset();
                    w.println("(conversation cleared; the system prompt stays)");
                }
                case "/image" -> {
                    if (arg.isEmpty()) {
                        w.println("usage: /image FILE  (shows the image with your next message)");
                    } else {
                        ImageData img = Images.read(Path.of(arg));
                        pending.add(img);
                        w.println("(image " + img.width() + "x" + img.height() + " attached to your next message)");
                    }
                }
                case "/stats" -> Stats.summary(chat.model(), answers, tokens).forEach(w::println);
                case "/system" -> {
                    if (arg.isEmpty()) {
                        w.println("usage: /system TEXT  (sets the system prompt and starts a new conversation)");
                    } else {
                        chat.systemPrompt(arg);
                        w.println("(system prompt set; new conversation)");
                    }
                }
                case "/help" -> {
                    w.println("/reset         forget the conversation (keeps the system prompt)");
                    w.println("/image FILE    show an image with the next message (a model with a vision encoder)");
                    w.println("/stats         model, runtime, CPUs and latency percentiles so far");
                    w.println("/system TEXT   set the system prompt and start a new conversation");
                    w.println("/exit          quit (also Ctrl-D)");
                    w.println("Ctrl-C stops the answer being written.");
                }
                default -> w.println("unknown command " + name + " (/help lists them)");
            }
        } catch (RuntimeException e) {
            w.println("npu4j-chat: " + e.getMessage());
        }
        w.flush();
        return true;
    }

    /** {@code $HOME/.npu4j/chat_history}: {@code $HOME} as shells use it, else the JVM's {@code user.home}. */
    static Path historyFile() {
        String home = System.getenv("HOME");
        return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".npu4j",
                "chat_history");
    }

    /** Streams the answer; the thinking block in faint text on an ANSI terminal. */
    private static final class Printer implements TokenListener {
        private final PrintWriter w;
        private final boolean ansi;

        Printer(PrintWriter w, boolean ansi) {
            this.w = w;
            this.ansi = ansi;
        }

        @Override
        public void onToken(String text, int tokenId) {
            if (text.isEmpty()) {
                return;
            }
            if (ansi && text.contains("<think>")) {
                w.print("\u001b[2m");
            }
            w.print(text);
            if (ansi && text.contains("</think>")) {
                w.print("\u001b[22m");
            }
            w.flush();
        }
    }
}
