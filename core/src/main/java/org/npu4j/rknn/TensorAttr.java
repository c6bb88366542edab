package org.npu4j.rknn;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.npu4j.rknn.ffi.rknn_tensor_attr;

/**
 * What the runtime reports of one input or output tensor ({@code rknn_tensor_attr}, from
 * {@code rknn_query}): index, name, shape, layout, element type and affine quantisation.
 *
 * <p>Quantised tensors ({@link #quantized()}) hold integers {@code q} for the real values
 * {@code (q - zeroPoint) · scale}; {@link #dequantize(int)} computes one.
 *
 * <p>Immutable: safe from any thread.
 *
 * @param index          position among the model's inputs or outputs
 * @param name           tensor name in the model
 * @param dims           shape, outermost first (e.g. {@code [1, 80, 80, 80]} NCHW,
 *                       {@code [1, C1, H, W, C2]} NC1HWC2)
 * @param format         layout of the dims
 * @param type           element type
 * @param quantization   0 none, 1 dynamic fixed point, 2 affine asymmetric ({@code rknn_tensor_qnt_type})
 * @param zeroPoint      affine zero point
 * @param scale          affine scale
 * @param elements       number of elements
 * @param size           bytes without row padding
 * @param widthStride    pixels per row in memory (0: equal to the width)
 * @param sizeWithStride bytes with row/plane padding: what a zero-copy memory for it needs
 * @param heightStride   rows per plane in memory (0: equal to the height)
 * @param passThrough    whether the runtime takes the data as is
 */
public record TensorAttr(int index, String name, int[] dims, TensorFormat format, TensorType type, int quantization,
        int zeroPoint, float scale, int elements, int size, int widthStride, int sizeWithStride, int heightStride,
        boolean passThrough) {
    /** {@code rknn_tensor_qnt_type}: affine asymmetric. */
    public static final int QNT_AFFINE = 2;

    /** Copies {@code dims}. */
    public TensorAttr {
        dims = dims.clone();
    }

    /** The shape (a copy). */
    @Override
    public int[] dims() {
        return dims.clone();
    }

    /** Dimension {@code i} of the shape. */
    public int dim(int i) {
        return dims[i];
    }

    /** Number of dimensions. */
    public int rank() {
        return dims.length;
    }

    /** True for an affine-quantised (integer) tensor. */
    public boolean quantized() {
        return quantization == QNT_AFFINE;
    }

    /** The real value of a quantised integer: {@code (q - zeroPoint) · scale}. */
    public float dequantize(int q) {
        return (q - zeroPoint) * scale;
    }

    /** C2 of an NC1HWC2 tensor ({@code dims[4]}, as the runtime reports it), else 0. */
    public int c2() {
        return format == TensorFormat.NC1HWC2 && dims.length == 5 ? dims[4] : 0;
    }

    static TensorAttr read(MemorySegment a) {
        int n = Math.min(rknn_tensor_attr.n_dims(a), 16);
        int[] d = new int[n];
        for (int i = 0; i < n; i++) {
            d[i] = rknn_tensor_attr.dims(a, i);
        }
        MemorySegment nameField = rknn_tensor_attr.name(a);
        byte[] raw = nameField.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        int len = 0;
        while (len < raw.length && raw[len] != 0) {
            len++;
        }
        return new TensorAttr(rknn_tensor_attr.index(a), new String(raw, 0, len, java.nio.charset.StandardCharsets.UTF_8),
                d, TensorFormat.of(rknn_tensor_attr.fmt(a)), TensorType.of(rknn_tensor_attr.type(a)),
                rknn_tensor_attr.qnt_type(a), rknn_tensor_attr.zp(a), rknn_tensor_attr.scale(a),
                rknn_tensor_attr.n_elems(a), rknn_tensor_attr.size(a), rknn_tensor_attr.w_stride(a),
                rknn_tensor_attr.size_with_stride(a), rknn_tensor_attr.h_stride(a),
                rknn_tensor_attr.pass_through(a) != 0);
    }

    /** Writes this attribute into a {@code rknn_tensor_attr} (for {@code rknn_set_io_mem}). */
    void write(MemorySegment a) {
        a.fill((byte) 0);
        rknn_tensor_attr.index(a, index);
        rknn_tensor_attr.n_dims(a, dims.length);
        for (int i = 0; i < dims.length; i++) {
            rknn_tensor_attr.dims(a, i, dims[i]);
        }
        byte[] n = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        MemorySegment.copy(n, 0, rknn_tensor_attr.name(a), java.lang.foreign.ValueLayout.JAVA_BYTE, 0,
                Math.min(n.length, 255));
        rknn_tensor_attr.n_elems(a, elements);
        rknn_tensor_attr.size(a, size);
        rknn_tensor_attr.fmt(a, format.value());
        rknn_tensor_attr.type(a, type.value());
        rknn_tensor_attr.qnt_type(a, quantization);
        rknn_tensor_attr.zp(a, zeroPoint);
        rknn_tensor_attr.scale(a, scale);
        rknn_tensor_attr.w_stride(a, widthStride);
        rknn_tensor_attr.size_with_stride(a, sizeWithStride);
        rknn_tensor_attr.h_stride(a, heightStride);
        rknn_tensor_attr.pass_through(a, (byte) (passThrough ? 1 : 0));
    }

    /** This attribute with another layout and type, e.g. to have the runtime convert a zero-copy output. */
    public TensorAttr with(TensorFormat newFormat, TensorType newType, int[] newDims, int newSizeWithStride) {
        return new TensorAttr(index, name, newDims, newFormat, newType, quantization, zeroPoint, scale, elements,
                elements * Math.max(newType.bytes(), 1), widthStride, newSizeWithStride, heightStride, passThrough);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorAttr t && index == t.index && name.equals(t.name) && Arrays.equals(dims, t.dims)
                && format == t.format && type == t.type && quantization == t.quantization && zeroPoint == t.zeroPoint
                && Float.compare(scale, t.scale) == 0 && elements == t.elements && size == t.size
                && widthStride == t.widthStride && sizeWithStride == t.sizeWithStride && heightStride == t.heightStride
                && passThrough == t.passThrough;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * index + name.hashCode()) + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return name + " #" + index + " " + type + " " + format + " " + Arrays.toString(dims)
                + (quantized() ? " zp=" + zeroPoint + " scale=" + scale : "");
    }
}
