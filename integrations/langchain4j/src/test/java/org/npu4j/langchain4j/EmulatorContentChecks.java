package org.npu4j.langchain4j;

import java.util.Map;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Disables, with the reason, the tests of LangChain4j's conformance suites whose assertions need a real
 * model's knowledge: the emulated Qwen3 writes deterministic filler text from its prompt's hash (see
 * native/emulator/rkllm/README.md), so it cannot say "Berlin" for the capital of Germany, translate, echo
 * "Hello World" or work out which city a weather question names. They are reported as skipped with this
 * reason, never as passed. Everything else those tests check (threads, partial responses, token usage,
 * finish reasons, ids, exception propagation, stop sequences, tool-call mapping) is asserted without
 * content by {@link NpuLangChain4jTest}. Run the suites against a real model on a board to check content.
 *
 * <p>A condition rather than overrides: three of these tests are package-private in the suite
 * ({@code should_propagate_user_exceptions_*}, {@code should_ignore_user_exceptions_thrown_from_onError})
 * and cannot be overridden from another package.
 */
public final class EmulatorContentChecks implements ExecutionCondition {
    private static final String BERLIN = "asserts the answer contains \"Berlin\" (capital of Germany): world"
            + " knowledge the emulator's filler text cannot have";
    private static final Map<String, String> REASONS = Map.ofEntries(
            Map.entry("should_respect_user_message", BERLIN),
            Map.entry("should_respect_system_message", "asserts a German translation (\"liebe\"): the emulator"
                    + " does not translate"),
            Map.entry("should_respect_multiple_messages", "asserts the answer recalls a colour given earlier in the"
                    + " conversation (\"green\"): the emulator's text does not"),
            Map.entry("should_respect_stopSequences_in_chat_request", "asserts the answer to \"Say 'Hello World'\""
                    + " contains \"Hello\": the emulator does not echo; stop sequences are asserted by"
                    + " NpuLangChain4jTest.stopSequencesCutTheAnswer"),
            Map.entry("should_respect_stopSequences_in_default_model_parameters", "as"
                    + " should_respect_stopSequences_in_chat_request"),
            Map.entry("should_execute_a_tool_then_answer", "asserts the model infers getWeather({\"city\":"
                    + " \"Munich\"}) from \"What is the weather in Munich?\": the emulator calls a tool only when the"
                    + " message names it (get_weather / get weather); tool calls are asserted by"
                    + " NpuLangChain4jTest.toolSpecificationsReachTheModelAndCallsComeBackAsRequests"),
            Map.entry("should_execute_multiple_tools_in_parallel_then_answer", "as should_execute_a_tool_then_answer,"
                    + " with two cities"),
            Map.entry("should_propagate_user_exceptions_thrown_from_onPartialResponse", BERLIN + "; the"
                    + " propagation is asserted by NpuLangChain4jTest.handlerExceptionsGoToOnErrorAndTheStreamGoesOn"),
            Map.entry("should_propagate_user_exceptions_thrown_from_onCompleteResponse", BERLIN + "; the"
                    + " propagation is asserted by NpuLangChain4jTest.handlerExceptionsGoToOnErrorAndTheStreamGoesOn"),
            Map.entry("should_ignore_user_exceptions_thrown_from_onError", BERLIN + "; asserted by"
                    + " NpuLangChain4jTest.handlerExceptionsGoToOnErrorAndTheStreamGoesOn"));

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String reason = context.getTestMethod().map(m -> REASONS.get(m.getName())).orElse(null);
        return reason == null ? ConditionEvaluationResult.enabled("no content check")
                : ConditionEvaluationResult.disabled("needs a real model: " + reason);
    }
}
