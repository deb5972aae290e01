-- The intelligence hub: collections, their grants, STIX objects (every
-- version), POST statuses with queued envelopes, and server secrets.
CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE collections (
    id            TEXT PRIMARY KEY,
    alias         TEXT UNIQUE,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL,
    owner_org_id  TEXT NOT NULL REFERENCES orgs(id),
    default_tlp   TEXT NOT NULL,
    public        BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL,
    -- the newest date_added handed out: writes lock this row, so date_added
    -- grows in commit order within a collection
    last_added    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE collection_grants (
    collection_id  TEXT NOT NULL REFERENCES collections(id),
    org_id         TEXT NOT NULL REFERENCES orgs(id),
    can_read       BOOLEAN NOT NULL,
    can_write      BOOLEAN NOT NULL,
    PRIMARY KEY (collection_id, org_id)
);

CREATE TABLE stix_objects (
    seq            {{SERIAL}},
    collection_id  TEXT NOT NULL REFERENCES collections(id),
    object_id      TEXT NOT NULL,
    type           TEXT NOT NULL,
    spec_version   TEXT NOT NULL,
    version        BIGINT NOT NULL,
    date_added     BIGINT NOT NULL,
    is_first       BOOLEAN NOT NULL,
    is_latest      BOOLEAN NOT NULL,
    added_by_org   TEXT NOT NULL,
    markings       TEXT NOT NULL,
    raw            {{BYTES}} NOT NULL,
    UNIQUE (collection_id, object_id, version)
);
CREATE INDEX stix_objects_page ON stix_objects (collection_id, date_added, seq);
CREATE INDEX stix_objects_latest ON stix_objects (collection_id, is_latest, date_added, seq);

CREATE TABLE taxii_status (
    id                 TEXT PRIMARY KEY,
    collection_id      TEXT NOT NULL REFERENCES collections(id),
    org_id             TEXT NOT NULL REFERENCES orgs(id),
    status             TEXT NOT NULL,
    request_timestamp  BIGINT NOT NULL,
    total_count        INTEGER NOT NULL,
    success_count      INTEGER NOT NULL,
    failure_count      INTEGER NOT NULL,
    pending_count      INTEGER NOT NULL,
    details            {{BYTES}} NOT NULL,
    envelope           {{BYTES}}
);
CREATE INDEX taxii_status_pending ON taxii_status (status);
