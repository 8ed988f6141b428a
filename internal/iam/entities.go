package iam

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Account is a tenancy boundary: a 12-digit id that owns resources.
type Account struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
}

// User is an IAM user.
type User struct {
	Account string    `json:"account"`
	Name    string    `json:"name"`
	Path    string    `json:"path"`
	ID      string    `json:"id"`
	ARN     string    `json:"arn"`
	Created time.Time `json:"created"`
}

// Role is an IAM role with its trust policy.
type Role struct {
	Account            string    `json:"account"`
	Name               string    `json:"name"`
	Path               string    `json:"path"`
	ID                 string    `json:"id"`
	ARN                string    `json:"arn"`
	Description        string    `json:"description,omitempty"`
	TrustPolicy        string    `json:"trust_policy"`
	MaxSessionDuration int       `json:"max_session_duration"`
	Created            time.Time `json:"created"`
}

// AccessKey is a long-term key (AKIA…) of a user or of an account's root,
// or a temporary one (ASIA…) with a session token and an expiry.
type AccessKey struct {
	ID      string    `json:"id"`
	Account string    `json:"account"`
	User    string    `json:"user,omitempty"` // "" for the account root
	Status  string    `json:"status"`         // Active, Inactive
	Created time.Time `json:"created"`
	Secret  string    `json:"secret"` // sealed

	Token       string    `json:"token,omitempty"` // sealed session token
	Expires     time.Time `json:"expires,omitzero"`
	RoleName    string    `json:"role,omitempty"`    // assumed-role sessions
	SessionName string    `json:"session,omitempty"` // assumed-role sessions
}

// Temporary reports whether the key is an STS credential.
func (k AccessKey) Temporary() bool { return k.Token != "" }

// ManagedPolicy is a customer managed policy, or an AWS managed one
// (Account "aws").
type ManagedPolicy struct {
	Account     string    `json:"account"`
	Name        string    `json:"name"`
	Path        string    `json:"path"`
	ID          string    `json:"id"`
	ARN         string    `json:"arn"`
	Description string    `json:"description,omitempty"`
	Document    string    `json:"document"`
	Created     time.Time `json:"created"`
}

// CreateAccount creates an account and a root access key for it. An
// existing account is an error.
func (s *Service) CreateAccount(ctx context.Context, id string) (Account, Credentials, error) {
	if !accountIDRe.MatchString(id) {
		return Account{}, Credentials{}, invalidInput("account id %q is not 12 digits", id)
	}
	a := Account{ID: id, Created: s.now().UTC()}
	ok, err := s.create(ctx, accountsPrefix+id, a)
	if err != nil {
		return Account{}, Credentials{}, err
	}
	if !ok {
		return Account{}, Credentials{}, alreadyExists("Account %s already exists.", id)
	}
	creds, err := s.newKey(ctx, AccessKey{Account: id})
	return a, creds, err
}

// Account returns an account.
func (s *Service) Account(ctx context.Context, id string) (Account, error) {
	var a Account
	_, ok, err := s.get(ctx, accountsPrefix+id, &a)
	if err == nil && !ok {
		err = noSuchEntity("The account %s cannot be found.", id)
	}
	return a, err
}

// Accounts lists every account.
func (s *Service) Accounts(ctx context.Context) ([]Account, error) {
	return list[Account](ctx, s, accountsPrefix)
}

// Credentials are an access key with its secret, as handed out once.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expires         time.Time
	Status          string
	Created         time.Time
	UserName        string
}

// newKey stores a new long-term key for an account root (k.User "") or a
// user.
func (s *Service) newKey(ctx context.Context, k AccessKey) (Credentials, error) {
	k.ID = randomID("AKIA", 16)
	secret := randomSecret(40)
	k.Secret = s.sealer.seal(secret, k.ID)
	k.Status = "Active"
	k.Created = s.now().UTC()
	ok, err := s.create(ctx, keysPrefix+k.ID, k)
	if err != nil {
		return Credentials{}, err
	}
	if !ok {
		return Credentials{}, fmt.Errorf("iam: access key id collision")
	}
	return Credentials{AccessKeyID: k.ID, SecretAccessKey: secret, Status: k.Status, Created: k.Created, UserName: k.User}, nil
}

