// Package version names the keyref release both binaries report.
package version

import "runtime/debug"

// Number is the release number of keyref and keyref-mcp.
const Number = "0.1.0"

// String returns Number with the VCS revision the binary was built from,
// when the build recorded one.
func String() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Number
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return Number
	}
	return Number + " (" + rev + dirty + ")"
}
