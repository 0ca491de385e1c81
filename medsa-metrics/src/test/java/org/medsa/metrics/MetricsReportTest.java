package org.medsa.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MetricsReportTest {

    private static LabelMapMetrics sample() {
        return new LabelMapMetrics(List.of(
                new LabelMetrics(2, 10, 12, 0.25, 1.0 / 7, 3.5, 4, 1, Double.NaN),
                new LabelMetrics(11, 6, 0, 0.0, 0.0, Double.NaN, Double.NaN, Double.NaN, Double.NaN)),
                new TreeMap<>(Map.of(7, 3L)));
    }

    @Test
    void jsonHasTheContractShapeWithNullForUndefinedHd95() {
        assertEquals("{\"labels\": {\"2\": {\"dice\": 0.25, \"iou\": 0.14285714285714285, \"hd95\": 3.5}, "
                + "\"11\": {\"dice\": 0.0, \"iou\": 0.0, \"hd95\": null}}}", MetricsReport.json(sample()));
    }

    @Test
    void jsonOfATruthWithoutLabelsIsAnEmptyObject() {
        assertEquals("{\"labels\": {}}", MetricsReport.json(new LabelMapMetrics(List.of(), new TreeMap<>())));
    }

    @Test
    void jsonFollowsTheLabelOrderOfPerLabel() {
        int[] truth = {12, 0, 3, 3};
        int[] pred = {12, 3, 3, 0};
        String json = MetricsReport.json(SegmentationMetrics.perLabel(pred, truth, new int[] {2, 2}, new double[] {1, 1}));
        assertTrue(json.indexOf("\"3\"") < json.indexOf("\"12\""), json);
        assertTrue(json.contains("\"12\": {\"dice\": 1.0, \"iou\": 1.0, \"hd95\": 0.0}"), json);
    }

    @Test
    void tableListsRowsUndefinedAndPredictionOnlyLabels() {
        String table = MetricsReport.table(sample(), "mm");
        assertTrue(table.contains("hd95 (mm)"), table);
        assertTrue(table.matches("(?s).*\\n\\s+2\\s+10\\s+12\\s+0\\.2500\\s+0\\.1429\\s+3\\.500\\n.*"), table);
        assertTrue(table.matches("(?s).*\\n\\s+11\\s+6\\s+0\\s+0\\.0000\\s+0\\.0000\\s+-\\n.*"), table);
        assertTrue(table.contains("mean dice over 2 label(s): 0.1250"), table);
        assertTrue(table.contains("missing from the prediction), left out of any mean: 11"), table);
        assertTrue(table.contains("labels only in the prediction (not scored): 7 (3 voxels)"), table);
    }
}
