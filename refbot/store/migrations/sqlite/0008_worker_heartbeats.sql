-- Each worker loop's last heartbeat and last error, written by the worker every few seconds
-- (refbot/worker/health.py) so /healthz in any web process can tell whether the desk works.
CREATE TABLE worker_heartbeats (
    worker      TEXT NOT NULL,
    loop        TEXT NOT NULL,
    beat_at     REAL NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    error_at    REAL NOT NULL DEFAULT 0,
    failing     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (worker, loop)
);
