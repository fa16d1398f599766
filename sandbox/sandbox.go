package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ecr-vpce-lab/internal/partition"
)

// Protocols of the API listener.
const (
	protoEC2  = "ec2"
	protoJSON = "json"
	protoSTS  = "sts"
)

// Sandbox is a running sandbox. Close it when done.
type Sandbox struct {
	opts Options
	// regionGiven, accountGiven: Options.Region, Options.Account were
	// set, not left to a saved world.
	regionGiven, accountGiven bool
	// def is the world's row in the table of worlds; profile the laptop
	// world's shared config files. tempDir holds an in-memory world's
	// blobs, uploads and files; Close removes it.
	def     WorldDef
	profile *ProfileFiles
	tempDir string
	// closing is closed when Close starts, releasing requests that wait
	// forever on purpose (a token PUT lost to the hop limit).
	closing chan struct{}

	// cur is the world requests read; it is never changed in place (see
	// commit.go): the next change is made to a clone of it. writeMu lets
	// one change through at a time.
	cur     atomic.Pointer[world]
	writeMu sync.Mutex
	// writeFile, when set, replaces the atomic write of the state file
	// (tests make it fail the way a full disk does).
	writeFile func(path string, data []byte, mode os.FileMode) error

	blobs    blobStore
	uploads  *uploadStore
	lock     *worldLock
	calls    CallLog
	sessions sessions

	apiSrv, imdsSrv, regSrv *http.Server
	apiURL, imdsURL         string
	regAddr                 string
	// The public path: listeners for a machine outside the VPC
	// (principals.go).
	publicAPISrv, publicRegSrv  *http.Server
	publicAPIURL, publicRegAddr string
	imds                        *imdsServer
	dns                         *dnsServer

	conns connTracker
	// hub is every account and region this process serves (hub.go).
	hub *hub
	// controlToken guards the control address (clock.go); clockAtStart
	// is the world's time when this process started (signatures made by
	// any time since are fresh, see verifySigV4).
	controlToken string
	clockAtStart time.Time
	// member marks the world of another account or region of the hub;
	// fleet is the facilitator's files (org.go).
	member bool
	fleet  *FleetFiles
	// firedOnTest: the fault FireOnTest has fired (fire.go); schedDone is
	// closed when the scheduler's loop has stopped.
	firedOnTest atomic.Bool
	schedDone   chan struct{}
	faults      *injector
	policies    policyCache
	fresh       bool

	closeOnce sync.Once
	closeErr  error
	done      chan struct{}
}

// EnvVar is one NAME=VALUE of the environment that points tools at the sandbox.
type EnvVar struct{ Name, Value string }

// Workspace names the resources of the workspace instance, as the lab's
// first step discovers them.
type Workspace struct {
	InstanceID      string
	MAC             string
	ENIID           string
	PrivateIP       string
	SecurityGroupID string
	SubnetID        string
	VpcID           string
	RouteTableID    string
	SubnetIDs       []string
	CallerARN       string
}

