package accesscontrol

import "strings"

// ActionSet is a set of action letters. The letters are those of apicrud's
// rbac.yaml: c create, r read, u update, d delete, l list,
// g guest/member, h host/manager, i invitee, j join. The zero value is the
// empty set.
type ActionSet uint16

// Letters lists every action letter the policy file accepts, in the
// (alphabetical) order ActionSet.String uses.
const Letters = "cdghijlru"

// actionBit maps a lower-case letter to its bit; 0 for an unknown letter.
var actionBit = [256]ActionSet{
	'c': 1 << 0, 'd': 1 << 1, 'g': 1 << 2, 'h': 1 << 3, 'i': 1 << 4,
	'j': 1 << 5, 'l': 1 << 6, 'r': 1 << 7, 'u': 1 << 8,
}

// ActionOf returns the set holding the single action a, and false when a is
// not an action letter.
func ActionOf(a byte) (ActionSet, bool) {
	b := actionBit[a]
	return b, b != 0
}

// ParseActions parses a string of action letters ("cdru"). Repeated
// letters are accepted; an unknown letter is an error naming it.
func ParseActions(s string) (ActionSet, error) {
	var set ActionSet
	for i := 0; i < len(s); i++ {
		b := actionBit[s[i]]
		if b == 0 {
			return 0, &actionError{s[i:]}
		}
		set |= b
	}
	return set, nil
}

type actionError struct{ rest string }

func (e *actionError) Error() string {
	r := []rune(e.rest)
	return ErrUnknownAction.Error() + " " + quote(string(r[:1]))
}

func (e *actionError) Unwrap() error { return ErrUnknownAction }

// Has reports whether the set holds action letter a.
func (s ActionSet) Has(a byte) bool {
	b := actionBit[a]
	return b != 0 && s&b != 0
}

// Contains reports whether s holds every action of t.
func (s ActionSet) Contains(t ActionSet) bool { return s&t == t }

// String returns the letters of the set in alphabetical order, "" for the
// empty set (apicrud's per-record rbac string).
func (s ActionSet) String() string {
	var b strings.Builder
	for i := 0; i < len(Letters); i++ {
		if s&actionBit[Letters[i]] != 0 {
			b.WriteByte(Letters[i])
		}
	}
	return b.String()
}
