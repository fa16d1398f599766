package steps

import (
	"maps"
	"slices"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/policy"
)

// clone returns a deep copy, so callers can read it without locks: every
// slice, map and pointer it holds is its own. The lab copies its state at
// every change (the copy it publishes) and for every reader; field by
// field that is a small share of encoding and decoding it.
//
// A field added to State, or to a type it holds, is copied by the struct
// copies below; one that holds a slice, map or pointer must be added here
// too (TestStateCloneSharesNothing fails until it is).
func (s State) clone() State {
	c := s
	c.Names.Services = maps.Clone(s.Names.Services)
	c.Workspace.VpcCIDRs = slices.Clone(s.Workspace.VpcCIDRs)
	c.Workspace.SecurityGroupIDs = slices.Clone(s.Workspace.SecurityGroupIDs)
	c.Workspace.ChosenByHand = slices.Clone(s.Workspace.ChosenByHand)
	c.SecurityGroup = s.SecurityGroup.clone()
	c.Rule = s.Rule.clone()
	c.Endpoints = cloneValues(s.Endpoints, (*Record).clone)
	c.Tokens = maps.Clone(s.Tokens)
	c.Policy = slices.Clone(s.Policy)
	c.VPCDNS = clonePtr(s.VPCDNS, nil)
	c.PushedTags = slices.Clone(s.PushedTags)
	c.LocalImage = clonePtr(s.LocalImage, func(i *awsops.LocalImage) { i.Platforms = slices.Clone(i.Platforms) })
	c.Tests = cloneValues(s.Tests, TestResult.clone)
	c.Challenge = clonePtr(s.Challenge, func(l *ChallengeLeftovers) {
		l.Repos = slices.Clone(l.Repos)
		l.RepoPolicies = maps.Clone(l.RepoPolicies)
		l.Tags = slices.Clone(l.Tags)
	})
	c.Steps = maps.Clone(s.Steps)
	c.EnvVars = maps.Clone(s.EnvVars)
	c.AutoTeardown = clonePtr(s.AutoTeardown, func(a *AutoTeardown) {
		a.Role = a.Role.clone()
		a.Schedules = cloneValues(a.Schedules, func(r *ScheduleRecord) *ScheduleRecord { return clonePtr(r, nil) })
	})
	return c
}

func (r *Record) clone() *Record {
	return clonePtr(r, func(c *Record) {
		c.Addresses = slices.Clone(c.Addresses)
		c.OriginalPolicy = clonePtr(c.OriginalPolicy, nil)
	})
}

func (r TestResult) clone() TestResult {
	r.Push = clonePtr(r.Push, nil)
	r.List = clonePtr(r.List, func(l *awsops.ListResult) { l.Images = slices.Clone(l.Images) })
	r.Pull = clonePtr(r.Pull, nil)
	r.Sim = clonePtr(r.Sim, func(s *policy.Simulation) {
		s.Actions = slices.Clone(s.Actions)
		s.NotReached = slices.Clone(s.NotReached)
	})
	r.Notes = slices.Clone(r.Notes)
	return r
}

// clonePtr copies what p points to (nil stays nil), then lets deep copy
// what that refers to.
func clonePtr[T any](p *T, deep func(*T)) *T {
	if p == nil {
		return nil
	}
	c := *p
	if deep != nil {
		deep(&c)
	}
	return &c
}

// cloneValues copies m with each value copied by clone (nil stays nil).
func cloneValues[K comparable, V any](m map[K]V, clone func(V) V) map[K]V {
	if m == nil {
		return nil
	}
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = clone(v)
	}
	return out
}