// Start builds or loads the world and serves it on 127.0.0.1 (free ports).
func Start(ctx context.Context, opts Options) (*Sandbox, error) {
	def, err := WorldByName(opts.World)
	if err != nil {
		return nil, err
	}
	// A world of a partition of its own is in that partition's region
	// unless --region names another region of it.
	regionGiven, accountGiven := opts.Region != "", opts.Account != ""
	switch {
	case !regionGiven:
		opts.Region = def.Region
	case def.Region != "" && partition.Of(opts.Region).ID != partition.Of(def.Region).ID:
		return nil, fmt.Errorf("the world %s is in the %s partition (%s): region %s is in %s; leave --region out or name a region of %s",
			def.Name, partition.Of(def.Region).ID, def.Region, opts.Region, partition.Of(opts.Region).ID, partition.Of(def.Region).ID)
	}
	if err := opts.normalise(); err != nil {
		return nil, err
	}
	s := &Sandbox{opts: opts, def: def, regionGiven: regionGiven, accountGiven: accountGiven, done: make(chan struct{}), closing: make(chan struct{}), controlToken: newControlToken()}
	var lns []net.Listener
	fail := func(err error) (*Sandbox, error) {
		for _, ln := range lns {
			_ = ln.Close()
		}
		if s.dns != nil {
			_ = s.dns.shutdown()
		}
		_ = s.lock.release()
		if s.tempDir != "" {
			_ = os.RemoveAll(s.tempDir)
		}
		return nil, err
	}
	if err := s.openWorld(); err != nil {
		return fail(err)
	}

	// What the world's row says about the metadata service adds to what
	// the options ask for.
	s.opts.IMDSv2Required = s.opts.IMDSv2Required || s.def.Metadata.V2Required
	s.opts.Faults.IMDSHopLimit = s.opts.Faults.IMDSHopLimit || s.def.Metadata.TokenPutBlocked
	s.faults = newInjector(s.opts.Faults)
	s.clockAtStart = s.opts.Clock.Now()
	newHub(s)
	s.hub.registerKeys(s)
	if s.opts.Accounts > 1 || len(s.opts.Regions) > 0 || s.opts.FleetDemo {
		if err := s.startMembers(); err != nil {
			s.closeMembers()
			return fail(err)
		}
	}
	if s.opts.FleetDemo {
		if err := s.seedFleetDemo(); err != nil {
			s.closeMembers()
			return fail(err)
		}
	}
	if s.def.Credentials == CredentialsProfile {
		if err := s.writeProfile(); err != nil {
			return fail(fmt.Errorf("writing the laptop world's AWS profile: %w", err))
		}
	}
	if s.opts.Accounts > 1 {
		if err := s.writeFleetFiles(); err != nil {
			s.closeMembers()
			return fail(fmt.Errorf("writing the facilitator's profiles: %w", err))
		}
	}

	for range 5 {
		ln, err := listenLoopback(ctx)
		if err != nil {
			return fail(err)
		}
		lns = append(lns, ln)
	}
	apiLn, imdsLn, regLn, publicAPILn, publicRegLn := lns[0], lns[1], lns[2], lns[3], lns[4]
	if s.dns, err = startDNS(ctx, s); err != nil {
		s.dns = nil
		return fail(err)
	}
	s.apiURL = "http://" + apiLn.Addr().String()
	s.imdsURL = "http://" + imdsLn.Addr().String()
	s.regAddr = regLn.Addr().String()
	s.publicAPIURL = "http://" + publicAPILn.Addr().String()
	s.publicRegAddr = publicRegLn.Addr().String()
	s.imds = newIMDS(s)
	apiServer := func(public bool) *http.Server {
		return &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serveAPI(w, r, public) }),
			ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	}
	// No ReadTimeout for the registry: a layer may take long to arrive; an
	// upload that stalls is cut by its own idle deadline (uploads.go).
	regServer := func(public bool) *http.Server {
		return &http.Server{Handler: newRegistryServer(s, public), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	}
	s.apiSrv, s.publicAPISrv = apiServer(false), apiServer(true)
	s.regSrv, s.publicRegSrv = regServer(false), regServer(true)
	s.imdsSrv = &http.Server{Handler: s.imds, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, MaxHeaderBytes: 64 << 10}
	// net/http reports what it cannot answer (a handler's panic, a
	// superfluous WriteHeader) to ErrorLog, else through the log package
	// to stderr: over the wizard's screen when it runs the sandbox in its
	// own process. The sandbox's Logger hears them instead.
	errorLog := slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelWarn)
	for _, srv := range s.servers() {
		srv.ConnState = s.conns.hook
		srv.ErrorLog = errorLog
	}
	go func() { _ = s.apiSrv.Serve(apiLn) }()
	go func() { _ = s.imdsSrv.Serve(imdsLn) }()
	go func() { _ = s.regSrv.Serve(regLn) }()
	go func() { _ = s.publicAPISrv.Serve(publicAPILn) }()
	go func() { _ = s.publicRegSrv.Serve(publicRegLn) }()
	s.schedDone = make(chan struct{})
	go func() {
		defer close(s.schedDone)
		s.runScheduler()
	}()
	if s.opts.StateDir != "" {
		if err := s.writeServing(); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("announcing the sandbox in %s: %w", s.opts.StateDir, err)
		}
	}
	return s, nil
}

// servers are the sandbox's HTTP servers.
func (s *Sandbox) servers() []*http.Server {
	return []*http.Server{s.apiSrv, s.imdsSrv, s.regSrv, s.publicAPISrv, s.publicRegSrv}
}

// WorldMismatchError: the world saved in Dir is not the one asked for: in
// another account or region, or (AskedWorld set) another of the worlds.
type WorldMismatchError struct {
	Dir                       string
	Account, Region, World    string // the saved world's (World only when AskedWorld is set)
	AskedAccount, AskedRegion string
	AskedWorld                string
}

