package org.medsa.examples;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.medsa.core.MedsaException;

/**
 * {@code --key value} arguments for small runnable mains (the examples), with nothing but the
 * JDK: every key is declared with a default and a help line, {@code --help} prints them, and an
 * undeclared key or a malformed value is an error that names it.
 *
 * <pre>{@code
 * MainArgs a = new MainArgs("FineTuneMsd", "Fine-tunes adapters on an MSD dataset.")
 *         .option("steps", "200", "optimiser steps")
 *         .option("out", "runs/msd", "output folder");
 * if (!a.parse(args)) {
 *     return; // --help was printed
 * }
 * int steps = a.integer("steps");
 * }</pre>
 */
public final class MainArgs {

    private record Spec(String defaultValue, String help) {}

    private final String program;
    private final String description;
    private final Map<String, Spec> specs = new LinkedHashMap<>();
    private final Map<String, String> values = new LinkedHashMap<>();

    /** Arguments of {@code program} (named in the usage and in errors), described by {@code description}. */
    public MainArgs(String program, String description) {
        this.program = program;
        this.description = description;
    }

    /** Declares {@code --name} with a default ({@code null}: no default, the option is optional). */
    public MainArgs option(String name, String defaultValue, String help) {
        specs.put(name, new Spec(defaultValue, help));
        return this;
    }

    /**
     * Parses {@code args}; prints the usage and returns false for {@code --help} or {@code -h}.
     *
     * @throws MedsaException for an undeclared option or a missing value
     */
    public boolean parse(String[] args) {
        return parse(args, System.out);
    }

    /** As {@link #parse(String[])}, printing the usage to {@code out}. */
    public boolean parse(String[] args, PrintStream out) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                out.print(usage());
                return false;
            }
            if (!a.startsWith("--") || a.length() == 2) {
                throw new MedsaException(program + ": expected --option value, got '" + a + "' (see --help)");
            }
            String key = a.substring(2);
            String value = null;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            }
            if (!specs.containsKey(key)) {
                throw new MedsaException(program + ": unknown option --" + key + " (options: "
                        + String.join(", ", specs.keySet().stream().map(k -> "--" + k).toList()) + ")");
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new MedsaException(program + ": --" + key + " needs a value");
                }
                value = args[++i];
            }
            values.put(key, value);
        }
        return true;
    }

    /** The usage text. */
    public String usage() {
        StringBuilder sb = new StringBuilder("Usage: " + program + " [--option value]...\n" + description + "\n\nOptions:\n");
        int width = specs.keySet().stream().mapToInt(String::length).max().orElse(0) + 4;
        for (Map.Entry<String, Spec> e : specs.entrySet()) {
            String d = e.getValue().defaultValue() == null ? "" : " (default: " + e.getValue().defaultValue() + ")";
            sb.append(String.format(Locale.ROOT, "  %-" + width + "s %s%s%n", "--" + e.getKey(), e.getValue().help(), d));
        }
        sb.append(String.format(Locale.ROOT, "  %-" + width + "s %s%n", "--help", "print this help and exit"));
        return sb.toString();
    }

    /** True if the option was given or has a default. */
    public boolean has(String name) {
        return string(name) != null;
    }

    /** The value, the default, or null. */
    public String string(String name) {
        Spec s = specs.get(name);
        if (s == null) {
            throw new IllegalArgumentException("option --" + name + " was not declared");
        }
        return values.getOrDefault(name, s.defaultValue());
    }

    /** The value as a path, or null. */
    public Path path(String name) {
        String v = string(name);
        return v == null ? null : Path.of(v);
    }

    /**
     * @throws MedsaException if the value is not a whole number of at least {@code min}
     */
    public int integer(String name, int min) {
        String v = string(name);
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min) {
                throw new MedsaException(program + ": --" + name + " must be at least " + min + ", got " + n);
            }
            return n;
        } catch (NumberFormatException | NullPointerException e) {
            throw new MedsaException(program + ": --" + name + " must be a whole number, got '" + v + "'");
        }
    }

    /**
     * @throws MedsaException if the value is not a finite number
     */
    public double number(String name) {
        String v = string(name);
        try {
            double d = Double.parseDouble(v.trim());
            if (!Double.isFinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException | NullPointerException e) {
            throw new MedsaException(program + ": --" + name + " must be a number, got '" + v + "'");
        }
    }
}
