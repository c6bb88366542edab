/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * ABI probe of the RKNN runtime (see probe.c): every struct and function
 * declared by its headers.
 */
#include "probe.h"

#include "rknn_api.h"
#include "rknn_matmul_api.h"

#if NPU4J_RKNN_ABI_MAJOR != 2
#error "unknown RKNN ABI version"
#endif

/* The published LP64 layout (shared/facts/rknn.md, "Structs"): a header edit
 * that moves a field fails the build here, before any Java test runs. */
#if defined(__LP64__)
#define AT(T, f, off) _Static_assert(offsetof(T, f) == (off), #T "." #f " offset")
#define SIZE(T, n) _Static_assert(sizeof(T) == (n), #T " size")
SIZE(rknn_input_output_num, 8);
SIZE(rknn_tensor_attr, 376);
AT(rknn_tensor_attr, dims, 8);
AT(rknn_tensor_attr, name, 72);
AT(rknn_tensor_attr, n_elems, 328);
AT(rknn_tensor_attr, size, 332);
AT(rknn_tensor_attr, fmt, 336);
AT(rknn_tensor_attr, type, 340);
AT(rknn_tensor_attr, qnt_type, 344);
AT(rknn_tensor_attr, fl, 348);
AT(rknn_tensor_attr, zp, 352);
AT(rknn_tensor_attr, scale, 356);
AT(rknn_tensor_attr, w_stride, 360);
AT(rknn_tensor_attr, size_with_stride, 364);
AT(rknn_tensor_attr, pass_through, 368);
AT(rknn_tensor_attr, h_stride, 372);
SIZE(rknn_input_range, 33040);
AT(rknn_input_range, dyn_range, 268);
SIZE(rknn_perf_detail, 16);
SIZE(rknn_perf_run, 8);
SIZE(rknn_sdk_version, 512);
SIZE(rknn_mem_size, 64);
AT(rknn_mem_size, total_dma_allocated_size, 8);
AT(rknn_mem_size, total_sram_size, 16);
AT(rknn_mem_size, free_sram_size, 20);
SIZE(rknn_custom_string, 1024);
SIZE(rknn_tensor_mem, 40);
AT(rknn_tensor_mem, fd, 16);
AT(rknn_tensor_mem, size, 24);
AT(rknn_tensor_mem, priv_data, 32);
SIZE(rknn_input, 32);
AT(rknn_input, buf, 8);
AT(rknn_input, size, 16);
AT(rknn_input, pass_through, 20);
AT(rknn_input, type, 24);
AT(rknn_input, fmt, 28);
SIZE(rknn_output, 24);
AT(rknn_output, is_prealloc, 1);
AT(rknn_output, index, 4);
AT(rknn_output, buf, 8);
AT(rknn_output, size, 16);
SIZE(rknn_init_extend, 136);
AT(rknn_init_extend, real_model_offset, 8);
AT(rknn_init_extend, model_buffer_fd, 16);
AT(rknn_init_extend, model_buffer_flags, 20);
AT(rknn_init_extend, reserved, 24);
SIZE(rknn_run_extend, 24);
SIZE(rknn_output_extend, 8);
SIZE(rknn_context, 8);
SIZE(rknn_matmul_info, 64);
AT(rknn_matmul_info, B_layout, 16);
AT(rknn_matmul_info, iommu_domain_id, 24);
AT(rknn_matmul_info, group_size, 28);
AT(rknn_matmul_info, reserved, 30);
SIZE(rknn_matmul_tensor_attr, 332);
AT(rknn_matmul_tensor_attr, dims, 260);
AT(rknn_matmul_tensor_attr, size, 324);
SIZE(rknn_matmul_io_attr, 996);
SIZE(rknn_quant_params, 288);
AT(rknn_quant_params, scale, 256);
AT(rknn_quant_params, zp, 272);
SIZE(rknn_matmul_shape, 12);
#undef AT
#undef SIZE
#endif
_Static_assert(RKNN_NPU_CORE_0_1_2 == 7 && RKNN_NPU_CORE_ALL == 0xffff &&
                   RKNN_NPU_CORE_UNDEFINED == 0x10000,
               "core mask values");
_Static_assert(RKNN_QUERY_NATIVE_NHWC_OUTPUT_ATTR == 11 && RKNN_QUERY_CMD_MAX == 18,
               "query command values");
_Static_assert(RKNN_TENSOR_BFLOAT16 == 11 && RKNN_TENSOR_FORMAT_MAX == 4, "type and format values");

