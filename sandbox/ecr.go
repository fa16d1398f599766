package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

const ecrTargetPrefix = "AmazonEC2ContainerRegistry_V20150921."

// epoch is a JSON timestamp as AWS JSON protocols send it: seconds since the
// epoch, with a fraction.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)), nil
}

type ecrCtx struct {
	*request
	body   []byte
	action string
	// caller signed the request (principals.go); public: it came in on
	// the public path's listener.
	caller principal
	public bool
}

var ecrOps operations[ecrCtx, any]

func init() {
	ecrOps = operations[ecrCtx, any]{
		"GetAuthorizationToken":  {ecrGetAuthorizationToken, false},
		"CreateRepository":       {ecrCreateRepository, true},
		"DescribeRepositories":   {ecrDescribeRepositories, false},
		"DeleteRepository":       {ecrDeleteRepository, true},
		"ListImages":             {ecrListImages, false},
		"DescribeImages":         {ecrDescribeImages, false},
		"BatchGetImage":          {ecrBatchGetImage, false},
		"PutImage":               {ecrPutImage, true},
		"BatchDeleteImage":       {ecrBatchDeleteImage, true},
		"GetRepositoryPolicy":    {ecrGetRepositoryPolicy, false},
		"SetRepositoryPolicy":    {ecrSetRepositoryPolicy, true},
		"DeleteRepositoryPolicy": {ecrDeleteRepositoryPolicy, true},
		"DescribeRegistry":       {ecrDescribeRegistry, false},
	}
}

// ECRActions lists the ECR operations the sandbox serves.
func ECRActions() []string { return ecrOps.names() }

func ecrInvalid(format string, args ...any) *APIError {
	return badRequest("InvalidParameterException", format, args...)
}

func (s *Sandbox) handleECR(c *apiCall, body []byte) ([]byte, *APIError) {
	op, ok := ecrOps[c.action]
	if !ok {
		return nil, notServed("ecr", protoJSON, c.action, "", ECRActions())
	}
	if !jsonObject(body) {
		return nil, badRequest("SerializationException", "")
	}
	if s.opts.Faults.denies("ecr", c.action) && !c.caller.other {
		var in struct {
			RepositoryName string `json:"repositoryName"`
		}
		_ = json.Unmarshal(body, &in)
		return nil, s.deniedAction("ecr", c.action, in.RepositoryName)
	}
	out, e := op.run(s, protoJSON, func(r *request) *ecrCtx {
		return &ecrCtx{request: r, body: body, action: c.action, caller: c.caller, public: c.public}
	})
	if e != nil {
		return nil, e
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, internalError(protoJSON)
	}
	return b, nil
}

// decode reads the request into v; a type mismatch is a SerializationException.
func (x *ecrCtx) decode(v any) *APIError { return decodeJSON(x.body, v) }

func (x *ecrCtx) checkRegistry(id string) *APIError {
	if id != "" && (len(id) != 12 || strings.Trim(id, "0123456789") != "") {
		return ecrInvalid("Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''")
	}
	return nil
}

func (x *ecrCtx) registry() string { return x.w.Account }

func (x *ecrCtx) repoURI(name string) string {
	return x.w.Account + "." + x.w.host("dkr.ecr") + "/" + name
}

func (x *ecrCtx) repoARN(name string) string {
	return x.w.arn("ecr", x.w.Region, x.w.Account+":repository/"+name)
}

