package ui

import (
	"context"
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"ecr-vpce-lab/steps"
)

// workspacePicker lets the learner choose the VPC, subnet and security group
// when the workspace is not an EC2 instance (or they want other IDs). It
// asks in two rounds, because the subnets depend on the VPC.
type workspacePicker struct {
	// 0 loading VPCs, 1 choose VPC, 2 loading, 3 choose subnet and group,
	// 4 choose between going on without the proofs and the sandbox
	stage int
	how   string
	// note says, outside the VPC, what cannot be observed from here.
	note   string
	form   *huh.Form
	vpc    string
	subnet string
	sg     string
	err    string
	isDark bool
	width  int
	keys   *huh.KeyMap
	back   key.Binding
	// fields is how many fields the form shows (the second round has two).
	fields int
}

type choicesMsg struct {
	vpcs, subnets, groups []steps.Choice
	err                   error
}

func (p *workspacePicker) theme() huh.Theme { return charmTheme(p.isDark) }

// charmTheme is huh's Charm theme for a dark or a light background, whatever
// the form itself guesses (huh v2.0.3 swaps the theme's light and dark looks
// after a background message). Its styles are built once a form: huh asks
// the theme for them on every render of every field, and ThemeCharm builds
// them anew each time it is asked.
func charmTheme(dark bool) huh.Theme {
	styles := huh.ThemeCharm(dark)
	return huh.ThemeFunc(func(bool) *huh.Styles { return styles })
}

func options(cs []steps.Choice) []huh.Option[string] {
	out := make([]huh.Option[string], 0, len(cs))
	for _, c := range cs {
		label := c.ID
		if c.Name != "" {
			label += "  " + c.Name
		}
		if c.Detail != "" {
			label += "  (" + c.Detail + ")"
		}
		out = append(out, huh.NewOption(label, c.ID))
	}
	return out
}

func (m *Model) openPicker() tea.Cmd {
	if m.lab == nil {
		return nil
	}
	ws := m.st.Workspace
	m.picker = &workspacePicker{vpc: ws.VpcID, subnet: ws.SubnetID, sg: ws.SecurityGroupID, isDark: m.c.Styles.IsDark, width: max(40, m.bodyWidth()-4), keys: m.c.Keys.FormKeys(), back: m.c.Keys.Cancel}
	if p := m.place; p != nil && p.Kind.Outside() {
		m.picker.note = p.CannotProve() + " They will be skipped, not passed."
		if !m.c.Sandbox && !m.proofsSkippedChosen {
			m.picker.note = p.CannotProve()
		}
	}
	if p := m.place; p != nil && p.Kind.Outside() && !m.c.Sandbox && !m.proofsSkippedChosen {
		// From outside the VPC some steps cannot be observed: say so, and
		// offer the sandbox before the learner picks a VPC.
		pk := m.picker
		pk.stage, pk.how = 4, "choose"
		pk.form = huh.NewForm(huh.NewGroup(
			huh.NewSelect[string]().Key("how").Title("Go on from here, or use the sandbox?").
				Options(huh.NewOption("Choose the VPC and go on: the DNS step and the proofs are skipped, not passed", "choose"),
					huh.NewOption("Use the sandbox instead, where every step can be observed", "sandbox")).Value(&pk.how),
		)).WithShowHelp(false).WithTheme(pk.theme()).WithWidth(pk.width).WithKeyMap(pk.keys)
		return pk.form.Init()
	}
	return m.listVPCs()
}

// listVPCs asks for the region's VPCs, for the picker's first round.
func (m *Model) listVPCs() tea.Cmd {
	lab, ctx := m.lab, m.ctx
	return func() tea.Msg {
		vpcs, err := lab.ListVPCs(ctx)
		return choicesMsg{vpcs: vpcs, err: err}
	}
}

