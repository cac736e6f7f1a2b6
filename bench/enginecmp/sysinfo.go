package main

import (
	"runtime"
	"runtime/debug"
)

// moduleVersion returns the version of the module path linked into this
// binary, or "unknown".
func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == path {
				return m.Version
			}
		}
	}
	return "unknown"
}

func goPlatform() string {
	return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}
