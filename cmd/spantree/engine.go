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
// store.Store: retention and the keys' lifecycle.
type engine interface {
	store.Store
	Prune(ctx context.Context, cutoff time.Time) (int, error)
	ListKeys(ctx context.Context, namespace string) ([]keyInfo, error)
	RevokeKey(ctx context.Context, keyOrID string) (keyInfo, error)
}

// keyInfo describes an API key without its secret, whatever the engine.
type keyInfo struct {
	ID        string
	Namespace string
	Created   time.Time
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

func (e sqliteEngine) ListKeys(ctx context.Context, ns string) ([]keyInfo, error) {
	keys, err := e.Store.ListKeys(ctx, ns)
	out := make([]keyInfo, len(keys))
	for i, k := range keys {
		out[i] = keyInfo(k)
	}
	return out, err
}

func (e sqliteEngine) RevokeKey(ctx context.Context, keyOrID string) (keyInfo, error) {
	k, err := e.Store.RevokeKey(ctx, keyOrID)
	return keyInfo(k), err
}

type chEngine struct{ *clickhouse.Store }

func (e chEngine) ListKeys(ctx context.Context, ns string) ([]keyInfo, error) {
	keys, err := e.Store.ListKeys(ctx, ns)
	out := make([]keyInfo, len(keys))
	for i, k := range keys {
		out[i] = keyInfo(k)
	}
	return out, err
}

func (e chEngine) RevokeKey(ctx context.Context, keyOrID string) (keyInfo, error) {
	k, err := e.Store.RevokeKey(ctx, keyOrID)
	return keyInfo(k), err
}
