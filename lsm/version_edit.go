package lsm

import (
	"encoding/binary"
	"fmt"

	"github.com/strata-db/strata/internal/base"
)

// versionEdit is one MANIFEST record: the difference between two versions
// plus the counters that must survive a restart.
type versionEdit struct {
	comparer     string
	logNumber    base.FileNum // 0 = unchanged
	nextFileNum  base.FileNum // 0 = unchanged
	lastSeqNum   base.SeqNum  // 0 = unchanged
	deletedFiles [numLevels]map[base.FileNum]struct{}
	newFiles     []newFileEntry
}

type newFileEntry struct {
	level int
	meta  *FileMetadata
}

func (ve *versionEdit) deleteFile(level int, num base.FileNum) {
	if ve.deletedFiles[level] == nil {
		ve.deletedFiles[level] = make(map[base.FileNum]struct{})
	}
	ve.deletedFiles[level][num] = struct{}{}
}

// encode appends the edit's encoding to dst (see FORMAT.md).
func (ve *versionEdit) encode(dst []byte) []byte {
	if ve.comparer != "" {
		dst = binary.AppendUvarint(dst, tagComparer)
		dst = appendBytes(dst, []byte(ve.comparer))
	}
	if ve.logNumber != 0 {
		dst = binary.AppendUvarint(dst, tagLogNumber)
		dst = binary.AppendUvarint(dst, uint64(ve.logNumber))
	}
	if ve.nextFileNum != 0 {
		dst = binary.AppendUvarint(dst, tagNextFileNum)
		dst = binary.AppendUvarint(dst, uint64(ve.nextFileNum))
	}
	if ve.lastSeqNum != 0 {
		dst = binary.AppendUvarint(dst, tagLastSeqNum)
		dst = binary.AppendUvarint(dst, uint64(ve.lastSeqNum))
	}
	for level, files := range ve.deletedFiles {
		for num := range files {
			dst = binary.AppendUvarint(dst, tagDeletedFile)
			dst = binary.AppendUvarint(dst, uint64(level))
			dst = binary.AppendUvarint(dst, uint64(num))
		}
	}
	for _, nf := range ve.newFiles {
		m := nf.meta
		dst = binary.AppendUvarint(dst, tagNewFile2)
		dst = binary.AppendUvarint(dst, uint64(nf.level))
		dst = binary.AppendUvarint(dst, uint64(m.FileNum))
		dst = binary.AppendUvarint(dst, m.Size)
		dst = appendBytes(dst, m.Smallest.AppendEncoded(nil))
		dst = appendBytes(dst, m.Largest.AppendEncoded(nil))
		dst = binary.AppendUvarint(dst, uint64(m.SmallestSeq))
		dst = binary.AppendUvarint(dst, uint64(m.LargestSeq))
		dst = binary.AppendUvarint(dst, m.numRangeDels)
	}
	return dst
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// decodeVersionEdit parses one MANIFEST record.
func decodeVersionEdit(data []byte) (*versionEdit, error) {
	ve := &versionEdit{}
	d := editDecoder{data: data}
	for len(d.data) > 0 && d.err == nil {
		tag := d.uvarint()
		switch tag {
		case tagComparer:
			ve.comparer = string(d.bytes())
		case tagLogNumber:
			ve.logNumber = base.FileNum(d.uvarint())
		case tagNextFileNum:
			ve.nextFileNum = base.FileNum(d.uvarint())
		case tagLastSeqNum:
			ve.lastSeqNum = base.SeqNum(d.uvarint())
		case tagDeletedFile:
			level := d.level()
			ve.deleteFile(level, base.FileNum(d.uvarint()))
		case tagNewFile, tagNewFile2:
			level := d.level()
			m := &FileMetadata{FileNum: base.FileNum(d.uvarint()), Size: d.uvarint()}
			m.Smallest = base.DecodeInternalKey(d.bytes()).Clone()
			m.Largest = base.DecodeInternalKey(d.bytes()).Clone()
			m.SmallestSeq = base.SeqNum(d.uvarint())
			m.LargestSeq = base.SeqNum(d.uvarint())
			if tag == tagNewFile2 {
				m.numRangeDels = d.uvarint()
			} else {
				// Unknown for records of tag 6: readers must look.
				m.numRangeDels = ^uint64(0)
			}
			if d.err == nil && (!m.Smallest.Valid() || !m.Largest.Valid()) {
				d.err = base.CorruptionErrorf("lsm: MANIFEST file %s has invalid bounds", m.FileNum)
			}
			ve.newFiles = append(ve.newFiles, newFileEntry{level: level, meta: m})
		default:
			if d.err == nil {
				d.err = base.CorruptionErrorf("lsm: MANIFEST record has unknown tag %d", tag)
			}
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	return ve, nil
}

type editDecoder struct {
	data []byte
	err  error
}

func (d *editDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.data)
	if n <= 0 {
		d.err = base.CorruptionErrorf("lsm: MANIFEST record has a malformed varint")
		return 0
	}
	d.data = d.data[n:]
	return v
}

func (d *editDecoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.data)) {
		d.err = base.CorruptionErrorf("lsm: MANIFEST record field of %d bytes overruns the record", n)
		return nil
	}
	b := d.data[:n]
	d.data = d.data[n:]
	return b
}

func (d *editDecoder) level() int {
	l := d.uvarint()
	if d.err == nil && l >= numLevels {
		d.err = base.CorruptionErrorf("lsm: MANIFEST record names level %d", l)
	}
	return int(l)
}

// String renders the edit for logs and tests.
func (ve *versionEdit) String() string {
	s := ""
	if ve.logNumber != 0 {
		s += fmt.Sprintf("log=%s ", ve.logNumber)
	}
	if ve.nextFileNum != 0 {
		s += fmt.Sprintf("next=%s ", ve.nextFileNum)
	}
	if ve.lastSeqNum != 0 {
		s += fmt.Sprintf("lastseq=%d ", ve.lastSeqNum)
	}
	for level, files := range ve.deletedFiles {
		for num := range files {
			s += fmt.Sprintf("del L%d:%s ", level, num)
		}
	}
	for _, nf := range ve.newFiles {
		s += fmt.Sprintf("add L%d:%s ", nf.level, nf.meta)
	}
	return s
}
