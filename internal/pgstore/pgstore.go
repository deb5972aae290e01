// Package pgstore opens trawl's relational store in PostgreSQL (15 or newer)
// through pgx, for deployments where several `trawl serve` replicas share
// one database. Migrations are serialized across replicas by an advisory
// lock, so replicas may start at the same time.
package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/trawlhq/trawl/internal/sqlstore"
)

// migrationLockID is an arbitrary constant that names trawl's advisory lock.
const migrationLockID = 0x7472_6177_6c00 // "trawl\0"

// Dialect is the PostgreSQL dialect of sqlstore.
var Dialect = sqlstore.Dialect{
	Name:  "postgres",
	Types: map[string]string{"BYTES": "BYTEA"},
	IsUnique: func(err error) bool {
		var e *pgconn.PgError
		return errors.As(err, &e) && e.Code == "23505"
	},
	Lock: func(ctx context.Context, conn *sql.Conn) (func(), error) {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLockID)); err != nil {
			return nil, err
		}
		return func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, int64(migrationLockID))
		}, nil
	},
}

// IsURL reports whether s looks like a PostgreSQL connection URL.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database at dsn and migrates it.
func Open(ctx context.Context, dsn string) (*sqlstore.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx errors can echo the DSN, password included: say only what is wrong.
		return nil, errors.New("pgstore: the database URL is not a valid PostgreSQL connection string")
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("pgstore: connect to %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, redactErr(err, cfg.Password))
	}
	s, err := sqlstore.Open(ctx, db, Dialect)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func redactErr(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "REDACTED"))
}
