package sandbox

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"ecr-vpce-lab/policy"
)

// EventBridge Scheduler: one-time and recurring schedules in the default
// schedule group, over its REST-JSON protocol (API version 2021-06-30;
// research D). A one-time schedule fires at its time: the sandbox assumes
// the schedule's execution role and calls its target, a universal target of
// the EC2 API (arn:aws:scheduler:::aws-sdk:ec2:deleteVpcEndpoints), on its
// own API listener, signed with the session's keys, so the call is
// authorized by the role's policies (fire.go).

const defaultScheduleGroup = "default"

// schedule is an EventBridge Scheduler schedule.
type schedule struct {
	Name                  string         `json:"name"`
	Group                 string         `json:"group"`
	Expression            string         `json:"expression"`
	Timezone              string         `json:"timezone,omitempty"`
	Description           string         `json:"description,omitempty"`
	State                 string         `json:"state"`
	ActionAfterCompletion string         `json:"actionAfterCompletion"`
	FlexibleMode          string         `json:"flexibleMode"`
	FlexibleMax           int            `json:"flexibleMax,omitempty"`
	StartDate             time.Time      `json:"startDate,omitzero"`
	EndDate               time.Time      `json:"endDate,omitzero"`
	KMSKey                string         `json:"kmsKey,omitempty"`
	Target                scheduleTarget `json:"target"`
	ClientToken           string         `json:"clientToken,omitempty"`
	Created               time.Time      `json:"created"`
	Modified              time.Time      `json:"modified"`

	// At is the instant a one-time schedule fires (zero for rate and
	// cron, which the sandbox lists but never fires).
	At time.Time `json:"at,omitzero"`
	// Attempts made so far, and when the next is due after a retryable
	// failure; Done marks a one-time schedule that has run (kept only
	// with ActionAfterCompletion NONE).
	Attempts    int       `json:"attempts,omitempty"`
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	Done        bool      `json:"done,omitempty"`
}

type scheduleTarget struct {
	Arn         string `json:"arn"`
	RoleArn     string `json:"roleArn"`
	Input       string `json:"input,omitempty"`
	MaxAge      int    `json:"maxEventAge"`
	MaxAttempts int    `json:"maxRetryAttempts"`
	DeadLetter  string `json:"deadLetter,omitempty"`
}

func (s *Sandbox) scheduleARN(group, name string) string {
	return "arn:" + s.part() + ":scheduler:" + s.opts.Region + ":" + s.opts.Account + ":schedule/" + group + "/" + name
}

func (s *Sandbox) scheduleGroupARN(group string) string {
	return "arn:" + s.part() + ":scheduler:" + s.opts.Region + ":" + s.opts.Account + ":schedule-group/" + group
}

func (w *world) schedule(group, name string) *schedule {
	return firstOf(w.Schedules, func(x *schedule) bool { return x.Name == name && x.Group == group })
}

// restRoute is a REST request's operation and the names in its path.
type restRoute struct {
	name  string // {Name} of the path
	query url.Values
}

// schedulerRoutes are Scheduler's REST routes, as its API model writes
// them: a label in braces stands for the rest of the path.
var schedulerRoutes = []struct{ method, uri, op string }{
	{http.MethodGet, "/schedules", "ListSchedules"},
	{http.MethodPost, "/schedules/{Name}", "CreateSchedule"},
	{http.MethodGet, "/schedules/{Name}", "GetSchedule"},
	{http.MethodPut, "/schedules/{Name}", "UpdateSchedule"},
	{http.MethodDelete, "/schedules/{Name}", "DeleteSchedule"},
	{http.MethodGet, "/schedule-groups", "ListScheduleGroups"},
	{http.MethodGet, "/schedule-groups/{Name}", "GetScheduleGroup"},
	{http.MethodPost, "/schedule-groups/{Name}", "CreateScheduleGroup"},
	{http.MethodDelete, "/schedule-groups/{Name}", "DeleteScheduleGroup"},
	{http.MethodGet, "/tags/{ResourceArn}", "ListTagsForResource"},
	{http.MethodPost, "/tags/{ResourceArn}", "TagResource"},
	{http.MethodDelete, "/tags/{ResourceArn}", "UntagResource"},
}

