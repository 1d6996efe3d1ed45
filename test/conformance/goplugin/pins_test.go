// Licence guard: Nomad may appear in the harness's go.mod/go.sum files only at v1.6.3, the last open-source release.
package goplugin

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// nomadModule matches the core module with a version (github.com/hashicorp/nomad/api is a separate, allowed
// module); go.mod comments are cut off before matching.
var nomadModule = regexp.MustCompile(`github\.com/hashicorp/nomad (v[0-9][0-9A-Za-z.+\-]*)`)

func TestNomadPinnedToLastOpenSourceRelease(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "*", "go.*"))
	if err != nil {
		t.Fatal(err)
	}
	seen := false
	for _, f := range files {
		if base := filepath.Base(f); base != "go.mod" && base != "go.sum" {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if i := strings.Index(line, "//"); i >= 0 {
				line = line[:i]
			}
			for _, m := range nomadModule.FindAllStringSubmatch(line, -1) {
				seen = true
				if v := m[1]; v != nomadVersion {
					t.Errorf("%s names github.com/hashicorp/nomad %s; only %s is allowed", f, v, nomadVersion)
				}
			}
		}
	}
	if !seen {
		t.Errorf("no go.mod/go.sum under test/conformance pins github.com/hashicorp/nomad (expected %s)", nomadVersion)
	}
}
