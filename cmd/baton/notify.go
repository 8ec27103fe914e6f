package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/smtpmail"
	"github.com/baton-video/baton/media/webhook"
)

// openNotify wires notifications: the SMTP adapter when BATON_SMTP_URL is
// set (email is off otherwise), the webhook poster with its address checks,
// and the workspace's default hours.
func (m *Main) openNotify(ctx context.Context) error {
	cfg := m.Config
	key, err := m.DB.ServerKey(ctx, "notify-links", func() []byte {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return b
	})
	if err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	zone, err := media.LoadZone(cfg.DefaultTimeZone)
	if err != nil {
		return fmt.Errorf("BATON_DEFAULT_TIMEZONE: %s", media.ErrorMessage(err))
	}
	hooks := webhook.New(cfg.WebhookAllowPrivate)
	n := &media.Notifier{
		Store: m.DB, Videos: m.DB, Users: m.DB, Hooks: m.countHooks(hooks), CheckURL: hooks.CheckURL,
		Log: m.Log, Inbox: media.NewInboxHub(), Notices: m.DB, Key: key,
		Config: media.NotifyConfig{
			Bundle: cfg.NotifyBundle, DefaultZone: zone, DefaultHours: cfg.DefaultWorkingHours,
			PublicURL: cfg.PublicURL,
		},
	}
	if cfg.SMTPURL != "" {
		mailer, err := smtpmail.New(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return fmt.Errorf("BATON_SMTP_URL: %w", err)
		}
		n.Mailer = m.countMail(mailer)
	}
	if m.NotifyPoll == 0 {
		m.NotifyPoll = 5 * time.Second
	}
	n.Listen()
	m.Notify = n
	m.Service.Notify = n
	return nil
}

// runNotify starts the sender of due email and webhooks.
func (m *Main) runNotify(ctx context.Context) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.Notify.Run(ctx, m.NotifyPoll)
	}()
}
