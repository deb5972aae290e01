package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/audit"
)

var _ audit.Store = (*DB)(nil)

func (s *DB) AppendAudit(ctx context.Context, entries []audit.Entry) error {
	for attempt := 0; ; attempt++ {
		err := s.appendAudit(ctx, entries)
		// Another replica appended at the same time: the chain moved on.
		if err != nil && s.dialect.IsUnique(err) && attempt < 20 {
			time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
			continue
		}
		return err
	}
}

func (s *DB) appendAudit(ctx context.Context, entries []audit.Entry) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Take the head's lock first: another replica's append commits before
	// this one reads where the chain ends.
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET appends = appends + 1 WHERE id = 1`); err != nil {
		return err
	}
	var lastSeq int64
	var lastHash string
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&lastSeq, &lastHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	audit.Chain(lastSeq, lastHash, entries)
	const cols = 10
	for start := 0; start < len(entries); start += 100 {
		chunk := entries[start:min(start+100, len(entries))]
		var q strings.Builder
		q.WriteString(`INSERT INTO audit_log (seq, at, actor, org_id, action, target, status, detail, prev, hash) VALUES `)
		args := make([]any, 0, len(chunk)*cols)
		for i, e := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + s.placeholders(i*cols+1, cols) + ")")
			args = append(args, e.Seq, e.Time.UnixMicro(), e.Actor, e.OrgID, e.Action, e.Target, e.Status, e.Detail, e.Prev, e.Hash)
		}
		var err error
		if len(chunk) == 100 { // one text: keep it prepared
			_, err = s.txExec(ctx, tx, q.String(), args...)
		} else {
			_, err = tx.ExecContext(ctx, q.String(), args...)
		}
		if err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (s *DB) AuditRange(ctx context.Context, from int64, limit int) ([]audit.Entry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, actor, org_id, action, target, status, detail, prev, hash
		FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2`, from, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		var e audit.Entry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.OrgID, &e.Action, &e.Target, &e.Status, &e.Detail, &e.Prev, &e.Hash); err != nil {
			return nil, err
		}
		e.Time = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
