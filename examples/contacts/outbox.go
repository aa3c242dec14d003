package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/apicrud-go/apicrud/session/login"
)

// outbox delivers notices by writing one JSON file per message into a
// directory only the service's user can read: a stand-in for the e-mail
// gateway a real deployment would call. Confirmation and reset links
// therefore never appear in an HTTP response or a log (the Python original
// returned them in responses).
type outbox struct {
	dir       string
	publicURL string
	// subject returns the subject of a notice of purpose and its language,
	// for the request behind ctx.
	subject func(ctx context.Context, purpose string) (text, lang string)
}

// mail is one written notice.
type mail struct {
	To      string    `json:"to"`
	UID     string    `json:"uid"`
	Purpose string    `json:"purpose"`
	Subject string    `json:"subject"`
	Lang    string    `json:"language"`
	Link    string    `json:"link,omitempty"`
	Token   string    `json:"token,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
	// TakenUsername is the username asked for at registration when it
	// was taken: the message asks the owner of the address to choose
	// another when they confirm.
	TakenUsername string `json:"taken_username,omitempty"`
}

// Notify implements login.Notifier.
func (o *outbox) Notify(ctx context.Context, n login.Notice) error {
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	m := mail{To: n.Identity, UID: n.UID, Purpose: n.Purpose, Token: n.Token, Expires: n.Expires, TakenUsername: n.TakenUsername}
	m.Subject, m.Lang = o.subject(ctx, n.Purpose)
	if n.Token != "" {
		m.Link = o.publicURL + "/#/" + n.Purpose + "?token=" + url.QueryEscape(n.Token)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	// The address stays inside the file: in a name it could exceed the
	// file system's limit, and delivery must not fail for some accounts
	// only (that would tell which exist).
	name := fmt.Sprintf("%d-%s-%s.json", time.Now().UnixNano(), n.Purpose, rand.Text()[:8])
	tmp := filepath.Join(o.dir, "."+name)
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	// Readers never see a half-written file.
	if err := os.Rename(tmp, filepath.Join(o.dir, name)); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}