void probe_structs(void)
{
    STRUCT(rknn_input_output_num);
    FIELD(rknn_input_output_num, n_input);
    FIELD(rknn_input_output_num, n_output);
    END_TYPE();

    STRUCT(rknn_tensor_attr);
    FIELD(rknn_tensor_attr, index);
    FIELD(rknn_tensor_attr, n_dims);
    FIELD(rknn_tensor_attr, dims);
    FIELD(rknn_tensor_attr, name);
    FIELD(rknn_tensor_attr, n_elems);
    FIELD(rknn_tensor_attr, size);
    FIELD(rknn_tensor_attr, fmt);
    FIELD(rknn_tensor_attr, type);
    FIELD(rknn_tensor_attr, qnt_type);
    FIELD(rknn_tensor_attr, fl);
    FIELD(rknn_tensor_attr, zp);
    FIELD(rknn_tensor_attr, scale);
    FIELD(rknn_tensor_attr, w_stride);
    FIELD(rknn_tensor_attr, size_with_stride);
    FIELD(rknn_tensor_attr, pass_through);
    FIELD(rknn_tensor_attr, h_stride);
    END_TYPE();

    STRUCT(rknn_input_range);
    FIELD(rknn_input_range, index);
    FIELD(rknn_input_range, shape_number);
    FIELD(rknn_input_range, fmt);
    FIELD(rknn_input_range, name);
    FIELD(rknn_input_range, dyn_range);
    FIELD(rknn_input_range, n_dims);
    END_TYPE();

    STRUCT(rknn_perf_detail);
    FIELD(rknn_perf_detail, perf_data);
    FIELD(rknn_perf_detail, data_len);
    END_TYPE();

    STRUCT(rknn_perf_run);
    FIELD(rknn_perf_run, run_duration);
    END_TYPE();

    STRUCT(rknn_sdk_version);
    FIELD(rknn_sdk_version, api_version);
    FIELD(rknn_sdk_version, drv_version);
    END_TYPE();

    STRUCT(rknn_mem_size);
    FIELD(rknn_mem_size, total_weight_size);
    FIELD(rknn_mem_size, total_internal_size);
    FIELD(rknn_mem_size, total_dma_allocated_size);
    FIELD(rknn_mem_size, total_sram_size);
    FIELD(rknn_mem_size, free_sram_size);
    FIELD(rknn_mem_size, reserved);
    END_TYPE();

    STRUCT(rknn_custom_string);
    FIELD(rknn_custom_string, string);
    END_TYPE();

    STRUCT(rknn_tensor_mem);
    FIELD(rknn_tensor_mem, virt_addr);
    FIELD(rknn_tensor_mem, phys_addr);
    FIELD(rknn_tensor_mem, fd);
    FIELD(rknn_tensor_mem, offset);
    FIELD(rknn_tensor_mem, size);
    FIELD(rknn_tensor_mem, flags);
    FIELD(rknn_tensor_mem, priv_data);
    END_TYPE();

    STRUCT(rknn_input);
    FIELD(rknn_input, index);
    FIELD(rknn_input, buf);
    FIELD(rknn_input, size);
    FIELD(rknn_input, pass_through);
    FIELD(rknn_input, type);
    FIELD(rknn_input, fmt);
    END_TYPE();

    STRUCT(rknn_output);
    FIELD(rknn_output, want_float);
    FIELD(rknn_output, is_prealloc);
    FIELD(rknn_output, index);
    FIELD(rknn_output, buf);
    FIELD(rknn_output, size);
    END_TYPE();

    STRUCT(rknn_init_extend);
    FIELD(rknn_init_extend, ctx);
    FIELD(rknn_init_extend, real_model_offset);
    FIELD(rknn_init_extend, real_model_size);
    FIELD(rknn_init_extend, model_buffer_fd);
    FIELD(rknn_init_extend, model_buffer_flags);
    FIELD(rknn_init_extend, reserved);
    END_TYPE();

    STRUCT(rknn_run_extend);
    FIELD(rknn_run_extend, frame_id);
    FIELD(rknn_run_extend, non_block);
    FIELD(rknn_run_extend, timeout_ms);
    FIELD(rknn_run_extend, fence_fd);
    END_TYPE();

    STRUCT(rknn_quant_params);
    FIELD(rknn_quant_params, name);
    FIELD(rknn_quant_params, scale);
    FIELD(rknn_quant_params, scale_len);
    FIELD(rknn_quant_params, zp);
    FIELD(rknn_quant_params, zp_len);
    END_TYPE();

    STRUCT(rknn_matmul_tensor_attr);
    FIELD(rknn_matmul_tensor_attr, name);
    FIELD(rknn_matmul_tensor_attr, n_dims);
    FIELD(rknn_matmul_tensor_attr, dims);
    FIELD(rknn_matmul_tensor_attr, size);
    FIELD(rknn_matmul_tensor_attr, type);
    END_TYPE();

    STRUCT(rknn_matmul_io_attr);
    NESTED(rknn_matmul_io_attr, A);
    FIELD(rknn_matmul_io_attr, A.name);
    FIELD(rknn_matmul_io_attr, A.n_dims);
    FIELD(rknn_matmul_io_attr, A.dims);
    FIELD(rknn_matmul_io_attr, A.size);
    FIELD(rknn_matmul_io_attr, A.type);
    END();
    NESTED(rknn_matmul_io_attr, B);
    FIELD(rknn_matmul_io_attr, B.name);
    FIELD(rknn_matmul_io_attr, B.n_dims);
    FIELD(rknn_matmul_io_attr, B.dims);
    FIELD(rknn_matmul_io_attr, B.size);
    FIELD(rknn_matmul_io_attr, B.type);
    END();
    NESTED(rknn_matmul_io_attr, C);
    FIELD(rknn_matmul_io_attr, C.name);
    FIELD(rknn_matmul_io_attr, C.n_dims);
    FIELD(rknn_matmul_io_attr, C.dims);
    FIELD(rknn_matmul_io_attr, C.size);
    FIELD(rknn_matmul_io_attr, C.type);
    END();
    END_TYPE();

    STRUCT(rknn_matmul_shape);
    FIELD(rknn_matmul_shape, M);
    FIELD(rknn_matmul_shape, K);
    FIELD(rknn_matmul_shape, N);
    END_TYPE();

    STRUCT(rknn_matmul_info);
    FIELD(rknn_matmul_info, M);
    FIELD(rknn_matmul_info, K);
    FIELD(rknn_matmul_info, N);
    FIELD(rknn_matmul_info, type);
    FIELD(rknn_matmul_info, B_layout);
    FIELD(rknn_matmul_info, B_quant_type);
    FIELD(rknn_matmul_info, AC_layout);
    FIELD(rknn_matmul_info, AC_quant_type);
    FIELD(rknn_matmul_info, iommu_domain_id);
    FIELD(rknn_matmul_info, group_size);
    FIELD(rknn_matmul_info, reserved);
    END_TYPE();

    STRUCT(rknn_output_extend);
    FIELD(rknn_output_extend, frame_id);
    END_TYPE();
}

