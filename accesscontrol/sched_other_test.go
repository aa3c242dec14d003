//go:build !linux

package accesscontrol_test

type runQueue struct{}

func openRunQueue() (*runQueue, bool) { return nil, false }
func (*runQueue) wait() (int64, bool) { return 0, false }
func (*runQueue) close()              {}
