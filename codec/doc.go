// Package codec maps the Redis keyspace onto an ordered key/value store and
// implements the meaning of the Redis commands on it. It knows nothing of
// the engine: it talks to a small Store interface (store.go) that the lsm
// engine satisfies through an adapter in package server, and that MemStore
// satisfies in memory for tests. Package server parses commands and formats
// replies; codec decides what they do.
//
// # Key families
//
// Every stored key starts with a family byte; all integers are big-endian so
// that byte order is numeric order (details in FORMAT.md, constants in
// format.go):
//
//	m | db | userkey                  -> metadata: type, version, flags, expire-at,
//	                                      then a string's value, or a complex
//	                                      type's uuid, count (and list head/tail)
//	d | db | uuid | sub | field        -> elements of hashes, lists, sets, zsets
//	x | expire-at | db | userkey       -> flush epoch; the expiry index in time order
//
// A string is wholly inside its metadata, so GET is one point lookup. A
// complex key's elements all lie in [d|db|uuid, d|db|uuid+1), so deleting it
// is one range deletion whatever its size.
//
// # Usage
//
//	ks, err := codec.Open(store, &codec.Options{}) // New for an empty store
//	db := ks.DB(0)
//	_, err = db.Set([]byte("k"), []byte("v"), codec.SetOptions{})
//	v, found, err := db.Get([]byte("k"))
//	n, err := ks.ExpireCycle(time.Now(), 100) // from a background loop
//
// Errors with a fixed Redis reply carry that reply as their text
// (errors.go), so the server writes err.Error() as is.
//
// # Concurrency
//
// A Keyspace is safe for concurrent use. Reads take no lock: each is one
// Get or one iterator, which read a consistent state. Every write path locks
// the striped mutexes of the metadata keys it touches (locks.go; stripes
// sorted and de-duplicated, so multi-key commands never deadlock), reads
// the current metadata, and commits exactly one batch. FLUSHDB, FLUSHALL and
// SWAPDB take every stripe; a transaction takes its keys' stripes, or every
// stripe when its keys are not known (server.execLock).
//
// # Invariants
//
//  1. A key exists iff its metadata record exists and is not expired
//     (expire-at is 0 or > now). An expired record is invisible to every read
//     at once (lazy expiry) and every write treats it as absent, cleaning up
//     its index entry and data when it replaces it.
//  2. Each command's writes are one atomic batch, built under the locks of
//     every key it reads for the decision.
//  3. A record with expire-at T has the index entry x|T|db|key; records
//     without expiry have none. Writes that change T delete the old entry and
//     write the new one in the same batch.
//  4. The metadata is the truth and an index entry only a hint: an entry
//     whose record is missing or carries another expire-at is stale (FLUSHDB
//     leaves its database's entries behind, since they are not a key range).
//     ExpireCycle rechecks the record under its lock and deletes a stale
//     entry alone.
//  5. A key is deleted (DEL, overwrite by another type or a new incarnation,
//     expiry) by one batch holding its metadata delete, its index entry
//     delete and, for a complex type, one range deletion of its data.
//  6. A stored expire-at is always > 0 and <= math.MaxInt64: a write whose
//     expiry is already due deletes the key instead of storing it.
//  7. Data of a complex key is named by its uuid, never by its user key, so
//     RENAME moves only the metadata. uuids are never reused (allocation is
//     the complex types' job; see hooks.go).
//  8. Each database's key counts equal its records without an expiry plus
//     its index entries of the current flush epoch (counts.go): every
//     batch carries the change it makes, applied once it commits. A batch
//     writes each metadata key at most once.
//
// # Files
//
//	format.go, metadata.go   key layouts and the metadata value (FORMAT.md)
//	store.go, memstore.go    the Store seam and its in-memory implementation
//	keyspace.go, hooks.go    Keyspace, DB, the shared read/write helpers, complex-type hooks
//	string.go, number.go     string commands; Redis integer and long double arithmetic
//	lcs.go                   LCS
//	keys.go, scan.go         generic key commands; KEYS, SCAN and its cursor table
//	expire.go, compaction.go TTLs, the active expiry cycle, the compaction filter's rule
//	expire_cursor.go         where the expiry cycle has got to, kept safe against racing writers
//	effects.go               what a batch changes besides its keys, applied once it commits
//	counts.go                exact key counts for DBSIZE and INFO; flush epochs
//	locks.go, glob.go        striped per-key locks; the Redis glob matcher
//	errors.go                every error, with its exact Redis text
//	score.go                 sorted-set scores: order-preserving encoding, strtod parsing, text
//	zset.go, zset_range.go   sorted sets: members, ranges by rank/score/lex
//	zset_setop.go, zset_pop.go  ZUNION/ZINTER/ZDIFF (sets as sources); pops for ZPOP*/BZPOP*
//
// # What is missing
//
// The complex types. hooks.go names the places they plug in:
// dropComplexData (done: one range deletion) and copyComplexData (COPY, and
// MOVE to another database, of a complex key: not implemented).
package codec