func (e *WorldMismatchError) Error() string {
	if e.AskedWorld != "" {
		return fmt.Sprintf("the world in %s is %s, not %s; add --reset to start a fresh %s world (or leave --world out to keep this one)", e.Dir, e.World, e.AskedWorld, e.AskedWorld)
	}
	return fmt.Sprintf("the world in %s is account %s in %s, not %s in %s; use --reset to start a fresh one", e.Dir, e.Account, e.Region, e.AskedAccount, e.AskedRegion)
}

// openWorld takes the state directory's lock and loads its world, or makes
// a fresh one; an in-memory world keeps its blobs, uploads and files in a
// private temporary directory (tempDir) that Close removes.
func (s *Sandbox) openWorld() error {
	opts := s.opts
	data := ""
	if opts.StateDir != "" {
		dir, err := filepath.Abs(opts.StateDir)
		if err != nil {
			return err
		}
		s.opts.StateDir = dir
		if s.lock, err = lockWorld(dir); err != nil {
			return err
		}
		if opts.Reset {
			if err := resetWorld(dir); err != nil {
				return err
			}
		}
		data = dir
		s.blobs = blobStore{dir: filepath.Join(dir, "blobs"), durable: true}
	} else {
		tmp, err := os.MkdirTemp("", "ecr-vpce-lab-sandbox-")
		if err != nil {
			return fmt.Errorf("a directory for the in-memory world's layers: %w", err)
		}
		s.tempDir, data = tmp, tmp
		s.blobs = blobStore{dir: filepath.Join(tmp, "blobs")}
	}
	var err error
	if s.uploads, err = newUploadStore(filepath.Join(data, uploadsDir), opts.Clock, opts.UploadExpiry, opts.MaxLayerBytes); err != nil {
		return err
	}

	if dir := s.opts.StateDir; dir != "" {
		w, err := loadWorld(dir, opts.maxWorldBytes)
		if err != nil {
			return err
		}
		if w != nil && !s.regionGiven {
			// No region asked for: the saved world's.
			opts.Region, s.opts.Region = w.Region, w.Region
		}
		if w != nil && !s.accountGiven {
			// No account asked for: the saved world's.
			opts.Account, s.opts.Account = w.Account, w.Account
		}
		if w != nil && (w.Account != opts.Account || w.Region != opts.Region) {
			return &WorldMismatchError{Dir: dir, Account: w.Account, Region: w.Region, AskedAccount: opts.Account, AskedRegion: opts.Region}
		}
		if w != nil {
			saved := w.def()
			if opts.World != "" && saved.Name != s.def.Name {
				return &WorldMismatchError{Dir: dir, Account: w.Account, Region: w.Region, World: saved.Name, AskedWorld: s.def.Name}
			}
			s.def = saved
			s.cur.Store(w)
			if oc, ok := s.opts.Clock.(*OffsetClock); ok && !s.member {
				oc.set(w.ClockOffset)
			}
			return nil
		}
	}

	now := opts.Clock.Now()
	var seedErr error
	w := newWorld(opts.Account, opts.Region, now, func(w *world) imageData {
		d, err := seedImages(w.Created, s.blobs)
		seedErr = err
		return d
	})
	if seedErr != nil {
		return seedErr
	}
	s.fresh = true
	if s.def.shape != nil {
		s.def.shape(w, now)
	}
	if s.def.Name != DefaultWorld {
		w.Kind = s.def.Name
	}
	if s.def.Credentials == CredentialsContainer {
		w.ContainerToken = newContainerToken()
	}
	s.applyWorldFaults(w, now)
	return s.commit(w)
}

func listenLoopback(ctx context.Context) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(ctx, "tcp4", "127.0.0.1:0")
}

// Close stops serving and releases the world's lock. The world stays saved.
func (s *Sandbox) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		// No schedule fires into a world being let go.
		if s.schedDone != nil {
			<-s.schedDone
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Connections that never sent a request (a client's spare dial)
		// would hold Shutdown up for 5 seconds.
		s.conns.closeFresh()
		err1 := s.apiSrv.Shutdown(ctx)
		err2 := s.imdsSrv.Shutdown(ctx)
		err4 := s.regSrv.Shutdown(ctx)
		err5 := s.dns.shutdown()
		err6 := errors.Join(s.publicAPISrv.Shutdown(ctx), s.publicRegSrv.Shutdown(ctx))
		// A change being saved finishes before the world is let go.
		s.writeMu.Lock()
		if s.opts.StateDir != "" {
			_ = os.Remove(filepath.Join(s.opts.StateDir, servingFile))
		}
		if s.opts.StateDir != "" {
			// Uploads do not outlive the process.
			_ = os.RemoveAll(s.uploads.dir)
		}
		err3 := s.lock.release()
		if s.tempDir != "" {
			_ = os.RemoveAll(s.tempDir)
		}
		s.writeMu.Unlock()
		s.closeErr = errors.Join(err1, err2, err3, err4, err5, err6, s.closeMembers())
		close(s.done)
	})
	return s.closeErr
}

