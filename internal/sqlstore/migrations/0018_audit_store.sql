-- The id of the audit log's database (SQLite: the file trawl-audit.db
-- beside trawl.db, see sqlstore.OpenSplit). Both databases hold it, so
-- that a store opened with its log missing, emptied or another store's
-- refuses to start instead of carrying on with no log. The version also
-- stops older trawls, which wrote the log in this database, from opening
-- a store whose log has moved.
CREATE TABLE IF NOT EXISTS audit_store (id TEXT NOT NULL);
