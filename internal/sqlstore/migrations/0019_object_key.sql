-- One index leads with the object id where there were two: the unique key
-- becomes (object_id, collection_id, version), and (object_id, is_latest)
-- goes. Feeds send random ids (UUIDv4), and each new id was written to its
-- own leaf page of both indexes; every query by id, with its collection or
-- without, uses the one key. The rest is in Go (keyObjectsByID): SQLite
-- cannot alter a table's UNIQUE constraint, so its table is copied.
DROP INDEX IF EXISTS stix_objects_object_id;
