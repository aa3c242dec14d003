package crud

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// role is the part a column plays for crud.
type role uint8

const (
	roleNone role = iota
	roleID
	roleOwner
	rolePrivacy
	roleMember
	roleStatus
	roleCreated
	roleModified
	roleVersion
	roleCategory
	roleTitle
)

// roleNames are the role words of the crud tag, indexed by role.
func roleNames() [roleTitle + 1]string {
	return [...]string{roleNone: "none", roleID: "id", roleOwner: "owner", rolePrivacy: "privacy",
		roleMember: "membership", roleStatus: "status", roleCreated: "created", roleModified: "modified",
		roleVersion: "version", roleCategory: "category", roleTitle: "title"}
}

func roleByName(s string) role {
	for r, n := range roleNames() {
		if n == s && role(r) != roleNone {
			return role(r)
		}
	}
	return roleNone
}

// valueKind is the JSON/SQL shape of a field.
type valueKind uint8

const (
	kindOther valueKind = iota
	kindString
	kindInt
	kindUint
	kindFloat
	kindBool
	kindTime
	kindBytes
)

var timeType = reflect.TypeFor[time.Time]()

// field is one column of the record type.
type field struct {
	index     []int
	typ       reflect.Type // the Go type (possibly a pointer)
	base      reflect.Type // typ without the pointer
	goName    string
	json      string // "" when hidden from the API (json:"-")
	column    string
	qcol      string // quoted column
	tcol      string // quoted table.column
	role      role
	writable  bool
	required  bool
	nullable  bool
	kind      valueKind
	enum      []string
	maxLen    int
	def       string
	hasDef    bool
	filter    bool
	sort      bool
	omitEmpty bool

	rel *relation // a many-to-many field (WithRelation), not a column

	tagWritable bool
	tagNoFilter bool
	tagNoSort   bool
}

func (f *field) name() string {
	if f.json != "" {
		return f.json
	}
	return f.column
}

// model is the reflected description of a record type.
type model struct {
	typ     reflect.Type
	fields  []*field // every column, in struct order
	byJSON  map[string]*field
	byCol   map[string]*field
	roles   [roleTitle + 1]*field
	visible []*field // fields with a JSON name
}

func (m *model) role(r role) *field { return m.roles[r] }

func kindOf(t reflect.Type) valueKind {
	if t == timeType {
		return kindTime
	}
	switch t.Kind() {
	case reflect.String:
		return kindString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return kindInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return kindUint
	case reflect.Float32, reflect.Float64:
		return kindFloat
	case reflect.Bool:
		return kindBool
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return kindBytes
		}
	}
	return kindOther
}

// parseModel reflects T's exported fields that carry a `db` tag.
func parseModel(t reflect.Type, dialect, table string) (*model, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: record type %s is not a struct", ErrConfig, t)
	}
	m := &model{typ: t, byJSON: map[string]*field{}, byCol: map[string]*field{}}
	qtable := quote(dialect, table)
	for _, sf := range reflect.VisibleFields(t) {
		if !sf.IsExported() || sf.Anonymous && sf.Type.Kind() == reflect.Struct && sf.Tag.Get("db") == "" {
			continue
		}
		col, _, _ := strings.Cut(sf.Tag.Get("db"), ",")
		if col == "" || col == "-" {
			continue
		}
		if !validIdent(col, false) {
			return nil, fmt.Errorf("%w: %s.%s: db tag %q is not a plain identifier", ErrConfig, t, sf.Name, col)
		}
		if _, dup := m.byCol[col]; dup {
			return nil, fmt.Errorf("%w: %s: column %q appears twice", ErrConfig, t, col)
		}
		f := &field{index: sf.Index, typ: sf.Type, base: sf.Type, goName: sf.Name, column: col}
		f.qcol = quote(dialect, col)
		f.tcol = qtable + "." + f.qcol
		if sf.Type.Kind() == reflect.Pointer {
			f.nullable = true
			f.base = sf.Type.Elem()
		}
		f.kind = kindOf(f.base)
		if f.kind == kindBytes {
			f.nullable = true
		}
		jname, jopts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		f.omitEmpty = slices.Contains(strings.Split(jopts, ","), "omitempty") || slices.Contains(strings.Split(jopts, ","), "omitzero")
		switch jname {
		case "-":
			jname = ""
		case "":
			jname = sf.Name
		}
		f.json = jname
		if err := parseCrudTag(f, sf.Tag.Get("crud")); err != nil {
			return nil, fmt.Errorf("%w: %s.%s: %v", ErrConfig, t, sf.Name, err)
		}
		if f.json != "" {
			if _, dup := m.byJSON[f.json]; dup {
				return nil, fmt.Errorf("%w: %s: JSON name %q appears twice", ErrConfig, t, f.json)
			}
			m.byJSON[f.json] = f
			m.visible = append(m.visible, f)
		}
		m.byCol[col] = f
		m.fields = append(m.fields, f)
	}
	if len(m.fields) == 0 {
		return nil, fmt.Errorf("%w: %s has no fields with db tags", ErrConfig, t)
	}
	return m, nil
}

