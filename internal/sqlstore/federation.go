package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/trawlhq/trawl/internal/taxii"
)

// FederationCursor returns where the push of collectionID to peer stands
// (nil before the first push) and how many objects it has sent in all.
func (s *DB) FederationCursor(ctx context.Context, peer, collectionID string) (*taxii.Position, int64, error) {
	var at, seq, pushed int64
	err := s.db.QueryRowContext(ctx, `SELECT after_date, after_seq, pushed FROM federation_cursors WHERE peer = $1 AND collection_id = $2`, peer, collectionID).Scan(&at, &seq, &pushed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	return &taxii.Position{DateAdded: fromMicros(at), Seq: seq}, pushed, nil
}

// SetFederationCursor records that the push reached pos, having sent
// pushed objects in all.
func (s *DB) SetFederationCursor(ctx context.Context, peer, collectionID string, pos taxii.Position, pushed int64) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO federation_cursors (peer, collection_id, after_date, after_seq, pushed, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (peer, collection_id) DO UPDATE SET after_date = excluded.after_date, after_seq = excluded.after_seq, pushed = excluded.pushed, updated_at = excluded.updated_at`,
		peer, collectionID, micros(pos.DateAdded), pos.Seq, pushed, micros(time.Now()))
	return err
}
