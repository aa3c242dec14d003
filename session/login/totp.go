package login

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/apicrud-go/apicrud/session"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: RFC 6238 defaults that every authenticator app
// understands (SHA-1, 6 digits, 30-second steps), a 160-bit secret, and
// one step of clock skew either way.
const (
	totpPeriod     = 30
	totpSkew       = 1
	totpSecretSize = 20
	backupCodeLen  = 10
)

// TOTPEnrollment is what a user needs to add the account to an
// authenticator app: the base32 secret and the otpauth:// URI (for a QR
// code). Both are secrets; they redact themselves in logs.
type TOTPEnrollment struct {
	Secret string
	URI    string
}

// LogValue returns "[REDACTED]".
func (e TOTPEnrollment) LogValue() slog.Value { return slog.StringValue(redacted) }

// String returns "[REDACTED]".
func (e TOTPEnrollment) String() string { return redacted }

const redacted = "[REDACTED]"

// errBadSecret reports a sealed TOTP secret that does not open: altered,
// or sealed under another key.
var errBadSecret = errors.New("login: stored TOTP secret does not open")

func totpAD(uid string) []byte { return []byte("apicrud/totp\x00" + uid) }

// sealTOTP seals a TOTP secret for the account record.
func (m *Manager) sealTOTP(uid, secret string) (string, error) {
	out, err := m.sealer.Seal([]byte(secret), totpAD(uid))
	if err != nil {
		return "", fmt.Errorf("login: sealing TOTP secret: %w", err)
	}
	return b64url.EncodeToString(out), nil
}

func (m *Manager) openTOTP(uid, sealed string) (string, error) {
	b, err := b64url.DecodeString(sealed)
	if err != nil {
		return "", errBadSecret
	}
	p, err := m.sealer.Open(b, totpAD(uid))
	if err != nil {
		return "", errBadSecret
	}
	return string(p), nil
}

// fullSession loads s from the store and checks it is a full (not
// pending) session of an active account. It returns the stored session
// and its secret (the TOTP secret being enrolled, see EnrollTOTP).
func (m *Manager) fullSession(ctx context.Context, s *session.Session) (*session.Session, string, Account, error) {
	if s == nil {
		return nil, "", Account{}, session.ErrNoSession
	}
	stored, secret, err := m.sessions.Load(ctx, s)
	if err != nil {
		return nil, "", Account{}, err
	}
	if stored.HasRole(RolePendingTOTP) || stored.HasRole(RolePending) {
		return nil, "", Account{}, ErrInvalidCredentials
	}
	acc, found, err := m.accounts.Get(ctx, s.UID)
	if err != nil {
		return nil, "", Account{}, fmt.Errorf("%w: account: %w", session.ErrUnavailable, err)
	}
	if !found || acc.Status != StatusActive {
		return nil, "", Account{}, ErrInvalidCredentials
	}
	return stored, secret, acc, nil
}

// EnrollTOTP starts TOTP enrolment for the user of session s (a full
// session of an active account without TOTP): it returns a new secret and
// its otpauth:// URI, and keeps the secret, sealed, in the session until
// ConfirmTOTP proves the user's app produces the right codes.
func (m *Manager) EnrollTOTP(ctx context.Context, s *session.Session) (TOTPEnrollment, error) {
	_, _, acc, err := m.fullSession(ctx, s)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	if acc.TOTPSecret != "" {
		return TOTPEnrollment{}, ErrTOTPEnrolled
	}
	name := acc.Identity
	if name == "" {
		name = acc.Username
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: m.cfg.issuer, AccountName: name, Period: totpPeriod, SecretSize: totpSecretSize,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("login: generating TOTP key: %w", err)
	}
	if err := m.sessions.SetSecret(ctx, s, key.Secret()); err != nil {
		return TOTPEnrollment{}, err
	}
	return TOTPEnrollment{Secret: key.Secret(), URI: key.URL()}, nil
}

