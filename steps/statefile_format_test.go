package steps

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
)

// TestSavedStateIsIndented: the lab saves its state from the one encoding
// it also copies it from (Lab.update); the file stays the indented JSON
// that people read, line for line what Save writes, and the copy is equal
// to the state and shares none of its maps.
func TestSavedStateIsIndented(t *testing.T) {
	st := newState("sandbox", time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC))
	st.Endpoints = map[string]*Record{EndpointDKR: {ID: "vpce-1", Type: awsops.Interface, Created: true}}
	st.Policy = json.RawMessage(`{"Version":"2012-10-17","Statement":[]}`)
	st.Tokens = map[string]string{EndpointAPI: "t-1"}
	want, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')

	s := NewStore(t.TempDir(), "sandbox")
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.saveEncoded(b); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(s.Path())
	if string(got) != string(want) {
		t.Fatalf("saved from the encoding:\n%s\nwant what Save writes:\n%s", got, want)
	}
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(s.Path()); string(got) != string(want) {
		t.Fatalf("Save wrote:\n%s\nwant:\n%s", got, want)
	}

	c := decodeCopy(b)
	if cb, _ := json.Marshal(c); string(cb) != string(b) {
		t.Fatalf("the copy differs:\n%s\n%s", cb, b)
	}
	c.Endpoints[EndpointDKR].ID = "vpce-2"
	c.Tokens[EndpointAPI] = "t-2"
	if st.Endpoints[EndpointDKR].ID != "vpce-1" || st.Tokens[EndpointAPI] != "t-1" {
		t.Fatal("the copy shares the state's maps")
	}
}
