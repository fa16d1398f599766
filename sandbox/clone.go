package sandbox

import (
	"maps"
	"slices"
)

// clone is a deep copy of w: the copy a change is made to (update). It
// shares nothing a change can write to with w, so the world requests read
// stays as it was until the copy is saved. Copying field by field costs a
// fraction of decoding the saved form, which every change of every
// sandbox (and every account of a facilitator's fleet) pays.
//
// A field added to world, or to a type it holds, is copied by the struct
// copies below; one that holds a slice, map or pointer must be added here
// too (TestCloneSharesNothing fails until it is).
func (w *world) clone() *world {
	c := *w
	c.VPCs = cloneEach(w.VPCs, func(v *vpc) { v.Secondary = slices.Clone(v.Secondary) })
	c.Subnets = cloneEach(w.Subnets, nil)
	c.RouteTables = cloneEach(w.RouteTables, func(r *routeTable) {
		r.Associations = slices.Clone(r.Associations)
		r.Routes = slices.Clone(r.Routes)
	})
	c.Groups = cloneEach(w.Groups, nil)
	c.Rules = cloneEach(w.Rules, nil)
	c.Endpoints = cloneEach(w.Endpoints, func(e *vpcEndpoint) {
		e.RouteTableIDs = slices.Clone(e.RouteTableIDs)
		e.SubnetIDs = slices.Clone(e.SubnetIDs)
		e.GroupIDs = slices.Clone(e.GroupIDs)
		e.ENIIDs = slices.Clone(e.ENIIDs)
	})
	c.ENIs = cloneEach(w.ENIs, func(e *eni) { e.GroupIDs = slices.Clone(e.GroupIDs) })
	if w.Tags != nil {
		c.Tags = make(map[string][]tag, len(w.Tags))
		for id, tags := range w.Tags {
			c.Tags[id] = slices.Clone(tags)
		}
	}
	c.ClientTokens = maps.Clone(w.ClientTokens)
	c.GoneGroups = cloneEach(w.GoneGroups, func(g *goneGroup) { g.Tags = slices.Clone(g.Tags) })
	c.Images.Repos = cloneEach(w.Images.Repos, func(r *repository) {
		r.Images = cloneEach(r.Images, func(i *imageRec) { i.Tags = slices.Clone(i.Tags) })
	})
	c.Roles = cloneEach(w.Roles, func(r *iamRole) {
		r.Tags = slices.Clone(r.Tags)
		r.Inline = slices.Clone(r.Inline)
		r.Attached = slices.Clone(r.Attached)
	})
	c.Schedules = cloneEach(w.Schedules, nil)
	c.Invocations = slices.Clone(w.Invocations)
	return &c
}

// cloneEach copies each element of s, then lets deep copy what the element
// refers to. A nil slice stays nil and an empty one empty, as the saved
// form keeps them.
func cloneEach[T any](s []*T, deep func(*T)) []*T {
	if s == nil {
		return nil
	}
	out := make([]*T, len(s))
	for i, p := range s {
		if p == nil {
			continue
		}
		c := *p
		if deep != nil {
			deep(&c)
		}
		out[i] = &c
	}
	return out
}