// ConfirmTOTP completes the enrolment EnrollTOTP started in session s with
// a current code from the user's app: TOTP is then required at every
// login. It returns the backup codes, shown to the user once and stored
// only as keyed digests; each works once in place of a code.
func (m *Manager) ConfirmTOTP(ctx context.Context, s *session.Session, code string) ([]string, error) {
	_, enroll, acc, err := m.fullSession(ctx, s)
	if err != nil {
		return nil, err
	}
	if acc.TOTPSecret != "" {
		return nil, ErrTOTPEnrolled
	}
	if enroll == "" {
		return nil, ErrTOTPNotEnrolled
	}
	og, err := m.reserve(ctx, otpThrottleKey(acc.UID), m.cfg.throttle.OTP)
	if err != nil {
		return nil, err
	}
	ok, err := m.checkTOTP(ctx, acc.UID, enroll, code, time.Now())
	if err == nil && !ok {
		err = ErrInvalidOTP
	}
	m.settle(ctx, og, err, OutcomeCleared)
	if err != nil {
		return nil, err
	}
	sealed, err := m.sealTOTP(acc.UID, enroll)
	if err != nil {
		return nil, err
	}
	codes := make([]string, m.cfg.backupCodes)
	digests := make([]string, len(codes))
	for i := range codes {
		c := randomName(backupCodeLen)
		codes[i] = c[:backupCodeLen/2] + "-" + c[backupCodeLen/2:]
		digests[i] = m.backupDigest(acc.UID, c)
	}
	if _, err := m.updateAccount(ctx, acc.UID, func(a *Account) error {
		if a.TOTPSecret != "" {
			return ErrTOTPEnrolled
		}
		a.TOTPSecret, a.BackupCodes = sealed, digests
		return nil
	}); err != nil {
		return nil, err
	}
	if err := m.sessions.SetSecret(ctx, s, ""); err != nil {
		m.log.WarnContext(ctx, "login: clearing the enrolment secret failed", "uid", acc.UID, "err", err)
	}
	return codes, nil
}

// DisableTOTP turns TOTP off for account uid after checking its password
// and a current code (or a backup code): a stolen session alone cannot
// remove the second factor. Remember-device cookies stop working.
func (m *Manager) DisableTOTP(ctx context.Context, uid, password, code string) error {
	client, _ := ClientFromContext(ctx)
	ag, err := m.reserve(ctx, accountThrottleKey("uid\x00"+uid, client.IP), m.cfg.throttle.Account)
	if err != nil {
		return err
	}
	err = m.checkPasswordAndCode(ctx, uid, password, code)
	m.settle(ctx, ag, err, OutcomeCleared)
	if err != nil {
		return err
	}
	return m.ResetTOTP(ctx, uid)
}

// checkPasswordAndCode checks the password and a second factor of
// account uid, for DisableTOTP.
func (m *Manager) checkPasswordAndCode(ctx context.Context, uid, password, code string) error {
	acc, _, err := m.checkPassword(ctx, uid, password)
	if err != nil {
		return err
	}
	if acc.TOTPSecret == "" {
		return ErrTOTPNotEnrolled
	}
	_, err = m.secondFactor(ctx, acc, code)
	return err
}

// ResetTOTP removes TOTP and the backup codes from account uid without
// any check: an administrator's recovery tool. The host decides who may
// call it.
func (m *Manager) ResetTOTP(ctx context.Context, uid string) error {
	_, err := m.updateAccount(ctx, uid, func(a *Account) error {
		a.TOTPSecret, a.BackupCodes = "", nil
		return nil
	})
	return err
}

// secondFactor verifies otp for acc: six digits are a TOTP code, anything
// else a backup code. It counts the attempt on the OTP ladder.
func (m *Manager) secondFactor(ctx context.Context, acc Account, code string) (string, error) {
	og, err := m.reserve(ctx, otpThrottleKey(acc.UID), m.cfg.throttle.OTP)
	if err != nil {
		return "", err
	}
	method, err := m.checkSecondFactor(ctx, acc, code)
	m.settle(ctx, og, err, OutcomeCleared)
	return method, err
}

// checkSecondFactor is secondFactor once its attempt is reserved.
func (m *Manager) checkSecondFactor(ctx context.Context, acc Account, code string) (string, error) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) == int(otp.DigitsSix) && strings.Trim(code, "0123456789") == "" {
		secret, err := m.openTOTP(acc.UID, acc.TOTPSecret)
		if err != nil {
			return "", fmt.Errorf("login: TOTP secret of %s: %w", acc.UID, err)
		}
		ok, err := m.checkTOTP(ctx, acc.UID, secret, code, time.Now())
		if err != nil {
			return "", err
		}
		if !ok {
			return "", ErrInvalidOTP
		}
		return MethodTOTP, nil
	}
	if err := m.useBackupCode(ctx, acc.UID, code); err != nil {
		return "", err
	}
	return MethodBackupCode, nil
}

