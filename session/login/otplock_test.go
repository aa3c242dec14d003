package login_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

// While the one-time-code limit holds, logins with the right password are
// refused (ErrLocked) but do not count as failures of the account or the
// address: a user retrying does not lock themself out of the password
// step. Only the code ladder's own lock counts on the code ladder.
func TestOTPLockDoesNotClimbAccountLadder(t *testing.T) {
	th := login.DefaultThrottles()
	th.Account = login.Ladder{Free: 10, Window: time.Hour, Delays: []time.Duration{time.Hour}}
	th.IP = login.Ladder{Free: 10, Window: time.Hour, Delays: []time.Duration{time.Hour}}
	th.OTP = login.Ladder{Free: 2, Window: time.Hour, Delays: []time.Duration{time.Hour}}
	e := newEnv(t, login.WithThrottle(th))
	e.user(t, "alice", false)
	e.enrolTOTP(t, "alice")
	ctx := from(t.Context(), "192.0.2.7")

	for range 3 { // the third wrong code locks the code ladder
		_, _, err := e.m.Login(ctx, "alice", goodPassword, "000000")
		require.ErrorIs(t, err, login.ErrInvalidOTP)
	}
	for i := range 20 {
		_, _, err := e.m.Login(ctx, "alice", goodPassword, "000000")
		var locked *login.LockedError
		require.ErrorAs(t, err, &locked, "attempt %d", i)
		require.Greater(t, locked.RetryAfter, 50*time.Minute, "attempt %d: the code ladder's lock", i)
	}
	// The account and address ladders hold only the three wrong codes.
	p, _, err := e.m.Login(ctx, "alice", goodPassword, "")
	require.NoError(t, err, "the password step is not locked")
	require.Equal(t, []string{session.RolePendingTOTP}, p.Roles)
}
