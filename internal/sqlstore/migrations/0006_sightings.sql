-- Sightings: the organization that shared the sighted object may read every
-- sighting of it, whatever the sighting's own marking.
ALTER TABLE stix_objects ADD COLUMN sighted_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE stix_objects ADD COLUMN sighted_owner TEXT NOT NULL DEFAULT '';
CREATE INDEX stix_objects_sighted ON stix_objects (sighted_ref);
