// Package webhook posts Baton's signed webhooks (Standard Webhooks; the
// signing itself is media.SignWebhook) over HTTP, and keeps them from
// being turned against the network Baton runs in: a URL whose host
// resolves to a loopback, private, link-local (cloud metadata), shared or
// otherwise special address is refused when the webhook is created, and
// again at every attempt at dial time, after DNS resolution, in the
// dialer's Control hook. A name that resolved to a public address at
// creation and to 127.0.0.1 later (DNS rebinding) is therefore still
// refused. Redirects are not followed and no proxy is used, so the checked
// address is the one that is connected to. AllowPrivate turns the checks
// off, for chat servers on a LAN.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/baton-video/baton/media"
)

var _ media.WebhookPoster = (*Poster)(nil)

// Poster sends webhook requests.
type Poster struct {
	AllowPrivate bool
	client       *http.Client
}

// New returns a Poster; allowPrivate permits private addresses.
func New(allowPrivate bool) *Poster {
	p := &Poster{AllowPrivate: allowPrivate}
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = dialControl
	}
	tr := &http.Transport{
		// A proxy would be the address dialled, not the receiver.
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: media.WebhookTimeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
	}
	p.client = &http.Client{
		Transport: tr,
		Timeout:   media.WebhookTimeout,
		// A redirect could point anywhere; the receiver must answer
		// itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return p
}

// errPrivate is returned by the dialer for refused addresses.
var errPrivate = errors.New("webhook: the address is private, loopback or link-local")

func dialControl(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("webhook: dial %q: not an IP address", address)
	}
	if Blocked(ip) {
		return fmt.Errorf("%w: %s", errPrivate, ip)
	}
	return nil
}

var blockedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",      // "this network"
		"10.0.0.0/8",     // private
		"100.64.0.0/10",  // carrier-grade NAT, shared
		"127.0.0.0/8",    // loopback
		"169.254.0.0/16", // link-local, cloud metadata (169.254.169.254)
		"172.16.0.0/12",  // private
		"192.0.0.0/24",   // IETF protocol assignments
		"192.168.0.0/16", // private
		"198.18.0.0/15",  // benchmarking
		"224.0.0.0/4",    // multicast
		"240.0.0.0/4",    // reserved, broadcast
		"::/128",         // unspecified
		"::1/128",        // loopback
		"64:ff9b::/96",   // NAT64 can reach IPv4 private space
		"fc00::/7",       // unique local (incl. fd00:ec2::254 metadata)
		"fe80::/10",      // link-local
		"ff00::/8",       // multicast
		"2001:db8::/32",  // documentation
		"100::/64",       // discard
		"::ffff:0:0/96",  // IPv4-mapped (checked unmapped below)
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Blocked reports whether webhooks must not reach ip.
func Blocked(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// CheckURL resolves the URL's host and refuses it when any address is
// blocked (unless private addresses are allowed). EINVALID.
func (p *Poster) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return media.Errorf(media.EINVALID, "url must be an http:// or https:// address.")
	}
	if p.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		addrs, err = net.DefaultResolver.LookupNetIP(rctx, "ip", host)
		if err != nil || len(addrs) == 0 {
			return media.Errorf(media.EINVALID, "The webhook's host %q could not be resolved.", host)
		}
	}
	for _, a := range addrs {
		if Blocked(a) {
			return media.Errorf(media.EINVALID, "The webhook's address %s is loopback, private or link-local; Baton does not send webhooks there unless BATON_WEBHOOK_ALLOW_PRIVATE=true.", a.Unmap())
		}
	}
	return nil
}

// Post sends body with headers and returns the response status. The
// response body is read (a little) and discarded so connections are
// reused.
func (p *Poster) Post(ctx context.Context, rawURL string, headers map[string]string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return 0, media.WrapError(media.EINVALID, err, "The webhook URL is not valid.")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", "Baton-Webhooks/1")
	resp, err := p.client.Do(req)
	if err != nil {
		if errors.Is(err, errPrivate) {
			return 0, media.WrapError(media.EINVALID, err, "Refused: the webhook's host now resolves to a private address.")
		}
		if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
			return 0, media.WrapError(media.EUNAVAILABLE, err, "The receiver did not answer within 10 seconds.")
		}
		return 0, media.WrapError(media.EUNAVAILABLE, err, "Could not reach the receiver: %s", shortErr(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// shortErr keeps the last, most specific part of a network error.
func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}
