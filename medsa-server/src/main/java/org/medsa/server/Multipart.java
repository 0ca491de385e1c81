package org.medsa.server;

import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * multipart/form-data (RFC 7578) as MONAI Label's clients send it and read it: the Slicer module's
 * hand-made bodies ({@code http.client}), Python {@code requests} and the browser's FormData. A
 * request body is streamed to a temporary file under the upload limit (413 beyond it), then split
 * into parts: fields as text (at most 1 MiB each), files copied to their own temporary files under
 * their sanitised base names. Anything malformed is a 400 with one line.
 */
final class Multipart {

    /** Largest text field (e.g. {@code params}). */
    static final int MAX_FIELD_BYTES = 1 << 20;

    private static final Pattern BOUNDARY = Pattern.compile("(?i)boundary=(\"([^\"]+)\"|([^;\\s]+))");
    private static final Pattern NAME = Pattern.compile("(?i)(?:^|;)\\s*name=(\"((?:[^\"\\\\]|\\\\.)*)\"|([^;\\s]+))");
    private static final Pattern FILENAME = Pattern.compile("(?i)(?:^|;)\\s*filename=(\"((?:[^\"\\\\]|\\\\.)*)\"|([^;\\s]+))");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One part: a field ({@code file} null) or an uploaded file. */
    record Part(String name, String fileName, String contentType, String text, Path file) {
        boolean isFile() {
            return file != null;
        }
    }

    /** The parts of a request, in the order sent. */
    record Form(List<Part> parts) {
        /** The first field named {@code name}, or null. */
        String field(String name) {
            for (Part p : parts) {
                if (p.name().equals(name) && !p.isFile()) {
                    return p.text();
                }
            }
            return null;
        }

        /** The first file part named {@code name}, or null. */
        Part file(String name) {
            for (Part p : parts) {
                if (p.name().equals(name) && p.isFile()) {
                    return p;
                }
            }
            return null;
        }

        /** Every file part named {@code name}. */
        List<Part> files(String name) {
            return parts.stream().filter(p -> p.name().equals(name) && p.isFile()).toList();
        }
    }

    private Multipart() {}

