package login

// HashSlotsInUse is the number of password-hashing slots of m taken now.
func HashSlotsInUse(m *Manager) int { return len(m.hashes.slots) }
