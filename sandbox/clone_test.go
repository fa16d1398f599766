package sandbox

import (
	"bytes"
	"reflect"
	"testing"

	"ecr-vpce-lab/internal/testtool"
)

// TestCloneSharesNothing: a world with every field of every type it holds
// set (two of each slice and map element) clones into an equal world that
// saves to the same bytes and shares no pointer, slice or map with it, so
// a change made to the clone (update) can never show in the world
// requests read. A field added with a slice, map or pointer that clone
// does not copy fails here.
func TestCloneSharesNothing(t *testing.T) {
	w := new(world)
	testtool.FillEvery(t, w)
	c := w.clone()
	if !reflect.DeepEqual(w, c) {
		t.Fatalf("the clone differs from the world:\n%+v\n%+v", w, c)
	}
	a, err := encodeWorld(w)
	if err != nil {
		t.Fatal(err)
	}
	b, err := encodeWorld(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("the clone saves differently:\n%s\n%s", a, b)
	}
	testtool.SharesNothing(t, w, c)

	// The nil and empty slices of a saved world stay what they were.
	empty := &world{VPCs: []*vpc{}, Tags: map[string][]tag{"x": {}}}
	ec := empty.clone()
	if ec.VPCs == nil || ec.Subnets != nil || ec.Tags["x"] == nil || ec.ClientTokens != nil {
		t.Fatalf("clone changed nil or empty slices and maps: %+v", ec)
	}
}
