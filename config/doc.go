// Package config loads a service's configuration: apicrud's settings (the
// Go successor of apicrud's ServiceConfig) plus any keys the host
// application adds, from defaults, a YAML file, the environment and code.
//
// # Overview
//
//	c, err := config.Load("service.yaml", os.LookupEnv)
//	if err != nil {
//		log.Fatal(err) // every bad key, with file and line
//	}
//	srv := &http.Server{Addr: c.ListenAddr()}
//
// Each key takes the value of the last source that sets it:
//
//  1. the built-in default (apicrud's service_config.yaml defaults where it
//     had one, the library packages' own defaults where they have one; no
//     secret has a default and there are no default grants), or the host's
//     default given with Default;
//  2. the YAML file (path "" reads none): a flat mapping of lower-case keys;
//  3. the environment, read through the lookup function the host passes
//     (os.LookupEnv; nil reads none — the library never reads the
//     environment by itself): the prefix (DefaultEnvPrefix "APICRUD_",
//     WithEnvPrefix) plus the key in upper case, so session_idle_ttl is
//     APICRUD_SESSION_IDLE_TTL. redis_url and database_url also read the
//     conventional REDIS_URL and DATABASE_URL when the prefixed variable is
//     unset. An empty variable is ignored, as in apicrud;
//  4. Set options in code.
//
// Value syntax: durations in Go syntax ("15m", "1h30m"; a bare number is
// rejected, except an unquoted 0 in YAML), booleans (YAML true/false;
// environment true/false/1/0/yes/no/on/off), integers, lists (YAML
// sequences; comma-separated in the environment) and maps (YAML mappings;
// name=value,name=value in the environment). Map entries from the file and
// the environment replace single entries of the default map
// (default_grants: {lists: 20} keeps the host's other default grants); a
// map given to Set
// replaces the whole map.
//
// YAML is read strictly: an unknown key (with a "did you mean" hint), a
// value of the wrong YAML type (a quoted "10" for an integer, 900 for a
// duration, true for a string), null, a duplicate key, anchors and
// aliases, several documents or a file over MaxFileSize are errors. Load
// reports every problem at once, as *KeyError values joined with
// errors.Join: each names the key, and the file and line or the
// environment variable, and matches a sentinel (ErrUnknownKey, ErrType,
// ErrInvalid, ErrInsecureSecret, ErrSyntax) with errors.Is. Errors never
// contain a secret's value. WithEnviron(os.Environ()) also reports
// prefixed variables that match no key (APICRUD_SESION_IDLE_TTL).
//
// Keys lists every key with its environment variable, type and
// description; Source tells where a value came from.
//
// # Immutability
//
// A Config has only unexported state and getters; lists and maps are
// returned as copies. Copies of a Config share one read-only state, so a
// Config can be passed by value and read from any goroutine. To change the
// configuration, load a new one.
//
// # Host keys
//
// A host application embeds Config in its own struct and calls LoadAs:
//
//	type Settings struct {
//		config.Config
//		SMTPHost     string        `config:"smtp_host" default:"localhost"`
//		SMTPPassword config.Secret `config:"smtp_password" secret:"required"`
//		SendTimeout  time.Duration `default:"5s"` // key send_timeout
//	}
//	s, err := config.LoadAs[Settings]("service.yaml", os.LookupEnv)
//
// The host's exported fields become keys (the config tag, or the field
// name in snake_case), read from the same file, environment and options,
// with the same strictness. Tags: default (a value in environment syntax),
// env (extra unprefixed variable names), secret ("true": masked;
// "required": masked and required outside development mode; "url": the
// URL's password is masked), min and max (numbers and durations; the
// length of strings), enum (comma-separated allowed strings), path
// (relative paths from the file are resolved against the file's
// directory) and doc. The library's getters, Redacted, MarshalJSON and
// Source are promoted to the host struct; Redacted and MarshalJSON cover
// the host's keys too, as loaded. The host struct's own fields are plain
// exported fields: keeping them unchanged is up to the host.
//
// # Security
//
// Secrets (jwt_key, encryption_passphrase, admin_password,
// metrics_scrape_key, and host fields of type Secret or tagged secret) are
// of type Secret, which prints "[REDACTED]" through fmt, log/slog and
// encoding/json; Reveal returns the value. Redacted, MarshalJSON, String,
// Format and LogValue of a Config mask every secret and the passwords in
// redis_url and database_url, so the /config endpoint can return
// c.Redacted() to an admin.
//
// Outside development mode (key development, APICRUD_DEVELOPMENT=true),
// Load refuses to start with an insecure secret (ErrInsecureSecret, naming
// the key): a required secret that is empty (jwt_key,
// encryption_passphrase), a secret shorter than its minimum (jwt_key 32
// bytes, encryption_passphrase 16, admin_password 12, metrics_scrape_key
// 16), a single repeated character, or one of the secrets published in
// apicrud's service_config.yaml and placeholders such as "changeme"
// (apicrud shipped working secrets in its sample file). In development mode these are
// accepted with a warning on the WithLogger logger.
//
// # Differences from apicrud's ServiceConfig
//
// Precedence is defaults < file < environment < options (apicrud had
// environment > file > kwargs > defaults, so code could not override the
// environment); unknown keys in code are errors (apicrud ignored unknown
// kwargs); durations are Go durations instead of seconds; there is no
// global cached instance and no reset. apicrud's quirk that set
// login_session_limit from login_admin_limit outside production is not
// replicated: development mode changes no TTL. db_url is not composed from
// DB_HOST/DB_USER/...: database_url (or DATABASE_URL) is one URL.
package config
