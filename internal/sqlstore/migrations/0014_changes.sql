-- A change counter for the objects of the hub, so that a replica learns
-- in O(1) whether anything changed (screening asks once a second) and reads
-- only what did. Every transaction that writes stix_objects raises the
-- counter by one (the row lock orders them: values grow in commit order)
-- and stamps the rows it adds with the new value; a deletion leaves a
-- row in stix_deletions with it.
CREATE TABLE change_counters (
    name   TEXT PRIMARY KEY,
    value  BIGINT NOT NULL
);
INSERT INTO change_counters (name, value) VALUES ('stix_objects', 0);
-- Raised by every key revocation, so that replicas drop their cache of
-- verified keys within a second of a revocation made on another.
INSERT INTO change_counters (name, value) VALUES ('api_keys', 0);

ALTER TABLE stix_objects ADD COLUMN changed BIGINT NOT NULL DEFAULT 0;
CREATE INDEX stix_objects_changed ON stix_objects (changed);

CREATE TABLE stix_deletions (
    changed        BIGINT NOT NULL,
    collection_id  TEXT NOT NULL,
    object_id      TEXT NOT NULL,
    type           TEXT NOT NULL
);
CREATE INDEX stix_deletions_changed ON stix_deletions (changed);
