package main

import "time"

// Person is someone in the address book. Every account has one, whose id is
// the account's uid; users may add others (people they know).
type Person struct {
	ID       string     `db:"id" json:"id"`
	UID      string     `db:"uid" json:"uid"`
	Name     string     `db:"name" json:"name" crud:"writable,required,maxlen=128"`
	Identity *string    `db:"identity" json:"identity" crud:"writable,maxlen=254"`
	Privacy  string     `db:"privacy" json:"privacy" crud:"writable,enum=public|invitee|member|manager|secret"`
	Status   string     `db:"status" json:"status"`
	Created  time.Time  `db:"created" json:"created"`
	Modified *time.Time `db:"modified" json:"modified"`
	Version  int64      `db:"version" json:"version"`
}

// Contact is a way to reach its owner: an e-mail address, a phone number.
// A contact may be shared with the members of a list (list_id).
type Contact struct {
	ID       string     `db:"id" json:"id"`
	UID      string     `db:"uid" json:"uid"`
	Label    string     `db:"label" json:"label" crud:"writable,enum=home|mobile|other|work,default=home"`
	Type     string     `db:"type" json:"type" crud:"writable,enum=email|sms|voice|messenger,default=email"`
	Info     string     `db:"info" json:"info" crud:"writable,required,maxlen=255"`
	Muted    bool       `db:"muted" json:"muted" crud:"writable"`
	Rank     int64      `db:"rank" json:"rank" crud:"writable"`
	Privacy  string     `db:"privacy" json:"privacy" crud:"writable,enum=public|invitee|member|manager|secret"`
	ListID   *string    `db:"list_id" json:"list_id" crud:"writable,maxlen=64"`
	Status   string     `db:"status" json:"status"`
	Created  time.Time  `db:"created" json:"created"`
	Modified *time.Time `db:"modified" json:"modified"`
	Version  int64      `db:"version" json:"version"`
	// Lists are the lists the contact is in that the caller may read
	// (a crud relation through contact_in_list).
	Lists []string `json:"lists,omitempty"`
}

// List is a group of people: its members hold the roles
// list-<id>-<level>, and records attached to it (list_id) are readable by
// members of at least the record's privacy level.
type List struct {
	ID          string     `db:"id" json:"id"`
	UID         string     `db:"uid" json:"uid"`
	Name        string     `db:"name" json:"name" crud:"writable,required,maxlen=64"`
	Description string     `db:"description" json:"description" crud:"writable,maxlen=255"`
	Privacy     string     `db:"privacy" json:"privacy" crud:"writable,enum=public|invitee|member|manager|secret"`
	CategoryID  *string    `db:"category_id" json:"category_id" crud:"writable,maxlen=64"`
	Status      string     `db:"status" json:"status"`
	Created     time.Time  `db:"created" json:"created"`
	Modified    *time.Time `db:"modified" json:"modified"`
	Version     int64      `db:"version" json:"version"`
}

// Message is a post, private (secret) or to a list.
type Message struct {
	ID       string     `db:"id" json:"id"`
	UID      string     `db:"uid" json:"uid"`
	Subject  string     `db:"subject" json:"subject" crud:"writable,maxlen=128"`
	Content  string     `db:"content" json:"content" crud:"writable,required,maxlen=65536"`
	ListID   *string    `db:"list_id" json:"list_id" crud:"writable,maxlen=64"`
	Privacy  string     `db:"privacy" json:"privacy" crud:"writable,enum=public|invitee|member|manager|secret"`
	Status   string     `db:"status" json:"status"`
	Created  time.Time  `db:"created" json:"created"`
	Modified *time.Time `db:"modified" json:"modified"`
	Version  int64      `db:"version" json:"version"`
	// Lists are further lists the message is addressed to that the caller
	// may read (a crud relation through message_to_list); list_id is the
	// list whose members may read it.
	Lists []string `json:"lists,omitempty"`
}

// Category groups lists. Every account gets a "default" one.
type Category struct {
	ID       string     `db:"id" json:"id"`
	UID      string     `db:"uid" json:"uid"`
	Name     string     `db:"name" json:"name" crud:"writable,required,maxlen=64"`
	Status   string     `db:"status" json:"status"`
	Created  time.Time  `db:"created" json:"created"`
	Modified *time.Time `db:"modified" json:"modified"`
	Version  int64      `db:"version" json:"version"`
}

// Settings are an account's preferences; the id is the account's uid.
// Handlers read them on most requests, through a cache.
type Settings struct {
	ID                string     `db:"id" json:"id"`
	UID               string     `db:"uid" json:"uid"`
	Locale            string     `db:"locale" json:"locale" crud:"writable,maxlen=16"`
	Timezone          string     `db:"timezone" json:"timezone" crud:"writable,maxlen=64"`
	DefaultPrivacy    string     `db:"default_privacy" json:"default_privacy" crud:"writable,enum=public|invitee|member|manager|secret"`
	DefaultCategoryID *string    `db:"default_category_id" json:"default_category_id" crud:"writable,maxlen=64"`
	NotifyEmail       bool       `db:"notify_email" json:"notify_email" crud:"writable"`
	Status            string     `db:"status" json:"status"`
	Created           time.Time  `db:"created" json:"created"`
	Modified          *time.Time `db:"modified" json:"modified"`
	Version           int64      `db:"version" json:"version"`
}
