package steps

import (
	"cmp"
	"fmt"
	"strings"

	"ecr-vpce-lab/awsops"
)

// Fate is what a teardown does with one resource the run recorded.
type Fate struct {
	Kind ResourceKind
	// Name is the endpoint's key (ecr.dkr, ecr.api, s3), the group's or
	// the rule's name, or the pushed tag.
	Name string
	ID   string
	// Keep says the teardown leaves it in place; Restore, that it gives it
	// its own policy back first. Why says why it stays.
	Keep, Restore bool
	Why           string
	// Gateway marks a gateway endpoint (an interface one otherwise).
	Gateway bool
}

// Why a resource the lab did not create stays.
const (
	whyFound   = "the lab found it there and did not create it"
	whyAdopted = "the lab adopted it and did not create it"
)

// endpointFate is what the teardown does with the endpoint recorded under
// key: it deletes what the lab created; an adopted ECR endpoint gets its
// own policy back and stays; any other it did not create (an S3 gateway
// already on the route table) stays as it is. Teardown and its plan both
// ask this, so what the wizard says will go is what goes.
func endpointFate(key string, r *Record) Fate {
	f := Fate{Kind: KindEndpoint, Name: key, ID: r.ID,
		Gateway: r.Type != awsops.Interface && (r.Type != "" || key == EndpointS3)}
	switch {
	case r.Created:
	case r.OriginalPolicy != nil && key != EndpointS3:
		f.Keep, f.Restore, f.Why = true, true, whyAdopted
	default:
		f.Keep, f.Why = true, whyFound
	}
	return f
}

// groupFate is what the teardown does with the recorded security group.
func groupFate(r *Record) Fate {
	f := Fate{Kind: KindSecurityGroup, Name: r.Name, ID: r.ID}
	if !r.Created {
		f.Keep, f.Why = true, whyFound
	}
	return f
}

// ruleFate is what the teardown does with the recorded ingress rule: it
// revokes the one it added; one it found stays, unless it goes with its
// group.
func ruleFate(r *Record, group *Record) Fate {
	f := Fate{Kind: KindIngressRule, Name: r.Name, ID: r.ID}
	if !r.Created && (group == nil || !group.Created) {
		f.Keep, f.Why = true, whyFound
	}
	return f
}

// TeardownPlan is what a teardown of a run deletes and what it keeps, from
// the run's records, in the teardown's order: the endpoints, the rule,
// the security group, the pushed tags. (It also removes what it finds by
// the run's tag that the records miss.)
type TeardownPlan struct {
	Delete []Fate
	Keep   []Fate
}

// PlanTeardown is the plan of a teardown of st.
func PlanTeardown(st State) TeardownPlan {
	var p TeardownPlan
	add := func(f Fate) {
		if f.Keep {
			p.Keep = append(p.Keep, f)
		} else {
			p.Delete = append(p.Delete, f)
		}
	}
	for _, key := range EndpointKeys {
		if r := st.Endpoints[key]; r != nil {
			add(endpointFate(key, r))
		}
	}
	if r := st.Rule; r != nil {
		add(ruleFate(r, st.SecurityGroup))
	}
	if r := st.SecurityGroup; r != nil {
		add(groupFate(r))
	}
	for _, tag := range st.PushedTags {
		add(Fate{Kind: KindImageTag, Name: tag, ID: st.Repo + ":" + tag})
	}
	return p
}

// Sentence says what the teardown will delete and what it keeps, and why:
// "The ecr.dkr and ecr.api endpoints, the rule and the security group
// will be deleted, with anything else tagged by this lab. The s3 gateway
// endpoint vpce-… stays: the lab found it there and did not create it."
func (p TeardownPlan) Sentence() string {
	var what []string
	var eps []string
	tags := 0
	for _, f := range p.Delete {
		switch f.Kind {
		case KindEndpoint:
			eps = append(eps, f.Name)
		case KindImageTag:
			tags++
		}
	}
	if len(eps) > 0 {
		what = append(what, "the "+JoinAnd(eps)+" endpoint"+plural(len(eps)))
	}
	for _, f := range p.Delete {
		switch f.Kind {
		case KindIngressRule:
			what = append(what, "the rule")
		case KindSecurityGroup:
			what = append(what, "the security group")
		}
	}
	if tags == 1 {
		what = append(what, "the pushed tag")
	} else if tags > 1 {
		what = append(what, fmt.Sprintf("the %d pushed tags", tags))
	}
	var out []string
	if len(what) == 0 {
		out = append(out, "This run has made nothing yet: the teardown looks for anything tagged by this lab all the same, and deletes what it finds.")
	} else {
		list := JoinAnd(what)
		out = append(out, strings.ToUpper(list[:1])+list[1:]+" will be deleted, with anything else tagged by this lab.")
	}
	for _, f := range p.Keep {
		out = append(out, f.keptSentence())
	}
	return strings.Join(out, " ")
}

// keptSentence says that a resource stays, and why.
func (f Fate) keptSentence() string {
	var name string
	switch f.Kind {
	case KindEndpoint:
		kind := "interface"
		if f.Gateway {
			kind = "gateway"
		}
		name = "The " + f.Name + " " + kind + " endpoint " + f.ID
	case KindSecurityGroup:
		name = "The security group " + cmp.Or(f.Name, f.ID)
		if f.Name != "" && f.ID != "" {
			name += " (" + f.ID + ")"
		}
	case KindIngressRule:
		name = "The rule " + f.ID
	default:
		name = "The " + string(f.Kind) + " " + f.ID
	}
	if f.Restore {
		return name + " stays, with its own policy back: " + f.Why + "."
	}
	return name + " stays: " + f.Why + "."
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