func parseCrudTag(f *field, tag string) error {
	if tag == "" {
		return nil
	}
	for _, opt := range strings.Split(tag, ",") {
		opt = strings.TrimSpace(opt)
		key, val, hasVal := strings.Cut(opt, "=")
		switch {
		case opt == "":
		case key == "writable" && !hasVal:
			f.tagWritable = true
		case key == "readonly" && !hasVal:
		case key == "required" && !hasVal:
			f.required = true
		case key == "nofilter" && !hasVal:
			f.tagNoFilter = true
		case key == "nosort" && !hasVal:
			f.tagNoSort = true
		case key == "maxlen" && hasVal:
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return fmt.Errorf("bad maxlen %q", val)
			}
			f.maxLen = n
		case key == "enum" && hasVal:
			f.enum = strings.Split(val, "|")
		case key == "default" && hasVal:
			f.def, f.hasDef = val, true
		case !hasVal && roleByName(key) != roleNone:
			if f.role != roleNone {
				return fmt.Errorf("two roles in crud tag %q", tag)
			}
			f.role = roleByName(key)
		default:
			return fmt.Errorf("unknown crud tag option %q", opt)
		}
	}
	return nil
}

// assignRoles applies the Columns option and the default column names.
func (m *model) assignRoles(cols Columns) error {
	for _, f := range m.fields {
		if f.role != roleNone {
			if m.roles[f.role] != nil {
				return fmt.Errorf("%w: two fields tagged as the same role (%s, %s)", ErrConfig, m.roles[f.role].column, f.column)
			}
			m.roles[f.role] = f
		}
	}
	byDefault := map[role]bool{}
	set := func(r role, col, def string) error {
		switch col {
		case "-":
			if f := m.roles[r]; f != nil {
				f.role = roleNone
			}
			m.roles[r] = nil
			return nil
		case "":
			if m.roles[r] != nil || def == "" {
				return nil
			}
			if f := m.byCol[def]; f == nil || f.role != roleNone {
				return nil
			}
			col = def
			byDefault[r] = true
		}
		f := m.byCol[col]
		if f == nil {
			return fmt.Errorf("%w: column %q not found in %s", ErrConfig, col, m.typ)
		}
		if f.role != roleNone && f.role != r {
			return fmt.Errorf("%w: column %q has two roles", ErrConfig, col)
		}
		if old := m.roles[r]; old != nil && old != f {
			old.role = roleNone
		}
		f.role = r
		m.roles[r] = f
		return nil
	}
	for _, s := range []struct {
		r        role
		col, def string
	}{
		{roleID, cols.ID, "id"}, {roleOwner, cols.Owner, "uid"}, {rolePrivacy, cols.Privacy, "privacy"},
		{roleMember, cols.Membership, "list_id"}, {roleStatus, cols.Status, "status"},
		{roleCreated, cols.Created, "created"}, {roleModified, cols.Modified, "modified"},
		{roleVersion, cols.Version, "version"}, {roleCategory, cols.Category, "category_id"},
		{roleTitle, cols.Title, ""},
	} {
		if err := set(s.r, s.col, s.def); err != nil {
			return err
		}
	}
	if m.roles[roleTitle] == nil {
		for _, n := range []string{"name", "info", "item", "subject"} {
			if f := m.byJSON[n]; f != nil && f.kind == kindString && f.role == roleNone {
				m.roles[roleTitle] = f
				f.role = roleTitle
				break
			}
		}
	}
	if err := m.checkRoleKinds(byDefault); err != nil {
		return err
	}
	if f := m.roles[roleID]; f == nil {
		return fmt.Errorf("%w: %s has no id column", ErrConfig, m.typ)
	} else if f.nullable {
		return fmt.Errorf("%w: id column %q must not be a pointer", ErrConfig, f.column)
	}
	if f := m.roles[roleVersion]; f != nil && f.nullable {
		return fmt.Errorf("%w: version column %q must not be a pointer", ErrConfig, f.column)
	}
	return m.statusValues()
}

