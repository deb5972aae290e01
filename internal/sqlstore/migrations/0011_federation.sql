-- Where an outbound federation push of a local collection to a peer's
-- collection stands, so that the next push resumes after it.
CREATE TABLE federation_cursors (
    peer          TEXT NOT NULL,
    collection_id TEXT NOT NULL,
    after_date    BIGINT NOT NULL,
    after_seq     BIGINT NOT NULL,
    pushed        BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (peer, collection_id)
);
