package awsops_test

import (
	"reflect"
	"testing"

	"ecr-vpce-lab/awsops"
)

// TestListByTag: the printer and the wizard show a listing in tag order,
// untagged images first in the order AWS gave them, and the listing itself
// (saved with the test's result) keeps AWS's order.
func TestListByTag(t *testing.T) {
	r := awsops.ListResult{Images: []awsops.Image{
		{Tag: "v2", Digest: "sha256:2"}, {Digest: "sha256:b"}, {Tag: "v1", Digest: "sha256:1"}, {Digest: "sha256:a"},
	}}
	orig := append([]awsops.Image(nil), r.Images...)
	want := []awsops.Image{{Digest: "sha256:b"}, {Digest: "sha256:a"}, {Tag: "v1", Digest: "sha256:1"}, {Tag: "v2", Digest: "sha256:2"}}
	if got := r.ByTag(); !reflect.DeepEqual(got, want) {
		t.Errorf("ByTag: %v, want %v", got, want)
	}
	if !reflect.DeepEqual(r.Images, orig) {
		t.Errorf("ByTag changed the listing: %v", r.Images)
	}
}
