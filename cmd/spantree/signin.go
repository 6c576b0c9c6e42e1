package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spantree/spantree/signin"
	"github.com/spantree/spantree/store"
)

// oidcSecretEnv holds the client secret at the OpenID provider: kept off
// the command line, where other users of the machine could read it.
const oidcSecretEnv = "SPANTREE_OIDC_CLIENT_SECRET"

// signinFlags are serve's sign-in flags.
type signinFlags struct {
	issuer, clientID, publicURL, namespace string
	domains                                domainRules
	ttl                                    retainFlag
}

func addSigninFlags(fs *flag.FlagSet) *signinFlags {
	f := &signinFlags{ttl: retainFlag(signin.DefaultSessionTTL)}
	fs.StringVar(&f.issuer, "oidc-issuer", "", "sign people in to the web view at the OpenID Connect provider `URL` (its issuer); without it, API keys only")
	fs.StringVar(&f.clientID, "oidc-client-id", "", "the receiver's client `ID` at the provider; its secret is read from $"+oidcSecretEnv)
	fs.StringVar(&f.publicURL, "public-url", "", "`URL` where browsers reach the receiver (https://spantree.example.com): the links in alert notifications, and with -oidc-issuer the sign-in's (register URL/auth/callback at the provider)")
	fs.StringVar(&f.namespace, "oidc-namespace", "", "the `NAMESPACE` every user who signs in joins")
	fs.Var(&f.domains, "oidc-domain", "users whose email is at `DOMAIN=NAMESPACE`'s domain join that namespace (repeatable; before -oidc-namespace)")
	fs.Var(&f.ttl, "session-ttl", "a sign-in lasts `AGE` (7d, 12h)")
	return f
}

// check reports a bad value of the flags, for an exit 2.
func (f *signinFlags) check() error {
	if f.publicURL != "" {
		u, err := url.Parse(f.publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("-public-url %q: want http(s)://HOST[:PORT], where browsers reach the receiver", f.publicURL)
		}
	}
	if f.issuer == "" {
		if f.clientID != "" || f.namespace != "" || len(f.domains) > 0 {
			return errors.New("-oidc-client-id, -oidc-namespace and -oidc-domain need -oidc-issuer")
		}
		return nil
	}
	switch {
	case f.clientID == "":
		return errors.New("-oidc-issuer needs -oidc-client-id")
	case f.publicURL == "":
		return errors.New("-oidc-issuer needs -public-url, where browsers reach the receiver")
	case f.namespace == "" && len(f.domains) == 0:
		return errors.New("-oidc-issuer needs -oidc-namespace or -oidc-domain: which namespace would a new user join?")
	}
	_, err := f.auth(nil, nil)
	return err
}

// auth returns the sign-in the flags configure over users, nil without
// -oidc-issuer.
func (f *signinFlags) auth(users store.Users, logger *log.Logger) (*signin.Auth, error) {
	if f.issuer == "" {
		return nil, nil
	}
	a, err := signin.New(signin.Config{Issuer: f.issuer, ClientID: f.clientID, ClientSecret: os.Getenv(oidcSecretEnv),
		PublicURL: strings.TrimSuffix(f.publicURL, "/"), Namespace: f.namespace, Domains: f.domains, SessionTTL: time.Duration(f.ttl), Log: logger}, users)
	if err != nil {
		return nil, fmt.Errorf("sign-in: %w", err)
	}
	return a, nil
}

// domainRules are -oidc-domain's DOMAIN=NAMESPACE pairs.
type domainRules map[string]string

func (d *domainRules) String() string {
	var out []string
	for k, v := range *d {
		out = append(out, k+"="+v)
	}
	return strings.Join(out, ",")
}

func (d *domainRules) Set(v string) error {
	dom, ns, ok := strings.Cut(v, "=")
	if !ok || dom == "" || ns == "" || strings.Contains(dom, "@") {
		return errors.New("want DOMAIN=NAMESPACE, such as example.com=acme")
	}
	if *d == nil {
		*d = domainRules{}
	}
	(*d)[strings.ToLower(dom)] = ns
	return nil
}
