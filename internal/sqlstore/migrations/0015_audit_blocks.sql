-- The audit log in blocks: each append stores its entries as one row
-- (encoded by sqlstore's EncodeAuditBlock: every entry with its own seq,
-- link and hash, as a row had them). One row per
-- entry cost a ten-column insert per key use, more than the request it
-- recorded at 20,000 screening requests a second. Entries appended before
-- this migration stay in audit_log and are read before the blocks.
CREATE TABLE audit_blocks (
    first_seq  BIGINT PRIMARY KEY,
    last_seq   BIGINT NOT NULL,
    last_hash  TEXT NOT NULL,
    entries    {{BYTES}} NOT NULL
);
