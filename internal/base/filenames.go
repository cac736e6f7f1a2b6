package base

import (
	"fmt"
	"strconv"
	"strings"
)

// FileNum names a file of the DB: WAL segments, sstables and MANIFESTs draw
// from one counter, so a number is never reused within a DB.
type FileNum uint64

// String formats a file number as it appears in file names.
func (n FileNum) String() string { return fmt.Sprintf("%06d", uint64(n)) }

// FileType is the kind of a file in the DB directory.
type FileType int

// File types.
const (
	FileTypeLog FileType = iota
	FileTypeTable
	FileTypeManifest
	FileTypeCurrent
	FileTypeLock
	FileTypeTemp
	FileTypeOptions
)

// MakeFilename returns the file name (without directory) of a DB file.
func MakeFilename(t FileType, n FileNum) string {
	switch t {
	case FileTypeLog:
		return n.String() + ".log"
	case FileTypeTable:
		return n.String() + ".sst"
	case FileTypeManifest:
		return "MANIFEST-" + n.String()
	case FileTypeCurrent:
		return "CURRENT"
	case FileTypeLock:
		return "LOCK"
	case FileTypeTemp:
		return "CURRENT." + n.String() + ".dbtmp"
	case FileTypeOptions:
		return "OPTIONS-" + n.String()
	}
	panic("base: unknown file type")
}

// ParseFilename parses a file name (without directory). ok is false for
// files that do not belong to the DB.
func ParseFilename(name string) (t FileType, n FileNum, ok bool) {
	switch {
	case name == "CURRENT":
		return FileTypeCurrent, 0, true
	case name == "LOCK":
		return FileTypeLock, 0, true
	case strings.HasPrefix(name, "MANIFEST-"):
		n, ok = parseFileNum(name[len("MANIFEST-"):])
		return FileTypeManifest, n, ok
	case strings.HasPrefix(name, "OPTIONS-"):
		n, ok = parseFileNum(name[len("OPTIONS-"):])
		return FileTypeOptions, n, ok
	case strings.HasPrefix(name, "CURRENT.") && strings.HasSuffix(name, ".dbtmp"):
		n, ok = parseFileNum(name[len("CURRENT.") : len(name)-len(".dbtmp")])
		return FileTypeTemp, n, ok
	case strings.HasSuffix(name, ".log"):
		n, ok = parseFileNum(name[:len(name)-len(".log")])
		return FileTypeLog, n, ok
	case strings.HasSuffix(name, ".sst"):
		n, ok = parseFileNum(name[:len(name)-len(".sst")])
		return FileTypeTable, n, ok
	}
	return 0, 0, false
}

func parseFileNum(s string) (FileNum, bool) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return FileNum(v), true
}
