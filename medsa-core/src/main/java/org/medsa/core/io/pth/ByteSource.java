package org.medsa.core.io.pth;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A byte stream that knows its exact position, so a reader can tell where one pickle ends and the
 * next record of a legacy checkpoint begins (a {@code BufferedInputStream} would read past it).
 */
abstract class ByteSource {

    abstract int read() throws IOException;

    abstract void readFully(byte[] dst, int off, int len) throws IOException;

    abstract long position();

    final byte[] readBytes(long n) throws IOException {
        if (n < 0 || n > Integer.MAX_VALUE - 8) {
            throw new IOException("record of " + n + " bytes is not readable");
        }
        byte[] b = new byte[(int) n];
        readFully(b, 0, b.length);
        return b;
    }

    static ByteSource of(byte[] data) {
        return new ArraySource(data);
    }

    static ByteSource of(FileChannel channel, long start) {
        return new ChannelSource(channel, start);
    }

    private static final class ArraySource extends ByteSource {
        private final byte[] data;
        private int pos;

        ArraySource(byte[] data) {
            this.data = data;
        }

        @Override
        int read() throws IOException {
            if (pos >= data.length) {
                throw new EOFException("unexpected end of data at byte " + pos);
            }
            return data[pos++] & 0xff;
        }

        @Override
        void readFully(byte[] dst, int off, int len) throws IOException {
            if (len > data.length - pos) {
                throw new EOFException("unexpected end of data at byte " + data.length);
            }
            System.arraycopy(data, pos, dst, off, len);
            pos += len;
        }

        @Override
        long position() {
            return pos;
        }
    }

    private static final class ChannelSource extends ByteSource {
        private final FileChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
        private long bufferStart;

        ChannelSource(FileChannel channel, long start) {
            this.channel = channel;
            this.bufferStart = start;
            buffer.limit(0);
        }

        private boolean fill() throws IOException {
            bufferStart += buffer.limit();
            buffer.clear();
            int n;
            do {
                n = channel.read(buffer, bufferStart + buffer.position());
            } while (n == 0);
            buffer.flip();
            return n > 0;
        }

        @Override
        int read() throws IOException {
            if (!buffer.hasRemaining() && !fill()) {
                throw new EOFException("unexpected end of file at byte " + position());
            }
            return buffer.get() & 0xff;
        }

        @Override
        void readFully(byte[] dst, int off, int len) throws IOException {
            while (len > 0) {
                if (!buffer.hasRemaining() && !fill()) {
                    throw new EOFException("unexpected end of file at byte " + position());
                }
                int n = Math.min(len, buffer.remaining());
                buffer.get(dst, off, n);
                off += n;
                len -= n;
            }
        }

        @Override
        long position() {
            return bufferStart + buffer.position();
        }
    }
}
