-- The objects a relationship or sighting points at, so that a reader who may
-- not see one of them does not see the relationship or sighting either (it
-- would reveal that the hidden object exists and what it is tied to).
CREATE TABLE object_refs (
    collection_id  TEXT NOT NULL,
    object_id      TEXT NOT NULL,
    version        BIGINT NOT NULL,
    ref            TEXT NOT NULL,
    PRIMARY KEY (collection_id, object_id, version, ref)
);
CREATE INDEX stix_objects_object_id ON stix_objects (object_id, is_latest);
