package errorfs

import "fmt"

// Op is an operation of vfs.FS or vfs.File that an Injector can fail.
type Op int

// The operations. Op values are only used in memory; they may be renumbered.
const (
	OpCreate    Op = iota // FS.Create
	OpOpen                // FS.Open
	OpOpenDir             // FS.OpenDir
	OpRead                // File.Read
	OpReadAt              // File.ReadAt
	OpWrite               // File.Write
	OpSync                // File.Sync, on files and directory handles
	OpClose               // File.Close (the file is closed even when it fails)
	OpRemove              // FS.Remove
	OpRemoveAll           // FS.RemoveAll
	OpRename              // FS.Rename (path is the old name)
	OpLink                // FS.Link (path is the old name)
	OpMkdirAll            // FS.MkdirAll
	OpLock                // FS.Lock (releasing a lock is never failed)
	OpList                // FS.List
	OpStat                // FS.Stat
	OpFileStat            // File.Stat
	numOps
)

var opNames = [numOps]string{
	OpCreate:    "create",
	OpOpen:      "open",
	OpOpenDir:   "opendir",
	OpRead:      "read",
	OpReadAt:    "readat",
	OpWrite:     "write",
	OpSync:      "sync",
	OpClose:     "close",
	OpRemove:    "remove",
	OpRemoveAll: "removeall",
	OpRename:    "rename",
	OpLink:      "link",
	OpMkdirAll:  "mkdirall",
	OpLock:      "lock",
	OpList:      "list",
	OpStat:      "stat",
	OpFileStat:  "filestat",
}

// String returns the operation's lower-case name, as used in error messages.
func (op Op) String() string {
	if op >= 0 && op < numOps {
		return opNames[op]
	}
	return fmt.Sprintf("op(%d)", int(op))
}

// IsWrite reports whether op changes the filesystem: creating, writing,
// syncing, removing, renaming, linking, making directories and locking.
func (op Op) IsWrite() bool {
	switch op {
	case OpCreate, OpWrite, OpSync, OpRemove, OpRemoveAll, OpRename, OpLink, OpMkdirAll, OpLock:
		return true
	}
	return false
}

// Filter selects the operations an injector considers; the others pass
// untouched and are not counted.
type Filter func(op Op, path string) bool

// WriteOps selects the operations that change the filesystem (Op.IsWrite).
func WriteOps(op Op, _ string) bool { return op.IsWrite() }

// ReadOps selects the operations that do not change the filesystem.
func ReadOps(op Op, _ string) bool { return !op.IsWrite() }

// Ops selects the listed operations.
func Ops(ops ...Op) Filter {
	var set [numOps]bool
	for _, op := range ops {
		set[op] = true
	}
	return func(op Op, _ string) bool { return op >= 0 && op < numOps && set[op] }
}
