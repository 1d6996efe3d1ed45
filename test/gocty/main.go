// Command gocty writes golden go-cty msgpack fixtures: each case's bytes exactly as Nomad's go-cty
// (v1.12.1, the version Nomad v1.6.3 pins) encodes them, plus the value our decoder must produce.
//
//	go run . -specs specs.json -out ../fixtures/msgpack
//
// specs.json holds the neutral spec trees of the task and plugin configs (test/gocty/dump-specs.ts), so
// the config fixtures come from our own declared specs through the same steps Nomad takes:
// config map → JSON → HCL JSON syntax → hcldec.Decode → ctymsgpack.Marshal(val, val.Type()).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zclconf/go-cty/cty"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
)

// fixture is one golden case: value is marshalled against ty (the value's own type unless stated).
type fixture struct {
	name        string
	description string
	value       cty.Value
	ty          cty.Type
}

func main() {
	specsPath := flag.String("specs", "", "JSON file with the neutral spec trees (task, plugin)")
	outDir := flag.String("out", "", "directory to write <name>.msgpack and <name>.json into")
	flag.Parse()
	if *specsPath == "" || *outDir == "" {
		fmt.Fprintln(os.Stderr, "usage: gocty -specs specs.json -out dir")
		os.Exit(2)
	}
	if err := run(*specsPath, *outDir); err != nil {
		fmt.Fprintln(os.Stderr, "gocty:", err)
		os.Exit(1)
	}
}

func run(specsPath, outDir string) error {
	data, err := os.ReadFile(specsPath)
	if err != nil {
		return err
	}
	specs, err := parseSpecs(data)
	if err != nil {
		return err
	}
	fixtures, err := allFixtures(specs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	for _, f := range fixtures {
		ty := f.ty
		if ty == cty.NilType {
			ty = f.value.Type()
		}
		bytes, err := ctymsgpack.Marshal(f.value, ty)
		if err != nil {
			return fmt.Errorf("%s: failed to marshal: %w", f.name, err)
		}
		expect := expectation(f.value)
		expect["description"] = f.description
		text, err := json.MarshalIndent(expect, "", "  ")
		if err != nil {
			return fmt.Errorf("%s: failed to write expectation: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(outDir, f.name+".msgpack"), bytes, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(outDir, f.name+".json"), append(text, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}