// Done is closed when the sandbox has been closed.
func (s *Sandbox) Done() <-chan struct{} { return s.done }

// Endpoint is the base URL of EC2, ECR and STS (AWS_ENDPOINT_URL).
func (s *Sandbox) Endpoint() string { return s.apiURL }

// IMDSEndpoint is the base URL of the instance metadata service
// (AWS_EC2_METADATA_SERVICE_ENDPOINT).
func (s *Sandbox) IMDSEndpoint() string { return s.imdsURL }

// RegistryAddr is the host:port of the Docker registry (ECR_REGISTRY),
// plain HTTP on loopback.
func (s *Sandbox) RegistryAddr() string { return s.regAddr }

// DNSAddr is the host:port of the DNS server, UDP and TCP (LAB_DNS_SERVER).
func (s *Sandbox) DNSAddr() string { return s.dns.addr }

// Fresh reports whether this Start created the world (rather than loading
// a saved one); world faults only shape fresh worlds.
func (s *Sandbox) Fresh() bool { return s.fresh }

// Faults are the faults in force.
func (s *Sandbox) Faults() Faults { return s.opts.Faults }

// Credentials are the only keys the sandbox accepts.
func (s *Sandbox) Credentials() Credentials { return s.cur.Load().Credentials }

// RoleCredentials are the instance role's temporary keys (with session
// token) that IMDS serves under iam/security-credentials/; the sandbox accepts
// them as well as Credentials.
func (s *Sandbox) RoleCredentials() Credentials { return s.cur.Load().RoleCredentials }

func (s *Sandbox) acceptedKeys() []Credentials {
	w := s.cur.Load()
	return append(append([]Credentials{w.Credentials, w.RoleCredentials, w.OtherCredentials}, s.sessions.keys()...), s.hub.sessions.keysOf(w.Account)...)
}

// Account is the account id of the world.
func (s *Sandbox) Account() string { return s.opts.Account }

// Region is the region of the world.
func (s *Sandbox) Region() string { return s.opts.Region }

// StateDir is the absolute state directory ("" for an in-memory world).
func (s *Sandbox) StateDir() string { return s.opts.StateDir }

// Timing is the endpoint life-cycle timing in force.
func (s *Sandbox) Timing() Timing { return s.opts.Timing }

// Calls returns every API call served so far (this process only).
func (s *Sandbox) Calls() []Call { return s.calls.Calls() }

// CallLog is the sandbox's own recorder.
func (s *Sandbox) CallLog() *CallLog { return &s.calls }

// Images is the image store shared by the ECR API and the registry.
func (s *Sandbox) Images() ImageStore { return ImageStore{s: s} }

// Workspace describes the workspace instance.
func (s *Sandbox) Workspace() Workspace {
	var ws Workspace
	s.read(func(w *world) {
		n := w.workspaceENI()
		if n == nil {
			// The tool runs outside the VPC: the learner would choose the
			// workshop instance's network.
			n = w.instanceENI()
		}
		sn := w.subnet(n.SubnetID)
		ws = Workspace{
			InstanceID: w.Instance.ID, MAC: n.MAC, ENIID: n.ID, PrivateIP: n.IP, SecurityGroupID: n.GroupIDs[0],
			SubnetID: n.SubnetID, VpcID: n.VpcID, CallerARN: w.callerARN(),
		}
		for _, rt := range w.RouteTables {
			if rt.VpcID == sn.VpcID && rt.Main && ws.RouteTableID == "" {
				ws.RouteTableID = rt.ID
			}
			for _, a := range rt.Associations {
				if a.SubnetID == sn.ID {
					ws.RouteTableID = rt.ID
				}
			}
		}
		for _, x := range w.Subnets {
			if x.VpcID == n.VpcID {
				ws.SubnetIDs = append(ws.SubnetIDs, x.ID)
			}
		}
	})
	return ws
}

