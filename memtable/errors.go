package memtable

import "errors"

// Errors returned by Add.
var (
	// ErrArenaFull is returned when the arena has no room for the entry. The
	// engine avoids it by reserving room for a whole batch with Reserve and
	// rotating to a new memtable when the reservation is refused.
	ErrArenaFull = errors.New("memtable: arena full")

	// ErrRecordExists is returned when an entry with the same user key and
	// trailer (sequence number and kind) is already present.
	ErrRecordExists = errors.New("memtable: record exists")

	// ErrInvalidKind is returned for a key whose kind is not SET, DEL or
	// RANGEDEL.
	ErrInvalidKind = errors.New("memtable: invalid key kind")
)
