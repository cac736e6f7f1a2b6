//go:build !linux

package memtable

// adviseHugePages does nothing outside Linux (see hugepages_linux.go).
func adviseHugePages([]byte) {}
