package sqlstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/taxii"
)

var _ sharing.GroupStore = (*DB)(nil)

func (s *DB) CreateGroup(ctx context.Context, g *sharing.Group) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO sharing_groups (id, name, owner_org_id, created_at) VALUES ($1, $2, $3, $4)`,
		g.ID, g.Name, g.OwnerOrgID, micros(g.CreatedAt)); err != nil {
		return s.conflictOr(err, "a sharing group named %q exists", g.Name)
	}
	for _, m := range g.Members {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sharing_group_members (group_id, org_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, g.ID, m); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (s *DB) Group(ctx context.Context, idOrName string) (*sharing.Group, error) {
	var g sharing.Group
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT id, name, owner_org_id, created_at FROM sharing_groups WHERE id = $1 OR name = $1`, idOrName).
		Scan(&g.ID, &g.Name, &g.OwnerOrgID, &created)
	if err != nil {
		return nil, notFound(err, "no sharing group %q", idOrName)
	}
	g.CreatedAt = fromMicros(created)
	rows, err := s.db.QueryContext(ctx, `SELECT org_id FROM sharing_group_members WHERE group_id = $1 ORDER BY org_id`, g.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	g.Members = []string{}
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, err
		}
		g.Members = append(g.Members, m)
	}
	return &g, rows.Err()
}

func (s *DB) ListGroups(ctx context.Context) ([]sharing.Group, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM sharing_groups ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []sharing.Group
	for _, id := range ids {
		g, err := s.Group(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *g)
	}
	return out, nil
}

func (s *DB) AddMember(ctx context.Context, groupID, orgID string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sharing_group_members (group_id, org_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, groupID, orgID)
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "foreign key") {
		return errs.Wrap(errs.NotFound, err, "no such sharing group or organization")
	}
	return err
}

func (s *DB) RemoveMember(ctx context.Context, groupID, orgID string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sharing_group_members WHERE group_id = $1 AND org_id = $2`, groupID, orgID)
	return err
}

func (s *DB) DeleteGroup(ctx context.Context, groupID string) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM collections WHERE share_group = $1`, groupID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errs.E(errs.Conflict, "%d collection(s) are restricted to this sharing group; lift the restriction first", n)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sharing_group_members WHERE group_id = $1`, groupID); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM sharing_groups WHERE id = $1`, groupID)
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return errs.E(errs.NotFound, "no sharing group %q", groupID)
	}
	return tx.Commit()
}