func (x *ecrCtx) repoNotFound(name, registry string) *APIError {
	if registry == "" {
		registry = x.registry()
	}
	return badRequest("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, registry)
}

// otherRegistry refuses a request for a repository in another account's
// registry as ECR does when no repository policy there lets the caller in:
// the world is one account, and no other account's policy allows it
// anything. (GetAuthorizationToken is not refused: see its handler.)
func (x *ecrCtx) otherRegistry(registry, repo string) *APIError {
	act := "ecr:" + x.action
	resource := x.w.arn("ecr", x.w.Region, registry+":repository/"+repo)
	return badRequest("AccessDeniedException", "User: %s is not authorized to perform: %s on resource: %s because no resource-based policy allows the %s action", x.caller.arn, act, resource, act)
}

// registryOf is the registry a call is about: registryId, or the caller's
// own account's when it names none.
func (x *ecrCtx) registryOf(id string) string {
	if id == "" && x.caller.account != "" {
		return x.caller.account
	}
	if id == "" {
		return x.registry()
	}
	return id
}

// foreign answers a call about a registry the world does not hold: the
// partner account's own is empty (reads find nothing there), any other is
// refused as otherRegistry says.
func (x *ecrCtx) foreign(registry, repo string) *APIError {
	if x.caller.other && registry == x.caller.account {
		return x.repoNotFound(repo, registry)
	}
	return x.otherRegistry(registry, repo)
}

// repo resolves registryId + repositoryName.
func (x *ecrCtx) repo(registry, name string) (*repository, *APIError) {
	if e := x.checkRegistry(registry); e != nil {
		return nil, e
	}
	if name == "" {
		return nil, ecrInvalid("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must not be null'")
	}
	if !ValidRepositoryName(name) {
		return nil, ecrInvalid("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''")
	}
	if reg := x.registryOf(registry); reg != x.registry() {
		return nil, x.foreign(reg, name)
	}
	r := x.w.Images.repo(name)
	if r == nil {
		return nil, x.repoNotFound(name, registry)
	}
	return r, nil
}

type jRepository struct {
	RepositoryArn              string `json:"repositoryArn"`
	RegistryID                 string `json:"registryId"`
	RepositoryName             string `json:"repositoryName"`
	RepositoryURI              string `json:"repositoryUri"`
	CreatedAt                  epoch  `json:"createdAt"`
	ImageTagMutability         string `json:"imageTagMutability"`
	ImageScanningConfiguration struct {
		ScanOnPush bool `json:"scanOnPush"`
	} `json:"imageScanningConfiguration"`
	EncryptionConfiguration struct {
		EncryptionType string `json:"encryptionType"`
	} `json:"encryptionConfiguration"`
}

func (x *ecrCtx) repoView(r *repository) jRepository {
	v := jRepository{
		RepositoryArn: x.repoARN(r.Name), RegistryID: x.registry(), RepositoryName: r.Name, RepositoryURI: x.repoURI(r.Name),
		CreatedAt: epoch(r.CreatedAt), ImageTagMutability: r.Mutability,
	}
	v.ImageScanningConfiguration.ScanOnPush = r.ScanOnPush
	v.EncryptionConfiguration.EncryptionType = "AES256"
	return v
}

type jImageID struct {
	ImageDigest string `json:"imageDigest,omitempty"`
	ImageTag    string `json:"imageTag,omitempty"`
}

// pageOf applies maxResults/nextToken of ECR list operations.
func pageOf[T any](items []T, action string, maxResults *int, nextToken string) ([]T, string, *APIError) {
	start := 0
	if nextToken != "" {
		n, ok := tokenOffset(nextToken, action, len(items))
		if !ok {
			return nil, "", ecrInvalid("Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid token'")
		}
		start = n
	}
	limit := len(items)
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > 1000 {
			return nil, "", ecrInvalid("Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000 and greater than or equal to 1'")
		}
		limit = *maxResults
	}
	page, next := pageFrom(items, action, start, limit)
	return page, next, nil
}

