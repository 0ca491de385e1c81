package org.medsa.data.nifti;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.medsa.core.MedsaException;
import org.medsa.core.io.AtomicFiles;

/**
 * Writes single-file NIfTI-1 ({@code n+1}, data at byte 352) or NIfTI-2 ({@code n+2}, data at
 * byte 544) images, gzip-compressed (level 1, like nibabel) when the name ends in {@code .gz}.
 *
 * <p>The header is written as given except for what the format fixes: {@code sizeof_hdr}, magic,
 * {@code vox_offset}, {@code bitpix}, and the unused {@code dim} entries (set to 1). Extensions are
 * not written. The file appears atomically (written to a temporary name, then moved).
 */
public final class NiftiWriter {

    private NiftiWriter() {}

    /**
     * Writes {@code image} to {@code path} (NIfTI-1 or -2 by the header's version; gzip for {@code
     * .gz}).
     *
     * @throws MedsaException naming the file and the reason when it cannot be
     *     written
     */
    public static void write(NiftiImage image, Path path) {
        NiftiHeader header = image.header();
        int offset = header.version() == 1 ? NiftiHeader.NIFTI1_MIN_VOX_OFFSET : NiftiHeader.NIFTI2_MIN_VOX_OFFSET;
        header = header.toBuilder().voxOffset(offset).extensionBytes(0).build();
        byte[] headerBytes = NiftiHeaderCodec.encode(header, path.toString());
        boolean gzip = path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz");
        AtomicFiles.write(path, file -> {
            try (OutputStream out = open(file, gzip)) {
                out.write(headerBytes);
                image.voxels().writeTo(out);
            }
        });
    }

    private static OutputStream open(OutputStream file, boolean gzip) throws IOException {
        if (!gzip) {
            return file;
        }
        // level 1, as nibabel: several times faster than the default, files only slightly larger
        return new BufferedOutputStream(new GZIPOutputStream(file, 1 << 16) {
            {
                def.setLevel(Deflater.BEST_SPEED);
            }
        }, 1 << 16);
    }
}
