-- Sharing controls: sharing groups, and on every stored object the facts the
-- read rule needs, so that visibility is decided inside the query (paging and
-- counts then never see what the reader may not).
CREATE TABLE sharing_groups (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    owner_org_id  TEXT NOT NULL REFERENCES orgs(id),
    created_at    BIGINT NOT NULL
);

CREATE TABLE sharing_group_members (
    group_id  TEXT NOT NULL REFERENCES sharing_groups(id),
    org_id    TEXT NOT NULL REFERENCES orgs(id),
    PRIMARY KEY (group_id, org_id)
);
CREATE INDEX sharing_group_members_org ON sharing_group_members(org_id);

-- tlp: the object's own level (-1 unmarked, 0 CLEAR .. 4 RED);
-- share_group: a sharing group id the object is restricted to, or '';
-- recipients: ",org:<id>,user:<id>,group:<id>," for RED objects.
ALTER TABLE stix_objects ADD COLUMN tlp SMALLINT NOT NULL DEFAULT -1;
ALTER TABLE stix_objects ADD COLUMN share_group TEXT NOT NULL DEFAULT '';
ALTER TABLE stix_objects ADD COLUMN recipients TEXT NOT NULL DEFAULT '';

ALTER TABLE collections ADD COLUMN share_group TEXT NOT NULL DEFAULT '';