// pageAnswer is a List/Describe answer: one page of the items under key
// (an empty list when there are none) and the next page's token.
func pageAnswer[T any](key string, items []T, action string, maxResults *int, nextToken string) (any, *APIError) {
	page, next, e := pageOf(items, action, maxResults, nextToken)
	if e != nil {
		return nil, e
	}
	if page == nil {
		page = []T{}
	}
	out := map[string]any{key: page}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// Authorization tokens.

// registryPassword makes the password half of an authorization token: the
// account, region and expiry, signed with the sandbox's secret.
func registryPassword(w *world, expires time.Time) string {
	return registryPasswordFor(w, expires, false)
}

// registryPasswordFor is registryPassword for a token the partner
// account's role asked for (other): the registry then knows the caller as
// that role, as ECR knows a token's principal.
func registryPasswordFor(w *world, expires time.Time, other bool) string {
	who := ""
	if other {
		who = `,"principal":"other"`
	}
	payload := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(`{"account":%q,"region":%q,"expiration":%d%s}`, w.Account, w.Region, expires.Unix(), who)))
	m := hmac.New(sha256.New, []byte(w.Credentials.SecretAccessKey))
	m.Write([]byte(payload))
	return payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// registryCaller is the principal a valid registry password was issued to.
func (s *Sandbox) registryCaller(pw string) principal {
	var p struct {
		Principal string `json:"principal"`
	}
	payload, _, _ := strings.Cut(pw, ".")
	if b, err := base64.RawURLEncoding.DecodeString(payload); err == nil {
		_ = json.Unmarshal(b, &p)
	}
	var who principal
	s.read(func(w *world) {
		who = w.workspacePrincipal()
		if p.Principal == "other" {
			who = w.otherPrincipal()
		}
	})
	return who
}

// VerifyRegistryPassword reports whether pw is the password of an
// authorization token this world issued that has not expired (for the
// registry's basic auth: user AWS, this password).
func (s *Sandbox) VerifyRegistryPassword(pw string) bool { return s.registryPasswordProblem(pw) == "" }

// registryPasswordProblem says what is wrong with a registry password, or
// "" when it is valid.
func (s *Sandbox) registryPasswordProblem(pw string) string {
	const invalid = tokenInvalid
	payload, sig, ok := strings.Cut(pw, ".")
	if !ok {
		return invalid
	}
	problem := invalid
	s.read(func(w *world) {
		m := hmac.New(sha256.New, []byte(w.Credentials.SecretAccessKey))
		m.Write([]byte(payload))
		want := base64.RawURLEncoding.EncodeToString(m.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(sig)) {
			return
		}
		b, err := base64.RawURLEncoding.DecodeString(payload)
		if err != nil {
			return
		}
		var p struct {
			Expiration int64 `json:"expiration"`
		}
		if json.Unmarshal(b, &p) != nil {
			return
		}
		if s.opts.Clock.Now().Unix() >= p.Expiration {
			problem = tokenExpired
			return
		}
		problem = ""
	})
	return problem
}

// ecrGetAuthorizationToken answers for any registry ids, as ECR does: its
// registryIds parameter is deprecated, and a token is good for every
// registry the caller may use, so asking for another account's changes only
// the proxyEndpoint (the AWS CLI shows the same for a foreign id, see
// hashicorp/terraform-provider-aws#45754; the SDK's field documentation
// says the id "doesn't change the permissions scope of the authorization
// token"). ECR refuses the other account's repositories later, when they
// are used (otherRegistry).
func ecrGetAuthorizationToken(x *ecrCtx) (any, *APIError) {
	var in struct {
		RegistryIDs []string `json:"registryIds"`
	}
	if e := x.decode(&in); e != nil {
		return nil, e
	}
	if len(in.RegistryIDs) > 10 {
		return nil, ecrInvalid("Invalid parameter at 'registryIds' failed to satisfy constraint: 'Member must have length less than or equal to 10'")
	}
	ids := in.RegistryIDs
	if len(ids) == 0 {
		ids = []string{x.registryOf("")}
	}
	expires := x.now.Add(12 * time.Hour).UTC()
	type authData struct {
		AuthorizationToken string `json:"authorizationToken"`
		ExpiresAt          epoch  `json:"expiresAt"`
		ProxyEndpoint      string `json:"proxyEndpoint"`
	}
	var out struct {
		AuthorizationData []authData `json:"authorizationData"`
	}
	for _, id := range ids {
		if e := x.checkRegistry(id); e != nil {
			return nil, e
		}
		tok := base64.StdEncoding.EncodeToString([]byte("AWS:" + registryPasswordFor(x.w, expires, x.caller.other)))
		out.AuthorizationData = append(out.AuthorizationData, authData{
			AuthorizationToken: tok, ExpiresAt: epoch(expires),
			ProxyEndpoint: "https://" + id + "." + x.w.host("dkr.ecr"),
		})
	}
	return out, nil
}

