package jemallocprof

// Purpose says what a buffer is for. The set is closed: each purpose has
// its own counters, reported by Snapshot in this order.
type Purpose uint8

const (
	// MemtableActive is the arena of the memtable taking writes.
	MemtableActive Purpose = iota
	// MemtableImmutable are arenas of memtables waiting for, or in, flush.
	MemtableImmutable
	// MemtableSpare is the arena an engine keeps, once its memtable is
	// released, for its next memtable: one per DB at most, holding no
	// data.
	MemtableSpare
	// BlockCache are decompressed blocks held by the block cache.
	BlockCache
	// IteratorPinned are blocks no longer in the cache (evicted, or read
	// without filling it) that iterators still hold.
	IteratorPinned
	// WAL are the log writer's block and pending-record buffers.
	WAL
	// Batch are write batch representations being built or committed.
	Batch
	// ClientQuery are client query (read) buffers.
	ClientQuery
	// ClientReply are client reply (write) buffers.
	ClientReply
	// TableMeta are the index, filter and range-deletion blocks each open
	// table's reader keeps (Go heap memory, declared with Track).
	TableMeta
	// Compression is the state of the table codecs: zstd's encoder
	// (match tables, history) and its decoders, made once per process
	// and kept (Go heap memory, declared with Track).
	Compression
	// Other is anything large that fits none of the above.
	Other
	// Recycled are freed block buffers the pure-Go build keeps for
	// AllocUninit (at most 4 MiB; none in the jemalloc build, whose own
	// caches do this).
	Recycled

	// NumPurposes is the number of purposes.
	NumPurposes int = iota
)

var purposeNames = [NumPurposes]string{
	MemtableActive:    "memtable_active",
	MemtableImmutable: "memtable_immutable",
	MemtableSpare:     "memtable_spare",
	BlockCache:        "block_cache",
	IteratorPinned:    "iterator_pinned",
	WAL:               "wal",
	Batch:             "batch",
	ClientQuery:       "client_query",
	ClientReply:       "client_reply",
	TableMeta:         "table_meta",
	Compression:       "compression",
	Other:             "other",
	Recycled:          "recycled",
}

// String returns the purpose's name as INFO memory and /metrics show it.
func (p Purpose) String() string {
	if int(p) < NumPurposes {
		return purposeNames[p]
	}
	return "unknown"
}

// Purposes returns every purpose in reporting order.
func Purposes() []Purpose {
	ps := make([]Purpose, NumPurposes)
	for i := range ps {
		ps[i] = Purpose(i)
	}
	return ps
}
