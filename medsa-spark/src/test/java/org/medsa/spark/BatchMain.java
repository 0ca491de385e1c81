package org.medsa.spark;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/** A batch run in its own JVM, so a test can kill it mid-way: {@code BatchMain <manifest> <out>}. */
public final class BatchMain {

    private BatchMain() {}

    public static void main(String[] args) {
        SparkSession spark = MedsaBatchTest.session();
        MedsaBatch.run(spark, Path.of(args[0]), MedsaBatchTest.options(Path.of(args[1])).build());
        spark.stop();
    }
}
