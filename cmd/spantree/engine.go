package main

import (
	"context"
	"time"

	"github.com/spantree/spantree/client"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/clickhouse"
	"github.com/spantree/spantree/store/sqlite"
)

// engine is what serve and key need of a storage engine beyond
// store.Store: retention, the keys' lifecycle and the users who sign in.
type engine interface {
	store.Store
	store.Keys
	store.Users
	Prune(ctx context.Context, cutoff time.Time) (int, error)
}

// openEngine opens the engine that db names, and says which it is for the
// log: the SQLite path, or the ClickHouse URL without its password.
func openEngine(ctx context.Context, db string) (engine, string, error) {
	if client.IsClickHouse(db) {
		st, safe, err := client.OpenClickHouse(ctx, db)
		if err != nil {
			return nil, "", err
		}
		return chEngine{st}, safe, nil
	}
	st, err := sqlite.Open(db)
	if err != nil {
		return nil, "", err
	}
	return sqliteEngine{st}, db, nil
}

type sqliteEngine struct{ *sqlite.Store }

type chEngine struct{ *clickhouse.Store }
