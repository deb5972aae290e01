// Package webui holds the investigator web UI's files, embedded in the
// binary. The app is built from ../../../web (npm ci && npm run build, or
// `make ui`) into dist/app, which is not committed; without it the binary
// still builds, and the server shows dist/fallback.html, which tells how to
// build the app.
//
// Words:
//   - App: the built single-page application (index.html and hashed assets).
//   - Fallback page: the plain page served at every UI address when the
//     binary was built without the app.
package webui

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// App returns the built app's files, rooted at the directory holding
// index.html, and false when the binary was built without them.
func App() (fs.FS, bool) {
	app, err := fs.Sub(dist, "dist/app")
	if err != nil {
		return nil, false
	}
	if _, err := fs.Stat(app, "index.html"); err != nil {
		return nil, false
	}
	return app, true
}

// Fallback returns the page served in place of the app when it was not
// built.
func Fallback() []byte {
	b, err := dist.ReadFile("dist/fallback.html")
	if err != nil {
		panic("webui: dist/fallback.html is not embedded: " + err.Error()) // committed with the package
	}
	return b
}
