package main

import (
	"context"
	"time"

	"github.com/baton-video/baton/media"
)

// openAsks wires asks (their emails and reminders go through the
// notifier's outbox) and watch receipts. It runs after openNotify.
func (m *Main) openAsks() {
	if m.Clock != nil {
		m.Notify.Clock = m.Clock
	}
	m.Asks = &media.Asks{
		Store: m.DB, Videos: m.DB, Users: m.DB, Notify: m.Notify, Clock: m.Clock,
		Remind: m.Config.AskRemind, Log: m.Log,
	}
	m.Receipts = &media.Receipts{Store: m.DB, Views: m.Service, Clock: m.Clock}
	m.Checkins = &media.Checkins{Store: m.DB, Asks: m.Asks, Users: m.DB, Videos: m.DB, Notify: m.Notify, Clock: m.Clock, Log: m.Log}
	if m.AskPoll == 0 {
		m.AskPoll = time.Minute
	}
}

// runAsks plans the owners' overdue summaries as deadlines pass, and the
// check-ins' prompts, reminders and rounds; every process may run them,
// each is claimed once.
func (m *Main) runAsks(ctx context.Context) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.Asks.Run(ctx, m.AskPoll)
	}()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.Checkins.Run(ctx, m.AskPoll)
	}()
}
