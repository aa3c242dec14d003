package crud

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/apicrud-go/apicrud/internal/testenv"
)

func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	res := newContacts(t, testenv.SQLiteDB(t), WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
	ctx := as(t.Context(), alice)
	c, err := res.Create(ctx, &contact{Name: "Ada", Info: "a-secret-info"})
	require.NoError(t, err)
	_, err = res.Get(ctx, c.ID)
	require.NoError(t, err)
	_, err = res.Update(ctx, c.ID, &contact{Name: "Ada L."}, "name")
	require.NoError(t, err)
	page, err := res.Find(ctx, Query{})
	require.NoError(t, err)
	_, err = res.Get(as(t.Context(), bob), c.ID)
	require.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, res.Delete(ctx, false, c.ID))

	type got struct {
		name, op, code string
		rows           int64
	}
	var spans []got
	for _, s := range rec.Ended() {
		g := got{name: s.Name()}
		for _, kv := range s.Attributes() {
			require.NotContains(t, kv.Value.String(), "a-secret-info")
			switch kv.Key {
			case "db.operation.name":
				g.op = kv.Value.AsString()
			case "error.type":
				g.code = kv.Value.AsString()
			case "db.response.returned_rows":
				g.rows = kv.Value.AsInt64()
			}
		}
		attrs := attribute.NewSet(s.Attributes()...)
		v, _ := attrs.Value("apicrud.resource")
		require.Equal(t, "contact", v.AsString())
		v, _ = attrs.Value("db.collection.name")
		require.Equal(t, "contact", v.AsString())
		spans = append(spans, g)
	}
	require.Equal(t, []got{
		{"apicrud.crud.Create", "INSERT", "", 1},
		{"apicrud.crud.Get", "SELECT", "", 1},
		{"apicrud.crud.Update", "UPDATE", "", 1},
		{"apicrud.crud.Find", "SELECT", "", int64(len(page.Items))},
		{"apicrud.crud.Get", "SELECT", CodeNotFound, 0},
		{"apicrud.crud.Delete", "UPDATE", "", 1},
	}, spans)
}
