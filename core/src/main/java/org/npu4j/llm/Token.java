package org.npu4j.llm;

/**
 * One generated token as published by {@link LanguageModel#stream(LlmRequest)}.
 *
 * @param text    the text it completes, decoded from UTF-8; empty when the token ends inside a
 *                multi-byte character (its bytes come with a later token) or is a skipped special token
 * @param tokenId the model's token id
 */
public record Token(String text, int tokenId) {}
