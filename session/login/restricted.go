package login

import "fmt"

// RestrictedUsernames returns the default list of usernames nobody can
// register for themselves, because users would take an account holding
// one for the service's own: admin, administrator, root, superuser,
// sysadmin, system, support, help, helpdesk, info, contact, security,
// abuse, noc, postmaster, hostmaster, webmaster, mail, www, ftp, api,
// billing, sales, staff, moderator, owner, official, null, nobody,
// anonymous. Register treats such a name as taken and ConfirmUsername
// refuses it (ErrUsernameTaken); CreateAccount, the administrators' way,
// may still use one. WithRestrictedUsernames replaces the list.
func RestrictedUsernames() []string {
	return []string{"admin", "administrator", "root", "superuser", "sysadmin", "system", "support", "help", "helpdesk",
		"info", "contact", "security", "abuse", "noc", "postmaster", "hostmaster", "webmaster", "mail", "www", "ftp",
		"api", "billing", "sales", "staff", "moderator", "owner", "official", "null", "nobody", "anonymous"}
}

// WithRestrictedUsernames replaces the usernames nobody can register for
// themselves. Default: RestrictedUsernames(). Names are normalized as
// usernames are (NormalizeUsername); none at all lifts the restriction.
func WithRestrictedUsernames(names ...string) Option {
	return func(c *config) error {
		set := make(map[string]bool, len(names))
		for _, n := range names {
			norm, err := NormalizeUsername(n)
			if err != nil {
				return fmt.Errorf("%w: restricted username %q: %w", ErrOption, n, err)
			}
			set[norm] = true
		}
		c.restricted = set
		return nil
	}
}

// restrictedName reports whether the normalized username is restricted.
func (m *Manager) restrictedName(username string) bool { return m.cfg.restricted[username] }

// restrictedSet is the set of the default names, which are normalized.
func restrictedSet(names []string) map[string]bool {
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set
}
