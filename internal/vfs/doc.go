// Package vfs is the filesystem seam of Strata's storage engine. Every file
// the engine touches (WAL segments, sstables, the MANIFEST, CURRENT, the LOCK
// file, checkpoints) is created, read, synced, renamed and removed through
// the FS interface, never through package os directly. That gives tests two
// powers: they can run the engine on an in-memory filesystem that knows what
// is durable and can simulate a crash (MemFS.CrashClone), and they can inject
// errors into any operation (package errorfs).
//
// # Usage
//
// Production code uses Default, the operating system's filesystem:
//
//	fs := vfs.Default
//	f, err := fs.Create(fs.PathJoin(dir, "000012.log"))
//	... f.Write(rec); f.Sync() ...
//	d, err := fs.OpenDir(dir) // make the new name durable
//	err = d.Sync()
//
// WriteFile, ReadFile and SyncDir bundle those steps for small files.
//
// Tests use NewMem, and to simulate a crash:
//
//	mem := vfs.NewMem()
//	db := open(mem) ... write, then stop at any point ...
//	crashed := mem.CrashClone(vfs.CrashCloneOptions{Seed: seed, UnsyncedDataPercent: 50})
//	db2 := open(crashed) // recovery must find every acknowledged write
//
// The abandoned original keeps working; its goroutines can be shut down at
// leisure since nothing they do reaches the clone.
//
// # Durability contract
//
// The engine must assume only what POSIX promises, and MemFS enforces no more:
// file content is durable after File.Sync, and a directory entry (a created,
// renamed, removed or linked name) is durable after Sync of a handle on its
// parent directory from OpenDir. Writing a new file durably therefore takes
// Create, Write, Sync of the file, and Sync of the directory. Replacing a
// file atomically (CURRENT) takes a write and sync of a temporary file, a
// Rename, and a directory Sync.
//
// # Crash model of MemFS
//
// CrashClone builds the filesystem a crash at that instant may leave behind.
// The choices it makes are drawn from a generator seeded by
// CrashCloneOptions.Seed, in a fixed order, so a failing seed reproduces.
//
//  1. Synced file content survives: the bytes a file held at its last
//     File.Sync are in the clone whenever the file itself is.
//  2. Unsynced file content may survive in part: each file keeps its synced
//     content plus a random prefix of its unsynced tail, at most
//     UnsyncedDataPercent of that tail (0 keeps none, 100 keeps all). A torn
//     tail is therefore the usual result for a WAL that was not synced.
//  3. A file whose content changed below its synced length since the last
//     Sync (an overwrite, or a truncation by Create on an existing name)
//     comes back either exactly as at that Sync or exactly as now, never a
//     mix; it keeps the current content with probability
//     UnsyncedDataPercent.
//  4. Directory entries are all or nothing per directory: for each directory
//     whose entries changed since its last directory Sync, the clone keeps
//     either the current entry set or the set at that Sync. A rename between
//     two names of one directory is thus seen entirely or not at all, and
//     a reverted rename leaves the old name on the old file. Names that are
//     reverted away take their files with them; names that are reverted back
//     bring back the file they named, with that file's durable content.
//  5. A file is one inode: hard links (Link) share it before and after the
//     crash, and rules 1 to 3 decide its content once for all its names.
//  6. Directories created by MkdirAll are durable at once. This is a
//     simplification: the engine creates its directory before anything else
//     and need not sync the directory's parent.
//  7. The clone starts with everything durable and no locks held, and shares
//     no state with the original.
//
// # Errors
//
// A missing file yields an error for which errors.Is(err, os.ErrNotExist)
// holds, on both filesystems. FS.Lock on a held lock yields an error wrapping
// ErrLocked. MemFS returns the same errno values as Linux (ENOTDIR, EISDIR,
// ENOTEMPTY, EEXIST) inside *os.PathError and *os.LinkError.
//
// # Concurrency
//
// Both filesystems are safe for concurrent use. A File's Read and Write move
// one file offset and must not race with each other; ReadAt may be called
// concurrently.
package vfs
