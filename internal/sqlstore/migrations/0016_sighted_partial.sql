-- Only sightings point at a sighted object: the index of sighted_ref holds
-- their rows alone, instead of one entry per stored object with an empty
-- key, which every import of indicators paid for (about 7% of the TAXII
-- ingest rate). Queries name the condition (sighted_ref <> '') so that
-- SQLite and PostgreSQL both use it.
DROP INDEX stix_objects_sighted;
CREATE INDEX stix_objects_sighted ON stix_objects (sighted_ref) WHERE sighted_ref <> '';
