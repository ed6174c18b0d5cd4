//go:build !unix

package lockdir

import "io/fs"

// fileOwner is only needed for /run/user on Linux.
func fileOwner(fs.FileInfo) string { return "" }
