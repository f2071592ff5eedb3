package connector_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/connector"
)

// The service's log goes to a file in the data folder, appended across
// restarts.
func TestServiceLogGoesToTheDataFolder(t *testing.T) {
	st := &connector.Store{Dir: filepath.Join(t.TempDir(), "data")}
	for _, line := range []string{"first start\n", "second start\n"} {
		w, err := st.LogWriter()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
		w.Close()
	}
	data, err := os.ReadFile(st.Path(connector.LogFileName))
	if err != nil || !strings.Contains(string(data), "first start\nsecond start\n") {
		t.Fatalf("log file: %v\n%s", err, data)
	}
}
