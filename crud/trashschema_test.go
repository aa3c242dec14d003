package crud

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// ajvScript validates each instance against each branch of the trashcan's
// oneOf and against the oneOf itself (discriminator on), with Ajv's JSON
// Schema 2020-12 validator in strict mode. Ajv's discriminator does not
// read "mapping" (it uses the const of each branch, which the mapping
// repeats), so the script drops it. It prints one JSON line per instance:
// the branches it matches and whether the oneOf accepts it.
const ajvScript = `
const [ajvDir, docPath, instPath] = process.argv.slice(2);
const Ajv2020 = require(ajvDir + "/ajv/dist/2020").default;
const addFormats = require(ajvDir + "/ajv-formats");
const doc = JSON.parse(require("fs").readFileSync(docPath, "utf8"));
const insts = JSON.parse(require("fs").readFileSync(instPath, "utf8"));
const ajv = new Ajv2020({strict: true, discriminator: true, allErrors: true});
addFormats(ajv);
const fix = s => JSON.parse(JSON.stringify(s).replaceAll('"#/components/schemas/', '"doc#/$defs/'));
ajv.addSchema({$id: "doc", $defs: fix(doc.components.schemas)});
const oneOf = doc.paths["/api/v1/trashcan/{id}"].get.responses["200"].content["application/json"].schema;
delete oneOf.discriminator.mapping;
const whole = ajv.compile(fix(oneOf));
const branches = oneOf.oneOf.map(b => [b.$ref, ajv.compile(fix(b))]);
for (const inst of insts) {
  const matched = branches.filter(([, v]) => v(inst)).map(([r]) => r);
  const ok = whole(inst);
  console.log(JSON.stringify({matched, ok, errors: ok ? null : whole.errors}));
}
`

// TestTrashcanSchemaDiscriminates: a deleted record, as GET
// /trashcan/{id} shows it, matches exactly one schema of the oneOf, the one
// its "resource" names, under Ajv's strict 2020-12 validator.
func TestTrashcanSchemaDiscriminates(t *testing.T) {
	api, doc := newTestAPI(t)
	s := newServer(t, api.Routes)
	var ids []string
	r := s.do("POST", "/api/v1/contact", "alice", map[string]any{"name": "gone"})
	require.Equal(t, 201, r.status, string(r.body))
	var created struct{ ID string }
	require.NoError(t, json.Unmarshal(r.body, &created))
	ids = append(ids, "contact-"+created.ID)
	r = s.do("POST", "/api/v1/note", "alice", map[string]any{"subject": "gone too"})
	require.Equal(t, 201, r.status, string(r.body))
	require.NoError(t, json.Unmarshal(r.body, &created))
	ids = append(ids, "note-"+created.ID)
	var insts []json.RawMessage
	for _, id := range ids {
		name, rid, _ := strings.Cut(id, "-")
		require.Equal(t, 204, s.do("DELETE", "/api/v1/"+name+"/"+rid, "alice", nil).status)
		r := s.do("GET", "/api/v1/trashcan/"+id, "alice", nil)
		require.Equal(t, 200, r.status, string(r.body))
		var m map[string]any
		require.NoError(t, json.Unmarshal(r.body, &m))
		require.Equal(t, name, m["resource"])
		insts = append(insts, r.body)
	}

	node, err := exec.LookPath("node")
	ajvDir, _ := filepath.Abs("../.tools/npm/node_modules")
	if _, serr := os.Stat(filepath.Join(ajvDir, "ajv", "dist", "2020.js")); err != nil || serr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node or ajv missing (scripts/openapi-validator.sh --install installs ajv): %v %v", err, serr)
		}
		t.Skip("node or ajv missing; scripts/openapi-validator.sh --install installs ajv")
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	all, err := json.Marshal(insts)
	require.NoError(t, err)
	out, err := exec.Command(node, write("check.js", []byte(ajvScript)), ajvDir, write("doc.json", doc), write("insts.json", all)).CombinedOutput()
	var exit *exec.ExitError
	require.False(t, errors.As(err, &exit) && len(out) == 0, "node: %v", err)
	require.NoError(t, err, string(out))
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, len(ids), string(out))
	for i, l := range lines {
		var res struct {
			Matched []string
			OK      bool
		}
		require.NoError(t, json.Unmarshal([]byte(l), &res), l)
		name, _, _ := strings.Cut(ids[i], "-")
		require.Equal(t, []string{"#/components/schemas/Trashed" + schemaName(name)}, res.Matched, "%s matches exactly its own schema", ids[i])
		require.True(t, res.OK, "%s: %s", ids[i], l)
	}
}
