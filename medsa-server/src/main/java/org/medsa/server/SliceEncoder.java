package org.medsa.server;

import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.medsa.core.modeling.Sam;
import org.medsa.core.predictor.ImageEmbedding;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.predictor.SamPredictor;

/**
 * Runs the image encoder on one worker thread, fed by a priority queue: slices a request waits
 * for go first, slices encoded ahead of time (the neighbours of the slice a person looks at) after
 * them, and a queued look-ahead whose slice is no longer wanted when its turn comes (the person
 * scrolled on) is dropped. Decoding never waits here: requests whose embedding is cached decode at
 * once on their own threads. Results go into the {@link EmbeddingCache}.
 */
final class SliceEncoder implements AutoCloseable {

    private record Task(String key, Supplier<RgbImage> image, boolean urgent, BooleanSupplier wanted, long seq,
            CompletableFuture<ImageEmbedding> future) implements Comparable<Task> {
        @Override
        public int compareTo(Task o) {
            if (urgent != o.urgent) {
                return urgent ? -1 : 1;
            }
            return Long.compare(seq, o.seq);
        }
    }

    private static final Task STOP = new Task("", null, true, () -> false, Long.MIN_VALUE, null);

    private final EmbeddingCache cache;
    private final PriorityBlockingQueue<Task> queue = new PriorityBlockingQueue<>();
    private final Map<String, CompletableFuture<ImageEmbedding>> waiting = new ConcurrentHashMap<>();
    private final Set<String> lookAhead = ConcurrentHashMap.newKeySet();
    private final AtomicLong seq = new AtomicLong();
    private final NDManager workerManager;
    private final SamPredictor predictor;
    private final Thread worker;
    private volatile boolean closed;
    private long encoded;
    private long encodedAhead;
    private long dropped;
    private long encodeNanos;

    SliceEncoder(Sam sam, NDManager parent, EmbeddingCache cache) {
        this.cache = cache;
        this.workerManager = parent.newSubManager();
        this.predictor = new SamPredictor(sam, workerManager);
        this.worker = new Thread(this::loop, "medsa-encoder");
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /** The embedding of {@code key}, encoding {@code image} first if it is not cached. */
    CompletableFuture<ImageEmbedding> request(String key, Supplier<RgbImage> image) {
        ImageEmbedding cached = cache.get(key);
        if (cached != null) {
            return CompletableFuture.completedFuture(cached);
        }
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("the server is shutting down"));
        }
        return waiting.computeIfAbsent(key, k -> {
            CompletableFuture<ImageEmbedding> f = new CompletableFuture<>();
            queue.add(new Task(k, image, true, () -> true, seq.incrementAndGet(), f));
            return f;
        });
    }

    /** Encodes {@code key} in the background, unless cached, queued, or no longer wanted when its turn comes. */
    void lookAhead(String key, Supplier<RgbImage> image, BooleanSupplier wanted) {
        if (closed || waiting.containsKey(key) || cache.contains(key) || !lookAhead.add(key)) {
            return;
        }
        queue.add(new Task(key, image, false, wanted, seq.incrementAndGet(), null));
    }

    private void loop() {
        try {
            while (true) {
                Task t = queue.take();
                if (t == STOP) {
                    return;
                }
                if (!t.urgent()) {
                    lookAhead.remove(t.key());
                    if (waiting.containsKey(t.key()) || cache.contains(t.key())) {
                        continue;
                    }
                    if (!t.wanted().getAsBoolean()) {
                        synchronized (this) {
                            dropped++;
                        }
                        continue;
                    }
                }
                try {
                    ImageEmbedding e = t.urgent() && cache.contains(t.key()) ? cache.get(t.key()) : null;
                    if (e == null) {
                        long t0 = System.nanoTime();
                        predictor.setImage(t.image().get());
                        e = predictor.exportEmbedding();
                        cache.put(t.key(), e);
                        synchronized (this) {
                            encoded++;
                            encodedAhead += t.urgent() ? 0 : 1;
                            encodeNanos += System.nanoTime() - t0;
                        }
                    }
                    if (t.future() != null) {
                        waiting.remove(t.key());
                        t.future().complete(e);
                    }
                } catch (RuntimeException | Error ex) {
                    if (t.future() != null) {
                        waiting.remove(t.key());
                        t.future().completeExceptionally(ex);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (CompletableFuture<ImageEmbedding> f : waiting.values()) {
                f.completeExceptionally(new IllegalStateException("the server is shutting down"));
            }
            predictor.close();
            workerManager.close();
        }
    }

    /** Queue length and counts of encodes (on request, ahead of time), dropped look-aheads and mean encode time. */
    synchronized Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("queued", queue.size());
        m.put("encoded", encoded);
        m.put("encoded_ahead", encodedAhead);
        m.put("dropped_look_aheads", dropped);
        m.put("mean_encode_ms", encoded == 0 ? null : encodeNanos / 1e6 / encoded);
        return m;
    }

    @Override
    public void close() {
        closed = true;
        queue.add(STOP);
        try {
            worker.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
