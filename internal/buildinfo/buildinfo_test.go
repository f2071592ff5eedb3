package buildinfo

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

func TestVersionPrintsModuleCommitDateAndGo(t *testing.T) {
	cmd := Command("qbconnect")
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"qbconnect ", "\nmodule: ", "\ncommit: ", "\ndate: ", "\ngo: " + runtime.Version() + "\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("version printed %q, want it to contain %q", out.String(), want)
		}
	}
}
