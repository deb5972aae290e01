package sqlstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/trawlhq/trawl/internal/taxii"
)

var _ taxii.Searcher = (*DB)(nil)

// searchWhere is the WHERE clause of a search, visibility included.
func searchWhere(f *taxii.Search, v *taxii.Visibility, args []any) (string, []any, bool) {
	if len(f.Collections) == 0 {
		return "", args, false
	}
	arg := func(x any) string {
		args = append(args, x)
		return "$" + strconv.Itoa(len(args))
	}
	in := func(col string, vals []string) string {
		ph := make([]string, len(vals))
		for i, x := range vals {
			ph[i] = arg(x)
		}
		return col + " IN (" + strings.Join(ph, ", ") + ")"
	}
	where := []string{"is_latest", in("collection_id", f.Collections)}
	if len(f.Types) > 0 {
		where = append(where, in("type", f.Types))
	}
	if f.Text != "" {
		where = append(where, "search_text LIKE "+arg("%"+likeEscaper.Replace(f.Text)+"%")+` ESCAPE '\'`)
	}
	if f.AddedBy != "" {
		where = append(where, "added_by_org = "+arg(f.AddedBy))
	}
	where, args = visibilityFilterDepth(v, false, hiddenRefsDepth, where, args)
	return strings.Join(where, " AND "), args, true
}

func (s *DB) SearchObjects(ctx context.Context, f *taxii.Search, afterSeq int64, v *taxii.Visibility) ([]taxii.StoredObject, bool, error) {
	where, args, ok := searchWhere(f, v, []any{afterSeq})
	if !ok {
		return nil, false, nil
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, `SELECT `+objectCols+` FROM stix_objects WHERE seq > $1 AND `+where+
		` ORDER BY seq LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, false, err
	}
	return scanPage(rows, &objectScanner{}, limit)
}

func (s *DB) CountObjects(ctx context.Context, f *taxii.Search, v *taxii.Visibility) (int, error) {
	where, args, ok := searchWhere(f, v, nil)
	if !ok {
		return 0, nil
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM stix_objects WHERE `+where, args...).Scan(&n)
	return n, err
}
