/**
 * LLMs packaged for Axera's ax-llm runner (one {@code .axmodel} per decoder layer, a post model, a bf16
 * embedding table, a tokenizer, {@code config.json}) on an AX650N card over AXCL, behind
 * {@link org.npu4j.llm.LanguageModel}: {@link org.npu4j.axcl.llm.AxLlmPackage} reads a package,
 * {@link org.npu4j.axcl.llm.AxLlmModel} runs it (hidden state, masks and KV cache kept on the device),
 * {@link org.npu4j.axcl.llm.AxclLlmProvider} plugs it into {@code LanguageModel.open}. A VLM package
 * (Qwen-VL, {@code filename_image_encoder_axmodel}) takes images: its vision encoder runs on the card
 * and its rows replace the {@code <|image_pad|>} placeholders of the prefill. A package may be split
 * across several cards ({@code devices}, {@code axcl.devices}): contiguous layer blocks per card, one
 * thread per card ({@link org.npu4j.axcl.llm.AxLlmModel}, "Several cards").
 */
package org.npu4j.axcl.llm;
