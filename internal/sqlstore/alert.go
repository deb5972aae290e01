package sqlstore

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/trawlhq/trawl/internal/alert"
	"github.com/trawlhq/trawl/internal/errs"
)

var _ alert.Store = (*DB)(nil)

func (s *DB) CreateAlert(ctx context.Context, a *alert.Alert) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO alerts (id, to_org, from_org, kind, status, created_at, alert) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		a.ID, a.ToOrg, a.FromOrg, string(a.Kind), string(a.Status), micros(a.CreatedAt), b)
	return s.conflictOr(err, "an alert with id %q exists", a.ID)
}

func (s *DB) Alert(ctx context.Context, id string) (*alert.Alert, error) {
	got, err := queryJSON[alert.Alert](ctx, s.db, `SELECT alert FROM alerts WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(got) == 0 {
		return nil, errs.E(errs.NotFound, "no alert %q", id)
	}
	return &got[0], nil
}

func (s *DB) ListAlerts(ctx context.Context, f alert.Filter) ([]alert.Alert, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	switch f.Box {
	case alert.BoxInbox:
		where = append(where, "to_org = "+arg(f.OrgID))
	case alert.BoxSent:
		where = append(where, "from_org = "+arg(f.OrgID))
	default:
		o := arg(f.OrgID)
		where = append(where, "(to_org = "+o+" OR from_org = "+o+")")
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(string(f.Status)))
	}
	if f.Kind != "" {
		where = append(where, "kind = "+arg(string(f.Kind)))
	}
	if !f.Before.IsZero() {
		t := arg(micros(f.Before))
		where = append(where, "(created_at < "+t+" OR (created_at = "+t+" AND id < "+arg(f.BeforeID)+"))")
	}
	q := `SELECT alert FROM alerts WHERE ` + strings.Join(where, " AND ") + ` ORDER BY created_at DESC, id DESC LIMIT ` + arg(f.Limit)
	return queryJSON[alert.Alert](ctx, s.db, q, args...)
}

func (s *DB) SetAlertStatus(ctx context.Context, id string, from []alert.Status, a *alert.Alert) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	args := []any{string(a.Status), b, id}
	var in []string
	for _, st := range from {
		args = append(args, string(st))
		in = append(in, "$"+strconv.Itoa(len(args)))
	}
	res, err := s.db.ExecContext(ctx, `UPDATE alerts SET status = $1, alert = $2 WHERE id = $3 AND status IN (`+strings.Join(in, ", ")+`)`, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		if _, err := s.Alert(ctx, id); err != nil {
			return err
		}
		return errs.E(errs.Conflict, "alert %s is no longer %v", id, from)
	}
	return nil
}

func (s *DB) ClaimService(ctx context.Context, c alert.Claim) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO service_claims (label_key, label, org_id, claimed_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (label_key) DO UPDATE SET label = excluded.label, org_id = excluded.org_id, claimed_at = excluded.claimed_at`,
		alert.LabelKey(c.Label), c.Label, c.OrgID, micros(c.ClaimedAt))
	return err
}

func (s *DB) UnclaimService(ctx context.Context, label string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM service_claims WHERE label_key = $1`, alert.LabelKey(label))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, "no claim of service label %q", label)
	}
	return nil
}

func (s *DB) ServiceClaims(ctx context.Context) ([]alert.Claim, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT label, org_id, claimed_at FROM service_claims ORDER BY label_key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []alert.Claim{}
	for rows.Next() {
		var c alert.Claim
		var at int64
		if err := rows.Scan(&c.Label, &c.OrgID, &at); err != nil {
			return nil, err
		}
		c.ClaimedAt = fromMicros(at)
		out = append(out, c)
	}
	return out, rows.Err()
}
