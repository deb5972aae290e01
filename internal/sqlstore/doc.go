// Package sqlstore implements trawl's relational store once, in portable SQL,
// for every SQL database an adapter can open: sqlitestore (the embedded
// default) and pgstore (PostgreSQL, shared by several replicas). An adapter
// supplies a Dialect: the few type names and error codes that differ.
//
// Queries use $N placeholders, which both SQLite and PostgreSQL accept, and
// only standard SQL with INSERT ... ON CONFLICT and RETURNING, so that a
// deployment can move to a PostgreSQL-compatible distributed engine.
//
// Migrations are embedded, numbered, applied in order inside a transaction
// each, and never edited once released. A store refuses to open a database
// whose schema is newer than the binary knows.
package sqlstore
