-- Alerts addressed to one organization, and the service labels that
-- organizations claim (an exchange claims the label its deposits are tagged
-- with, so that traces reaching them raise alerts to it). An alert is kept as
-- a JSON document; the columns are what queries filter and page on.
CREATE TABLE alerts (
    id         TEXT PRIMARY KEY,
    to_org     TEXT NOT NULL,
    from_org   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    alert      {{BYTES}} NOT NULL
);
CREATE INDEX alerts_to ON alerts (to_org, created_at, id);
CREATE INDEX alerts_from ON alerts (from_org, created_at, id);

CREATE TABLE service_claims (
    label_key  TEXT PRIMARY KEY,
    label      TEXT NOT NULL,
    org_id     TEXT NOT NULL,
    claimed_at BIGINT NOT NULL
);
CREATE INDEX service_claims_org ON service_claims (org_id);