// CreateUser creates a user.
func (s *Service) CreateUser(ctx context.Context, account, name, path string) (User, error) {
	if err := validName("userName", name); err != nil {
		return User{}, err
	}
	path, err := normPath(path)
	if err != nil {
		return User{}, err
	}
	if existing, err := s.User(ctx, account, name); err == nil {
		return User{}, alreadyExists("User with name %s already exists.", existing.Name)
	}
	u := User{Account: account, Name: name, Path: path, ID: randomID("AIDA", 17),
		ARN: fmt.Sprintf("arn:aws:iam::%s:user%s%s", account, path, name), Created: s.now().UTC()}
	ok, err := s.create(ctx, usersPrefix+account+"/"+strings.ToLower(name), u)
	if err != nil {
		return User{}, err
	}
	if !ok {
		return User{}, alreadyExists("User with name %s already exists.", name)
	}
	return u, nil
}

// User returns a user; names are case-insensitive, as in IAM.
func (s *Service) User(ctx context.Context, account, name string) (User, error) {
	return named[User](ctx, s, usersPrefix, "user", account, name)
}

// named reads a user or role by its case-insensitive name.
func named[T any](ctx context.Context, s *Service, prefix, kind, account, name string) (T, error) {
	var v T
	_, ok, err := s.get(ctx, prefix+account+"/"+strings.ToLower(name), &v)
	if err == nil && !ok {
		err = noSuchEntity("The %s with name %s cannot be found.", kind, name)
	}
	return v, err
}

// Users lists an account's users whose path starts with pathPrefix.
func (s *Service) Users(ctx context.Context, account, pathPrefix string) ([]User, error) {
	all, err := list[User](ctx, s, usersPrefix+account+"/")
	return filterPath(all, pathPrefix, func(u User) string { return u.Path }), err
}

// DeleteUser deletes a user that has no access keys, inline policies or
// attached policies left.
func (s *Service) DeleteUser(ctx context.Context, account, name string) error {
	u, err := s.User(ctx, account, name)
	if err != nil {
		return err
	}
	keys, err := s.AccessKeys(ctx, account, u.Name)
	if err != nil {
		return err
	}
	pols, err := s.InlinePolicyNames(ctx, account, "user", u.Name)
	if err != nil {
		return err
	}
	att, err := s.Attached(ctx, account, "user", u.Name)
	if err != nil {
		return err
	}
	if len(keys)+len(pols)+len(att) > 0 {
		return errf(409, "DeleteConflict", "Cannot delete entity, must delete access keys, policies and attached policies first.")
	}
	_, _, err = s.st.Delete(ctx, usersPrefix+account+"/"+strings.ToLower(u.Name))
	return err
}

