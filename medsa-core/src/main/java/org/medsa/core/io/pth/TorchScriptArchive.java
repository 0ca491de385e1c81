package org.medsa.core.io.pth;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.ZipOutputStream;
import org.medsa.core.io.AtomicFiles;

/**
 * Writes a TorchScript module archive (what {@code torch.jit.save} writes) from Java: the module's
 * TorchScript source under {@code code/__torch__.py}, its object in {@code data.pkl} (an instance
 * of the class with {@code training = False}), no constants and no tensors. libtorch compiles the
 * source when the archive is loaded, so small modules (a dtype cast the engine's Java API cannot
 * express) need no Python to make.
 */
public final class TorchScriptArchive {

    private TorchScriptArchive() {}

    /**
     * Writes a module of class {@code __torch__.<className>} whose TorchScript source is
     * {@code source} (a class deriving from {@code Module} with {@code training : bool}, no
     * parameters or buffers).
     */
    public static void write(Path file, String className, String source) throws IOException {
        String archive = TorchCheckpointWriter.archiveName(file);
        byte[] data = moduleObject(className);
        AtomicFiles.write(file, fos -> {
            try (ZipOutputStream zip = new ZipOutputStream(fos)) {
                zip.setLevel(0);
                TorchCheckpointWriter.stored(zip, archive + "/data.pkl", data);
                TorchCheckpointWriter.stored(zip, archive + "/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
                TorchCheckpointWriter.stored(zip, archive + "/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
                TorchCheckpointWriter.stored(zip, archive + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            }
        });
    }

    /** Pickle protocol 2: {@code __torch__.<className>.__new__()} with state {@code {"training": False}}. */
    static byte[] moduleObject(String className) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80);
        p.write(2);
        p.writeBytes(("c__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII));
        p.write(')'); // empty tuple: no constructor arguments
        p.write(0x81); // NEWOBJ
        p.write('}'); // the state: a dict
        byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
        p.write('X');
        p.write(key.length);
        p.write(0);
        p.write(0);
        p.write(0);
        p.writeBytes(key);
        p.write(0x89); // False
        p.write('s'); // SETITEM
        p.write('b'); // BUILD
        p.write('.');
        return p.toByteArray();
    }
}
