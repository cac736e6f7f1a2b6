package codec

import (
	"encoding/binary"
	"math"

	"github.com/strata-db/strata/internal/base"
)

// Metadata is the decoded value of a metadata key (layout in FORMAT.md).
type Metadata struct {
	Type Type
	// Flags is reserved; version 1 defines no flag and requires 0.
	Flags uint8
	// ExpireAt is the absolute expiry in Unix milliseconds, 0 for none.
	ExpireAt int64

	// Value is a string's value (TypeString only).
	Value []byte

	// UUID, Count: complex types only. UUID names the key incarnation's data
	// range and is never 0; Count is the number of elements.
	UUID  uint64
	Count uint64
	// Head, Tail: lists only. Elements occupy indexes [Head, Tail), so
	// Tail-Head == Count.
	Head, Tail uint64
}

// IsComplex reports whether the type keeps its elements under a uuid.
func (t Type) IsComplex() bool { return t >= TypeHash && t <= TypeZSet }

// ExpiredAt reports whether the key is expired at nowMs (lazy expiry rule:
// expire-at <= now).
func (m *Metadata) ExpiredAt(nowMs int64) bool {
	return m.ExpireAt != 0 && m.ExpireAt <= nowMs
}

// Encode appends the encoding of m to dst. It does not validate m; values
// built by this package are valid by construction.
func (m *Metadata) Encode(dst []byte) []byte {
	dst = append(dst, byte(m.Type), MetaVersion, m.Flags)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.ExpireAt))
	switch {
	case m.Type == TypeString:
		dst = append(dst, m.Value...)
	case m.Type.IsComplex():
		dst = binary.BigEndian.AppendUint64(dst, m.UUID)
		dst = binary.BigEndian.AppendUint64(dst, m.Count)
		if m.Type == TypeList {
			dst = binary.BigEndian.AppendUint64(dst, m.Head)
			dst = binary.BigEndian.AppendUint64(dst, m.Tail)
		}
	}
	return dst
}

// EncodedLen returns the length of m's encoding.
func (m *Metadata) EncodedLen() int {
	switch {
	case m.Type == TypeString:
		return metaHeaderLen + len(m.Value)
	case m.Type == TypeList:
		return listMetaLen
	case m.Type.IsComplex():
		return complexMetaLen
	}
	return metaHeaderLen
}

// DecodeMetadata decodes a metadata value strictly: an unknown type,
// version or flag, a wrong length, an expire-at beyond int64, a zero uuid or
// list bounds that disagree with the count are errors in the ErrCorruption
// class. It never panics. A string's Value aliases b.
//
// Every b that decodes re-encodes to exactly b (the encoding is canonical).
func DecodeMetadata(b []byte) (Metadata, error) {
	var m Metadata
	if len(b) < metaHeaderLen {
		return m, base.CorruptionErrorf("codec: metadata of %d bytes is shorter than its header", len(b))
	}
	m.Type = Type(b[0])
	if m.Type != TypeString && !m.Type.IsComplex() {
		return m, base.CorruptionErrorf("codec: unknown metadata type %d", b[0])
	}
	if b[1] != MetaVersion {
		return m, base.CorruptionErrorf("codec: unknown metadata version %d", b[1])
	}
	m.Flags = b[2]
	if m.Flags&^knownFlags != 0 {
		return m, base.CorruptionErrorf("codec: unknown metadata flags %#x", m.Flags)
	}
	at := binary.BigEndian.Uint64(b[3:11])
	if at > math.MaxInt64 {
		return m, base.CorruptionErrorf("codec: expire-at %d out of range", at)
	}
	m.ExpireAt = int64(at)
	rest := b[metaHeaderLen:]
	if m.Type == TypeString {
		m.Value = rest
		return m, nil
	}
	want := complexMetaLen
	if m.Type == TypeList {
		want = listMetaLen
	}
	if len(b) != want {
		return m, base.CorruptionErrorf("codec: %s metadata of %d bytes, want %d", m.Type, len(b), want)
	}
	m.UUID = binary.BigEndian.Uint64(rest[0:8])
	m.Count = binary.BigEndian.Uint64(rest[8:16])
	if m.UUID == 0 {
		return m, base.CorruptionErrorf("codec: %s metadata with uuid 0", m.Type)
	}
	if m.Type == TypeList {
		m.Head = binary.BigEndian.Uint64(rest[16:24])
		m.Tail = binary.BigEndian.Uint64(rest[24:32])
		if m.Head > m.Tail || m.Tail-m.Head != m.Count {
			return m, base.CorruptionErrorf("codec: list bounds [%d, %d) disagree with count %d", m.Head, m.Tail, m.Count)
		}
	}
	return m, nil
}
