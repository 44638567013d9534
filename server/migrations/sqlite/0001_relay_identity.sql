-- The relay's identity: one row, created once, stable across restarts.
CREATE TABLE relay (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    relay_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
