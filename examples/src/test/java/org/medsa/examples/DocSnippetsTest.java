package org.medsa.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Java snippet of README.md and docs/*.md compiles against the library as it is: a renamed
 * call fails here, not in a user's editor. Each snippet becomes the body of a method of its own
 * class, with the public packages imported and the names snippets take as given ({@code manager},
 * {@code model}, {@code data}, {@code base}) as fields.
 */
class DocSnippetsTest {

    private static final Pattern JAVA = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
    private static final List<String> PACKAGES = List.of("ai.djl", "ai.djl.ndarray", "java.nio.file", "java.util",
            "org.medsa.core", "org.medsa.core.modeling", "org.medsa.core.predictor", "org.medsa.core.geometry",
                    "org.medsa.core.io",
            "org.medsa.adapters", "org.medsa.data.dataset", "org.medsa.data.image", "org.medsa.data.transforms",
            "org.medsa.data.volume", "org.medsa.data.nifti", "org.medsa.data.phantom", "org.medsa.metrics", "org.medsa.inference",
            "org.medsa.train", "org.medsa.train.training", "org.medsa.train.eval", "org.medsa.train.prompts", "org.medsa.server",
            "org.medsa.spark", "org.medsa.demo");

    @TempDir
    Path tmp;

    @Test
    void everyJavaSnippetOfTheReadmeAndTheDocsCompiles() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        List<Path> docs = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> s = Files.list(root.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        List<File> sources = new ArrayList<>();
        List<String> origins = new ArrayList<>();
        for (Path doc : docs) {
            Matcher m = JAVA.matcher(Files.readString(doc));
            for (int n = 1; m.find(); n++) {
                String cls = "Snippet" + sources.size();
                origins.add(root.relativize(doc) + " snippet " + n);
                Path f = tmp.resolve("snippets").resolve(cls + ".java");
                Files.createDirectories(f.getParent());
                Files.writeString(f, source(cls, m.group(1)));
                sources.add(f.toFile());
            }
        }
        assertTrue(sources.size() >= 7, "snippets found: " + sources.size());
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> problems = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(problems, Locale.ROOT, null)) {
            Files.createDirectories(tmp.resolve("classes"));
            List<String> options = List.of("-classpath", System.getProperty("java.class.path"), "-d", tmp.resolve("classes")
                    .toString(),
                    "-proc:none", "-Xlint:none");
            boolean ok = javac.getTask(null, files, problems, options, null, files.getJavaFileObjectsFromFiles(sources)).call();
            StringBuilder report = new StringBuilder();
            for (Diagnostic<? extends JavaFileObject> d : problems.getDiagnostics()) {
                if (d.getKind() == Diagnostic.Kind.ERROR) {
                    String name = Path.of(d.getSource().getName()).getFileName().toString();
                    int index = Integer.parseInt(name.replaceAll("\\D", ""));
                    report.append('\n').append(origins.get(index)).append(", line ").append(d.getLineNumber() - HEADER_LINES)
                            .append(": ").append(d.getMessage(Locale.ROOT));
                }
            }
            assertTrue(ok && report.length() == 0, "snippets that do not compile:" + report);
        }
    }

    private static final int HEADER_LINES = 3;

    private static String source(String cls, String snippet) {
        StringBuilder imports = new StringBuilder();
        StringBuilder body = new StringBuilder();
        for (String line : snippet.split("\n")) {
            (line.startsWith("import ") ? imports : body).append(line).append('\n');
        }
        StringBuilder s = new StringBuilder();
        PACKAGES.forEach(p -> s.append("import ").append(p).append(".*; "));
        s.append(imports.toString().replace('\n', ' ')).append('\n');
        s.append("@SuppressWarnings(\"all\") class ").append(cls).append(" {\n");
        s.append("NDManager manager; Sam model; Path data; Path base; void run() throws Exception {\n");
        return s.append(body).append("}}\n").toString();
    }
}
