package sandbox

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// TestEveryAWSParameterIsKnown: UnknownParameter is what EC2 says about a
// parameter it does not have, so the sandbox may say it only then. For every
// input member of every EC2 operation it serves (per the pinned botocore
// model), a request carrying it must get some other answer: handled, or
// refused as not supported by the sandbox.
func TestEveryAWSParameterIsKnown(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "botocore-models", "ec2", "2016-11-15", "service-2.json"))
	must(t, "read model", err)
	var m struct {
		Operations map[string]struct {
			Input struct{ Shape string } `json:"input"`
		} `json:"operations"`
		Shapes map[string]struct {
			Type    string `json:"type"`
			Members map[string]struct {
				Shape        string `json:"shape"`
				LocationName string `json:"locationName"`
				QueryName    string `json:"queryName"`
			} `json:"members"`
		} `json:"shapes"`
	}
	must(t, "parse model", json.Unmarshal(b, &m))
	sb := startSandbox(t, Options{})
	for _, op := range EC2Actions() {
		in := m.Shapes[m.Operations[op].Input.Shape]
		if len(in.Members) == 0 {
			t.Errorf("%s: no input shape in the model", op)
		}
		for name, mem := range in.Members {
			wire := name
			switch {
			case mem.QueryName != "":
				wire = mem.QueryName
			case mem.LocationName != "":
				r := []rune(mem.LocationName)
				r[0] = unicode.ToUpper(r[0])
				wire = string(r)
			}
			form := url.Values{"Action": {op}, "Version": {"2016-11-15"}}
			switch m.Shapes[mem.Shape].Type {
			case "list":
				form.Set(wire+".1", "x")
			case "structure":
				form.Set(wire+".Value", "x")
			default:
				form.Set(wire, "x")
			}
			_, body := rawQuery(t, sb, "ec2", form)
			if strings.Contains(body, "<Code>UnknownParameter</Code>") {
				t.Errorf("%s: AWS knows parameter %s, the sandbox calls it unknown", op, wire)
			}
		}
	}
}