// CreateAccessKey creates a key for a user, or for the account root when
// user is "".
func (s *Service) CreateAccessKey(ctx context.Context, account, user string) (Credentials, error) {
	if user != "" {
		u, err := s.User(ctx, account, user)
		if err != nil {
			return Credentials{}, err
		}
		user = u.Name
	}
	keys, err := s.AccessKeys(ctx, account, user)
	if err != nil {
		return Credentials{}, err
	}
	if len(keys) >= 2 {
		return Credentials{}, errf(409, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	}
	return s.newKey(ctx, AccessKey{Account: account, User: user})
}

// AccessKeys lists the long-term keys of a user (or root, user "").
func (s *Service) AccessKeys(ctx context.Context, account, user string) ([]AccessKey, error) {
	all, err := list[AccessKey](ctx, s, keysPrefix)
	if err != nil {
		return nil, err
	}
	var out []AccessKey
	for _, k := range all {
		if k.Account == account && strings.EqualFold(k.User, user) && !k.Temporary() {
			out = append(out, k)
		}
	}
	return out, nil
}

// AccessKey returns a key by id.
func (s *Service) AccessKey(ctx context.Context, id string) (AccessKey, error) {
	var k AccessKey
	_, ok, err := s.get(ctx, keysPrefix+id, &k)
	if err == nil && !ok {
		err = noSuchEntity("The Access Key with id %s cannot be found.", id)
	}
	return k, err
}

// ownKey returns a long-term key of a user (or root) by id.
func (s *Service) ownKey(ctx context.Context, account, user, id string) (AccessKey, error) {
	k, err := s.AccessKey(ctx, id)
	if err != nil || k.Account != account || !strings.EqualFold(k.User, user) || k.Temporary() {
		return AccessKey{}, noSuchEntity("The Access Key with id %s cannot be found.", id)
	}
	return k, nil
}

// UpdateAccessKey sets a key Active or Inactive.
func (s *Service) UpdateAccessKey(ctx context.Context, account, user, id, status string) error {
	if status != "Active" && status != "Inactive" {
		return errf(400, "ValidationError", "1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", status)
	}
	k, err := s.ownKey(ctx, account, user, id)
	if err != nil {
		return err
	}
	k.Status = status
	return s.put(ctx, keysPrefix+id, k)
}

// DeleteAccessKey deletes a key.
func (s *Service) DeleteAccessKey(ctx context.Context, account, user, id string) error {
	if _, err := s.ownKey(ctx, account, user, id); err != nil {
		return err
	}
	_, _, err := s.st.Delete(ctx, keysPrefix+id)
	return err
}

// CreateRole creates a role with a trust policy (already validated).
func (s *Service) CreateRole(ctx context.Context, r Role) (Role, error) {
	if err := validName("roleName", r.Name); err != nil {
		return Role{}, err
	}
	path, err := normPath(r.Path)
	if err != nil {
		return Role{}, err
	}
	if r.MaxSessionDuration == 0 {
		r.MaxSessionDuration = 3600
	}
	if r.MaxSessionDuration < 3600 || r.MaxSessionDuration > 43200 {
		return Role{}, errf(400, "ValidationError", "1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200", r.MaxSessionDuration)
	}
	r.Path, r.ID, r.Created = path, randomID("AROA", 17), s.now().UTC()
	r.ARN = fmt.Sprintf("arn:aws:iam::%s:role%s%s", r.Account, path, r.Name)
	ok, err := s.create(ctx, rolesPrefix+r.Account+"/"+strings.ToLower(r.Name), r)
	if err != nil {
		return Role{}, err
	}
	if !ok {
		return Role{}, alreadyExists("Role with name %s already exists.", r.Name)
	}
	return r, nil
}

// Role returns a role.
func (s *Service) Role(ctx context.Context, account, name string) (Role, error) {
	return named[Role](ctx, s, rolesPrefix, "role", account, name)
}

// Roles lists an account's roles whose path starts with pathPrefix.
func (s *Service) Roles(ctx context.Context, account, pathPrefix string) ([]Role, error) {
	all, err := list[Role](ctx, s, rolesPrefix+account+"/")
	return filterPath(all, pathPrefix, func(r Role) string { return r.Path }), err
}

// UpdateTrustPolicy replaces a role's trust policy (already validated).
func (s *Service) UpdateTrustPolicy(ctx context.Context, account, name, doc string) error {
	r, err := s.Role(ctx, account, name)
	if err != nil {
		return err
	}
	r.TrustPolicy = doc
	return s.put(ctx, rolesPrefix+account+"/"+strings.ToLower(r.Name), r)
}

// DeleteRole deletes a role without policies; its live sessions end.
func (s *Service) DeleteRole(ctx context.Context, account, name string) error {
	r, err := s.Role(ctx, account, name)
	if err != nil {
		return err
	}
	pols, err := s.InlinePolicyNames(ctx, account, "role", r.Name)
	if err != nil {
		return err
	}
	att, err := s.Attached(ctx, account, "role", r.Name)
	if err != nil {
		return err
	}
	if len(pols)+len(att) > 0 {
		return errf(409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	}
	_, _, err = s.st.Delete(ctx, rolesPrefix+account+"/"+strings.ToLower(r.Name))
	return err
}

// inlineKey is where an inline policy of a user or role lives; kind is
// "user" or "role".
func inlineKey(account, kind, owner, name string) string {
	return inlinePrefix + account + "/" + kind + "/" + strings.ToLower(owner) + "/" + name
}

type inlinePolicy struct {
	Name     string `json:"name"`
	Document string `json:"document"`
}

// PutInlinePolicy sets an inline policy (already validated) on a user or
// role.
func (s *Service) PutInlinePolicy(ctx context.Context, account, kind, owner, name, doc string) error {
	if err := s.ownerExists(ctx, account, kind, owner); err != nil {
		return err
	}
	if err := validName("policyName", name); err != nil {
		return err
	}
	return s.put(ctx, inlineKey(account, kind, owner, name), inlinePolicy{Name: name, Document: doc})
}

// InlinePolicy returns an inline policy's document.
func (s *Service) InlinePolicy(ctx context.Context, account, kind, owner, name string) (string, error) {
	if err := s.ownerExists(ctx, account, kind, owner); err != nil {
		return "", err
	}
	var p inlinePolicy
	_, ok, err := s.get(ctx, inlineKey(account, kind, owner, name), &p)
	if err == nil && !ok {
		err = noSuchEntity("The %s policy with name %s cannot be found.", kind, name)
	}
	return p.Document, err
}

// InlinePolicyNames lists a user's or role's inline policies.
func (s *Service) InlinePolicyNames(ctx context.Context, account, kind, owner string) ([]string, error) {
	ps, err := list[inlinePolicy](ctx, s, inlineKey(account, kind, owner, ""))
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	return names, err
}

// DeleteInlinePolicy deletes an inline policy.
func (s *Service) DeleteInlinePolicy(ctx context.Context, account, kind, owner, name string) error {
	if err := s.ownerExists(ctx, account, kind, owner); err != nil {
		return err
	}
	_, existed, err := s.st.Delete(ctx, inlineKey(account, kind, owner, name))
	if err == nil && !existed {
		err = noSuchEntity("The %s policy with name %s cannot be found.", kind, name)
	}
	return err
}

func (s *Service) ownerExists(ctx context.Context, account, kind, owner string) error {
	if kind == "user" {
		_, err := s.User(ctx, account, owner)
		return err
	}
	_, err := s.Role(ctx, account, owner)
	return err
}

// CreatePolicy creates a customer managed policy (document validated).
func (s *Service) CreatePolicy(ctx context.Context, p ManagedPolicy) (ManagedPolicy, error) {
	if err := validName("policyName", p.Name); err != nil {
		return ManagedPolicy{}, err
	}
	path, err := normPath(p.Path)
	if err != nil {
		return ManagedPolicy{}, err
	}
	p.Path, p.ID, p.Created = path, randomID("ANPA", 17), s.now().UTC()
	p.ARN = fmt.Sprintf("arn:aws:iam::%s:policy%s%s", p.Account, path, p.Name)
	ok, err := s.create(ctx, policiesPrefix+p.Account+"/"+p.Name, p)
	if err != nil {
		return ManagedPolicy{}, err
	}
	if !ok {
		return ManagedPolicy{}, alreadyExists("A policy called %s already exists. Duplicate names are not allowed.", p.Name)
	}
	return p, nil
}

// awsManaged are the AWS managed policies kafkalink knows.
func awsManaged(arn string) (ManagedPolicy, bool) {
	docs := map[string]string{
		"AdministratorAccess":     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"ReadOnlyAccess":          `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kafka:Describe*","kafka:Get*","kafka:List*","kafka-cluster:Describe*","iam:Get*","iam:List*","ec2:Describe*","route53:Get*","route53:List*"],"Resource":"*"}]}`,
		"AmazonMSKReadOnlyAccess": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kafka:Describe*","kafka:List*","kafka:Get*"],"Resource":"*"}]}`,
		"AmazonMSKFullAccess":     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kafka:*","kafka-cluster:*"],"Resource":"*"}]}`,
	}
	name, ok := strings.CutPrefix(arn, "arn:aws:iam::aws:policy/")
	if !ok || docs[name] == "" {
		return ManagedPolicy{}, false
	}
	return ManagedPolicy{Account: "aws", Name: name, Path: "/", ID: "ANPA" + strings.ToUpper(fmt.Sprintf("%017x", len(name)))[:17], ARN: arn, Document: docs[name]}, true
}

// Policy returns a managed policy by ARN.
func (s *Service) Policy(ctx context.Context, arn string) (ManagedPolicy, error) {
	if p, ok := awsManaged(arn); ok {
		return p, nil
	}
	parts := splitARN(arn)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "policy/") {
		return ManagedPolicy{}, invalidInput("ARN %s is not valid.", arn)
	}
	name := parts[5][strings.LastIndex(parts[5], "/")+1:]
	var p ManagedPolicy
	_, ok, err := s.get(ctx, policiesPrefix+parts[4]+"/"+name, &p)
	if err == nil && (!ok || p.ARN != arn) {
		err = noSuchEntity("Policy %s does not exist or is not attachable.", arn)
	}
	return p, err
}

// DeletePolicy deletes a customer managed policy that is attached nowhere.
func (s *Service) DeletePolicy(ctx context.Context, account, arn string) error {
	p, err := s.Policy(ctx, arn)
	if err != nil {
		return err
	}
	if p.Account != account {
		return errf(403, "AccessDenied", "Policy %s is not in account %s.", arn, account)
	}
	if n, err := s.attachmentCount(ctx, arn); err != nil {
		return err
	} else if n > 0 {
		return errf(409, "DeleteConflict", "Cannot delete a policy attached to entities.")
	}
	_, _, err = s.st.Delete(ctx, policiesPrefix+account+"/"+p.Name)
	return err
}

type attachment struct {
	PolicyARN  string `json:"policy_arn"`
	PolicyName string `json:"policy_name"`
}

func attachKey(account, kind, owner, arn string) string {
	return attachPrefix + account + "/" + kind + "/" + strings.ToLower(owner) + "/" + arn
}

// Attach attaches a managed policy to a user or role.
func (s *Service) Attach(ctx context.Context, account, kind, owner, arn string) error {
	if err := s.ownerExists(ctx, account, kind, owner); err != nil {
		return err
	}
	p, err := s.Policy(ctx, arn)
	if err != nil {
		return err
	}
	return s.put(ctx, attachKey(account, kind, owner, arn), attachment{PolicyARN: p.ARN, PolicyName: p.Name})
}

// Detach detaches a managed policy.
func (s *Service) Detach(ctx context.Context, account, kind, owner, arn string) error {
	if err := s.ownerExists(ctx, account, kind, owner); err != nil {
		return err
	}
	_, existed, err := s.st.Delete(ctx, attachKey(account, kind, owner, arn))
	if err == nil && !existed {
		err = noSuchEntity("Policy %s was not found.", arn)
	}
	return err
}

// AttachedPolicy names a managed policy attached to a user or role.
type AttachedPolicy struct{ Name, ARN string }

// Attached lists the managed policies attached to a user or role.
func (s *Service) Attached(ctx context.Context, account, kind, owner string) ([]AttachedPolicy, error) {
	as, err := list[attachment](ctx, s, attachKey(account, kind, owner, ""))
	var out []AttachedPolicy
	for _, a := range as {
		out = append(out, AttachedPolicy{Name: a.PolicyName, ARN: a.PolicyARN})
	}
	return out, err
}

func (s *Service) attachmentCount(ctx context.Context, arn string) (int, error) {
	as, err := list[attachment](ctx, s, attachPrefix)
	n := 0
	for _, a := range as {
		if a.PolicyARN == arn {
			n++
		}
	}
	return n, err
}

func filterPath[T any](all []T, prefix string, path func(T) string) []T {
	if prefix == "" {
		prefix = "/"
	}
	var out []T
	for _, v := range all {
		if strings.HasPrefix(path(v), prefix) {
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return path(out[i]) < path(out[j]) })
	return out
}
