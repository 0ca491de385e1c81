package org.medsa.server;

import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The open sessions of a server by id: random ids, at most {@code maxSessions} (opening one more
 * frees the least recently used), and sessions idle longer than {@code idleMillis} freed by a
 * reaper thread.
 */
final class SessionRegistry implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, InteractiveSession> sessions = new ConcurrentHashMap<>();
    private final int maxSessions;
    private final long idleMillis;
    private final ScheduledExecutorService reaper;

    SessionRegistry(int maxSessions, long idleMillis) {
        this.maxSessions = maxSessions;
        this.idleMillis = idleMillis;
        this.reaper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "medsa-session-reaper");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts freeing idle sessions. */
    void start() {
        long period = Math.max(1000, Math.min(60_000, idleMillis / 4));
        reaper.scheduleAtFixedRate(this::freeIdle, period, period, TimeUnit.MILLISECONDS);
    }

    /** Adds the session {@code create} makes for a fresh id, freeing the least recently used beyond the limit. */
    InteractiveSession add(Function<String, InteractiveSession> create) {
        InteractiveSession s = create.apply(newId());
        sessions.put(s.id(), s);
        while (sessions.size() > maxSessions) {
            sessions.values().stream().min(Comparator.comparingLong(InteractiveSession::lastUsed)).ifPresent(this::remove);
        }
        return s;
    }

    /** An open session, or null. */
    InteractiveSession get(String id) {
        InteractiveSession s = sessions.get(id);
        return s == null || s.isClosed() ? null : s;
    }

    /**
     * An open session.
     *
     * @throws ApiException 404 for an id that is not open
     */
    InteractiveSession require(String id) {
        InteractiveSession s = get(id);
        if (s == null) {
            throw ApiException.notFound("no open volume '" + id + "' (closed, freed after being idle, or never opened)");
        }
        return s;
    }

    /** Closes and forgets a session. */
    void remove(InteractiveSession s) {
        sessions.remove(s.id());
        s.close();
    }

    /** How many sessions are open. */
    int size() {
        return sessions.size();
    }

    private void freeIdle() {
        long now = System.nanoTime();
        for (InteractiveSession s : List.copyOf(sessions.values())) {
            if (now - s.lastUsed() > TimeUnit.MILLISECONDS.toNanos(idleMillis)) {
                remove(s);
            }
        }
    }

    private static String newId() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Stops the reaper and closes every session. */
    @Override
    public void close() {
        reaper.shutdownNow();
        for (InteractiveSession s : List.copyOf(sessions.values())) {
            remove(s);
        }
    }
}