// schedulerRoute maps a REST request to Scheduler's operation ("" when
// none); the route keeps the {Name} of a path that has one, whatever the
// method.
func schedulerRoute(method, path string, query url.Values) (string, restRoute) {
	rt := restRoute{query: query}
	op := ""
	for _, r := range schedulerRoutes {
		base, label, labelled := strings.Cut(r.uri, "{")
		if labelled && !strings.HasPrefix(path, base) || !labelled && path != base {
			continue
		}
		if label == "Name}" {
			rt.name = strings.TrimPrefix(path, base)
		}
		if r.method == method && op == "" {
			op = r.op
		}
	}
	return op, rt
}

type schedCtx struct {
	*request
	c    *apiCall
	rt   restRoute
	body []byte
}

var schedOps operations[schedCtx, any]

func init() {
	schedOps = operations[schedCtx, any]{
		"CreateSchedule":     {schedCreate, true},
		"GetSchedule":        {schedGet, false},
		"UpdateSchedule":     {schedUpdate, true},
		"DeleteSchedule":     {schedDelete, true},
		"ListSchedules":      {schedList, false},
		"GetScheduleGroup":   {schedGetGroup, false},
		"ListScheduleGroups": {schedListGroups, false},
	}
}

// SchedulerActions lists the Scheduler operations the sandbox serves.
func SchedulerActions() []string { return schedOps.names() }

// Scheduler's errors (research D.2).
func schedValidation(format string, args ...any) *APIError {
	return badRequest("ValidationException", format, args...)
}

func scheduleMissing(name string) *APIError {
	return apiErr(http.StatusNotFound, "ResourceNotFoundException", "Schedule %s does not exist.", name)
}

func groupMissing(name string) *APIError {
	return apiErr(http.StatusNotFound, "ResourceNotFoundException", "Schedule group %s does not exist.", name)
}

// roleNotAssumable is Scheduler's answer when it cannot assume the
// execution role: a trust policy without scheduler.amazonaws.com, a role
// that does not exist, or one IAM has not propagated yet (research D.2,
// aws/aws-sdk-js-v3#6494).
func roleNotAssumable() *APIError {
	return schedValidation("The execution role you provide must allow AWS EventBridge Scheduler to assume the role.")
}

func (s *Sandbox) handleScheduler(c *apiCall, rt restRoute, body []byte) ([]byte, *APIError) {
	op, ok := schedOps[c.action]
	if !ok {
		return nil, notServed("scheduler", protoREST, c.action, "", SchedulerActions())
	}
	if !jsonObject(body) {
		return nil, badRequest("SerializationException", "")
	}
	resource := "*"
	switch c.action {
	case "CreateSchedule", "GetSchedule", "UpdateSchedule", "DeleteSchedule":
		group := rt.query.Get("groupName")
		var in struct{ GroupName string }
		_ = json.Unmarshal(body, &in)
		if in.GroupName != "" {
			group = in.GroupName
		}
		if group == "" {
			group = defaultScheduleGroup
		}
		resource = s.scheduleARN(group, rt.name)
	case "GetScheduleGroup":
		resource = s.scheduleGroupARN(rt.name)
	}
	if e := s.refuseCaller(c, "scheduler", c.action, resource); e != nil {
		return nil, e
	}
	out, e := op.run(s, protoREST, func(r *request) *schedCtx { return &schedCtx{request: r, c: c, rt: rt, body: body} })
	if e != nil {
		return nil, e
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, internalError(protoREST)
	}
	return b, nil
}

// scheduleInput is the body of CreateSchedule and UpdateSchedule.
type scheduleInput struct {
	ActionAfterCompletion *string
	ClientToken           *string
	Description           *string
	EndDate               *float64
	FlexibleTimeWindow    *struct {
		Mode                   *string
		MaximumWindowInMinutes *int
	}
	GroupName                  *string
	KmsKeyArn                  *string
	ScheduleExpression         *string
	ScheduleExpressionTimezone *string
	StartDate                  *float64
	State                      *string
	Target                     *struct {
		Arn         *string
		RoleArn     *string
		Input       *string
		RetryPolicy *struct {
			MaximumEventAgeInSeconds *int
			MaximumRetryAttempts     *int
		}
		DeadLetterConfig *struct{ Arn *string }
		// The templated targets' parameters (ECS, SQS, SageMaker...)
		// are not modelled.
		EcsParameters               json.RawMessage
		EventBridgeParameters       json.RawMessage
		KinesisParameters           json.RawMessage
		SageMakerPipelineParameters json.RawMessage
		SqsParameters               json.RawMessage
	}
}