func ecrCreateRepository(x *ecrCtx) (any, *APIError) {
	var in struct {
		RegistryID     string `json:"registryId"`
		RepositoryName string `json:"repositoryName"`
		Tags           []struct {
			Key   *string `json:"Key"`
			Value *string `json:"Value"`
		} `json:"tags"`
		ImageTagMutability         string `json:"imageTagMutability"`
		ImageScanningConfiguration *struct {
			ScanOnPush bool `json:"scanOnPush"`
		} `json:"imageScanningConfiguration"`
		EncryptionConfiguration *struct {
			EncryptionType string `json:"encryptionType"`
		} `json:"encryptionConfiguration"`
	}
	if e := x.decode(&in); e != nil {
		return nil, e
	}
	if e := x.checkRegistry(in.RegistryID); e != nil {
		return nil, e
	}
	if reg := x.registryOf(in.RegistryID); reg != x.registry() {
		if x.caller.other && reg == x.caller.account {
			return nil, ecrInvalid("The sandbox holds only account %s's registry; the partner account %s's is not modelled: pass registryId %s to use the lab's.", x.registry(), reg, x.registry())
		}
		return nil, x.otherRegistry(reg, in.RepositoryName)
	}
	switch in.ImageTagMutability {
	case "", "MUTABLE", "IMMUTABLE":
	case "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION":
		return nil, ecrInvalid("Image tag mutability %s is not supported by the ecr-vpce-lab sandbox.", in.ImageTagMutability)
	default:
		return nil, ecrInvalid("Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]'")
	}
	if ec := in.EncryptionConfiguration; ec != nil && ec.EncryptionType != "AES256" {
		return nil, ecrInvalid("Encryption type %q is not supported by the ecr-vpce-lab sandbox; use AES256.", ec.EncryptionType)
	}
	var tags []tag
	for _, t := range in.Tags {
		if t.Key == nil || t.Value == nil {
			return nil, badRequest("InvalidTagParameterException", "Tag key and value must not be null.")
		}
		tags = append(tags, tag{*t.Key, *t.Value})
	}
	if len(tags) > 50 {
		return nil, badRequest("TooManyTagsException", "The repository can have at most 50 tags.")
	}
	if in.RepositoryName == "" {
		return nil, ecrInvalid("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must not be null'")
	}
	scan := in.ImageScanningConfiguration != nil && in.ImageScanningConfiguration.ScanOnPush
	r, err := x.w.Images.createRepository(in.RepositoryName, in.ImageTagMutability, scan, x.now)
	switch {
	case errors.Is(err, ErrInvalidName):
		return nil, ecrInvalid("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''")
	case errors.Is(err, ErrRepositoryExists):
		return nil, badRequest("RepositoryAlreadyExistsException", "The repository with name '%s' already exists in the registry with id '%s'", in.RepositoryName, x.registry())
	case err != nil:
		return nil, internalError(protoJSON)
	}
	x.w.setTags(x.repoARN(r.Name), tags)
	x.dirty = true
	return map[string]any{"repository": x.repoView(r)}, nil
}