    /**
     * Receives and splits a multipart request; file parts land in {@code dir}. A request without a
     * body is an empty form (clients send no form when they have no fields).
     *
     * @throws ApiException 400 for a body that is not multipart/form-data or is malformed, 413 over the limit
     */
    static Form receive(Context ctx, UploadReceiver uploads, Path dir) throws IOException {
        String type = ctx.contentType();
        if (ctx.req().getContentLengthLong() == 0 && (type == null || type.isBlank())) {
            return new Form(List.of());
        }
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw new ApiException(400, "the body must be multipart/form-data (fields such as params, files such as file),"
                    + " got " + (type == null ? "no Content-Type" : type));
        }
        Matcher m = BOUNDARY.matcher(type);
        if (!m.find()) {
            throw new ApiException(400, "multipart/form-data without a boundary in its Content-Type");
        }
        String boundary = m.group(2) != null ? m.group(2) : m.group(3);
        Path body = dir.resolve(".body");
        uploads.receive(ctx, body);
        try {
            return split(body, boundary, dir);
        } finally {
            Files.deleteIfExists(body);
        }
    }

    /** Splits a received body at {@code boundary}. */
    static Form split(Path body, String boundary, Path dir) throws IOException {
        List<Part> parts = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(body, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new ApiException(413, "a multipart body over 2 GiB is not accepted");
            }
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            byte[] first = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
            byte[] delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
            int at = indexOf(buf, first, 0);
            if (at < 0) {
                throw new ApiException(400, "malformed multipart body: the boundary never occurs");
            }
            int pos = at + first.length;
            int files = 0;
            while (true) {
                if (pos + 2 <= size && buf.get(pos) == '-' && buf.get(pos + 1) == '-') {
                    break; // the closing delimiter
                }
                pos = skipLineEnd(buf, pos);
                int headerEnd = indexOf(buf, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), pos);
                int emptyHeaders = startsWith(buf, pos, "\r\n") ? pos : -1;
                String headers;
                int contentStart;
                if (emptyHeaders >= 0) {
                    headers = "";
                    contentStart = pos + 2;
                } else if (headerEnd < 0) {
                    throw new ApiException(400, "malformed multipart body: a part's headers do not end");
                } else {
                    headers = text(buf, pos, headerEnd);
                    contentStart = headerEnd + 4;
                }
                int end = indexOf(buf, delimiter, contentStart);
                if (end < 0) {
                    throw new ApiException(400, "malformed multipart body: a part is not closed by the boundary (cut short?)");
                }
                parts.add(part(headers, buf, contentStart, end, dir, files));
                if (parts.get(parts.size() - 1).isFile()) {
                    files++;
                }
                pos = end + delimiter.length;
            }
        }
        return new Form(parts);
    }

    private static Part part(String headers, MappedByteBuffer buf, int from, int to, Path dir, int index) throws IOException {
        String disposition = null;
        String contentType = null;
        for (String line : headers.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String key = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            if (key.equals("content-disposition")) {
                disposition = value;
            } else if (key.equals("content-type")) {
                contentType = value;
            }
        }
        if (disposition == null || !disposition.toLowerCase(Locale.ROOT).startsWith("form-data")) {
            throw new ApiException(400, "malformed multipart body: a part without Content-Disposition: form-data");
        }
        String name = param(NAME, disposition);
        if (name == null) {
            throw new ApiException(400, "malformed multipart body: a part without a name");
        }
        String fileName = param(FILENAME, disposition);
        if (fileName == null) {
            if (to - from > MAX_FIELD_BYTES) {
                throw new ApiException(413, "form field '" + name + "' is over " + MAX_FIELD_BYTES + " bytes");
            }
            return new Part(name, null, contentType, text(buf, from, to, StandardCharsets.UTF_8), null);
        }
        String base = UploadReceiver.fileName(fileName.isBlank() ? name : fileName);
        Path folder = Files.createDirectories(dir.resolve(Integer.toString(index)));
        Path file = folder.resolve(base);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer slice = buf.duplicate().position(from).limit(to);
            while (slice.hasRemaining()) {
                out.write(slice);
            }
        }
        return new Part(name, base, contentType, null, file);
    }

    private static String param(Pattern p, String disposition) {
        Matcher m = p.matcher(disposition);
        if (!m.find()) {
            return null;
        }
        return m.group(2) != null ? m.group(2).replace("\\\"", "\"").replace("\\\\", "\\") : m.group(3);
    }

    private static int skipLineEnd(MappedByteBuffer buf, int pos) {
        // transport padding, then CRLF after a boundary line
        while (pos < buf.limit() && (buf.get(pos) == ' ' || buf.get(pos) == '\t')) {
            pos++;
        }
        if (!startsWith(buf, pos, "\r\n")) {
            throw new ApiException(400, "malformed multipart body: a boundary line does not end with CRLF");
        }
        return pos + 2;
    }

    private static boolean startsWith(MappedByteBuffer buf, int pos, String s) {
        if (pos + s.length() > buf.limit()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (buf.get(pos + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static String text(MappedByteBuffer buf, int from, int to) {
        return text(buf, from, to, StandardCharsets.UTF_8);
    }

    private static String text(MappedByteBuffer buf, int from, int to, Charset cs) {
        byte[] b = new byte[to - from];
        buf.get(from, b);
        return new String(b, cs);
    }

    /** The first index of {@code pattern} in {@code buf} at or after {@code from}, or -1. */
    static int indexOf(ByteBuffer buf, byte[] pattern, int from) {
        int n = buf.limit() - pattern.length;
        byte first = pattern[0];
        outer:
        for (int i = from; i <= n; i++) {
            if (buf.get(i) != first) {
                continue;
            }
            for (int k = 1; k < pattern.length; k++) {
                if (buf.get(i + k) != pattern[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** A multipart/form-data answer being built (as MONAI Label's server sends {@code params} and the result). */
    static final class Writer {
        private final String boundary = HexFormat.of().formatHex(randomBytes());
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        private static byte[] randomBytes() {
            byte[] b = new byte[16];
            RANDOM.nextBytes(b);
            return b;
        }

        Writer field(String name, String contentType, String value) {
            head("form-data; name=\"" + name + "\"", contentType);
            byte[] b = value.getBytes(StandardCharsets.UTF_8);
            out.write(b, 0, b.length);
            crlf();
            return this;
        }

        Writer file(String name, String fileName, String contentType, byte[] data) {
            head("form-data; name=\"" + name + "\"; filename=\"" + fileName + "\"", contentType);
            out.write(data, 0, data.length);
            crlf();
            return this;
        }

        private void head(String disposition, String contentType) {
            ascii("--" + boundary + "\r\nContent-Disposition: " + disposition + "\r\nContent-Type: " + contentType + "\r\n\r\n");
        }

        private void crlf() {
            ascii("\r\n");
        }

        private void ascii(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.write(b, 0, b.length);
        }

        String contentType() {
            return "multipart/form-data; boundary=" + boundary;
        }

        byte[] finish() {
            ascii("--" + boundary + "--\r\n");
            return out.toByteArray();
        }
    }
}