func (s *DB) GroupsOf(ctx context.Context, orgID string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT group_id FROM sharing_group_members WHERE org_id = $1 ORDER BY group_id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// visibilityFilter appends the SQL form of sharing.CanRead for v. It must
// agree with sharing.CanRead on every input; storetest checks that on
// random populations.
//
// With older versions in play (allVersions), a version is also hidden when
// its owner has since re-marked the object so that the reader may not see
// the current version: re-marking narrower must not leave the older, wider
// versions readable. Versions added by other organizations do not count,
// so that no writer can hide someone else's object.
func visibilityFilter(v *taxii.Visibility, allVersions bool, where []string, args []any) ([]string, []any) {
	return visibilityFilterDepth(v, allVersions, refDepth, where, args)
}

// visibilityFilterDepth is visibilityFilter following depth steps of
// pointing (see refDepth).
func visibilityFilterDepth(v *taxii.Visibility, allVersions bool, depth int, where []string, args []any) ([]string, []any) {
	if v == nil || v.All {
		return where, args
	}
	arg := func(x any) string {
		args = append(args, x)
		return "$" + strconv.Itoa(len(args))
	}
	def := sharing.Effective(sharing.Unmarked, v.Default)
	effOf := func(prefix string) string {
		if v.PerCollection {
			return collectionEffective(prefix)
		}
		return "(CASE WHEN " + prefix + "tlp < 0 THEN " + arg(int(def)) + " ELSE " + prefix + "tlp END)"
	}
	where = append(where, visiblePredicate(v, "", arg, effOf("")))
	if allVersions {
		where = append(where, `NOT EXISTS (SELECT 1 FROM stix_objects l WHERE l.collection_id = stix_objects.collection_id
			AND l.object_id = stix_objects.object_id AND l.is_latest AND l.added_by_org = stix_objects.added_by_org
			AND NOT `+visiblePredicate(v, "l.", arg, effOf("l."))+`)`)
	}
	where = append(where, refClauses(v, "stix_objects", arg, depth)...)
	return where, args
}

// collectionEffective is the effective level of the row under alias prefix
// ("" or "t."), its collection's default when it is unmarked.
func collectionEffective(prefix string) string {
	return `(CASE WHEN ` + prefix + `tlp < 0 THEN (SELECT CASE c.default_tlp WHEN 'clear' THEN 0 WHEN 'green' THEN 1 WHEN 'amber+strict' THEN 3 WHEN 'red' THEN 4 ELSE 2 END
		FROM collections c WHERE c.id = ` + prefix + `collection_id) ELSE ` + prefix + `tlp END)`
}

// refDepth is how many steps of pointing the store's read filter follows:
// the objects a relationship, sighting or object_refs list points at are
// judged by their level. hiddenRefsDepth is HiddenRefs': one step more, so
// that a report listing a report that is hidden for its own refs does not
// list it (the service then also drops a relationship pointing at such an
// object). One step more in the TAXII page filter made every page a third
// slower (BenchmarkObjectsPage), for chains only; the REST search, whose
// total must count only what the reader may see, takes the extra step.
const (
	refDepth        = 1
	hiddenRefsDepth = 2
)

// refClauses are the conditions on a row (table alias row) about what it
// points at, for a reader who may see the row by its level:
//   - a relationship or sighting is hidden when an object it points at is
//     on the hub but not visible to the reader in any collection they may
//     read;
//   - an object with an object_refs list is hidden when every id in it
//     would be removed (see HiddenRefs): STIX requires at least one.
//
// The reader's organization always sees what it shared. depth (≥ 1) is
// how many further steps of pointing are judged; it also names the aliases.
func refClauses(v *taxii.Visibility, row string, arg func(any) string, depth int) []string {
	own := "1 = 0"
	if !v.Anonymous {
		own = row + ".added_by_org = " + arg(v.OrgID)
	}
	r, t := "r"+strconv.Itoa(depth), "t"+strconv.Itoa(depth)
	refsOf := r + ".collection_id = " + row + ".collection_id AND " + r + ".object_id = " + row + ".object_id AND " + r + ".version = " + row + ".version"
	onHub := `EXISTS (SELECT 1 FROM stix_objects ` + t + ` WHERE ` + t + `.object_id = ` + r + `.ref)`
	visible := `EXISTS (SELECT 1 FROM stix_objects ` + t + ` WHERE ` + t + `.object_id = ` + r + `.ref AND ` + visibleAnywhere(v, t, arg, depth-1) + `)`
	return []string{
		`(` + row + `.type NOT IN ('relationship', 'sighting') OR ` + own + ` OR NOT EXISTS (SELECT 1 FROM object_refs ` + r + ` WHERE ` + refsOf + `
			AND ` + onHub + ` AND NOT ` + visible + `))`,
		`(NOT ` + row + `.has_object_refs OR ` + own + ` OR EXISTS (SELECT 1 FROM object_refs ` + r + ` WHERE ` + refsOf + `
			AND (NOT ` + onHub + ` OR ` + visible + `)))`,
	}
}

// visibleAnywhere is true of a row (table alias t) that is the latest
// version of its object, in a collection the reader may read as the TAXII
// service's access rule decides, and readable by the rule; its level
// defaults to its own collection's default. With depth > 0, what the row
// points at is judged too (refClauses).
func visibleAnywhere(v *taxii.Visibility, t string, arg func(any) string, depth int) string {
	var readable string
	switch {
	case v.AnyCollection:
		readable = "1 = 1"
	case v.Anonymous:
		readable = t + ".collection_id IN (SELECT c.id FROM collections c WHERE c.public AND c.share_group = '')"
	default:
		org := arg(v.OrgID)
		groups := "1 = 0"
		if len(v.Groups) > 0 {
			ph := make([]string, len(v.Groups))
			for i, g := range v.Groups {
				ph[i] = arg(g)
			}
			groups = "c.share_group IN (" + strings.Join(ph, ", ") + ")"
		}
		readable = t + `.collection_id IN (SELECT c.id FROM collections c WHERE
			(c.public OR c.owner_org_id = ` + org + ` OR EXISTS (SELECT 1 FROM collection_grants g WHERE g.collection_id = c.id AND g.org_id = ` + org + ` AND g.can_read))
			AND (c.share_group = '' OR c.owner_org_id = ` + org + ` OR ` + groups + `))`
	}
	out := "(" + t + ".is_latest AND " + readable + " AND " + visiblePredicate(v, t+".", arg, collectionEffective(t+"."))
	if depth > 0 {
		out += " AND " + strings.Join(refClauses(v, t, arg, depth), " AND ")
	}
	return out + ")"
}

// HiddenRefs returns those of ids that name objects stored on the hub that
// v may not see anywhere: the ids to remove from an object_refs list. One
// query per 500 ids.
func (s *DB) HiddenRefs(ctx context.Context, v *taxii.Visibility, ids []string) (map[string]bool, error) {
	hidden := map[string]bool{}
	if v == nil || v.All || len(ids) == 0 {
		return hidden, nil
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		var args []any
		arg := func(x any) string {
			args = append(args, x)
			return "$" + strconv.Itoa(len(args))
		}
		ph := make([]string, len(chunk))
		for i, id := range chunk {
			ph[i] = arg(id)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT h.object_id FROM stix_objects h WHERE h.object_id IN (`+strings.Join(ph, ", ")+`)
			AND NOT EXISTS (SELECT 1 FROM stix_objects t WHERE t.object_id = h.object_id AND `+visibleAnywhere(v, "t", arg, hiddenRefsDepth-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			hidden[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return hidden, nil
}

// visiblePredicate is the read rule over the columns of one row (prefix is
// a table alias with its dot, or "").
func visiblePredicate(v *taxii.Visibility, prefix string, arg func(any) string, eff string) string {
	if v.Anonymous {
		return "(" + prefix + "share_group = '' AND " + eff + " = 0)"
	}
	// Ids contain '_', a LIKE wildcard: escape it, so that one id can
	// never match another.
	like := func(s string) string {
		return prefix + "recipients LIKE " + arg("%,"+likeEscaper.Replace(s)+",%") + ` ESCAPE '\'`
	}
	group := prefix + "share_group = ''"
	var recips []string
	recips = append(recips, like("org:"+v.OrgID))
	if v.UserID != "" {
		recips = append(recips, like("user:"+v.UserID))
	}
	if len(v.Groups) > 0 {
		ph := make([]string, len(v.Groups))
		for i, g := range v.Groups {
			ph[i] = arg(g)
			recips = append(recips, like("group:"+g))
		}
		group = "(" + prefix + "share_group = '' OR " + prefix + "share_group IN (" + strings.Join(ph, ", ") + "))"
	}
	org := arg(v.OrgID)
	return "(" + prefix + "added_by_org = " + org + " OR " + prefix + "sighted_owner = " + org + " OR (" + group + " AND (" + eff + " IN (0, 1, 2) OR (" + eff + " = 4 AND (" + strings.Join(recips, " OR ") + ")))))"
}
