package org.npu4j.rkllm;

import java.util.Objects;

/**
 * A row-major matrix of floats copied out of the runtime: hidden states ({@code rows} = tokens,
 * {@code columns} = hidden size) or logits ({@code rows} = tokens, {@code columns} = vocabulary size).
 *
 * @param data    {@code rows * columns} floats, row after row; owned by this record (do not modify)
 * @param rows    number of rows (tokens)
 * @param columns length of a row
 */
public record FloatMatrix(float[] data, int rows, int columns) {
    public FloatMatrix {
        Objects.requireNonNull(data, "data");
        if (rows < 0 || columns < 0 || (long) rows * columns != data.length) {
            throw new IllegalArgumentException("data has " + data.length + " floats, expected rows " + rows
                    + " x columns " + columns);
        }
    }

    /** The value at ({@code row}, {@code column}). */
    public float get(int row, int column) {
        Objects.checkIndex(row, rows);
        Objects.checkIndex(column, columns);
        return data[row * columns + column];
    }

    /** A copy of row {@code row}. */
    public float[] row(int row) {
        Objects.checkIndex(row, rows);
        float[] r = new float[columns];
        System.arraycopy(data, row * columns, r, 0, columns);
        return r;
    }

    /** Index of the largest value of row {@code row} (for logits: the greedy next token). */
    public int argmax(int row) {
        Objects.checkIndex(row, rows);
        int best = 0;
        for (int c = 1; c < columns; c++) {
            if (data[row * columns + c] > data[row * columns + best]) {
                best = c;
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return "FloatMatrix[" + rows + " x " + columns + "]";
    }
}