func ecrDescribeRepositories(x *ecrCtx) (any, *APIError) {
	var in struct {
		RegistryID      string   `json:"registryId"`
		RepositoryNames []string `json:"repositoryNames"`
		NextToken       string   `json:"nextToken"`
		MaxResults      *int     `json:"maxResults"`
	}
	if e := x.decode(&in); e != nil {
		return nil, e
	}
	if e := x.checkRegistry(in.RegistryID); e != nil {
		return nil, e
	}
	if len(in.RepositoryNames) > 0 && (in.MaxResults != nil || in.NextToken != "") {
		return nil, ecrInvalid("Invalid parameter: maxResults and nextToken cannot be used with repositoryNames")
	}
	if reg := x.registryOf(in.RegistryID); reg != x.registry() && len(in.RepositoryNames) == 0 {
		if x.caller.other && reg == x.caller.account {
			return map[string]any{"repositories": []jRepository{}}, nil
		}
		return nil, x.otherRegistry(reg, "*")
	}
	var repos []jRepository
	if len(in.RepositoryNames) > 0 {
		for _, n := range in.RepositoryNames {
			r, e := x.repo(in.RegistryID, n)
			if e != nil {
				return nil, e
			}
			repos = append(repos, x.repoView(r))
		}
	} else {
		for _, r := range x.w.Images.Repos {
			repos = append(repos, x.repoView(r))
		}
	}
	return pageAnswer("repositories", repos, "DescribeRepositories", in.MaxResults, in.NextToken)
}

func ecrDeleteRepository(x *ecrCtx) (any, *APIError) {
	var in struct {
		RegistryID     string `json:"registryId"`
		RepositoryName string `json:"repositoryName"`
		Force          bool   `json:"force"`
	}
	if e := x.decode(&in); e != nil {
		return nil, e
	}
	r, e := x.repo(in.RegistryID, in.RepositoryName)
	if e != nil {
		return nil, e
	}
	if len(r.Images) > 0 && !in.Force {
		return nil, badRequest("RepositoryNotEmptyException", "The repository with name '%s' in registry with id '%s' cannot be deleted because it still contains images", r.Name, x.registry())
	}
	view := x.repoView(r)
	if _, err := x.w.Images.deleteRepository(r.Name, true); err != nil {
		return nil, internalError(protoJSON)
	}
	delete(x.w.Tags, x.repoARN(r.Name))
	x.dirty = true
	return map[string]any{"repository": view}, nil
}

type imageFilter struct {
	TagStatus   string `json:"tagStatus"`
	ImageStatus string `json:"imageStatus"`
}

func (f *imageFilter) check() *APIError {
	if f == nil {
		return nil
	}
	switch f.TagStatus {
	case "", "TAGGED", "UNTAGGED", "ANY":
	default:
		return ecrInvalid("Invalid parameter at 'filter.tagStatus' failed to satisfy constraint: 'Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]'")
	}
	switch f.ImageStatus {
	case "", "ACTIVE", "ANY":
	case "ARCHIVED", "ACTIVATING":
	default:
		return ecrInvalid("Invalid parameter at 'filter.imageStatus' failed to satisfy constraint: 'Member must satisfy enum value set: [ACTIVE, ARCHIVED, ACTIVATING, ANY]'")
	}
	return nil
}

func (f *imageFilter) keep(im *imageRec) bool {
	if f == nil {
		return true
	}
	if f.ImageStatus == "ARCHIVED" || f.ImageStatus == "ACTIVATING" {
		return false
	}
	switch f.TagStatus {
	case "TAGGED":
		return len(im.Tags) > 0
	case "UNTAGGED":
		return len(im.Tags) == 0
	}
	return true
}

// imagesIn is the request ListImages takes, and DescribeImages with the
// image IDs besides.
type imagesIn struct {
	RegistryID     string       `json:"registryId"`
	RepositoryName string       `json:"repositoryName"`
	NextToken      string       `json:"nextToken"`
	MaxResults     *int         `json:"maxResults"`
	Filter         *imageFilter `json:"filter"`
}

// decodeImages decodes the request into v, which holds in, checks its
// filter and finds its repository.
func (x *ecrCtx) decodeImages(v any, in *imagesIn) (*repository, *APIError) {
	if e := x.decode(v); e != nil {
		return nil, e
	}
	if e := in.Filter.check(); e != nil {
		return nil, e
	}
	return x.repo(in.RegistryID, in.RepositoryName)
}

