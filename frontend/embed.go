// Package frontend embeds the built web UI (frontend/dist) into the binary.
//
// The files are produced by `npm run build` in this directory. dist/.gitkeep
// is committed (and recreated by every build) so this package compiles on a
// fresh checkout before the UI has been built.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// FS returns the built files, rooted at dist.
func FS() fs.FS {
	sub, _ := fs.Sub(dist, "dist")
	return sub
}
