package awsops

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"ecr-vpce-lab/internal/problem"
)

// Reaching many accounts, for the facilitator's view: a profile each, or a
// role each assumed from one set of credentials, or the accounts of an
// AWS Organizations organization (research F).

// OrgAccount is an account of the caller's organization.
type OrgAccount struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	// State is ACTIVE, SUSPENDED, PENDING_CLOSURE or CLOSED.
	State string `json:"state"`
}

// OrgAccounts lists the organization's accounts (the caller must be its
// management account or a delegated administrator).
func (c *Cloud) OrgAccounts(ctx context.Context) ([]OrgAccount, error) {
	var out []OrgAccount
	p := organizations.NewListAccountsPaginator(c.orgs, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.classify("list the organization's accounts", err)
		}
		for _, a := range page.Accounts {
			state := string(a.State)
			if state == "" {
				state = string(a.Status) //nolint:staticcheck // older answers carry Status only
			}
			out = append(out, OrgAccount{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), Email: aws.ToString(a.Email), State: state})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// AssumeRole returns Options for a Cloud that works as the role: its
// credentials come from sts:AssumeRole with this Cloud's, refreshed as
// they expire. The call is made when the new Cloud first needs them (a
// role that cannot be assumed fails that call).
func (c *Cloud) AssumeRole(roleARN, session string) Options {
	o := c.opts
	o.Config = c.opts.Config.Copy()
	prov := stscreds.NewAssumeRoleProvider(c.sts, roleARN, func(ao *stscreds.AssumeRoleOptions) { ao.RoleSessionName = session })
	o.Config.Credentials = aws.NewCredentialsCache(prov)
	return o
}

// WithProfile returns Options for a Cloud that uses a named profile
// (configFiles and credentialsFiles, when given, replace ~/.aws/config
// and ~/.aws/credentials); the rest of the options stay.
func WithProfile(ctx context.Context, base Options, profile string, configFiles, credentialsFiles []string) (Options, error) {
	load := []func(*config.LoadOptions) error{config.WithSharedConfigProfile(profile), config.WithRetryer(base.Config.Retryer)}
	if base.Config.Retryer == nil {
		load[1] = config.WithRetryer(newRetryer)
	}
	if base.Config.Region != "" {
		load = append(load, config.WithRegion(base.Config.Region))
	}
	if base.Config.Logger != nil {
		// The profile's credential providers warn where the base's do.
		load = append(load, config.WithLogger(base.Config.Logger))
	}
	if len(configFiles) > 0 {
		load = append(load, config.WithSharedConfigFiles(configFiles))
	}
	if len(credentialsFiles) > 0 {
		load = append(load, config.WithSharedCredentialsFiles(credentialsFiles))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return base, &problem.Error{Kind: problem.NoCredentials, Op: "load the profile " + profile, Message: err.Error(), Err: err,
			Fix: "check that the profile exists in ~/.aws/config (aws configure list-profiles)"}
	}
	o := base
	o.Config = base.Config.Copy()
	o.Config.Credentials = cfg.Credentials
	if o.Config.Region == "" {
		o.Config.Region = cfg.Region
	}
	return o, nil
}

// Options returns the options the Cloud was made with.
func (c *Cloud) Options() Options { return c.opts }

// ScheduleNames lists the names of the schedules starting with prefix (one
// call a page; GetSchedule reads one in full).
func (c *Cloud) ScheduleNames(ctx context.Context, prefix string) ([]string, error) {
	var names []string
	p := scheduler.NewListSchedulesPaginator(c.scheduler, &scheduler.ListSchedulesInput{NamePrefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.classify("list the schedules named "+prefix+"…", err)
		}
		for _, s := range page.Schedules {
			names = append(names, aws.ToString(s.Name))
		}
	}
	return names, nil
}