func ecrListImages(x *ecrCtx) (any, *APIError) {
	var in imagesIn
	r, e := x.decodeImages(&in, &in)
	if e != nil {
		return nil, e
	}
	var ids []jImageID
	for _, im := range r.Images {
		if !in.Filter.keep(im) {
			continue
		}
		if len(im.Tags) == 0 {
			ids = append(ids, jImageID{ImageDigest: im.Digest})
		}
		for _, t := range im.Tags {
			ids = append(ids, jImageID{ImageDigest: im.Digest, ImageTag: t})
		}
	}
	return pageAnswer("imageIds", ids, "ListImages", in.MaxResults, in.NextToken)
}

func imageIDText(id jImageID) string {
	d, t := "null", "null"
	if id.ImageDigest != "" {
		d = "'" + id.ImageDigest + "'"
	}
	if id.ImageTag != "" {
		t = "'" + id.ImageTag + "'"
	}
	return "{imageDigest:" + d + ", imageTag:" + t + "}"
}

// findImage resolves an image id; the failure code and reason ECR gives.
func findImage(r *repository, id jImageID) (*imageRec, string, string) {
	switch {
	case id.ImageDigest == "" && id.ImageTag == "":
		return nil, "MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null"
	case id.ImageDigest != "" && !strings.HasPrefix(id.ImageDigest, "sha256:"):
		return nil, "InvalidImageDigest", "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"
	case id.ImageTag != "" && !tagRE.MatchString(id.ImageTag):
		return nil, "InvalidImageTag", "Invalid request parameters: image tag should satisfy the regex '[a-zA-Z0-9-_.]+'"
	}
	var im *imageRec
	if id.ImageDigest != "" {
		im = r.image(id.ImageDigest)
		if im != nil && id.ImageTag != "" && !slices.Contains(im.Tags, id.ImageTag) {
			if r.image(id.ImageTag) != nil {
				return nil, "ImageTagDoesNotMatchDigest", "Invalid request parameters: given tag does not map to the given digest"
			}
			return nil, "ImageNotFound", "Requested image not found"
		}
	} else {
		im = r.image(id.ImageTag)
	}
	if im == nil {
		return nil, "ImageNotFound", "Requested image not found"
	}
	return im, "", ""
}

type jImageDetail struct {
	RegistryID             string   `json:"registryId"`
	RepositoryName         string   `json:"repositoryName"`
	ImageDigest            string   `json:"imageDigest"`
	ImageTags              []string `json:"imageTags,omitempty"`
	ImageSizeInBytes       int64    `json:"imageSizeInBytes"`
	ImagePushedAt          epoch    `json:"imagePushedAt"`
	ImageManifestMediaType string   `json:"imageManifestMediaType"`
	ArtifactMediaType      string   `json:"artifactMediaType,omitempty"`
}

func ecrDescribeImages(x *ecrCtx) (any, *APIError) {
	var in struct {
		imagesIn
		ImageIDs []jImageID `json:"imageIds"`
	}
	r, e := x.decodeImages(&in, &in.imagesIn)
	if e != nil {
		return nil, e
	}
	if len(in.ImageIDs) > 0 && (in.MaxResults != nil || in.NextToken != "") {
		return nil, ecrInvalid("Invalid parameter: maxResults and nextToken cannot be used with imageIds")
	}
	var chosen []*imageRec
	if len(in.ImageIDs) > 0 {
		for _, id := range in.ImageIDs {
			im, code, reason := findImage(r, id)
			if im == nil {
				if code == "ImageNotFound" {
					return nil, badRequest("ImageNotFoundException", "The image with imageId %s does not exist within the repository with name '%s' in the registry with id '%s'", imageIDText(id), r.Name, x.registry())
				}
				return nil, ecrInvalid("%s", reason)
			}
			if !slices.Contains(chosen, im) {
				chosen = append(chosen, im)
			}
		}
	} else {
		for _, im := range r.Images {
			if in.Filter.keep(im) {
				chosen = append(chosen, im)
			}
		}
	}
	var details []jImageDetail
	for _, im := range chosen {
		d := jImageDetail{
			RegistryID: x.registry(), RepositoryName: r.Name, ImageDigest: im.Digest, ImageTags: slices.Clone(im.Tags),
			ImageSizeInBytes: im.Size, ImagePushedAt: epoch(im.PushedAt), ImageManifestMediaType: im.MediaType,
		}
		var mi struct {
			Config *struct {
				MediaType string `json:"mediaType"`
			} `json:"config"`
		}
		if json.Unmarshal([]byte(im.Manifest), &mi) == nil && mi.Config != nil {
			d.ArtifactMediaType = mi.Config.MediaType
		}
		details = append(details, d)
	}
	return pageAnswer("imageDetails", details, "DescribeImages", in.MaxResults, in.NextToken)
}

