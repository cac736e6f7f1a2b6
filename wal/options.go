package wal

import (
	"fmt"
	"time"
)

// SyncPolicy says when the Writer makes appended records durable with
// fsync. The policies mirror Redis's appendfsync settings.
type SyncPolicy int

// Sync policies.
const (
	// SyncAlways syncs every group before any of its records is acknowledged
	// (appendfsync always).
	SyncAlways SyncPolicy = iota
	// SyncEverySec syncs records that asked for it, and otherwise syncs in
	// the background about once per SyncInterval (appendfsync everysec).
	SyncEverySec
	// SyncNo syncs only records that asked for it, explicit Sync calls and
	// Close; the OS decides when the rest reaches the disk (appendfsync no).
	SyncNo
)

// String returns the policy's Redis name: "always", "everysec" or "no".
func (p SyncPolicy) String() string {
	switch p {
	case SyncAlways:
		return "always"
	case SyncEverySec:
		return "everysec"
	case SyncNo:
		return "no"
	}
	return fmt.Sprintf("SyncPolicy(%d)", int(p))
}

// ParseSyncPolicy parses a Redis appendfsync value.
func ParseSyncPolicy(s string) (SyncPolicy, error) {
	for _, p := range []SyncPolicy{SyncAlways, SyncEverySec, SyncNo} {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("wal: unknown sync policy %q (want always, everysec or no)", s)
}

// Defaults.
const (
	// DefaultSyncInterval is the background sync period of SyncEverySec.
	DefaultSyncInterval = time.Second
	// maxPending is the back-pressure bound: Append waits while the buffer
	// being filled holds this many bytes. At most two buffers (one being
	// filled, one being written by the leader) are in memory at once.
	maxPending = 4 << 20
)

// WriterOptions configure a Writer. The zero value is valid: SyncAlways.
type WriterOptions struct {
	// SyncPolicy says when records are synced.
	SyncPolicy SyncPolicy
	// SyncInterval is the background sync period under SyncEverySec. Zero
	// means DefaultSyncInterval.
	SyncInterval time.Duration
	// OnError, when set, is called once, with no lock of the writer held,
	// with the writer's sticky error when the first write or sync fails,
	// including a timed sync no caller waits for. It runs on the goroutine
	// that led the failed group: an appender in Waiter.Wait, the flusher or
	// Close. It must not block on anything that waits for the writer
	// (Close, Sync, another appender's Wait).
	OnError func(error)
	// OnWritten, when set, is called by the goroutine that wrote a group
	// (an appender in Waiter.Wait, the flusher or Close), after the group's
	// write and sync succeeded and before any of its waiters is released,
	// with the group's waiters, the caller's own included. The engine
	// applies the group's batches to its memtable there, in one pass
	// (lsm's applyWALGroup). It runs with no lock of the writer held, and
	// must not block on anything that waits for the writer; the slice is
	// the writer's, valid only during the call.
	OnWritten func(group []*Waiter)
	// ZeroAhead, when set and the file implements io.WriterAt, keeps the
	// file written with zeros up to about ZeroAheadLead bytes past the
	// log's end (see zeroAhead). A sync then finds the blocks it writes
	// allocated and the file's size unchanged, which on Linux's
	// journalling file systems spares it the metadata commit that an
	// appending write needs: under SyncAlways, where every group waits for
	// a sync, that is a quarter or more of each sync's latency. It costs
	// writing every byte of the log twice, so it is for SyncAlways.
	ZeroAhead bool
}

// EnsureDefaults returns a copy of o with zero fields set to their defaults.
func (o WriterOptions) EnsureDefaults() WriterOptions {
	if o.SyncInterval <= 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	return o
}

// Validate reports an invalid option.
func (o WriterOptions) Validate() error {
	if o.SyncPolicy < SyncAlways || o.SyncPolicy > SyncNo {
		return fmt.Errorf("wal: invalid sync policy %d", int(o.SyncPolicy))
	}
	if o.SyncInterval < 0 {
		return fmt.Errorf("wal: negative sync interval %s", o.SyncInterval)
	}
	return nil
}
