package org.medsa.cli;

import java.util.ArrayList;
import java.util.List;
import org.medsa.core.MedsaException;
import org.medsa.core.predictor.Prompt;
import org.medsa.inference.VolumePrompts;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code --point x,y,label} (repeatable) and {@code --box x0,y0,x1,y1}, in original pixels. */
public class PromptOptions {

    @Option(names = "--point", paramLabel = "x,y,label", converter = PointConverter.class,
            description = "A click in original image pixels; label 1 = foreground, 0 = background. Repeatable.")
    List<Prompt.Point> points = new ArrayList<>();

    /** A box x0, y0, x1, y1. */
    public record Box(double x0, double y0, double x1, double y1) {}

    @Option(names = "--box", paramLabel = "x0,y0,x1,y1", converter = BoxConverter.class,
            description = "A box in original image pixels.")
    Box box;

    Prompt toPrompt() {
        Prompt p = new Prompt();
        for (Prompt.Point pt : points) {
            p.point(pt.x(), pt.y(), pt.polarity());
        }
        if (box != null) {
            p.box(box.x0(), box.y0(), box.x1(), box.y1());
        }
        return p;
    }

    static double[] numbers(String value, int n, String what, String example) {
        try {
            return VolumePrompts.numbers(value, n, what, example);
        } catch (MedsaException e) {
            throw new TypeConversionException(e.getMessage()); // picocli shows a converter's message as it is
        }
    }

    /** Parses x,y,polarity. */
    public static final class PointConverter implements ITypeConverter<Prompt.Point> {
        @Override
        public Prompt.Point convert(String value) {
            double[] d = numbers(value, 3, "--point", "80,35,1");
            try {
                return new Prompt.Point(d[0], d[1], VolumePrompts.isPositive(d[2], "--point '" + value + "' polarity") ? 1 : 0);
            } catch (MedsaException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Parses x0,y0,x1,y1. */
    public static final class BoxConverter implements ITypeConverter<Box> {
        @Override
        public Box convert(String value) {
            double[] d = numbers(value, 4, "--box", "20,15.5,100,70");
            return new Box(d[0], d[1], d[2], d[3]);
        }
    }
}
