package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The profile dump root: no command writes files outside the configured
// directories (ARCHITECTURE.md, Operations). KPROFILE MEMORY DUMP <dir>
// names a directory under profile-dump-root (the dir setting when empty);
// resolveDumpDir turns it into a real path there or refuses it:
//
//  1. a path with a ".." component is refused outright, before any
//     resolution, whatever it would lead to;
//  2. an absolute path must lie under the root (as configured or as
//     resolved); a relative one is taken from the root;
//  3. the path is resolved with filepath.EvalSymlinks and the result must
//     still lie under the resolved root, so a symbolic link cannot lead out;
//  4. the result must exist and be a directory.
//
// The directory is checked, then written by DumpHeapProfile (create
// exclusive): someone able to replace a directory under the root by a
// symbolic link between the two could redirect one dump; the root is the
// operator's, so that is outside the threat model.

// dumpRoot returns the configured root, as given.
func (s *Server) dumpRoot() string {
	if r := s.cfg.Get("profile-dump-root"); r != "" {
		return r
	}
	return s.cfg.Get("dir")
}

// resolveDumpDir returns the real directory for a DUMP argument, or the
// error reply to send.
func (s *Server) resolveDumpDir(arg string) (string, string) {
	root := s.dumpRoot()
	rootAbs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Sprintf(errDumpRoot, root, err)
	}
	rootReal, err := filepath.EvalSymlinks(rootAbs)
	if err != nil {
		return "", fmt.Sprintf(errDumpRoot, root, err)
	}
	if arg == "" || strings.IndexByte(arg, 0) >= 0 {
		return "", fmt.Sprintf(errDumpBadDir, arg, "empty or NUL in the path")
	}
	for _, part := range strings.FieldsFunc(arg, func(r rune) bool { return r == '/' || r == filepath.Separator }) {
		if part == ".." {
			return "", fmt.Sprintf(errDumpDotDot, arg)
		}
	}
	var target string
	if filepath.IsAbs(arg) {
		target = filepath.Clean(arg)
		if !within(rootAbs, target) && !within(rootReal, target) {
			return "", fmt.Sprintf(errDumpOutside, arg, root)
		}
	} else {
		target = filepath.Join(rootReal, arg)
	}
	real, err := filepath.EvalSymlinks(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Sprintf(errDumpMissing, arg)
	case err != nil:
		return "", fmt.Sprintf(errDumpBadDir, arg, err)
	}
	if !within(rootReal, real) {
		return "", fmt.Sprintf(errDumpSymlink, arg, real, root)
	}
	st, err := os.Stat(real)
	if err != nil {
		return "", fmt.Sprintf(errDumpBadDir, arg, err)
	}
	if !st.IsDir() {
		return "", fmt.Sprintf(errDumpNotDir, arg)
	}
	return real, ""
}

// within reports whether path is root or lies under it (both clean and
// absolute).
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
