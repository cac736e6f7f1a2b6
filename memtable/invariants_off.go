//go:build !invariants

package memtable

// invariants enables the expensive self-checks (make test sets the tag).
const invariants = false