// Env returns the variables that point the AWS CLI and SDKs at the sandbox,
// in the order `ecr-vpce-lab sandbox` prints them: the endpoints, the
// credentials as the world offers them (keys; CloudShell's
// container-credentials pair; the laptop's profile), the metadata service
// (or none), and what the world's place exports.
func (s *Sandbox) Env() []EnvVar {
	c := s.Credentials()
	out := []EnvVar{{"AWS_ENDPOINT_URL", s.apiURL}}
	v := s.View()
	switch s.def.Credentials {
	case CredentialsContainer:
		out = append(out, EnvVar{"AWS_CONTAINER_CREDENTIALS_FULL_URI", v.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")},
			EnvVar{"AWS_CONTAINER_AUTHORIZATION_TOKEN", v.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")})
	case CredentialsProfile:
		out = append(out, EnvVar{"AWS_CONFIG_FILE", s.profile.ConfigFile}, EnvVar{"AWS_SHARED_CREDENTIALS_FILE", s.profile.CredentialsFile},
			EnvVar{"AWS_PROFILE", s.profile.Name})
	default:
		out = append(out, EnvVar{"AWS_ACCESS_KEY_ID", c.AccessKeyID}, EnvVar{"AWS_SECRET_ACCESS_KEY", c.SecretAccessKey})
	}
	out = append(out, EnvVar{"AWS_REGION", s.opts.Region}, EnvVar{"AWS_DEFAULT_REGION", s.opts.Region})
	if s.def.Metadata.Present {
		out = append(out, EnvVar{"AWS_EC2_METADATA_SERVICE_ENDPOINT", s.imdsURL})
	} else {
		out = append(out, EnvVar{"AWS_EC2_METADATA_DISABLED", "true"})
	}
	other := s.OtherCredentials()
	out = append(out,
		EnvVar{"ACCOUNT_ID", s.opts.Account},
		EnvVar{"ECR_REPO_A", RepoA},
		EnvVar{"ECR_REGISTRY", s.regAddr},
		EnvVar{"LAB_DNS_SERVER", s.dns.addr},
		// The public path and the partner account's role (principals.go),
		// for requests from outside the VPC and from another account.
		EnvVar{"LAB_PUBLIC_ENDPOINT_URL", s.publicAPIURL},
		EnvVar{"LAB_PUBLIC_REGISTRY", s.publicRegAddr},
		// The machine outside the VPC signs with the account's keys,
		// whatever credentials the workspace's world hands out.
		EnvVar{"LAB_PUBLIC_ACCESS_KEY_ID", c.AccessKeyID},
		EnvVar{"LAB_PUBLIC_SECRET_ACCESS_KEY", c.SecretAccessKey},
		EnvVar{"LAB_OTHER_ACCESS_KEY_ID", other.AccessKeyID},
		EnvVar{"LAB_OTHER_SECRET_ACCESS_KEY", other.SecretAccessKey},
	)
	if ff := s.fleet; ff != nil {
		// Every account's profile (the laptop world's own included) and
		// the member accounts' OrganizationAccountAccessRole ARNs.
		out = slices.DeleteFunc(out, func(e EnvVar) bool { return e.Name == "AWS_CONFIG_FILE" || e.Name == "AWS_SHARED_CREDENTIALS_FILE" })
		out = append(out, EnvVar{"AWS_CONFIG_FILE", ff.ConfigFile}, EnvVar{"AWS_SHARED_CREDENTIALS_FILE", ff.CredentialsFile},
			EnvVar{"LAB_FLEET_PROFILES", strings.Join(ff.Profiles, ",")}, EnvVar{"LAB_FLEET_ROLES_FILE", ff.RolesFile})
	}
	have := map[string]bool{}
	for _, e := range out {
		have[e.Name] = true
	}
	for _, e := range v.Env {
		if !have[e.Name] {
			out = append(out, e)
		}
	}
	return out
}

// connTracker knows the connections that have not sent a request yet.
type connTracker struct {
	mu    sync.Mutex
	fresh map[net.Conn]struct{}
}

func (t *connTracker) hook(c net.Conn, st http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st == http.StateNew {
		if t.fresh == nil {
			t.fresh = map[net.Conn]struct{}{}
		}
		t.fresh[c] = struct{}{}
		return
	}
	delete(t.fresh, c)
}

func (t *connTracker) closeFresh() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.fresh {
		_ = c.Close()
	}
	t.fresh = nil
}

// closeMembers lets the other accounts' and regions' worlds go.
func (s *Sandbox) closeMembers() error {
	if s.hub == nil {
		return nil
	}
	var errs []error
	for k, m := range s.hub.members {
		if m != s {
			errs = append(errs, m.closeMember())
			delete(s.hub.members, k)
		}
	}
	return errors.Join(errs...)
}
