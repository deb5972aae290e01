-- One row that every audit append updates first: concurrent appenders
-- (replicas sharing PostgreSQL) queue on its lock and each continues the
-- chain from the entry the one before committed, instead of colliding on
-- the next seq and retrying.
CREATE TABLE audit_head (
    id       INTEGER PRIMARY KEY,
    appends  BIGINT NOT NULL
);
INSERT INTO audit_head (id, appends) VALUES (1, 0);
