-- Attribution tags: the current tags of each pack (a file imported as a
-- whole), and every import of a pack with its diff against the one before.
-- A tag is identified within its pack by its source, chain, address key and
-- label; the lengths tags.Max* allow keep that key within index limits.
CREATE TABLE tags (
    pack      TEXT NOT NULL,
    source    TEXT NOT NULL,
    chain     TEXT NOT NULL,
    addr_key  TEXT NOT NULL,
    label     TEXT NOT NULL,
    tag       {{BYTES}} NOT NULL,
    PRIMARY KEY (pack, source, chain, addr_key, label)
);
CREATE INDEX tags_addr ON tags (addr_key);
CREATE INDEX tags_chain ON tags (chain, addr_key);

CREATE TABLE tag_imports (
    id        TEXT PRIMARY KEY,
    pack      TEXT NOT NULL,
    at        BIGINT NOT NULL,
    sha256    TEXT NOT NULL,
    tags      INTEGER NOT NULL,
    added     INTEGER NOT NULL,
    removed   INTEGER NOT NULL,
    changed   INTEGER NOT NULL,
    record    {{BYTES}} NOT NULL
);
CREATE INDEX tag_imports_pack ON tag_imports (pack, at);
