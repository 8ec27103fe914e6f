// Package smtpmail sends Baton's email over SMTP with the standard
// library's client. One URL configures it (BATON_SMTP_URL):
//
//	smtp://user:pass@host:587   STARTTLS whenever the server offers it
//	smtps://user:pass@host:465  TLS from the first byte (implicit TLS)
//	smtp://host:25?tls=none     a local relay, never TLS
//
// Every message is multipart/alternative (plain text and HTML), carries a
// Message-ID and, for messages about one video, In-Reply-To/References of
// that video so mail clients thread them, and RFC 8058 one-click
// unsubscribe headers. A refusal of the recipient (5xx) is permanent
// (media.EINVALID); everything else is transient and retried by the
// outbox.
package smtpmail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/baton-video/baton/media"
)

var _ media.Mailer = (*Mailer)(nil)

// Mailer sends email through one SMTP server.
type Mailer struct {
	host     string
	addr     string
	implicit bool // smtps://
	noTLS    bool // ?tls=none
	user     string
	pass     string
	from     *mail.Address
	// TLS, if set, is the client TLS configuration (tests trust their own
	// certificate with it). ServerName is filled in.
	TLS *tls.Config
	// Timeout bounds one message's whole conversation.
	Timeout time.Duration
	// Hello is the name given in EHLO.
	Hello string
}

// New parses an SMTP URL and the From address.
func New(rawURL, from string) (*Mailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("smtpmail: not a URL: %v", err)
	}
	m := &Mailer{Timeout: time.Minute, Hello: "localhost"}
	port := ""
	switch u.Scheme {
	case "smtp":
		port = "587"
	case "smtps":
		port, m.implicit = "465", true
	default:
		return nil, errors.New("smtpmail: the URL must start with smtp:// or smtps://")
	}
	m.host = u.Hostname()
	if m.host == "" {
		return nil, errors.New("smtpmail: the URL names no host")
	}
	if p := u.Port(); p != "" {
		port = p
	}
	m.addr = net.JoinHostPort(m.host, port)
	switch t := u.Query().Get("tls"); t {
	case "", "auto":
	case "none":
		if m.implicit {
			return nil, errors.New("smtpmail: smtps:// always uses TLS; use smtp://...?tls=none for a plain relay")
		}
		m.noTLS = true
	default:
		return nil, fmt.Errorf("smtpmail: tls=%q: use tls=none or leave it out", t)
	}
	if u.User != nil {
		m.user = u.User.Username()
		m.pass, _ = u.User.Password()
	}
	if from == "" {
		return nil, errors.New("smtpmail: BATON_MAIL_FROM must be set with BATON_SMTP_URL")
	}
	if m.from, err = mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("smtpmail: BATON_MAIL_FROM %q: %v", from, err)
	}
	return m, nil
}

// From is the sender's address.
func (m *Mailer) From() string { return m.from.Address }

func (m *Mailer) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.TLS != nil {
		c = m.TLS.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = m.host
	}
	return c
}

// Send delivers one message.
func (m *Mailer) Send(ctx context.Context, msg *media.EmailMessage) error {
	to, err := mail.ParseAddress(msg.To)
	if err != nil {
		return media.Errorf(media.EINVALID, "The address %q is not valid.", msg.To)
	}
	body, err := m.Build(msg, time.Now())
	if err != nil {
		return err
	}
	if m.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.Timeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return fmt.Errorf("smtpmail: connect %s: %w", m.addr, err)
	}
	defer conn.Close()
	// The SMTP client has no contexts: the deadline bounds every read and
	// write, and a cancelled context closes the connection.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if m.implicit {
		tc := tls.Client(conn, m.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("smtpmail: TLS with %s: %w", m.addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return fmt.Errorf("smtpmail: greeting from %s: %w", m.addr, err)
	}
	defer c.Close()
	if err := c.Hello(m.Hello); err != nil {
		return wrap("EHLO", err)
	}
	if !m.implicit && !m.noTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(m.tlsConfig()); err != nil {
				return fmt.Errorf("smtpmail: STARTTLS with %s: %w", m.addr, err)
			}
		}
	}
	if m.user != "" {
		if err := c.Auth(smtp.PlainAuth("", m.user, m.pass, m.host)); err != nil {
			return wrap("AUTH", err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return wrap("MAIL FROM", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return wrap("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return wrap("DATA", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("smtpmail: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return wrap("end of DATA", err)
	}
	// The message is accepted once DATA is answered; a failed QUIT
	// changes nothing.
	_ = c.Quit()
	return nil
}

// wrap makes a permanent (5xx) answer EINVALID so the outbox stops
// retrying, and keeps everything else transient.
func wrap(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return media.WrapError(media.EINVALID, err, "The mail server refused the message at %s: %d %s", step, te.Code, te.Msg)
	}
	return fmt.Errorf("smtpmail: %s: %w", step, err)
}

// Build writes the message: headers, then plain text and HTML as
// multipart/alternative, both quoted-printable.
func (m *Mailer) Build(msg *media.EmailMessage, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	h := func(k, v string) {
		// Header values never carry line breaks from content.
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
		b.WriteString(k + ": " + v + "\r\n")
	}
	h("From", m.from.String())
	h("To", msg.To)
	h("Subject", mime.QEncoding.Encode("utf-8", msg.Subject))
	h("Date", now.Format(time.RFC1123Z))
	id := msg.MessageID
	if id == "" {
		id = randomID() + "@" + m.host
	}
	h("Message-ID", "<"+id+">")
	if msg.InReplyTo != "" {
		h("In-Reply-To", "<"+msg.InReplyTo+">")
		h("References", "<"+msg.InReplyTo+">")
	}
	if msg.ListUnsubscribe != "" {
		h("List-Unsubscribe", "<"+msg.ListUnsubscribe+">")
		h("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	h("Auto-Submitted", "auto-generated")
	h("MIME-Version", "1.0")
	var parts bytes.Buffer
	mw := multipart.NewWriter(&parts)
	h("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")
	for _, p := range []struct{ typ, body string }{{"text/plain; charset=utf-8", msg.Text}, {"text/html; charset=utf-8", msg.HTML}} {
		if p.body == "" {
			continue
		}
		pw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {p.typ}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, err
		}
		qw := quotedprintable.NewWriter(pw)
		if _, err := qw.Write([]byte(strings.ReplaceAll(p.body, "\n", "\r\n"))); err != nil {
			return nil, err
		}
		if err := qw.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	b.Write(parts.Bytes())
	return b.Bytes(), nil
}

func randomID() string {
	var x [12]byte
	_, _ = rand.Read(x[:])
	return hex.EncodeToString(x[:])
}