func (m *Model) gotChoices(msg choicesMsg) (tea.Model, tea.Cmd) {
	p := m.picker
	if p == nil {
		return m, nil
	}
	if msg.err != nil {
		p.err = errText(msg.err) + " → " + fixOf(msg.err)
		return m, nil
	}
	switch {
	case msg.vpcs != nil:
		if len(msg.vpcs) == 0 {
			p.err = "this account has no VPC in the region; create one (or pick another region) and try again"
			return m, nil
		}
		if p.vpc == "" {
			p.vpc = msg.vpcs[0].ID
		}
		p.stage, p.fields = 1, 1
		p.form = huh.NewForm(huh.NewGroup(
			huh.NewSelect[string]().Key("vpc").Title("VPC of your workspace").Options(options(msg.vpcs)...).Value(&p.vpc),
		)).WithShowHelp(false).WithTheme(p.theme()).WithWidth(p.width).WithKeyMap(p.keys)
		return m, p.form.Init()
	default:
		if len(msg.subnets) == 0 || len(msg.groups) == 0 {
			p.err = fmt.Sprintf("%s has no subnets or no security groups to choose from; pick another VPC (esc)", p.vpc)
			return m, nil
		}
		if p.subnet == "" {
			p.subnet = msg.subnets[0].ID
		}
		if p.sg == "" {
			p.sg = msg.groups[0].ID
		}
		p.stage, p.fields = 3, 2
		p.form = huh.NewForm(huh.NewGroup(
			huh.NewSelect[string]().Key("subnet").Title("Subnet of your workspace").Description("the endpoints get an address in it").Options(options(msg.subnets)...).Value(&p.subnet),
			huh.NewSelect[string]().Key("sg").Title("Security group of your workspace").Description("the endpoints will accept HTTPS from it").Options(options(msg.groups)...).Value(&p.sg),
		)).WithShowHelp(false).WithTheme(p.theme()).WithWidth(p.width).WithKeyMap(p.keys)
		return m, p.form.Init()
	}
}

// updateForm feeds msg to a form embedded in a model: huh hands the form
// back as a tea.Model, and the model keeps the *huh.Form whose State it
// polls.
func updateForm(f *huh.Form, msg tea.Msg) (*huh.Form, tea.Cmd) {
	m, cmd := f.Update(msg)
	if ff, ok := m.(*huh.Form); ok {
		f = ff
	}
	return f, cmd
}

// Update feeds the picker; done is set when it finished or was cancelled.
func (p *workspacePicker) Update(msg tea.Msg) (tea.Cmd, bool) {
	if p.form == nil {
		return nil, false
	}
	var cmd tea.Cmd
	p.form, cmd = updateForm(p.form, msg)
	switch p.form.State {
	case huh.StateCompleted:
		return cmd, true
	case huh.StateAborted:
		p.stage = -1
		return cmd, true
	}
	return cmd, false
}

func (m *Model) pickerDone() (tea.Model, tea.Cmd) {
	p := m.picker
	switch p.stage {
	case -1:
		m.picker = nil
		return m, nil
	case 4:
		if p.how == "sandbox" {
			m.picker = nil
			fresh := New(m.ctx, m.opts)
			fresh.c = m.c
			return fresh, fresh.connect(Target{Sandbox: true}, m.conn)
		}
		m.proofsSkippedChosen = true
		p.note += " They will be skipped, not passed."
		p.stage, p.form = 0, nil
		return m, m.listVPCs()
	case 1:
		p.stage = 2
		p.form = nil
		lab, ctx, vpc := m.lab, m.ctx, p.vpc
		return m, func() tea.Msg {
			subnets, err := lab.ListSubnets(ctx, vpc)
			if err != nil {
				return choicesMsg{err: err}
			}
			groups, err := lab.ListSecurityGroups(ctx, vpc)
			return choicesMsg{subnets: subnets, groups: groups, err: err}
		}
	}
	m.picker = nil
	// Discover again with these IDs, then re-run the checks.
	ws := steps.Workspace{VpcID: p.vpc, SubnetID: p.subnet, SecurityGroupID: p.sg}
	m.cur = scrPreflight
	m.idsChosen = true
	m.screens[scrPreflight] = screenState{commands: m.screens[scrPreflight].commands}
	m.screens[scrWorkspace].status = steps.StatusPending
	m.checks = nil
	return m, m.start(opWorkspace, steps.StepDiscover, func(_ context.Context, lab *steps.Lab) opResult {
		lab.SetWorkspace(ws)
		return opResult{}
	})
}

func (p *workspacePicker) View(st Styles) string {
	switch {
	case p.err != "":
		return st.Error.Render("✗ ") + p.err + "\n" + st.Faint.Render(keyWord(p.back)+" goes back")
	case p.stage == 0 || p.stage == 2:
		return st.Faint.Render("Reading the account's networks…")
	case p.form != nil && p.note != "":
		return st.Warn.Render(wrapWords(p.note, p.width)) + "\n\n" + p.form.View()
	case p.form != nil:
		return p.form.View()
	}
	return ""
}
