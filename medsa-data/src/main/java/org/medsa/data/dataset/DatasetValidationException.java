package org.medsa.data.dataset;

import java.util.Collections;
import java.util.List;
import org.medsa.core.MedsaException;

/**
 * Every problem found while building a dataset, reported at once. The message is one line
 * ("&lt;dataset&gt;: 3 bad files: a: ...; b: ...; c: ..."); {@link #problems()} lists them separately,
 * each naming its file.
 */
public final class DatasetValidationException extends MedsaException {

    private static final long serialVersionUID = 1L;

    /** The problems, one per entry (unmodifiable). */
    private final List<String> problems;

    /** All {@code problems} found in {@code dataset} (named first in the message). */
    public DatasetValidationException(String dataset, List<String> problems) {
        super(dataset + ": " + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + ": "
                + String.join("; ", problems));
        this.problems = Collections.unmodifiableList(List.copyOf(problems));
    }

    /** One entry per problem, each "file: what is wrong". */
    public List<String> problems() {
        return problems;
    }
}
