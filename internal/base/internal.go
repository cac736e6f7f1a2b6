package base

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// SeqNum is a sequence number: the position of a write in the engine's
// history. Larger is newer.
type SeqNum uint64

const (
	// SeqNumZero is the "no sequence" value; no write carries it.
	SeqNumZero SeqNum = 0
	// SeqNumStart is the first sequence number assigned to a write.
	SeqNumStart SeqNum = 1
	// SeqNumMax is the largest sequence number a trailer can hold. Reading
	// "at SeqNumMax" sees every committed write.
	SeqNumMax SeqNum = 1<<56 - 1
)

// String formats the sequence number, with "inf" for SeqNumMax.
func (s SeqNum) String() string {
	if s == SeqNumMax {
		return "inf"
	}
	return strconv.FormatUint(uint64(s), 10)
}

// InternalKeyKind is the kind of an entry. The values are part of the on-disk
// format of the WAL (batch encoding) and of sstables: never renumber them.
type InternalKeyKind uint8

// These values are part of the on-disk format.
const (
	// InternalKeyKindDelete is a point tombstone.
	InternalKeyKindDelete InternalKeyKind = 0
	// InternalKeyKindSet is a point value.
	InternalKeyKindSet InternalKeyKind = 1
	// InternalKeyKindRangeDelete is a range tombstone: the internal key holds
	// the start key (inclusive) and the value holds the end key (exclusive).
	// It deletes every point key in [start, end) with a smaller sequence
	// number.
	InternalKeyKindRangeDelete InternalKeyKind = 2

	// InternalKeyKindMax is the largest valid kind. A search key built with
	// it sorts before every real entry with the same user key and sequence
	// number.
	InternalKeyKindMax InternalKeyKind = 2

	// InternalKeyKindInvalid marks a key that failed to decode.
	InternalKeyKindInvalid InternalKeyKind = 255
)

var kindNames = [...]string{
	InternalKeyKindDelete:      "DEL",
	InternalKeyKindSet:         "SET",
	InternalKeyKindRangeDelete: "RANGEDEL",
}

// String returns the kind's name in the text notation.
func (k InternalKeyKind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("UNKNOWN(%d)", uint8(k))
}

// ParseKind parses a kind name of the text notation.
func ParseKind(s string) (InternalKeyKind, error) {
	for k, name := range kindNames {
		if name == s {
			return InternalKeyKind(k), nil
		}
	}
	return InternalKeyKindInvalid, fmt.Errorf("base: unknown key kind %q", s)
}

// Trailer packs a sequence number and a kind: seq<<8 | kind.
type Trailer uint64

// MakeTrailer builds a trailer.
func MakeTrailer(seq SeqNum, kind InternalKeyKind) Trailer {
	return Trailer(uint64(seq)<<8 | uint64(kind))
}

// SeqNum returns the trailer's sequence number.
func (t Trailer) SeqNum() SeqNum { return SeqNum(t >> 8) }

// Kind returns the trailer's kind.
func (t Trailer) Kind() InternalKeyKind { return InternalKeyKind(t & 0xff) }

// TrailerLen is the encoded length of a trailer.
const TrailerLen = 8

// InternalKey is a user key plus its trailer.
type InternalKey struct {
	UserKey []byte
	Trailer Trailer
}

// MakeInternalKey builds an internal key.
func MakeInternalKey(userKey []byte, seq SeqNum, kind InternalKeyKind) InternalKey {
	return InternalKey{UserKey: userKey, Trailer: MakeTrailer(seq, kind)}
}

// MakeSearchKey returns the internal key that sorts before every entry of
// userKey visible at seq (all entries with a sequence number <= seq).
func MakeSearchKey(userKey []byte, seq SeqNum) InternalKey {
	return MakeInternalKey(userKey, seq, InternalKeyKindMax)
}

// SeqNum returns the key's sequence number.
func (k InternalKey) SeqNum() SeqNum { return k.Trailer.SeqNum() }

// Kind returns the key's kind.
func (k InternalKey) Kind() InternalKeyKind { return k.Trailer.Kind() }

// Valid reports whether the key's kind is a known kind.
func (k InternalKey) Valid() bool { return k.Kind() <= InternalKeyKindMax }