void probe_functions(void)
{
    FN(rknn_init, int, rknn_context *, void *, uint32_t, uint32_t, rknn_init_extend *);
    FN(rknn_dup_context, int, rknn_context *, rknn_context *);
    FN(rknn_destroy, int, rknn_context);
    FN(rknn_query, int, rknn_context, rknn_query_cmd, void *, uint32_t);
    FN(rknn_inputs_set, int, rknn_context, uint32_t, rknn_input *);
    FN(rknn_set_batch_core_num, int, rknn_context, int);
    FN(rknn_set_core_mask, int, rknn_context, rknn_core_mask);
    FN(rknn_run, int, rknn_context, rknn_run_extend *);
    FN(rknn_wait, int, rknn_context, rknn_run_extend *);
    FN(rknn_outputs_get, int, rknn_context, uint32_t, rknn_output *, rknn_output_extend *);
    FN(rknn_outputs_release, int, rknn_context, uint32_t, rknn_output *);
    FN(rknn_create_mem_from_phys, rknn_tensor_mem *, rknn_context, uint64_t, void *, uint32_t);
    FN(rknn_create_mem_from_fd, rknn_tensor_mem *, rknn_context, int32_t, void *, uint32_t,
       int32_t);
    FN(rknn_create_mem, rknn_tensor_mem *, rknn_context, uint32_t);
    FN(rknn_create_mem2, rknn_tensor_mem *, rknn_context, uint64_t, uint64_t);
    FN(rknn_destroy_mem, int, rknn_context, rknn_tensor_mem *);
    FN(rknn_set_weight_mem, int, rknn_context, rknn_tensor_mem *);
    FN(rknn_set_internal_mem, int, rknn_context, rknn_tensor_mem *);
    FN(rknn_set_io_mem, int, rknn_context, rknn_tensor_mem *, rknn_tensor_attr *);
    FN(rknn_set_input_shapes, int, rknn_context, uint32_t, rknn_tensor_attr *);
    FN(rknn_mem_sync, int, rknn_context, rknn_tensor_mem *, rknn_mem_sync_mode);
    FN(rknn_matmul_create, int, rknn_matmul_ctx *, rknn_matmul_info *, rknn_matmul_io_attr *);
    FN(rknn_matmul_create_dynamic_shape, int, rknn_matmul_ctx *, rknn_matmul_info *, int,
       rknn_matmul_shape *, rknn_matmul_io_attr *);
    FN(rknn_matmul_set_io_mem, int, rknn_matmul_ctx, rknn_tensor_mem *, rknn_matmul_tensor_attr *);
    FN(rknn_matmul_set_core_mask, int, rknn_matmul_ctx, rknn_core_mask);
    FN(rknn_matmul_set_quant_params, int, rknn_matmul_ctx, rknn_quant_params *);
    FN(rknn_matmul_get_quant_params, int, rknn_matmul_ctx, rknn_quant_params *, float *);
    FN(rknn_matmul_set_dynamic_shape, int, rknn_matmul_ctx, rknn_matmul_shape *);
    FN(rknn_matmul_run, int, rknn_matmul_ctx);
    FN(rknn_matmul_destroy, int, rknn_matmul_ctx);
    FN(rknn_B_normal_layout_to_native_layout, int, void *, void *, int, int, rknn_matmul_info *);
}
