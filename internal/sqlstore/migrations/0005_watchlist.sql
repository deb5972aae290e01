-- Watchlists: the current entries of each source, and every import with its
-- diff against the one before.
CREATE TABLE watchlist_entries (
    source  TEXT NOT NULL,
    uid     TEXT NOT NULL,
    entry   {{BYTES}} NOT NULL,
    PRIMARY KEY (source, uid)
);

CREATE TABLE watchlist_imports (
    id           TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    at           BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    entries      INTEGER NOT NULL,
    added        INTEGER NOT NULL,
    removed      INTEGER NOT NULL,
    changed      INTEGER NOT NULL,
    record       {{BYTES}} NOT NULL
);
CREATE INDEX watchlist_imports_source ON watchlist_imports (source, at);
