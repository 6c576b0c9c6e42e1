package spanhttp

import (
	"net/http"

	spantree "github.com/spantree/spantree/runtime"
)

// Transport returns base (http.DefaultTransport when nil) wrapped so that
// each request made where a span runs gets a client span of its own, a
// child of that span, named "HTTP " and the method, with the attributes
// http.request.method, server.address, url.path and
// http.response.status_code, failed when the request fails or its answer's
// status is failing (see [StatusError]); the request carries a traceparent
// naming the client span, so the server's span nests under it.
//
// Propagation reaches http.DefaultClient and http.DefaultTransport by
// itself; Transport is for the transports it cannot reach, such as
// httptest.Server.Client's:
//
//	c := srv.Client()
//	c.Transport = spanhttp.Transport(c.Transport)
//
// A request that already has a traceparent, or is made where no span runs,
// is sent as it is.
func Transport(base http.RoundTripper) http.RoundTripper {
	if p, ok := base.(*propagator); ok {
		return p
	}
	return &propagator{base: base}
}

// propagator is the RoundTripper of Transport.
type propagator struct{ base http.RoundTripper }

// RoundTrip sends r through a client span, setting the W3C headers on a copy
// of r, as RoundTrippers must not change the request they are given.
func (p *propagator) RoundTrip(r *http.Request) (*http.Response, error) {
	base := p.base
	if base == nil {
		base = http.DefaultTransport
	}
	if _, _, ok := outgoingContext(r); !ok {
		return base.RoundTrip(r)
	}
	return roundTripSpan(base, r)
}

// roundTripSpan sends r in a client span.
func roundTripSpan(base http.RoundTripper, r *http.Request) (resp *http.Response, err error) {
	ctx, sp := spantree.StartContext(r.Context(), clientFunc(r.Method))
	defer sp.Done()
	if sctx, ok := recorded(sp); ok {
		spantree.SetAttr(sctx, attrMethod, r.Method)
		if r.URL != nil {
			spantree.SetAttr(sctx, attrServerAddress, r.URL.Hostname())
			path := r.URL.Path
			if path == "" {
				path = "/" // what net/http sends
			}
			spantree.SetAttr(sctx, attrURLPath, path)
		}
	}
	c := r.WithContext(ctx)
	c.Header = r.Header.Clone()
	if tp, ts, ok := spantree.Outgoing(ctx); ok {
		setW3C(c.Header, tp, ts)
	}
	resp, err = base.RoundTrip(c)
	if err != nil {
		sp.Err(err)
		return resp, err
	}
	recordStatus(sp, resp.StatusCode)
	return resp, nil
}

// clientFuncs are the descriptors of client spans, one per method; they are
// never folded, so that each request keeps its attributes.
var clientFuncs = func() map[string]*spantree.Func {
	m := map[string]*spantree.Func{}
	for _, method := range []string{
		http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace,
	} {
		m[method] = &spantree.Func{Name: "HTTP " + method, Kind: spantree.KindOutgoing}
	}
	return m
}()

// otherMethod names the client spans of methods net/http does not name.
var otherMethod = &spantree.Func{Name: "HTTP", Kind: spantree.KindOutgoing}

func clientFunc(method string) *spantree.Func {
	if method == "" {
		method = http.MethodGet // what net/http sends for ""
	}
	if f := clientFuncs[method]; f != nil {
		return f
	}
	return otherMethod
}
