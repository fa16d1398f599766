package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"ecr-vpce-lab/awsops"
	"ecr-vpce-lab/internal/problem"
)

// The push test pushes a local copy of SourceTag, as the workshop pushes
// the alpine image docker holds on the workspace. Preflight makes the copy
// before the endpoints exist (docker pull); the push then reads nothing
// from the repository, so a policy that denies pulls cannot turn the push
// test into a pull test.

// ensureLocalImage returns the local copy of SourceTag, making it when it
// is missing: the one recorded, one left in the state directory by an
// earlier run whose state was lost, or a fresh copy from the registry.
func (l *Lab) ensureLocalImage(ctx context.Context, s StepID) (awsops.LocalImage, error) {
	st := l.read()
	repo, tag := l.cfg.Repo, l.cfg.SourceTag
	dir := l.store.ImageDir()
	if li := st.LocalImage; li != nil && li.Repository == repo && li.Tag == tag {
		if li.Docker {
			l.resource(s, ResourceEvent{Kind: KindLocalImage, ID: li.Ref(), State: ResExists, Detail: "in docker's image store"})
			return *li, nil
		}
		if got, err := awsops.OpenLocalImage(li.Dir, repo, tag); err == nil {
			l.resource(s, ResourceEvent{Kind: KindLocalImage, ID: got.Ref(), State: ResExists, Detail: "kept in " + got.Dir})
			return got, nil
		}
		l.detail(s, "the local copy of %s recorded earlier is gone or incomplete; copying it again", li.Ref())
	} else if got, err := awsops.OpenLocalImage(dir, repo, tag); err == nil {
		if err := l.update(func(x *State) { x.LocalImage = &got }); err != nil {
			return got, err
		}
		l.resource(s, ResourceEvent{Kind: KindLocalImage, ID: got.Ref(), State: ResExists, Detail: "kept in " + got.Dir})
		return got, nil
	}
	if err := ctx.Err(); err != nil {
		return awsops.LocalImage{}, stopped(err)
	}
	since := l.cfg.Now()
	l.resource(s, ResourceEvent{Kind: KindLocalImage, ID: repo + ":" + tag, State: ResCreating, Since: since,
		Detail: "copying it to this machine, as docker pull does"})
	li, cmds, err := l.cloud.SaveImage(ctx, repo, tag, dir)
	for _, c := range cmds {
		l.command(s, c)
	}
	if err != nil {
		err = l.withS3GatewayID(err)
		l.resource(s, ResourceEvent{Kind: KindLocalImage, ID: repo + ":" + tag, State: ResFailed, Since: since, Detail: err.Error()})
		return li, err
	}
	if err := l.update(func(x *State) { x.LocalImage = &li; x.Names = l.cloud.Names() }); err != nil {
		return li, err
	}
	where := "in docker's image store"
	if !li.Docker {
		where = fmt.Sprintf("%d layer(s), %d bytes, in %s", li.Layers, li.Bytes, li.Dir)
	}
	l.resource(s, ResourceEvent{Kind: KindLocalImage, ID: li.Ref(), State: ResCreated, Since: since, Detail: where})
	return li, nil
}