var (
	scheduleNameRE = regexp.MustCompile(`^[0-9a-zA-Z-_.]{1,64}$`)
	clientTokenRE  = regexp.MustCompile(`^[a-zA-Z0-9-_]{1,64}$`)
	// The model's pattern, ^arn:aws(-[a-z]+)?:iam::…, would refuse
	// GovCloud's own role ARNs (arn:aws-us-gov:…), in a partition where
	// Scheduler runs: the sandbox takes any partition's.
	roleARNRE = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@\/-]+$`)
	atRE      = regexp.MustCompile(`^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$`)
	rateRE    = regexp.MustCompile(`^rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)$`)
	cronRE    = regexp.MustCompile(`^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$`)
	dlqARNRE  = regexp.MustCompile(`^arn:aws(-[a-z]+)?:sqs:[a-z0-9\-]+:\d{12}:[a-zA-Z0-9\-_]+$`)
)

// constraint is Smithy's validation sentence for one member.
func constraint(field, value, rule string) *APIError {
	if value == "" {
		return schedValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	}
	return schedValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, rule)
}

// parse validates a Create or Update body into sch (name and group set).
func (x *schedCtx) parse(sch *schedule) *APIError {
	var in scheduleInput
	if e := decodeJSON(x.body, &in); e != nil {
		return e
	}
	if !scheduleNameRE.MatchString(sch.Name) {
		return constraint("name", sch.Name, "Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$")
	}
	if in.FlexibleTimeWindow == nil || in.FlexibleTimeWindow.Mode == nil {
		return constraint("flexibleTimeWindow", "", "")
	}
	switch mode := *in.FlexibleTimeWindow.Mode; mode {
	case "OFF":
		sch.FlexibleMode = mode
	case "FLEXIBLE":
		m := in.FlexibleTimeWindow.MaximumWindowInMinutes
		if m == nil || *m < 1 || *m > 1440 {
			return schedValidation("MaximumWindowInMinutes must be between 1 and 1440 when the flexible time window mode is FLEXIBLE.")
		}
		sch.FlexibleMode, sch.FlexibleMax = mode, *m
	default:
		return constraint("flexibleTimeWindow.mode", mode, "Member must satisfy enum value set: [OFF, FLEXIBLE]")
	}
	if in.ScheduleExpression == nil || *in.ScheduleExpression == "" {
		return constraint("scheduleExpression", "", "")
	}
	sch.Expression = *in.ScheduleExpression
	if len(sch.Expression) > 256 {
		return constraint("scheduleExpression", sch.Expression, "Member must have length less than or equal to 256")
	}
	sch.Timezone = ""
	if in.ScheduleExpressionTimezone != nil {
		sch.Timezone = *in.ScheduleExpressionTimezone
	}
	loc := time.UTC
	if sch.Timezone != "" {
		l, err := time.LoadLocation(sch.Timezone)
		if err != nil || len(sch.Timezone) > 50 {
			return schedValidation("Invalid time zone: %s.", sch.Timezone)
		}
		loc = l
	}
	sch.At = time.Time{}
	switch {
	case atRE.MatchString(sch.Expression):
		t, err := time.ParseInLocation("2006-01-02T15:04:05", atRE.FindStringSubmatch(sch.Expression)[1], loc)
		if err != nil {
			return schedValidation("Invalid Schedule Expression %s.", sch.Expression)
		}
		sch.At = t.UTC()
	case rateRE.MatchString(sch.Expression), cronRE.MatchString(sch.Expression):
	default:
		return schedValidation("Invalid Schedule Expression %s.", sch.Expression)
	}
	sch.Description = ""
	if in.Description != nil {
		if len(*in.Description) > 512 {
			return constraint("description", "...", "Member must have length less than or equal to 512")
		}
		sch.Description = *in.Description
	}
	sch.State = "ENABLED"
	if in.State != nil {
		if *in.State != "ENABLED" && *in.State != "DISABLED" {
			return constraint("state", *in.State, "Member must satisfy enum value set: [ENABLED, DISABLED]")
		}
		sch.State = *in.State
	}
	sch.ActionAfterCompletion = "NONE"
	if in.ActionAfterCompletion != nil {
		if *in.ActionAfterCompletion != "NONE" && *in.ActionAfterCompletion != "DELETE" {
			return constraint("actionAfterCompletion", *in.ActionAfterCompletion, "Member must satisfy enum value set: [NONE, DELETE]")
		}
		sch.ActionAfterCompletion = *in.ActionAfterCompletion
	}
	sch.StartDate, sch.EndDate = time.Time{}, time.Time{}
	if in.StartDate != nil {
		sch.StartDate = epochTime(*in.StartDate)
	}
	if in.EndDate != nil {
		sch.EndDate = epochTime(*in.EndDate)
	}
	sch.KMSKey = ""
	if in.KmsKeyArn != nil {
		sch.KMSKey = *in.KmsKeyArn
	}
	t := in.Target
	if t == nil {
		return constraint("target", "", "")
	}
	if t.Arn == nil || *t.Arn == "" {
		return constraint("target.arn", "", "")
	}
	if len(*t.Arn) > 1600 {
		return constraint("target.arn", "...", "Member must have length less than or equal to 1600")
	}
	if t.RoleArn == nil || *t.RoleArn == "" {
		return constraint("target.roleArn", "", "")
	}
	if !roleARNRE.MatchString(*t.RoleArn) {
		return constraint("target.roleArn", *t.RoleArn, `Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@\/-]+$`)
	}
	if len(t.EcsParameters)+len(t.EventBridgeParameters)+len(t.KinesisParameters)+len(t.SageMakerPipelineParameters)+len(t.SqsParameters) > 0 {
		return badRequest("UnsupportedOperationException", "The ecr-vpce-lab sandbox does not model templated targets' parameters; it serves universal targets (arn:aws:scheduler:::aws-sdk:SERVICE:ACTION).")
	}
	sch.Target = scheduleTarget{Arn: *t.Arn, RoleArn: *t.RoleArn, MaxAge: 86400, MaxAttempts: 185}
	if t.Input != nil {
		if *t.Input == "" {
			return constraint("target.input", "", "Member must have length greater than or equal to 1")
		}
		sch.Target.Input = *t.Input
	}
	if rp := t.RetryPolicy; rp != nil {
		if rp.MaximumEventAgeInSeconds != nil {
			v := *rp.MaximumEventAgeInSeconds
			if v < 60 || v > 86400 {
				return constraint("target.retryPolicy.maximumEventAgeInSeconds", strconv.Itoa(v), "Member must have value between 60 and 86400")
			}
			sch.Target.MaxAge = v
		}
		if rp.MaximumRetryAttempts != nil {
			v := *rp.MaximumRetryAttempts
			if v < 0 || v > 185 {
				return constraint("target.retryPolicy.maximumRetryAttempts", strconv.Itoa(v), "Member must have value between 0 and 185")
			}
			sch.Target.MaxAttempts = v
		}
	}
	if dl := t.DeadLetterConfig; dl != nil && dl.Arn != nil {
		if !dlqARNRE.MatchString(*dl.Arn) {
			return constraint("target.deadLetterConfig.arn", *dl.Arn, "Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)?:sqs:[a-z0-9\\-]+:\\d{12}:[a-zA-Z0-9\\-_]+$")
		}
		sch.Target.DeadLetter = *dl.Arn
	}
	sch.ClientToken = ""
	if in.ClientToken != nil {
		if !clientTokenRE.MatchString(*in.ClientToken) {
			return constraint("clientToken", *in.ClientToken, "Member must satisfy regular expression pattern: ^[a-zA-Z0-9-_]+$")
		}
		sch.ClientToken = *in.ClientToken
	}
	if in.GroupName != nil && *in.GroupName != "" {
		sch.Group = *in.GroupName
	}
	if sch.Group != defaultScheduleGroup {
		return groupMissing(sch.Group)
	}
	return nil
}

func epochTime(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// checkRole is what Scheduler checks of the execution role when a schedule
// is created or updated: that the caller may pass it (iam:PassRole, to
// scheduler.amazonaws.com) and that Scheduler can assume it (the role
// exists in the account, IAM has propagated it, its trust policy lets
// scheduler.amazonaws.com in).
func (x *schedCtx) checkRole(sch *schedule) *APIError {
	roleARN := sch.Target.RoleArn
	p := x.s.callerPerms(x.c.accessKey)
	d := p.decide("iam:PassRole", roleARN, map[string][]string{"iam:PassedToService": {"scheduler.amazonaws.com"}})
	code := ""
	if !d.Allowed() {
		code = "AccessDenied"
	}
	x.s.recordAuthorization(x.c, "iam", "PassRole", code)
	if !d.Allowed() {
		return refusal("scheduler", p.arn, "iam:PassRole", roleARN, d.Reason)
	}
	acct, name, ok := roleARNOf(roleARN)
	if !ok || acct != x.s.opts.Account {
		// "You cannot use the PassRole permission to pass a
		// cross-account role" (research E).
		return roleNotAssumable()
	}
	r := x.s.hub.role(acct, name)
	if r == nil || !x.s.trustsScheduler(r, sch.Group) {
		return roleNotAssumable()
	}
	if lag := x.s.opts.Faults.RolePropagation; lag > 0 && x.now.Before(r.Created.Add(lag)) {
		return roleNotAssumable()
	}
	return nil
}

// trustsScheduler reports whether the role's trust policy lets EventBridge
// Scheduler assume it for a schedule of group (the confused-deputy keys
// aws:SourceAccount and aws:SourceArn are set as Scheduler sets them;
// research D.4).
func (s *Sandbox) trustsScheduler(r *iamRole, group string) bool {
	doc, err := policy.Parse([]byte(r.Trust))
	if err != nil {
		return false
	}
	req := policy.Request{Action: "sts:AssumeRole", Resource: r.arn(s.part(), s.opts.Account), Principal: "scheduler.amazonaws.com",
		Context: map[string][]string{"aws:SourceAccount": {s.opts.Account}, "aws:SourceArn": {s.scheduleGroupARN(group)}}}
	return policy.Evaluate(doc, req).Allowed()
}

func (x *schedCtx) nameAndGroup() (string, string) {
	name := x.rt.name
	if n, err := url.PathUnescape(name); err == nil {
		name = n
	}
	group := x.rt.query.Get("groupName")
	if group == "" {
		group = defaultScheduleGroup
	}
	return name, group
}

func schedCreate(x *schedCtx) (any, *APIError) {
	name, group := x.nameAndGroup()
	sch := &schedule{Name: name, Group: group}
	if e := x.parse(sch); e != nil {
		return nil, e
	}
	if old := x.w.schedule(sch.Group, sch.Name); old != nil {
		if sch.ClientToken != "" && old.ClientToken == sch.ClientToken {
			return map[string]string{"ScheduleArn": x.s.scheduleARN(old.Group, old.Name)}, nil
		}
		return nil, apiErr(http.StatusConflict, "ConflictException", "Schedule %s already exists.", sch.Name)
	}
	if e := x.checkRole(sch); e != nil {
		return nil, e
	}
	sch.Created = x.now.UTC()
	sch.Modified = sch.Created
	x.w.Schedules = append(x.w.Schedules, sch)
	x.dirty = true
	return map[string]string{"ScheduleArn": x.s.scheduleARN(sch.Group, sch.Name)}, nil
}

func schedUpdate(x *schedCtx) (any, *APIError) {
	name, group := x.nameAndGroup()
	sch := &schedule{Name: name, Group: group}
	if e := x.parse(sch); e != nil {
		return nil, e
	}
	old := x.w.schedule(sch.Group, sch.Name)
	if old == nil {
		return nil, scheduleMissing(sch.Name)
	}
	if e := x.checkRole(sch); e != nil {
		return nil, e
	}
	sch.Created, sch.Modified = old.Created, x.now.UTC()
	*old = *sch
	x.dirty = true
	return map[string]string{"ScheduleArn": x.s.scheduleARN(sch.Group, sch.Name)}, nil
}

func schedDelete(x *schedCtx) (any, *APIError) {
	name, group := x.nameAndGroup()
	if tok := x.rt.query.Get("clientToken"); tok != "" && !clientTokenRE.MatchString(tok) {
		return nil, constraint("clientToken", tok, "Member must satisfy regular expression pattern: ^[a-zA-Z0-9-_]+$")
	}
	if group != defaultScheduleGroup {
		return nil, groupMissing(group)
	}
	sch := x.w.schedule(group, name)
	if sch == nil {
		return nil, scheduleMissing(name)
	}
	x.w.Schedules = slices.DeleteFunc(x.w.Schedules, func(o *schedule) bool { return o == sch })
	x.dirty = true
	return struct{}{}, nil
}

func schedGet(x *schedCtx) (any, *APIError) {
	name, group := x.nameAndGroup()
	if group != defaultScheduleGroup {
		return nil, groupMissing(group)
	}
	sch := x.w.schedule(group, name)
	if sch == nil {
		return nil, scheduleMissing(name)
	}
	return x.s.scheduleView(sch), nil
}

// scheduleView is GetSchedule's answer: no last run, no outcome (the API
// never shows one; research D.5).
func (s *Sandbox) scheduleView(sch *schedule) map[string]any {
	target := map[string]any{"Arn": sch.Target.Arn, "RoleArn": sch.Target.RoleArn,
		"RetryPolicy": map[string]int{"MaximumEventAgeInSeconds": sch.Target.MaxAge, "MaximumRetryAttempts": sch.Target.MaxAttempts}}
	if sch.Target.Input != "" {
		target["Input"] = sch.Target.Input
	}
	if sch.Target.DeadLetter != "" {
		target["DeadLetterConfig"] = map[string]string{"Arn": sch.Target.DeadLetter}
	}
	window := map[string]any{"Mode": sch.FlexibleMode}
	if sch.FlexibleMax > 0 {
		window["MaximumWindowInMinutes"] = sch.FlexibleMax
	}
	v := map[string]any{
		"ActionAfterCompletion": sch.ActionAfterCompletion, "Arn": s.scheduleARN(sch.Group, sch.Name),
		"CreationDate": epoch(sch.Created), "LastModificationDate": epoch(sch.Modified),
		"FlexibleTimeWindow": window, "GroupName": sch.Group, "Name": sch.Name,
		"ScheduleExpression": sch.Expression, "State": sch.State, "Target": target,
	}
	tz := sch.Timezone
	if tz == "" {
		tz = "UTC"
	}
	v["ScheduleExpressionTimezone"] = tz
	if sch.Description != "" {
		v["Description"] = sch.Description
	}
	if !sch.StartDate.IsZero() {
		v["StartDate"] = epoch(sch.StartDate)
	}
	if !sch.EndDate.IsZero() {
		v["EndDate"] = epoch(sch.EndDate)
	}
	if sch.KMSKey != "" {
		v["KmsKeyArn"] = sch.KMSKey
	}
	return v
}

func schedList(x *schedCtx) (any, *APIError) {
	q := x.rt.query
	group, prefix, state := q.Get("ScheduleGroup"), q.Get("NamePrefix"), q.Get("State")
	if state != "" && state != "ENABLED" && state != "DISABLED" {
		return nil, constraint("state", state, "Member must satisfy enum value set: [ENABLED, DISABLED]")
	}
	limit := 100
	if m := q.Get("MaxResults"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 || n > 100 {
			return nil, constraint("maxResults", m, "Member must have value between 1 and 100")
		}
		limit = n
	}
	var items []*schedule
	for _, sch := range x.w.Schedules {
		if (group == "" || sch.Group == group) && strings.HasPrefix(sch.Name, prefix) && (state == "" || sch.State == state) {
			items = append(items, sch)
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	start := 0
	if tok := q.Get("NextToken"); tok != "" {
		n, ok := tokenOffset(tok, "schedules", len(items))
		if !ok {
			return nil, schedValidation("Invalid NextToken.")
		}
		start = n
	}
	page, next := pageFrom(items, "schedules", start, limit)
	out := map[string]any{}
	list := []map[string]any{}
	for _, sch := range page {
		list = append(list, map[string]any{"Arn": x.s.scheduleARN(sch.Group, sch.Name), "CreationDate": epoch(sch.Created),
			"GroupName": sch.Group, "LastModificationDate": epoch(sch.Modified), "Name": sch.Name, "State": sch.State,
			"Target": map[string]string{"Arn": sch.Target.Arn}})
	}
	out["Schedules"] = list
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (x *schedCtx) defaultGroup() map[string]any {
	return map[string]any{"Arn": x.s.scheduleGroupARN(defaultScheduleGroup), "CreationDate": epoch(x.w.Created),
		"LastModificationDate": epoch(x.w.Created), "Name": defaultScheduleGroup, "State": "ACTIVE"}
}

func schedGetGroup(x *schedCtx) (any, *APIError) {
	name := x.rt.name
	if name != defaultScheduleGroup {
		return nil, groupMissing(name)
	}
	return x.defaultGroup(), nil
}

func schedListGroups(x *schedCtx) (any, *APIError) {
	prefix := x.rt.query.Get("NamePrefix")
	groups := []map[string]any{}
	if strings.HasPrefix(defaultScheduleGroup, prefix) {
		groups = append(groups, x.defaultGroup())
	}
	return map[string]any{"ScheduleGroups": groups}, nil
}
