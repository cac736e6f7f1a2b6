//go:build invariants

package codec

// invariants enables expensive self-checks (the invariants build tag, on
// in make test).
const invariants = true
