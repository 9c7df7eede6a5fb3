package ledger

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// querier is what the ledger's SQL runs on: a database, a connection or a
// transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// dialected runs the ledger's SQL, written once with SQLite's '?'
// placeholders, on either back end: for PostgreSQL it numbers the
// placeholders ($1, $2...), spells SQLite's two-argument MAX as GREATEST,
// and passes booleans as the 0/1 integers both schemas store.
type dialected struct {
	q  querier
	pg bool
}

func (d dialected) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.q.ExecContext(ctx, d.rebind(query), d.args(args)...)
}

func (d dialected) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.q.QueryContext(ctx, d.rebind(query), d.args(args)...)
}

func (d dialected) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return d.q.QueryRowContext(ctx, d.rebind(query), d.args(args)...)
}

func (d dialected) args(args []any) []any {
	for i, a := range args {
		if b, ok := a.(bool); ok {
			args[i] = boolInt(b)
		}
	}
	return args
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (d dialected) rebind(query string) string {
	if !d.pg {
		return query
	}
	return rebindPG(query)
}

// rebindPG numbers the '?' placeholders outside quoted literals.
func rebindPG(query string) string {
	query = strings.ReplaceAll(query, "MAX(ambiguous,", "GREATEST(ambiguous,")
	var b strings.Builder
	b.Grow(len(query) + 16)
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