type jImage struct {
	RegistryID             string   `json:"registryId"`
	RepositoryName         string   `json:"repositoryName"`
	ImageID                jImageID `json:"imageId"`
	ImageManifest          string   `json:"imageManifest"`
	ImageManifestMediaType string   `json:"imageManifestMediaType"`
}

type jImageFailure struct {
	ImageID       jImageID `json:"imageId"`
	FailureCode   string   `json:"failureCode"`
	FailureReason string   `json:"failureReason"`
}

// checkBatchIDs refuses a batch call (BatchGetImage, BatchDeleteImage) that
// names no image or more than 100, as ECR's model constrains imageIds.
func checkBatchIDs(ids []jImageID) *APIError {
	if len(ids) == 0 || len(ids) > 100 {
		return ecrInvalid("Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length less than or equal to 100 and greater than or equal to 1'")
	}
	return nil
}

func ecrBatchGetImage(x *ecrCtx) (any, *APIError) {
	var in struct {
		RegistryID         string     `json:"registryId"`
		RepositoryName     string     `json:"repositoryName"`
		ImageIDs           []jImageID `json:"imageIds"`
		AcceptedMediaTypes []string   `json:"acceptedMediaTypes"`
	}
	if e := x.decode(&in); e != nil {
		return nil, e
	}
	if e := checkBatchIDs(in.ImageIDs); e != nil {
		return nil, e
	}
	if len(in.AcceptedMediaTypes) > 100 {
		return nil, ecrInvalid("Invalid parameter at 'acceptedMediaTypes' failed to satisfy constraint: 'Member must have length less than or equal to 100'")
	}
	r, e := x.repo(in.RegistryID, in.RepositoryName)
	if e != nil {
		return nil, e
	}
	images, failures := []jImage{}, []jImageFailure{}
	for _, id := range in.ImageIDs {
		im, code, reason := findImage(r, id)
		if im == nil {
			failures = append(failures, jImageFailure{ImageID: id, FailureCode: code, FailureReason: reason})
			continue
		}
		// acceptedMediaTypes is the API's Accept: the registry's
		// negotiation (manifests.go), translation by tag included.
		ref := id.ImageTag
		if ref == "" {
			ref = id.ImageDigest
		}
		body, mediaType, digest, ne := negotiateManifest(Image{MediaType: im.MediaType, Manifest: []byte(im.Manifest), Digest: im.Digest}, r.Name, ref, accepted(in.AcceptedMediaTypes))
		if ne != nil {
			failures = append(failures, jImageFailure{ImageID: id, FailureCode: "ImageNotFound", FailureReason: "Requested image not found: " + ne.message})
			continue
		}
		images = append(images, jImage{
			RegistryID: x.registry(), RepositoryName: r.Name, ImageID: jImageID{ImageDigest: digest, ImageTag: id.ImageTag},
			ImageManifest: string(body), ImageManifestMediaType: mediaType,
		})
	}
	return map[string]any{"images": images, "failures": failures}, nil
}

