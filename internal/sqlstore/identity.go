package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
)

var _ identity.Store = (*DB)(nil)

func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(errs.NotFound, format, args...)
	}
	return err
}

func (s *DB) CreateOrg(ctx context.Context, o *identity.Org) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO orgs (id, name, title, operator, created_at) VALUES ($1, $2, $3, $4, $5)`,
		o.ID, o.Name, o.Title, o.Operator, micros(o.CreatedAt))
	return s.conflictOr(err, "an organization named %q exists", o.Name)
}

const orgCols = `id, name, title, operator, created_at`

func scanOrg(row interface{ Scan(...any) error }) (*identity.Org, error) {
	var o identity.Org
	var created int64
	if err := row.Scan(&o.ID, &o.Name, &o.Title, &o.Operator, &created); err != nil {
		return nil, err
	}
	o.CreatedAt = fromMicros(created)
	return &o, nil
}

func (s *DB) OrgByID(ctx context.Context, id string) (*identity.Org, error) {
	o, err := scanOrg(s.db.QueryRowContext(ctx, `SELECT `+orgCols+` FROM orgs WHERE id = $1`, id))
	return o, notFound(err, "no organization with id %q", id)
}

func (s *DB) OrgByName(ctx context.Context, name string) (*identity.Org, error) {
	o, err := scanOrg(s.db.QueryRowContext(ctx, `SELECT `+orgCols+` FROM orgs WHERE name = $1`, name))
	return o, notFound(err, "no organization named %q", name)
}

func (s *DB) ListOrgs(ctx context.Context) ([]identity.Org, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+orgCols+` FROM orgs ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []identity.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *o)
	}
	return out, rows.Err()
}

func (s *DB) CreateUser(ctx context.Context, u *identity.User) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO users (id, org_id, email, name, role, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		u.ID, u.OrgID, u.Email, u.Name, string(u.Role), micros(u.CreatedAt))
	return s.conflictOr(err, "a user with e-mail %q exists", u.Email)
}

const userCols = `id, org_id, email, name, role, created_at`

func scanUser(row interface{ Scan(...any) error }) (*identity.User, error) {
	var u identity.User
	var role string
	var created int64
	if err := row.Scan(&u.ID, &u.OrgID, &u.Email, &u.Name, &role, &created); err != nil {
		return nil, err
	}
	u.Role, u.CreatedAt = identity.Role(role), fromMicros(created)
	return &u, nil
}

func (s *DB) UserByEmail(ctx context.Context, email string) (*identity.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = $1`, email))
	return u, notFound(err, "no user with e-mail %q", email)
}

func (s *DB) ListUsers(ctx context.Context, orgID string) ([]identity.User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE org_id = $1 ORDER BY email`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []identity.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

func (s *DB) CreateKey(ctx context.Context, k *identity.Key) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO api_keys (id, org_id, user_id, name, role, hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, k.OrgID, nullString(k.UserID), k.Name, string(k.Role), k.Hash, micros(k.CreatedAt), nullMicros(k.ExpiresAt))
	return s.conflictOr(err, "a key with id %q exists", k.ID)
}

const keyCols = `id, org_id, user_id, name, role, hash, created_at, expires_at, revoked_at, last_used_at`

func scanKey(row interface{ Scan(...any) error }) (*identity.Key, error) {
	var k identity.Key
	var user sql.NullString
	var role string
	var created int64
	var exp, rev, used sql.NullInt64
	if err := row.Scan(&k.ID, &k.OrgID, &user, &k.Name, &role, &k.Hash, &created, &exp, &rev, &used); err != nil {
		return nil, err
	}
	k.UserID, k.Role, k.CreatedAt = user.String, identity.Role(role), fromMicros(created)
	k.ExpiresAt, k.RevokedAt, k.LastUsedAt = timePtr(exp), timePtr(rev), timePtr(used)
	return &k, nil
}

func (s *DB) KeyByID(ctx context.Context, id string) (*identity.Key, error) {
	k, err := scanKey(s.db.QueryRowContext(ctx, `SELECT `+keyCols+` FROM api_keys WHERE id = $1`, id))
	return k, notFound(err, "no key with id %q", id)
}

func (s *DB) ListKeys(ctx context.Context, orgID string) ([]identity.Key, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+keyCols+` FROM api_keys WHERE $1 = '' OR org_id = $1 ORDER BY created_at, id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []identity.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *k)
	}
	return out, rows.Err()
}

func (s *DB) RevokeKey(ctx context.Context, id string, at time.Time) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, micros(at))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return errs.E(errs.NotFound, "no key with id %q", id)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE change_counters SET value = value + 1 WHERE name = 'api_keys'`); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *DB) KeysVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT value FROM change_counters WHERE name = 'api_keys'`).Scan(&v)
	return v, err
}

func (s *DB) TouchKey(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $2 WHERE id = $1`, id, micros(at))
	return err
}
