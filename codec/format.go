package codec

import (
	"bytes"
	"encoding/binary"
	"math"

	"github.com/strata-db/strata/internal/base"
)

// This file holds the constants and key layouts described in FORMAT.md.
// Everything here is part of the on-disk format: never renumber a constant,
// never reuse a retired value, and change FORMAT.md with any edit.

// Key families: the first byte of every key Strata stores.
const (
	FamilyMeta   byte = 'm' // m | db | userkey -> metadata
	FamilyData   byte = 'd' // d | db | uuid | sub | field -> element data
	FamilyExpiry byte = 'x' // x | expire-at | db | userkey -> flush epoch
	// FamilyConfig holds keyspace-wide state, outside every database's
	// ranges (FLUSHALL keeps it): 'c' | name.
	FamilyConfig byte = 'c'
)

// Type is the Redis type tag stored in the first byte of a metadata value.
type Type uint8

// Type tags (on-disk format; never renumber, never reuse).
const (
	TypeString Type = 1
	TypeHash   Type = 2
	TypeList   Type = 3
	TypeSet    Type = 4
	TypeZSet   Type = 5
)

// String returns the name TYPE replies with.
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeHash:
		return "hash"
	case TypeList:
		return "list"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	}
	return "none"
}

// Metadata value layout (on-disk format).
const (
	// MetaVersion is the only encoding version this code writes and reads.
	MetaVersion uint8 = 1
	// metaHeaderLen: type(1) version(1) flags(1) expire-at(8).
	metaHeaderLen = 11
	// complexMetaLen: header, uuid(8), count(8).
	complexMetaLen = metaHeaderLen + 16
	// listMetaLen: complex header, head(8), tail(8).
	listMetaLen = complexMetaLen + 16
	// knownFlags is the set of flag bits version 1 defines: none yet. A
	// value with any other bit set is rejected as corrupt.
	knownFlags uint8 = 0
)

// ListInitialIndex is where a new list's head and tail start: the middle of
// the uint64 range, so pushes at both ends have 2^63 slots each.
const ListInitialIndex uint64 = 1 << 63

// MaxDBs is the number of databases the encoding can address (db is one byte).
const MaxDBs = 256

// Key prefix lengths.
const (
	metaPrefixLen   = 2     // family, db
	expiryPrefixLen = 1 + 8 // family, expire-at
	dataPrefixLen   = 2 + 8 // family, db, uuid
	expiryKeyMinLen = 1 + 8 + 1
)

// KeyRange is the half-open key range [Start, End).
type KeyRange struct {
	Start, End []byte
}

// AppendMetaKey appends m | db | userkey to dst.
func AppendMetaKey(dst []byte, db uint8, userKey []byte) []byte {
	dst = append(dst, FamilyMeta, db)
	return append(dst, userKey...)
}

// MetaKey returns m | db | userkey.
func MetaKey(db uint8, userKey []byte) []byte {
	return AppendMetaKey(make([]byte, 0, metaPrefixLen+len(userKey)), db, userKey)
}

// DecodeMetaKey splits a metadata key. userKey aliases k.
func DecodeMetaKey(k []byte) (db uint8, userKey []byte, err error) {
	if len(k) < metaPrefixLen || k[0] != FamilyMeta {
		return 0, nil, base.CorruptionErrorf("codec: bad metadata key %q", k)
	}
	return k[1], k[2:], nil
}

// ExpiryKey returns x | expire-at(8) | db | userkey.
func ExpiryKey(expireAt int64, db uint8, userKey []byte) []byte {
	k := make([]byte, 0, expiryPrefixLen+1+len(userKey))
	k = append(k, FamilyExpiry)
	k = binary.BigEndian.AppendUint64(k, uint64(expireAt))
	k = append(k, db)
	return append(k, userKey...)
}

// DecodeExpiryKey splits an expiry index key. userKey aliases k.
func DecodeExpiryKey(k []byte) (expireAt int64, db uint8, userKey []byte, err error) {
	if len(k) < expiryKeyMinLen || k[0] != FamilyExpiry {
		return 0, 0, nil, base.CorruptionErrorf("codec: bad expiry key %q", k)
	}
	at := binary.BigEndian.Uint64(k[1:9])
	if at == 0 || at > math.MaxInt64 {
		return 0, 0, nil, base.CorruptionErrorf("codec: bad expire-at %d in expiry key", at)
	}
	return int64(at), k[9], k[10:], nil
}

// DataPrefix returns d | db | uuid, the prefix of every data key of one key
// incarnation.
func DataPrefix(db uint8, uuid uint64) []byte {
	k := make([]byte, 0, dataPrefixLen)
	k = append(k, FamilyData, db)
	return binary.BigEndian.AppendUint64(k, uuid)
}

// DataKey returns d | db | uuid | sub | field.
func DataKey(db uint8, uuid uint64, sub byte, field []byte) []byte {
	return appendDataKey(make([]byte, 0, dataPrefixLen+1+len(field)), db, uuid, sub, field)
}

