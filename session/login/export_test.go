package login

// HoldHashSlots takes every password-hashing slot of m, as that many
// concurrent hashes would, until release is called.
func HoldHashSlots(m *Manager) (release func()) {
	n := cap(m.hashes.slots)
	for range n {
		m.hashes.slots <- struct{}{}
	}
	return func() {
		for range n {
			<-m.hashes.slots
		}
	}
}