// localImageItem is preflight's line about the local copy. Making it is
// never fatal to preflight: the push test tries again and says why.
// gateway finds the S3 gateway endpoint already on the route table, for a
// copy S3 refused through it.
func (l *Lab) localImageItem(ctx context.Context, fix bool, gateway func() (s3Gateway, error)) (CheckItem, error) {
	ref := l.cfg.Repo + ":" + l.cfg.SourceTag
	it := CheckItem{ID: "local-image", Title: "Local copy of " + ref}
	if !fix {
		st := l.read()
		switch li := st.LocalImage; {
		case li != nil && li.Docker:
			it.OK, it.Message = true, "in docker's image store"
		case li != nil:
			if got, err := awsops.OpenLocalImage(li.Dir, li.Repository, li.Tag); err == nil {
				it.OK, it.Message = true, "kept in "+got.Dir
				break
			}
			fallthrough
		default:
			it.Warning, it.Message = true, "not copied yet: preflight copies it before the endpoints exist"
		}
		return it, nil
	}
	li, err := l.ensureLocalImage(ctx, StepPreflight)
	if err != nil {
		if k := problem.KindOf(err); k == problem.Canceled || errors.Is(err, context.Canceled) {
			return it, err
		}
		it.Warning, it.Message, it.Fix = true, err.Error(), problem.FixOf(err)
		if !strings.Contains(it.Fix, awsops.S3GatewayIDPlaceholder) {
			return it, nil
		}
		gw, gerr := gateway()
		if gerr != nil {
			return it, gerr
		}
		return refusedThroughGateway(it, gw, problem.CodeOf(err)), nil
	}
	it.OK = true
	if li.Docker {
		it.Message = "pulled into docker's image store; the push test pushes it as " + l.cfg.PushTag
	} else {
		it.Message = "kept in " + li.Dir + "; the push test pushes it as " + l.cfg.PushTag + ", reading nothing from the repository"
	}
	return it, nil
}

// removeLocalImage deletes the local copy (teardown). Without a record (a
// lost state file) the copy in the state directory still goes.
func (l *Lab) removeLocalImage(ctx context.Context, s StepID, rep *TeardownReport) error {
	li := l.read().LocalImage
	if li == nil {
		dir := l.store.ImageDir()
		if !exists(dir) && !exists(dir+".partial") {
			return nil
		}
		li = &awsops.LocalImage{Dir: dir, Repository: l.cfg.Repo, Tag: l.cfg.SourceTag}
	}
	var extra []string
	if li.Docker {
		extra = []string{l.cfg.PushTag}
	}
	cmd, err := l.cloud.RemoveLocalImage(ctx, *li, extra...)
	l.command(s, cmd)
	if err != nil {
		return err
	}
	ev := ResourceEvent{Kind: KindLocalImage, ID: li.Ref(), State: ResDeleted}
	if li.Docker && !li.Pulled {
		ev.Detail = "it was in docker before the lab: only the " + l.cfg.PushTag + " tag the lab made went"
	}
	l.removed(s, ev, rep)
	if l.read().LocalImage == nil {
		return nil // nothing recorded: do not write a state file now
	}
	return l.update(func(x *State) { x.LocalImage = nil })
}

// refusedThroughGateway is the local copy's line when S3 refused its
// layers through a gateway endpoint the run has not made (preflight has
// not recorded it yet). When that gateway's own check says what to do
// (its policy does not allow the layer bucket), the line says what refused
// and points there, rather than repeating the same long fix; otherwise the
// fix names the gateway by its ID, not by a placeholder.
func refusedThroughGateway(it CheckItem, gw s3Gateway, code string) CheckItem {
	if gw.ID == "" {
		return it
	}
	if gw.Item.OK || gw.Item.Fix == "" {
		it.Fix = strings.ReplaceAll(it.Fix, awsops.S3GatewayIDPlaceholder, gw.ID)
		return it
	}
	it.Message = "S3 refused its layers through the S3 gateway endpoint " + gw.ID + ", whose policy does not allow ECR's layer bucket"
	if code != "" {
		it.Message += " (" + code + ")"
	}
	it.Fix = "change " + gw.ID + "'s policy as the check on it below says; the push test copies the image once S3 allows it"
	return it
}

// withS3GatewayID fills the S3 gateway endpoint's ID into a fix that
// names it only by a placeholder (a layer download S3 refused), once the
// run has that endpoint: the learner should not have to look it up.
func (l *Lab) withS3GatewayID(err error) error {
	var pe *problem.Error
	if !errors.As(err, &pe) || !strings.Contains(pe.Fix, awsops.S3GatewayIDPlaceholder) {
		return err
	}
	rec := l.read().Endpoints[EndpointS3]
	if rec == nil || rec.ID == "" {
		return err
	}
	named := *pe
	named.Fix = strings.ReplaceAll(pe.Fix, awsops.S3GatewayIDPlaceholder, rec.ID)
	return &named
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}