// statusValues sets the values the status column may hold: "active" and
// "disabled", which crud itself writes, and the others its enum= tag adds
// (statuses a hook sets, such as "unconfirmed"). A filter on any other
// status is a 400 that lists these.
func (m *model) statusValues() error {
	f := m.roles[roleStatus]
	if f == nil {
		return nil
	}
	if len(f.enum) == 0 {
		f.enum = []string{StatusActive, StatusDisabled}
		return nil
	}
	for _, s := range []string{StatusActive, StatusDisabled} {
		if !slices.Contains(f.enum, s) {
			return fmt.Errorf("%w: the enum of status column %q must include %q", ErrConfig, f.column, s)
		}
	}
	return nil
}

// checkRoleKinds refuses role columns of the wrong type; a column that
// got its role only from its name (byDefault) just loses it.
func (m *model) checkRoleKinds(byDefault map[role]bool) error {
	want := map[role][]valueKind{
		roleID: {kindString}, roleOwner: {kindString}, rolePrivacy: {kindString}, roleMember: {kindString},
		roleStatus: {kindString}, roleCreated: {kindTime}, roleModified: {kindTime},
		roleVersion: {kindInt, kindUint}, roleCategory: {kindString}, roleTitle: {kindString},
	}
	for r, kinds := range want {
		f := m.roles[r]
		if f == nil || slices.Contains(kinds, f.kind) {
			continue
		}
		if byDefault[r] {
			// A column merely named like a role but of another type (a
			// text "version", say) plays no role.
			f.role = roleNone
			m.roles[r] = nil
			continue
		}
		return fmt.Errorf("%w: column %q (%s) cannot be the %s column", ErrConfig, f.column, f.typ, r)
	}
	return nil
}

func (r role) String() string {
	names := roleNames()
	if int(r) < len(names) {
		return names[r]
	}
	return "none"
}

// serverControlled reports fields that clients can never write.
func (f *field) serverControlled() bool {
	switch f.role {
	case roleID, roleOwner, roleStatus, roleCreated, roleModified, roleVersion:
		return true
	}
	return f.json == ""
}

// decodeValue decodes a JSON value into a new value of the field's type and
// validates it; the error is a *FieldError for name.
func (f *field) decodeValue(name string, raw json.RawMessage, privacy []string) (reflect.Value, error) {
	v := reflect.New(f.typ)
	trimmed := strings.TrimSpace(string(raw))
	if trimmed == "null" {
		if !f.nullable {
			return reflect.Value{}, fieldErr(name, CodeInvalidValue, "must not be null")
		}
		return v.Elem(), nil
	}
	if err := json.Unmarshal(raw, v.Interface()); err != nil {
		return reflect.Value{}, fieldErr(name, CodeInvalidValue, "wrong type, expected "+f.jsonType())
	}
	if err := f.validate(name, v.Elem(), privacy); err != nil {
		return reflect.Value{}, err
	}
	return v.Elem(), nil
}

// validate checks the constraints of a decoded value.
func (f *field) validate(name string, v reflect.Value, privacy []string) error {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if f.rel != nil {
		return f.rel.validateIDs(name, v)
	}
	if f.kind != kindString {
		if f.kind == kindFloat {
			if x := v.Float(); x != x { // NaN cannot come from JSON, but be explicit
				return fieldErr(name, CodeInvalidValue, "not a number")
			}
		}
		return nil
	}
	s := v.String()
	if strings.IndexByte(s, 0) >= 0 {
		return fieldErr(name, CodeInvalidValue, "contains a NUL character")
	}
	if f.maxLen > 0 && len([]rune(s)) > f.maxLen {
		return fieldErr(name, CodeInvalidValue, fmt.Sprintf("longer than %d characters", f.maxLen))
	}
	enum := f.enum
	if f.role == rolePrivacy {
		enum = privacy
	}
	if len(enum) > 0 && !slices.Contains(enum, s) {
		return fieldErr(name, CodeInvalidValue, "not one of "+strings.Join(enum, ", "))
	}
	return nil
}

// jsonType names the JSON type of the field for messages and the schema.
func (f *field) jsonType() string {
	switch f.kind {
	case kindString, kindTime, kindBytes:
		return "string"
	case kindInt, kindUint:
		return "integer"
	case kindFloat:
		return "number"
	case kindBool:
		return "boolean"
	}
	if f.rel != nil {
		return "array of ids"
	}
	return "value"
}

// scalar reports whether the field can be filtered on.
func (f *field) scalar() bool {
	switch f.kind {
	case kindString, kindInt, kindUint, kindFloat, kindBool, kindTime:
		return true
	}
	return false
}

// attrString returns the value of a string-ish field as a string ("" for nil).
func attrString(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.String {
		return v.String()
	}
	return fmt.Sprint(v.Interface())
}