// appendDataKey appends DataKey(db, uuid, sub, field) to dst.
func appendDataKey(dst []byte, db uint8, uuid uint64, sub byte, field []byte) []byte {
	dst = append(dst, FamilyData, db)
	dst = binary.BigEndian.AppendUint64(dst, uuid)
	dst = append(dst, sub)
	return append(dst, field...)
}

// DecodeDataKey splits a data key. field aliases k.
func DecodeDataKey(k []byte) (db uint8, uuid uint64, sub byte, field []byte, err error) {
	if len(k) < dataPrefixLen+1 || k[0] != FamilyData {
		return 0, 0, 0, nil, base.CorruptionErrorf("codec: bad data key %q", k)
	}
	return k[1], binary.BigEndian.Uint64(k[2:10]), k[10], k[11:], nil
}

// DataRange returns [d|db|uuid, d|db|uuid+1): every data key of one key
// incarnation, whatever its sub-family. The end is the next uuid's prefix
// itself (past the last uuid, the end of the database's data), so the
// ranges of consecutive uuids abut exactly: the engine drops a table
// without reading it only when its range is one chain of tombstones, and
// the shortest key past the prefix (d|db|00..01 after uuid 255) left a
// gap, too small to hold a key, at every uuid ending in 0xff, so no table
// of more than 256 keys that expired together could be dropped that way.
func DataRange(db uint8, uuid uint64) KeyRange {
	start := DataPrefix(db, uuid)
	if uuid == math.MaxUint64 {
		return KeyRange{Start: start, End: prefixEnd(start)}
	}
	return KeyRange{Start: start, End: DataPrefix(db, uuid+1)}
}

// MetaRange returns the metadata keys of one database: [m|db, m|db+1).
func MetaRange(db uint8) KeyRange {
	start := []byte{FamilyMeta, db}
	return KeyRange{Start: start, End: prefixEnd(start)}
}

// DBDataRange returns the data keys of one database: [d|db, d|db+1).
func DBDataRange(db uint8) KeyRange {
	start := []byte{FamilyData, db}
	return KeyRange{Start: start, End: prefixEnd(start)}
}

// DBRanges returns the ranges FLUSHDB deletes: the database's metadata and
// data. Expiry index entries are ordered by time first, so those of one
// database are not a range; FLUSHDB leaves them behind as stale hints that
// ExpireCycle discards when they fall due (invariant 4 in doc.go).
func DBRanges(db uint8) []KeyRange {
	return []KeyRange{MetaRange(db), DBDataRange(db)}
}

// AllRanges returns the ranges FLUSHALL deletes: the three key families.
func AllRanges() []KeyRange {
	out := make([]KeyRange, 0, 3)
	for _, f := range []byte{FamilyMeta, FamilyData, FamilyExpiry} {
		out = append(out, KeyRange{Start: []byte{f}, End: []byte{f + 1}})
	}
	return out
}

// Flush epochs (counts.go): c | "flush" | db -> epoch(8), and the value of
// an expiry index entry, the epoch of its database when it was written as
// a uvarint, empty for epoch 0.
var epochName = []byte{FamilyConfig, 'f', 'l', 'u', 's', 'h'}

func epochPrefix() []byte { return bytes.Clone(epochName) }

// epochKey returns c|flush|db.
func epochKey(db uint8) []byte { return append(epochPrefix(), db) }

// epochRecord returns the value of c|flush|db.
func epochRecord(epoch uint64) []byte { return binary.BigEndian.AppendUint64(nil, epoch) }

// decodeEpochRecord decodes the key and value of a flush epoch record.
func decodeEpochRecord(k, v []byte) (db uint8, epoch uint64, err error) {
	if len(k) != len(epochName)+1 || len(v) != 8 {
		return 0, 0, base.CorruptionErrorf("codec: bad flush epoch record %q = %x", k, v)
	}
	return k[len(epochName)], binary.BigEndian.Uint64(v), nil
}

// appendEpoch appends the expiry index entry value naming epoch to dst.
func appendEpoch(dst []byte, epoch uint64) []byte {
	if epoch == 0 {
		return dst
	}
	return binary.AppendUvarint(dst, epoch)
}

// decodeEpoch decodes an expiry index entry value; ok is false when it is
// not a uvarint exactly.
func decodeEpoch(v []byte) (epoch uint64, ok bool) {
	if len(v) == 0 {
		return 0, true
	}
	e, n := binary.Uvarint(v)
	return e, n == len(v)
}

// ExpiryDueRange returns the expiry index entries due at nowMs:
// [x, x|nowMs+1).
func ExpiryDueRange(nowMs int64) KeyRange {
	end := []byte{FamilyExpiry}
	end = binary.BigEndian.AppendUint64(end, uint64(nowMs)+1)
	return KeyRange{Start: []byte{FamilyExpiry}, End: end}
}

// prefixEnd returns the smallest key greater than every key with prefix p,
// or nil (unbounded) when p is all 0xff.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
