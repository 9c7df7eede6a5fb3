package pgtest

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { Main(m) }

func TestAServerStartsAndTakesConnections(t *testing.T) {
	url := Database(t)
	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	defer db.Close()
	var one int
	require.NoError(t, db.QueryRow(`SELECT 1`).Scan(&one))
	require.Equal(t, 1, one)
}