func ecrPutImage(x *ecrCtx) (any, *APIError) {
	var in struct {
		RegistryID             string `json:"registryId"`
		RepositoryName         string `json:"repositoryName"`
		ImageManifest          string `json:"imageManifest"`
		ImageManifestMediaType string `json:"imageManifestMediaType"`
		ImageTag               string `json:"imageTag"`
		ImageDigest            string `json:"imageDigest"`
	}
	if e := x.decode(&in); e != nil {
		return nil, e
	}
	if in.ImageManifest == "" {
		return nil, ecrInvalid("Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must have length greater than or equal to 1'")
	}
	if len(in.ImageManifest) > 4*1024*1024 {
		return nil, ecrInvalid("Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must have length less than or equal to 4194304'")
	}
	r, e := x.repo(in.RegistryID, in.RepositoryName)
	if e != nil {
		return nil, e
	}
	im, err := x.w.Images.putImage(r.Name, in.ImageTag, in.ImageManifestMediaType, []byte(in.ImageManifest), in.ImageDigest, x.now, x.s.blobs.has)
	switch {
	case err == nil:
	case errors.Is(err, ErrImageExists):
		return nil, badRequest("ImageAlreadyExistsException", "Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'", Digest([]byte(in.ImageManifest)), in.ImageTag, r.Name, x.registry())
	case errors.Is(err, ErrTagImmutable):
		return nil, badRequest("ImageTagAlreadyExistsException", "The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", in.ImageTag, r.Name)
	case errors.Is(err, ErrDigestMismatch):
		return nil, badRequest("ImageDigestDoesNotMatchException", "The digest of the image manifest '%s' does not match the digest '%s' given in the request.", Digest([]byte(in.ImageManifest)), in.ImageDigest)
	case errors.Is(err, ErrLayersNotFound):
		missing := strings.TrimPrefix(err.Error(), ErrLayersNotFound.Error()+": ")
		return nil, badRequest("LayersNotFoundException", "Layers with digests '[%s]' required for pushing image into repository with name '%s' in the registry with id '%s' do not exist", missing, r.Name, x.registry())
	case errors.Is(err, ErrInvalidManifest):
		return nil, ecrInvalid("Invalid parameter at 'ImageManifest' failed to satisfy constraint: '%s'", strings.TrimPrefix(err.Error(), ErrInvalidManifest.Error()+": "))
	default:
		return nil, internalError(protoJSON)
	}
	x.dirty = true
	return map[string]any{"image": jImage{
		RegistryID: x.registry(), RepositoryName: r.Name, ImageID: jImageID{ImageDigest: im.Digest, ImageTag: in.ImageTag},
		ImageManifest: im.Manifest, ImageManifestMediaType: im.MediaType,
	}}, nil
}

func ecrBatchDeleteImage(x *ecrCtx) (any, *APIError) {
	var in struct {
		RegistryID     string     `json:"registryId"`
		RepositoryName string     `json:"repositoryName"`
		ImageIDs       []jImageID `json:"imageIds"`
	}
	if e := x.decode(&in); e != nil {
		return nil, e
	}
	if e := checkBatchIDs(in.ImageIDs); e != nil {
		return nil, e
	}
	r, e := x.repo(in.RegistryID, in.RepositoryName)
	if e != nil {
		return nil, e
	}
	deleted, failures := []jImageID{}, []jImageFailure{}
	for _, id := range in.ImageIDs {
		im, code, reason := findImage(r, id)
		if im == nil {
			failures = append(failures, jImageFailure{ImageID: id, FailureCode: code, FailureReason: reason})
			continue
		}
		if id.ImageDigest != "" {
			for _, t := range im.Tags {
				deleted = append(deleted, jImageID{ImageDigest: im.Digest, ImageTag: t})
			}
			if len(im.Tags) == 0 {
				deleted = append(deleted, jImageID{ImageDigest: im.Digest})
			}
		} else {
			deleted = append(deleted, jImageID{ImageDigest: im.Digest, ImageTag: id.ImageTag})
		}
		if _, err := x.w.Images.deleteImage(r.Name, id.ImageDigest, id.ImageTag); err != nil {
			return nil, internalError(protoJSON)
		}
		x.dirty = true
	}
	return map[string]any{"imageIds": deleted, "failures": failures}, nil
}