// checkTOTP reports whether code is valid at now (one step of skew either
// way) and was not accepted before: the matching time step must be later
// than the last step accepted for uid, which the store keeps for every
// instance. A code, or any older one, works at most once.
func (m *Manager) checkTOTP(ctx context.Context, uid, secret, code string, now time.Time) (bool, error) {
	step := now.Unix() / totpPeriod
	match := int64(-1)
	for i := int64(-totpSkew); i <= totpSkew; i++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(step+i), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return false, fmt.Errorf("login: TOTP secret: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && match < 0 {
			match = step + i
		}
	}
	if match < 0 {
		return false, nil
	}
	fresh, err := m.store.AdvanceStep(ctx, "totp:"+uid, match, (2*totpSkew+2)*totpPeriod*time.Second)
	if err != nil {
		return false, fmt.Errorf("%w: TOTP replay guard: %w", session.ErrUnavailable, err)
	}
	return fresh, nil
}

func (m *Manager) backupDigest(uid, code string) string {
	mac := hmac.New(sha256.New, m.keys.backup)
	mac.Write([]byte(uid))
	mac.Write([]byte{0})
	mac.Write([]byte(code))
	return b64url.EncodeToString(mac.Sum(nil))
}

// useBackupCode consumes one backup code of uid (single use, even when
// two logins race with the same code).
func (m *Manager) useBackupCode(ctx context.Context, uid, code string) error {
	code = strings.ToLower(strings.ReplaceAll(code, "-", ""))
	if len(code) != backupCodeLen {
		return ErrInvalidOTP
	}
	d := m.backupDigest(uid, code)
	_, err := m.updateAccount(ctx, uid, func(a *Account) error {
		idx := -1
		for i, c := range a.BackupCodes {
			if subtle.ConstantTimeCompare([]byte(c), []byte(d)) == 1 {
				idx = i
			}
		}
		if idx < 0 {
			return ErrInvalidOTP
		}
		a.BackupCodes = append(a.BackupCodes[:idx:idx], a.BackupCodes[idx+1:]...)
		return nil
	})
	return err
}

// The remember-device cookie is a signed blob bound to the account and to
// a stamp of its password hash and TOTP secret: changing the password or
// the second factor voids every such cookie.
type device struct {
	UID   string `json:"u"`
	Exp   int64  `json:"e"`
	Stamp string `json:"s"`
}

func (m *Manager) deviceStamp(acc Account) string {
	mac := hmac.New(sha256.New, m.keys.device)
	for _, p := range []string{"stamp", acc.UID, acc.PasswordHash, acc.TOTPSecret} {
		mac.Write([]byte(p))
		mac.Write([]byte{0})
	}
	return b64url.EncodeToString(mac.Sum(nil)[:16])
}

// deviceOK reports whether raw is a valid remember-device cookie of acc.
func (m *Manager) deviceOK(raw string, acc Account) bool {
	if raw == "" || m.cfg.deviceTTL <= 0 {
		return false
	}
	var d device
	if err := openBlob(m.keys.device, "device", raw, &d); err != nil {
		return false
	}
	return d.UID == acc.UID && time.Now().Unix() < d.Exp && hmac.Equal([]byte(d.Stamp), []byte(m.deviceStamp(acc)))
}

// RememberDevice returns the signed "remember this device" cookie for the
// user of session s, which must have logged in with a second factor
// (TOTP or backup code) in this session. While the cookie is valid (see
// WithRememberDevice) and the password and TOTP secret stay the same,
// Login skips the second factor on the browser that holds it. The cookie
// is HttpOnly, Secure and SameSite=Strict.
func (m *Manager) RememberDevice(ctx context.Context, s *session.Session) (*http.Cookie, error) {
	if m.cfg.deviceTTL <= 0 {
		return nil, fmt.Errorf("%w: remember-device is disabled", ErrOption)
	}
	stored, _, acc, err := m.fullSession(ctx, s)
	if err != nil {
		return nil, err
	}
	if stored.Method != MethodTOTP && stored.Method != MethodBackupCode {
		return nil, ErrInvalidCredentials
	}
	exp := time.Now().Add(m.cfg.deviceTTL)
	v, err := signBlob(m.keys.device, "device", device{UID: acc.UID, Exp: exp.Unix(), Stamp: m.deviceStamp(acc)})
	if err != nil {
		return nil, err
	}
	return &http.Cookie{
		Name: m.cfg.deviceCookie, Value: v, Path: "/",
		Expires: exp, MaxAge: int(m.cfg.deviceTTL / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
	}, nil
}
