-- has_object_refs: the object has an object_refs list (report, note, grouping,
-- opinion, observed-data, ...), kept in object_refs as well, from which the
-- ids of objects a reader may not see are removed on every read; an object
-- left with none is hidden. search_text: the lower-cased name, description,
-- pattern, value and address that the REST search matches (properties under
-- granular markings left out). Rows stored before this migration have
-- neither; re-import them to make them searchable and stripped.
ALTER TABLE stix_objects ADD COLUMN has_object_refs BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE stix_objects ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
CREATE INDEX stix_objects_latest_seq ON stix_objects (is_latest, seq);
