package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/webhook"
)

var _ webhook.Store = (*DB)(nil)

func (s *DB) CreateEndpoint(ctx context.Context, e *webhook.Endpoint) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO webhooks (id, org_id, endpoint, secret, created_at) VALUES ($1, $2, $3, $4, $5)`,
		e.ID, e.OrgID, b, e.Secret, micros(e.CreatedAt))
	return s.conflictOr(err, "a webhook with id %q exists", e.ID)
}

const endpointCols = `endpoint, secret, failures, disabled, disabled_reason, last_status, last_error, last_at`

func scanEndpoint(sc interface{ Scan(...any) error }) (*webhook.Endpoint, error) {
	var b []byte
	var secret string
	var disabled int
	var lastAt sql.NullInt64
	var h webhook.Health
	if err := sc.Scan(&b, &secret, &h.Failures, &disabled, &h.DisabledReason, &h.LastStatus, &h.LastError, &lastAt); err != nil {
		return nil, err
	}
	var e webhook.Endpoint
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, err
	}
	h.Disabled, h.LastAttempt = disabled != 0, timePtr(lastAt)
	e.Secret, e.Health = secret, h
	return &e, nil
}

func (s *DB) Endpoint(ctx context.Context, id string) (*webhook.Endpoint, error) {
	e, err := scanEndpoint(s.db.QueryRowContext(ctx, `SELECT `+endpointCols+` FROM webhooks WHERE id = $1`, id))
	return e, notFound(err, "no webhook %q", id)
}

func (s *DB) Endpoints(ctx context.Context, orgID string) ([]webhook.Endpoint, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+endpointCols+` FROM webhooks WHERE $1 = '' OR org_id = $1 ORDER BY created_at, id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []webhook.Endpoint{}
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, rows.Err()
}

func (s *DB) DeleteEndpoint(ctx context.Context, id string) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, "no webhook %q", id)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_outbox SET state = $1, last_error = 'the endpoint was deleted' WHERE endpoint_id = $2 AND state = $3`,
		string(webhook.Dropped), id, string(webhook.Pending)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_cursors WHERE endpoint_id = $1`, id); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *DB) RecordAttempt(ctx context.Context, id string, ok bool, status int, excerpt string, at time.Time, disableAfter int) error {
	if ok {
		_, err := s.db.ExecContext(ctx, `UPDATE webhooks SET failures = 0, last_status = $1, last_error = '', last_at = $2 WHERE id = $3`, status, micros(at), id)
		return err
	}
	// One statement, so that concurrent failures count each.
	_, err := s.db.ExecContext(ctx, `UPDATE webhooks SET failures = failures + 1, last_status = $1, last_error = $2, last_at = $3,
		disabled = CASE WHEN failures + 1 >= $4 THEN 1 ELSE disabled END,
		disabled_reason = CASE WHEN disabled = 0 AND failures + 1 >= $4 THEN $5 ELSE disabled_reason END
		WHERE id = $6`, status, excerpt, micros(at), disableAfter,
		"disabled after "+strconv.Itoa(disableAfter)+" consecutive failed deliveries; the last: "+excerpt, id)
	return err
}

func (s *DB) Enqueue(ctx context.Context, ds []webhook.Delivery) error {
	for _, d := range ds {
		if _, err := s.db.ExecContext(ctx, `INSERT INTO webhook_outbox (id, endpoint_id, org_id, event, subject_id, collection_id, created_at, next_at, state)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
			d.ID, d.EndpointID, d.OrgID, d.Event, d.SubjectID, d.CollectionID, micros(d.CreatedAt), micros(d.NextAt), string(webhook.Pending)); err != nil {
			return err
		}
	}
	return nil
}

const deliveryCols = `id, endpoint_id, org_id, event, subject_id, collection_id, created_at, next_at, attempts, state, last_status, last_error`

func scanDeliveries(rows *sql.Rows) ([]webhook.Delivery, error) {
	defer rows.Close()
	out := []webhook.Delivery{}
	for rows.Next() {
		var d webhook.Delivery
		var created, next int64
		var state string
		if err := rows.Scan(&d.ID, &d.EndpointID, &d.OrgID, &d.Event, &d.SubjectID, &d.CollectionID, &created, &next, &d.Attempts, &state, &d.LastStatus, &d.LastError); err != nil {
			return nil, err
		}
		d.CreatedAt, d.NextAt, d.State = fromMicros(created), fromMicros(next), webhook.State(state)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Claim leases due rows with one UPDATE whose WHERE is re-checked per row:
// under PostgreSQL's READ COMMITTED, a row another worker leased meanwhile
// no longer matches (lease_until is in the future) and is skipped; SQLite
// serializes writers.
func (s *DB) Claim(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]webhook.Delivery, error) {
	n, until := micros(now), micros(leaseUntil)
	if _, err := s.db.ExecContext(ctx, `UPDATE webhook_outbox SET lease_owner = $1, lease_until = $2
		WHERE state = $3 AND next_at <= $4 AND lease_until <= $4 AND id IN (
			SELECT id FROM webhook_outbox WHERE state = $3 AND next_at <= $4 AND lease_until <= $4 ORDER BY next_at, id LIMIT $5)`,
		owner, until, string(webhook.Pending), n, limit); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryCols+` FROM webhook_outbox WHERE lease_owner = $1 AND lease_until = $2 AND state = $3 ORDER BY next_at, id`,
		owner, until, string(webhook.Pending))
	if err != nil {
		return nil, err
	}
	return scanDeliveries(rows)
}

var errLeaseLost = errors.New("sqlstore: the delivery's lease was lost")

func (s *DB) Finish(ctx context.Context, owner string, d *webhook.Delivery) error {
	res, err := s.db.ExecContext(ctx, `UPDATE webhook_outbox SET state = $1, attempts = $2, next_at = $3, last_status = $4, last_error = $5,
		lease_owner = '', lease_until = 0 WHERE id = $6 AND lease_owner = $7`,
		string(d.State), d.Attempts, micros(d.NextAt), d.LastStatus, d.LastError, d.ID, owner)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.Wrap(errs.Conflict, errLeaseLost, "delivery %s is leased by another worker", d.ID)
	}
	return nil
}

func (s *DB) Deliveries(ctx context.Context, endpointID string, limit int) ([]webhook.Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryCols+` FROM webhook_outbox WHERE endpoint_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, endpointID, limit)
	if err != nil {
		return nil, err
	}
	return scanDeliveries(rows)
}

func (s *DB) Cursor(ctx context.Context, endpointID, scope string) (time.Time, int64, bool, error) {
	var at, seq int64
	err := s.db.QueryRowContext(ctx, `SELECT after_date, after_seq FROM webhook_cursors WHERE endpoint_id = $1 AND scope = $2`, endpointID, scope).Scan(&at, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, 0, false, nil
	}
	if err != nil {
		return time.Time{}, 0, false, err
	}
	return fromMicros(at), seq, true, nil
}

func (s *DB) SetCursor(ctx context.Context, endpointID, scope string, at time.Time, seq int64) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO webhook_cursors (endpoint_id, scope, after_date, after_seq) VALUES ($1, $2, $3, $4)
		ON CONFLICT (endpoint_id, scope) DO UPDATE SET after_date = excluded.after_date, after_seq = excluded.after_seq`, endpointID, scope, micros(at), seq)
	return err
}

func (s *DB) Prune(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM webhook_outbox WHERE state <> $1 AND created_at < $2`, string(webhook.Pending), micros(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
