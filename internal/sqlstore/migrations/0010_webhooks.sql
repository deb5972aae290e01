-- Webhook endpoints, the durable outbox of their deliveries, and where the
-- scan of each collection stands for each endpoint. The secret is a signing
-- secret (HMAC key), kept as it is because the hub must sign with it.
CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL,
    endpoint        {{BYTES}} NOT NULL,
    secret          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    failures        INTEGER NOT NULL DEFAULT 0,
    disabled        INTEGER NOT NULL DEFAULT 0,
    disabled_reason TEXT NOT NULL DEFAULT '',
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    last_at         BIGINT
);
CREATE INDEX webhooks_org ON webhooks (org_id);

CREATE TABLE webhook_outbox (
    id            TEXT PRIMARY KEY,
    endpoint_id   TEXT NOT NULL,
    org_id        TEXT NOT NULL,
    event         TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    collection_id TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    next_at       BIGINT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    state         TEXT NOT NULL,
    lease_owner   TEXT NOT NULL DEFAULT '',
    lease_until   BIGINT NOT NULL DEFAULT 0,
    last_status   INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (state, next_at);
CREATE INDEX webhook_outbox_endpoint ON webhook_outbox (endpoint_id, created_at);

CREATE TABLE webhook_cursors (
    endpoint_id TEXT NOT NULL,
    scope       TEXT NOT NULL,
    after_date  BIGINT NOT NULL,
    after_seq   BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, scope)
);