// Size is the encoded length of the key.
func (k InternalKey) Size() int { return len(k.UserKey) + TrailerLen }

// Encode writes the key into buf, which must have at least Size() bytes:
// the user key followed by the trailer, little-endian.
func (k InternalKey) Encode(buf []byte) {
	n := copy(buf, k.UserKey)
	binary.LittleEndian.PutUint64(buf[n:], uint64(k.Trailer))
}

// AppendEncoded appends the encoded key to dst.
func (k InternalKey) AppendEncoded(dst []byte) []byte {
	dst = append(dst, k.UserKey...)
	return binary.LittleEndian.AppendUint64(dst, uint64(k.Trailer))
}

// Clone returns a copy of the key that owns its user key bytes.
func (k InternalKey) Clone() InternalKey {
	if k.UserKey == nil {
		return k
	}
	return InternalKey{UserKey: append([]byte(nil), k.UserKey...), Trailer: k.Trailer}
}

// DecodeInternalKey decodes an encoded internal key. The returned user key
// aliases encoded. A key shorter than a trailer decodes to kind
// InternalKeyKindInvalid.
func DecodeInternalKey(encoded []byte) InternalKey {
	n := len(encoded) - TrailerLen
	if n < 0 {
		return InternalKey{Trailer: MakeTrailer(0, InternalKeyKindInvalid)}
	}
	return InternalKey{
		UserKey: encoded[:n:n],
		Trailer: Trailer(binary.LittleEndian.Uint64(encoded[n:])),
	}
}

// InternalCompare orders internal keys: user key ascending, then trailer
// descending (newest first).
func InternalCompare(a, b InternalKey) int {
	if c := bytes.Compare(a.UserKey, b.UserKey); c != 0 {
		return c
	}
	switch {
	case a.Trailer > b.Trailer:
		return -1
	case a.Trailer < b.Trailer:
		return 1
	}
	return 0
}

// String formats the key in the text notation: userkey#seq,KIND.
func (k InternalKey) String() string {
	return fmt.Sprintf("%s#%s,%s", FormatUserKey(k.UserKey), k.SeqNum(), k.Kind())
}

// FormatUserKey renders a user key for humans: printable ASCII as is,
// anything else as a Go-quoted string.
func FormatUserKey(k []byte) string {
	for _, c := range k {
		if c < 0x21 || c > 0x7e || c == '#' || c == '"' || c == '\\' {
			return strconv.Quote(string(k))
		}
	}
	return string(k)
}

// ParseInternalKey parses the text notation: userkey#seq,KIND, where seq may
// be "inf" for SeqNumMax and userkey may be Go-quoted.
func ParseInternalKey(s string) (InternalKey, error) {
	i := strings.LastIndexByte(s, '#')
	if i < 0 {
		return InternalKey{}, fmt.Errorf("base: malformed internal key %q", s)
	}
	uk := s[:i]
	if strings.HasPrefix(uk, `"`) {
		u, err := strconv.Unquote(uk)
		if err != nil {
			return InternalKey{}, fmt.Errorf("base: malformed user key in %q: %v", s, err)
		}
		uk = u
	}
	seqStr, kindStr, ok := strings.Cut(s[i+1:], ",")
	if !ok {
		return InternalKey{}, fmt.Errorf("base: malformed internal key %q", s)
	}
	var seq SeqNum
	if seqStr == "inf" {
		seq = SeqNumMax
	} else {
		v, err := strconv.ParseUint(seqStr, 10, 64)
		if err != nil || SeqNum(v) > SeqNumMax {
			return InternalKey{}, fmt.Errorf("base: malformed sequence number in %q", s)
		}
		seq = SeqNum(v)
	}
	kind, err := ParseKind(kindStr)
	if err != nil {
		return InternalKey{}, err
	}
	return MakeInternalKey([]byte(uk), seq, kind), nil
}

// MustParseInternalKey is ParseInternalKey for tests; it panics on error.
func MustParseInternalKey(s string) InternalKey {
	k, err := ParseInternalKey(s)
	if err != nil {
		panic(err)
	}
	return k
}
