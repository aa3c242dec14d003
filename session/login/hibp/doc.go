// Package hibp checks passwords against the Pwned Passwords range API of
// Have I Been Pwned (https://haveibeenpwned.com/API/v3#PwnedPasswords), or
// a self-hosted server that answers in its format, without sending the
// password or its hash anywhere.
//
// A [Client] implements login.BreachChecker, so that registration,
// password change and password reset refuse a password that appears in a
// known breach:
//
//	pwned, err := hibp.New()
//	logins, err := login.New(sessions, accounts,
//		login.WithBreachCheck(login.BreachCheck{Checker: pwned})) // 2 s per check, fail open
//
// # The protocol
//
// [Client.Count] hashes the password with SHA-1 and sends only the first
// five hexadecimal digits of the hash, as the path of one GET request
// (k-anonymity: each prefix stands for hundreds of hashes in the corpus):
//
//	GET https://api.pwnedpasswords.com/range/21BD1
//	Add-Padding: true
//
// The answer lists the suffixes (the other 35 digits) of every hash with
// that prefix and how often each was seen, one per line, separated by
// CRLF:
//
//	0018A45C4D1DEF81644B54AB7F969B88D65:10
//	00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2
//	011053FD0102E94D6AE2F8B83D76FAF94F6:0
//
// The client compares the suffixes with its own. Add-Padding asks the
// server to pad every answer with fake entries of count 0 to between 800
// and 1,000 lines, so that the size of the encrypted answer does not tell
// an observer which prefix was asked for; entries of count 0 are padding
// and never match.
//
// # Failures
//
// An error means the check could not be made, never "not breached":
// [ErrUnavailable] when the server does not answer before the context
// ends or answers another status than 200, [ErrBadResponse] when the
// answer is not in the format above (one bad line spoils the answer) or
// longer than [WithMaxBody] (512 KiB; the read stops there, after
// decompression). Whether a password is then accepted is the caller's
// choice: login.BreachCheck fails open by default.
//
// The Client has no timeout of its own besides the backstop of its
// default HTTP client (10 s): the caller's context bounds each check
// (login.BreachCheck gives each check 2 s by default).
//
// # A self-hosted corpus
//
// Point [WithURL] at a mirror that serves the same format (the range
// files of the Pwned Passwords downloader, behind any static file
// server), or implement login.BreachChecker over your own store: it is
// one method, Breached(ctx, password) (bool, error).
//
// # Security
//
//   - Neither the password nor its full hash leaves the process; the
//     request carries the five-digit prefix, the padding header and a
//     User-Agent, nothing else (no query, no body, no cookie).
//   - The answer is read through a limit and parsed strictly; the parser
//     never panics on any input (FuzzParseRange).
//   - Errors never contain the password, the hash or the answer's
//     content.
package hibp
