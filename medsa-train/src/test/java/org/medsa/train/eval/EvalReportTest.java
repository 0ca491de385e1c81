package org.medsa.train.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Summaries and the three files of a hand-built report, against values computed by hand. */
class EvalReportTest {

    @TempDir
    Path tmp;

    static EvalReport handBuilt() {
        EvalReport r = new EvalReport("mm");
        r.add(new EvalReport.Row("1-point", "liver", "case_a", 0.8, 2.0 / 3, 2.0));
        r.add(new EvalReport.Row("1-point", "liver", "case_b", 0.4, 0.25, Double.NaN)); // HD95 undefined
        r.add(new EvalReport.Row("1-point", "spleen", "case_a", 1.0, 1.0, 0.0));
        r.add(new EvalReport.Row("bbox-0.5", "liver", "case_a", 0.5, 1.0 / 3, 4.5));
        r.add(new EvalReport.Row("bbox-0.5", "liver", "case_b", 0.7, 0.7 / 1.3, 3.5));
        r.add(new EvalReport.Row("bbox-0.5", "spleen", "case_a", 0.9, 0.9 / 1.1, 1.0));
        return r;
    }

    @Test
    void summariesAreMeansOverCasesThenOrgans() {
        EvalReport r = handBuilt();
        EvalReport.Summary liver = r.summary("1-point", "liver");
        assertEquals(2, liver.cases());
        assertEquals(0.6, liver.dice(), 1e-12);
        assertEquals(0.2, liver.diceStd(), 1e-12); // population std of 0.8 and 0.4
        assertEquals((2.0 / 3 + 0.25) / 2, liver.iou(), 1e-12);
        assertEquals(2.0, liver.hd95(), 1e-12); // the undefined case is left out of the mean...
        assertEquals(1, liver.hd95Undefined()); // ...and counted
        assertEquals((0.6 + 1.0) / 2, r.meanDice("1-point"), 1e-12); // over organs, not over rows
        assertEquals((0.6 + 0.9) / 2, r.meanDice("bbox-0.5"), 1e-12);
        assertEquals(4.0, r.summary("bbox-0.5", "liver").hd95(), 1e-12);
    }

    @Test
    void filesSayTheSame() throws Exception {
        Map<String, Path> files = handBuilt().write(tmp.resolve("eval"));
        String csv = Files.readString(files.get("csv"));
        assertEquals(String.join("\n",
                "setting,organ,case,dice,iou,hd95",
                "1-point,liver,case_a,0.800000,0.666667,2.000000",
                "1-point,liver,case_b,0.400000,0.250000,",
                "1-point,spleen,case_a,1.000000,1.000000,0.000000",
                "bbox-0.5,liver,case_a,0.500000,0.333333,4.500000",
                "bbox-0.5,liver,case_b,0.700000,0.538462,3.500000",
                "bbox-0.5,spleen,case_a,0.900000,0.818182,1.000000", ""), csv);
        String md = Files.readString(files.get("markdown"));
        assertTrue(md.contains("| liver | 0.6000 | 0.4583 | 2.00 (1 undef.) | 0.6000 | 0.4359 | 4.00 |"), md);
        assertTrue(md.contains("| spleen | 1.0000 | 1.0000 | 0.00 | 0.9000 | 0.8182 | 1.00 |"), md);
        assertTrue(md.contains("| **mean** | **0.8000** |"), md);
        JsonObject json = JsonParser.parseString(Files.readString(files.get("json"))).getAsJsonObject();
        assertEquals("mm", json.get("units").getAsString());
        JsonObject onePoint = json.getAsJsonObject("settings").getAsJsonObject("1-point");
        assertEquals(0.8, onePoint.get("mean_dice").getAsDouble(), 1e-12);
        JsonObject l = onePoint.getAsJsonObject("organs").getAsJsonObject("liver");
        assertEquals(2, l.get("cases").getAsInt());
        assertEquals(0.2, l.get("dice_std").getAsDouble(), 1e-12);
        assertEquals(1, l.get("hd95_undefined").getAsInt());
        assertTrue(json.getAsJsonArray("rows").get(1).getAsJsonObject().get("hd95").isJsonNull());
        assertEquals(6, json.getAsJsonArray("rows").size());
    }
}
