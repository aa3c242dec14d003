package main

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

// sessionBody is one of the caller's sessions, as GET /auth/sessions
// shows it.
type sessionBody struct {
	ID             string    `json:"id" doc:"the session's public id (a hash of its token, not a credential): DELETE /auth/sessions/{id} ends it"`
	Current        bool      `json:"current" doc:"the session of this request"`
	Method         string    `json:"method" doc:"how the user logged in: password, totp, backup_code, device, external:<provider>"`
	Created        time.Time `json:"created" doc:"the login"`
	Expires        time.Time `json:"expires" doc:"the absolute deadline"`
	LastUsed       time.Time `json:"last_used" doc:"the last use, recorded at most once a minute; the login until then"`
	IP             string    `json:"ip,omitempty" doc:"the client address of the last use"`
	UserAgent      string    `json:"user_agent,omitempty" doc:"the user agent of the last use"`
	LoginIP        string    `json:"login_ip,omitempty" doc:"the client address of the login"`
	LoginUserAgent string    `json:"login_user_agent,omitempty" doc:"the user agent of the login"`
}

// sessionList is the answer of GET /auth/sessions.
type sessionList struct {
	Items []sessionBody `json:"items" doc:"the most recently used first"`
	Count int           `json:"count"`
}

// revokedBody is the answer of DELETE /auth/sessions.
type revokedBody struct {
	Revoked int `json:"revoked" doc:"how many sessions ended"`
}

func addr(c session.Client) string {
	if !c.IP.IsValid() {
		return ""
	}
	return c.IP.String()
}

// listSessions is GET /auth/sessions: the caller's live sessions, the
// most recently used first, with the client of the login and of the last
// use.
func (a *app) listSessions(w http.ResponseWriter, r *http.Request) {
	s, ok := loginSession(w, r)
	if !ok {
		return
	}
	list, err := a.sessions.List(r.Context(), s.UID)
	if err != nil {
		login.WriteError(w, err)
		return
	}
	items := make([]sessionBody, 0, len(list))
	for _, l := range list {
		items = append(items, sessionBody{
			ID: l.ID, Current: l.ID == s.ID, Method: l.Method,
			Created: l.Created, Expires: l.Expires, LastUsed: l.LastUsed,
			IP: addr(l.LastClient), UserAgent: l.LastClient.UserAgent,
			LoginIP: addr(l.Client), LoginUserAgent: l.Client.UserAgent,
		})
	}
	slices.SortFunc(items, func(x, y sessionBody) int {
		return cmp.Or(y.LastUsed.Compare(x.LastUsed), cmp.Compare(x.ID, y.ID))
	})
	writeJSON(w, http.StatusOK, sessionList{Items: items, Count: len(items)})
}

// revokeSession is DELETE /auth/sessions/{id}: that session of the
// caller's ends at once. Another user's session, an unknown id and one
// that is not a session id at all are the same 404. Ending the current
// session is a logout.
func (a *app) revokeSession(w http.ResponseWriter, r *http.Request) {
	s, ok := loginSession(w, r)
	if !ok {
		return
	}
	found, err := a.sessions.Revoke(r.Context(), s.UID, r.PathValue("id"))
	if err != nil {
		login.WriteError(w, err)
		return
	}
	if !found {
		writeProblem(w, http.StatusNotFound, "contacts.unknown_session", "")
		return
	}
	if r.PathValue("id") == s.ID {
		a.sessions.ClearCookie(w)
	}
	w.WriteHeader(http.StatusNoContent)
}

// revokeOtherSessions is DELETE /auth/sessions: every session of the
// caller's but the current one ends ("log out my other devices").
func (a *app) revokeOtherSessions(w http.ResponseWriter, r *http.Request) {
	s, ok := loginSession(w, r)
	if !ok {
		return
	}
	n, err := a.sessions.DeleteOthers(r.Context(), s)
	if err != nil {
		login.WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, revokedBody{Revoked: n})
}
