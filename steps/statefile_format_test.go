package steps

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/testtool"
)

// TestSavedStateIsIndented: the lab saves its state from one compact
// encoding (Lab.update); the file stays the indented JSON that people
// read, line for line what Save writes.
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
}

// TestStateCloneSharesNothing: a state with every field of every type it
// holds set (two of each slice and map element) clones into an equal state
// that saves to the same bytes and shares no pointer, slice or map with
// it, so the copy the lab publishes, or hands a reader, never changes
// under them. A field added with a slice, map or pointer that clone does
// not copy fails here.
func TestStateCloneSharesNothing(t *testing.T) {
	st := new(State)
	testtool.FillEvery(t, st)
	st.Policy = json.RawMessage(`{"Version":"2012-10-17"}`) // a JSON document, as saved
	c := st.clone()
	if !reflect.DeepEqual(*st, c) {
		t.Fatalf("the clone differs from the state:\n%+v\n%+v", *st, c)
	}
	a, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(c); string(a) != string(b) {
		t.Fatalf("the clone saves differently:\n%s\n%s", a, b)
	}
	testtool.SharesNothing(t, st, &c)
}

// TestOldUnprovenSkipLoadsAsUnproven: before unproven had a status of its
// own, a test whose requests went around the endpoints was saved as a
// skip whose reason began "not proven: ". Such a file loads as unproven
// (status, the JSON and the wizard then say it one way), while a real
// skip stays a skip.
func TestOldUnprovenSkipLoadsAsUnproven(t *testing.T) {
	st := newState("sandbox", time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC))
	st.Steps = map[StepID]StepRecord{
		StepDNS:  {Status: StatusSkipped, Message: "the learner pressed s"},
		StepPush: {Status: StatusSkipped, Message: NotProven + "the request went around the ecr.dkr endpoint; " + UnprovenFix},
	}
	s := NewStore(t.TempDir(), "sandbox")
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Steps[StepPush]; r.Status != StatusUnproven || r.Message != "the request went around the ecr.dkr endpoint; "+UnprovenFix {
		t.Errorf("old not-proven skip loads as %+v", r)
	}
	if r := got.Steps[StepDNS]; r.Status != StatusSkipped || r.Message != "the learner pressed s" {
		t.Errorf("a real skip loads as %+v", r)
	}
}
