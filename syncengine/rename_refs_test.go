package syncengine

import (
	"strings"
	"testing"
)

// The rewrite keeps everything but the names byte for byte: other
// objects, escapes, and the record's own fullName unless it is renamed
// itself.
func TestRenameRefsRewritesOnlyTheNamesOfTheRenamedElements(t *testing.T) {
	names := map[string]string{"A": `New "A"`, "J": "New:J"}
	in := `{"listId":"J","fullName":"Old:J","parentRef":{"listId":"A","fullName":"Old"},"lines":[{"itemRef":{"listId":"B","fullName":"Bee"}},` +
		`{"customerRef":{"listId":"A","fullName":"Old \"quoted\""},"desc":"listId A"}]}`
	got, changed := renameRefs([]byte(in), names, "New:J")
	want := `{"listId":"J","fullName":"New:J","parentRef":{"listId":"A","fullName":"New \"A\""},"lines":[{"itemRef":{"listId":"B","fullName":"Bee"}},` +
		`{"customerRef":{"listId":"A","fullName":"New \"A\""},"desc":"listId A"}]}`
	if !changed || string(got) != want {
		t.Errorf("RenameRefs =\n%s (changed %v), want\n%s", got, changed, want)
	}
	got, changed = renameRefs([]byte(in), names, "")
	if !changed || !strings.HasPrefix(string(got), `{"listId":"J","fullName":"Old:J",`) {
		t.Errorf("without a name of its own the record's fullName changed: %s", got)
	}
	if _, changed := renameRefs([]byte(want), names, "New:J"); changed {
		t.Error("a record that already holds the new names is reported changed")
	}
}
