package ec2query

import (
	"context"
	"encoding/json"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"

	"ecr-vpce-lab/internal/ec2query/types"
	"ecr-vpce-lab/internal/testtool"
)

// modelMember is one member of a shape in AWS's model, with its wire names
// (testdata/model.py).
type modelMember struct {
	Query     string `json:"query"`
	XML       string `json:"xml"`
	Type      string `json:"type"`
	Shape     string `json:"shape"`
	InnerType string `json:"innerType"`
}

type model struct {
	Operations map[string]struct{ Input, Output string } `json:"operations"`
	Shapes     map[string]map[string]modelMember         `json:"shapes"`
}

// operations are the client's operations by name, found by reflection:
// every method shaped like func(ctx, *XInput, ...func(*Options)) (*XOutput, error).
func operations(t *testing.T) map[string][2]reflect.Type {
	t.Helper()
	ctxType := reflect.TypeFor[context.Context]()
	ops := map[string][2]reflect.Type{}
	ct := reflect.TypeFor[*Client]()
	for i := range ct.NumMethod() {
		m := ct.Method(i).Type
		if m.NumIn() != 4 || m.In(1) != ctxType || m.NumOut() != 2 || m.Out(0).Kind() != reflect.Pointer {
			continue
		}
		name := ct.Method(i).Name
		in, out := m.In(2).Elem(), m.Out(0).Elem()
		if in.Name() != name+"Input" || out.Name() != name+"Output" {
			t.Errorf("%s takes %s and returns %s: want %sInput and %sOutput", name, in.Name(), out.Name(), name, name)
		}
		ops[name] = [2]reflect.Type{in, out}
	}
	if len(ops) < 20 {
		t.Fatalf("found only %d operations on *Client", len(ops))
	}
	return ops
}

func loadModel(t *testing.T, ops []string) model {
	t.Helper()
	py := testtool.RequirePython(t, "install python3-botocore or pip install botocore", "botocore")
	cmd := exec.Command(py, append([]string{"testdata/model.py"}, ops...)...)
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("testdata/model.py: %v", err)
	}
	var m model
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestWireNamesMatchAWSModel checks every request key and response element
// of every operation against AWS's model as botocore ships it: the field
// names are the model's member names (as the SDK's are), each `ec2` tag is
// the member's query key (queryName, else capitalised locationName, else
// its name: IpPermission.UserIdGroupPairs goes out as Groups), each `xml`
// tag its locationName (lists as x>item), through nested shapes.
func TestWireNamesMatchAWSModel(t *testing.T) {
	ops := operations(t)
	var names []string
	for n := range ops {
		names = append(names, n)
	}
	sort.Strings(names)
	m := loadModel(t, names)
	for _, op := range names {
		mo, ok := m.Operations[op]
		if !ok {
			t.Errorf("%s: no such operation in AWS's model", op)
			continue
		}
		checkShape(t, m, op+"Input", ops[op][0], mo.Input, "ec2")
		checkShape(t, m, op+"Output", ops[op][1], mo.Output, "xml")
	}
}

// checkShape compares Go struct typ with the model's shape, for requests
// (tag "ec2") or answers (tag "xml").
func checkShape(t *testing.T, m model, where string, typ reflect.Type, shape, tag string) {
	t.Helper()
	members := m.Shapes[shape]
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Name == "ResultMetadata" {
			continue
		}
		at := where + "." + f.Name
		mm, ok := members[f.Name]
		if !ok {
			t.Errorf("%s: the model's %s has no member %s", at, shape, f.Name)
			continue
		}
		got, tagged := f.Tag.Lookup(tag)
		if !tagged {
			t.Errorf("%s has no %s tag (want %q)", at, tag, want(mm, tag))
			continue
		}
		if got != want(mm, tag) {
			t.Errorf("%s: %s:%q, AWS's model says %q", at, tag, got, want(mm, tag))
		}
		ft := f.Type
		if (ft.Kind() == reflect.Slice) != (mm.Type == "list") {
			t.Errorf("%s is a %s, the model's member a %s", at, ft, mm.Type)
		}
		for ft.Kind() == reflect.Slice || ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		kind := mm.Type
		if kind == "list" {
			kind = mm.InnerType
		}
		if wantKind, ok := goKinds[kind]; !ok || (ft.Kind() != wantKind && !(kind == "timestamp" && ft.Name() == "Time")) {
			t.Errorf("%s holds a %s, the model's member a %s", at, ft, kind)
		}
		if kind == "structure" {
			checkShape(t, m, ft.Name(), ft, mm.Shape, tag)
		}
	}
}

var goKinds = map[string]reflect.Kind{
	"string": reflect.String, "boolean": reflect.Bool, "integer": reflect.Int32,
	"structure": reflect.Struct, "timestamp": reflect.Struct,
}

func want(mm modelMember, tag string) string {
	if tag == "ec2" {
		return mm.Query
	}
	if mm.Type == "list" {
		return mm.XML + ">item"
	}
	return mm.XML
}

// TestFormEncoding: the request body is the model's keys, lists flattened
// as Key.N and nested members as Key.N.Member, in the query encoder's order.
func TestFormEncoding(t *testing.T) {
	s := func(v string) *string { return &v }
	i := func(v int32) *int32 { return &v }
	body, err := encodeForm("AuthorizeSecurityGroupIngress", &AuthorizeSecurityGroupIngressInput{
		GroupId: s("sg-1"),
		IpPermissions: []types.IpPermission{{IpProtocol: s("tcp"), FromPort: i(443), ToPort: i(443),
			IpRanges:         []types.IpRange{{CidrIp: s("10.0.0.0/16")}},
			UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: s("sg-2")}}}},
		TagSpecifications: []types.TagSpecification{{ResourceType: "security-group-rule", Tags: []types.Tag{{Key: s("k"), Value: s("v")}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{
		"Action=AuthorizeSecurityGroupIngress",
		"GroupId=sg-1",
		"IpPermissions.1.FromPort=443",
		"IpPermissions.1.Groups.1.GroupId=sg-2",
		"IpPermissions.1.IpProtocol=tcp",
		"IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F16",
		"IpPermissions.1.ToPort=443",
		"TagSpecification.1.ResourceType=security-group-rule",
		"TagSpecification.1.Tag.1.Key=k",
		"TagSpecification.1.Tag.1.Value=v",
		"Version=2016-11-15",
	}
	if got := strings.Split(string(body), "&"); !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("body:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantKeys, "\n"))
	}

	// Unset members stay out; an empty list is sent empty, as the SDK does.
	body, err = encodeForm("DescribeVpcs", &DescribeVpcsInput{VpcIds: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != "Action=DescribeVpcs&Version=2016-11-15&VpcId=" {
		t.Errorf("body %s", body)
	}
	if body, _ := encodeForm("DescribeVpcs", (*DescribeVpcsInput)(nil)); string(body) != "Action=DescribeVpcs&Version=2016-11-15" {
		t.Errorf("nil input: body %s", body)
	}
}
