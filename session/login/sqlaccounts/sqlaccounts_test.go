package sqlaccounts_test

import (
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/sqlaccounts"
	"github.com/apicrud-go/apicrud/session/login/storetest"
)

func TestStore(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		n := 0
		storetest.RunAccounts(t, func(t *testing.T) login.AccountStore {
			n++
			s, err := sqlaccounts.New(db, sqlaccounts.WithTable("accounts_"+string(rune('a'+n))))
			require.NoError(t, err)
			require.NoError(t, s.CreateTable(t.Context()))
			require.NoError(t, s.CreateTable(t.Context()), "CreateTable is idempotent")
			return s
		})
	})
}

func TestWithTable(t *testing.T) {
	db := testenv.SQLiteDB(t)
	for _, name := range []string{"", "Accounts", "a-b", "a;drop table x", "1abc"} {
		_, err := sqlaccounts.New(db, sqlaccounts.WithTable(name))
		require.Error(t, err, name)
	}
	_, err := sqlaccounts.New(nil)
	require.Error(t, err)
}
