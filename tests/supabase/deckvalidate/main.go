// Command deck-file-validate is decK's `deck file validate` (offline), for the Kong declarative
// configuration the program renders (components/supabase/files/kong.yml). The Go module proxy refuses
// decK's own module (github.com/kong/deck), so this runs the very steps of decK's offline validation
// (cmd/gateway_validate.go, executeValidate without --online) on the library decK does them with,
// github.com/kong/go-database-reconciler:
//
//  1. file.GetContentFromFiles: parses the YAML and checks it against the declarative file's JSON
//     schema (every entity's fields and their types; an unknown field is an error);
//  2. file.Get against an empty state: builds the entities (defaults, nested children, names);
//  3. state.Get: loads them into decK's in-memory database, which refuses duplicates and references
//     to entities that do not exist.
//
// What it cannot check offline, like decK: a plugin's `config` (Kong's plugin schemas live in Kong,
// which `deck gateway validate` asks over its Admin API).
//
// Usage: deck-file-validate FILE...   (exit 0 when every file is valid; errors on stderr)
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/kong/go-database-reconciler/pkg/dump"
	"github.com/kong/go-database-reconciler/pkg/file"
	"github.com/kong/go-database-reconciler/pkg/state"
)

func validate(path string) error {
	content, err := file.GetContentFromFiles([]string{path}, false)
	if err != nil {
		return err
	}
	empty, err := state.NewKongState()
	if err != nil {
		return err
	}
	raw, err := file.Get(context.Background(), content, file.RenderConfig{CurrentState: empty}, dump.Config{}, nil)
	if err != nil {
		return err
	}
	_, err = state.Get(raw)
	return err
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: deck-file-validate FILE...")
		os.Exit(2)
	}
	failed := false
	for _, path := range os.Args[1:] {
		if err := validate(path); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
