package sandbox

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	ec2 "ecr-vpce-lab/internal/ec2query"
	ec2types "ecr-vpce-lab/internal/ec2query/types"
)

// TestLoad: 50 concurrent clients make 5,000 mixed EC2, ECR API and registry
// calls (2,000 under -race) (reads, writes, policy-checked pushes and pulls through the lab's
// endpoints) and none may fail. It logs the latency percentiles and the
// peak memory (run with -v to see them).
func TestLoad(t *testing.T) {
	t.Run("memory", func(t *testing.T) { loadTest(t, Options{}) })
	// Persistent: every change is written (and fsynced) before it is answered.
	t.Run("state-dir", func(t *testing.T) { loadTest(t, Options{StateDir: t.TempDir()}) })
}

func loadTest(t *testing.T, opts Options) {
	// Under the race detector every call costs about ten times its CPU, and
	// the 5,000 calls took a minute of the suite's two cores: there each of
	// the 50 clients (still all at once) makes 40 calls, every kind at
	// least four times, allowed and refused pushes alike. Without -race it
	// is the full 5,000.
	const clientsN = 50
	perClient := 100
	if raceEnabled {
		perClient = 40
	}
	sb := startSandbox(t, opts)
	setup := newClients(sb, nil)
	ctx := context.Background()
	ws := sb.Workspace()
	createEndpoint(t, setup, sb, serviceDKR, labPolicy(sb.Account(), sb.Region()))
	createEndpoint(t, setup, sb, serviceAPI, labPolicy(sb.Account(), sb.Region()))
	_, err := setup.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team-b/load")})
	must(t, "CreateRepository", err)
	pw, err := registryLogin(t, setup)
	must(t, "login", err)
	v1, err := sb.Images().Manifest(RepoA, "v1")
	must(t, "v1", err)
	layer := v1LayerDigest(t, string(v1.Manifest))
	reg := "http://" + sb.RegistryAddr()

	peakHeap := sampleHeap(20 * time.Millisecond)

	type result struct {
		kind string
		d    time.Duration
		err  error
	}
	results := make(chan result, clientsN*perClient)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range clientsN {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			cr := sb.Credentials()
			cfg := aws.Config{Region: sb.Region(), Credentials: credentials.NewStaticCredentialsProvider(cr.AccessKeyID, cr.SecretAccessKey, ""),
				BaseEndpoint: aws.String(sb.Endpoint()), HTTPClient: hc, Retryer: connectionRetryer}
			e2, er := ec2.NewFromConfig(cfg), ecr.NewFromConfig(cfg)
			reqReg := func(method, path, ctype string, body []byte, want int) error {
				var rd io.Reader
				if body != nil {
					rd = strings.NewReader(string(body))
				}
				req, _ := http.NewRequest(method, reg+path, rd)
				req.SetBasicAuth("AWS", pw)
				if ctype != "" {
					req.Header.Set("Content-Type", ctype)
				}
				resp, err := hc.Do(req)
				if err != nil {
					return err
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
				}
				return nil
			}
			for j := range perClient {
				var kind string
				var err error
				t0 := time.Now()
				switch j % 10 {
				case 0:
					kind = "ec2:DescribeVpcs"
					_, err = e2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
				case 1:
					kind = "ec2:DescribeVpcEndpoints"
					_, err = e2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{flt("vpc-id", ws.VpcID)}})
				case 2:
					kind = "ec2:CreateTags"
					_, err = e2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{ws.VpcID}, Tags: []ec2types.Tag{{Key: aws.String(fmt.Sprintf("load-%d", i)), Value: aws.String(fmt.Sprint(j))}}})
				case 3:
					kind = "ecr:ListImages"
					_, err = er.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(RepoA)})
				case 4:
					kind = "ecr:DescribeImages"
					_, err = er.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(RepoA), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}}})
				case 5:
					kind = "ecr:GetAuthorizationToken"
					_, err = er.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
				case 6:
					kind = "registry:GET manifest"
					err = reqReg(http.MethodGet, "/v2/"+RepoA+"/manifests/v1", "", nil, http.StatusOK)
				case 7:
					kind = "registry:HEAD blob"
					err = reqReg(http.MethodHead, "/v2/"+RepoA+"/blobs/"+layer, "", nil, http.StatusOK)
				case 8:
					kind = "registry:GET blob"
					err = reqReg(http.MethodGet, "/v2/"+RepoA+"/blobs/"+layer, "", nil, http.StatusOK)
				case 9:
					// A policy-checked push: allowed on team-b/load, refused on team-a/alpine.
					if j%20 == 9 {
						kind = "registry:PUT manifest (allowed)"
						err = reqReg(http.MethodPut, fmt.Sprintf("/v2/team-b/load/manifests/c%d-%d", i, j), v1.MediaType, v1.Manifest, http.StatusCreated)
					} else {
						kind = "registry:PUT manifest (denied)"
						err = reqReg(http.MethodPut, "/v2/"+RepoA+"/manifests/v2", v1.MediaType, v1.Manifest, http.StatusForbidden)
					}
				}
				results <- result{kind, time.Since(t0), err}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	peak := peakHeap()
	close(results)

	var all []time.Duration
	byKind := map[string][]time.Duration{}
	errs := 0
	for r := range results {
		if r.err != nil {
			errs++
			if errs <= 5 {
				t.Errorf("%s: %v", r.kind, r.err)
			}
		}
		all = append(all, r.d)
		byKind[r.kind] = append(byKind[r.kind], r.d)
	}
	if errs > 0 {
		t.Fatalf("%d of %d calls failed", errs, len(all))
	}
	if len(all) != clientsN*perClient {
		t.Fatalf("%d calls, want %d", len(all), clientsN*perClient)
	}
	pct := func(ds []time.Duration, p float64) time.Duration {
		slices.Sort(ds)
		return ds[min(len(ds)-1, int(float64(len(ds))*p))]
	}
	t.Logf("load: %d calls by %d clients in %s (%.0f calls/s); latency p50 %s, p99 %s, max %s; peak heap in use %.1f MiB; peak RSS %s (race detector %v)",
		len(all), clientsN, elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds(),
		pct(all, 0.50).Round(10*time.Microsecond), pct(all, 0.99).Round(10*time.Microsecond), pct(all, 1).Round(10*time.Microsecond),
		float64(peak)/(1<<20), peakRSS(), raceEnabled)
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		t.Logf("  %-36s n=%4d p50 %-9s p99 %s", k, len(byKind[k]), pct(byKind[k], 0.5).Round(10*time.Microsecond), pct(byKind[k], 0.99).Round(10*time.Microsecond))
	}
	// The sandbox saw every call, refused exactly the pushes to team-a/alpine.
	denied, other := 0, 0
	for _, c := range sb.Calls() {
		switch {
		case c.ErrorCode == "DENIED" && c.Action == "PutImage":
			denied++
		case c.ErrorCode != "":
			other++
		}
	}
	if want := len(byKind["registry:PUT manifest (denied)"]); denied != want || other != 0 {
		t.Fatalf("recorded %d refusals (want %d) and %d other errors", denied, want, other)
	}
}

// sampleHeap samples the heap in use every period until the returned
// function is called, which returns the peak.
func sampleHeap(period time.Duration) func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(period):
			}
		}
	}()
	return func() uint64 {
		close(stop)
		wg.Wait()
		return peak.Load()
	}
}

// connectionRetryer retries only a connection the client itself lost. Go's
// transport can close a connection under a response it is reading when the
// server answers before the transport is done with the request body, which
// a fast server makes likely; the SDK's standard retryer retries it (see
// aws/aws-sdk-go-v2#2737). Whatever the sandbox answers still counts, and
// its call log must show no error.
func connectionRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Retryables = []retry.IsErrorRetryable{retry.RetryableConnectionError{}}
		o.MaxAttempts = 3
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		o.RateLimiter = ratelimit.None
	})
}

// peakRSS is the process's peak resident set (VmHWM), where Linux says.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
