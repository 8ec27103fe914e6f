package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/baton-video/baton/media"
)

// Webhooks: members manage webhooks for their own videos, admins also for
// the whole workspace. The secret is shown once, when the webhook is made;
// deliveries and their attempts are listed for debugging a receiver.

type webhookJSON struct {
	ID        string   `json:"id"`
	URL       string   `json:"url"`
	Events    []string `json:"events"`
	Format    string   `json:"format"`
	Workspace bool     `json:"workspace"`
	OwnerID   string   `json:"ownerId"`
	CreatedAt string   `json:"createdAt"`
	// Secret is only set in the answer that created the webhook.
	Secret string `json:"secret,omitempty"`
}

func toWebhookJSON(h *media.Webhook) webhookJSON {
	return webhookJSON{ID: h.ID, URL: h.URL, Events: h.Events, Format: h.Format, Workspace: h.Workspace, OwnerID: h.OwnerID, CreatedAt: timeJSON(h.CreatedAt)}
}

type createWebhookRequest struct {
	URL       string   `json:"url"`
	Events    []string `json:"events"`
	Format    string   `json:"format"`
	Workspace bool     `json:"workspace"`
}

func (s *Server) createWebhook(c *gin.Context) {
	n, ok := s.notifier(c)
	if !ok {
		return
	}
	var req createWebhookRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	h, err := n.CreateWebhook(c.Request.Context(), s.currentUser(c), media.WebhookInput{URL: req.URL, Events: req.Events, Format: req.Format, Workspace: req.Workspace})
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := toWebhookJSON(h)
	out.Secret = h.Secret
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, out)
}

func (s *Server) listWebhooks(c *gin.Context) {
	n, ok := s.notifier(c)
	if !ok {
		return
	}
	u := s.currentUser(c)
	hooks, err := n.Store.Webhooks(c.Request.Context(), u.ID, u.IsAdmin())
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := make([]webhookJSON, len(hooks))
	for i, h := range hooks {
		out[i] = toWebhookJSON(h)
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// webhookParam loads the webhook in the path if the caller may manage it.
func (s *Server) webhookParam(c *gin.Context) (*media.Notifier, *media.Webhook, bool) {
	n, ok := s.notifier(c)
	if !ok {
		return nil, nil, false
	}
	h, err := n.WebhookFor(c.Request.Context(), s.currentUser(c), c.Param("webhookId"))
	if err != nil {
		s.writeError(c, err)
		return nil, nil, false
	}
	return n, h, true
}

func (s *Server) deleteWebhook(c *gin.Context) {
	n, h, ok := s.webhookParam(c)
	if !ok {
		return
	}
	if err := n.Store.DeleteWebhook(c.Request.Context(), h.ID); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) testWebhook(c *gin.Context) {
	n, h, ok := s.webhookParam(c)
	if !ok {
		return
	}
	d, err := n.TestWebhook(c.Request.Context(), h)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"deliveryId": d.ID})
}

type attemptJSON struct {
	At         string `json:"at"`
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	NextRetry  string `json:"nextRetry"`
}

type deliveryJSON struct {
	ID        string        `json:"id"`
	Type      string        `json:"type"`
	State     string        `json:"state"`
	CreatedAt string        `json:"createdAt"`
	Attempts  []attemptJSON `json:"attempts"`
}

func (s *Server) listWebhookDeliveries(c *gin.Context) {
	n, h, ok := s.webhookParam(c)
	if !ok {
		return
	}
	ds, err := n.Store.WebhookDeliveries(c.Request.Context(), h.ID, 100)
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := make([]deliveryJSON, len(ds))
	for i, d := range ds {
		out[i] = deliveryJSON{ID: d.ID, Type: d.Type, State: d.State, CreatedAt: timeJSON(d.CreatedAt), Attempts: []attemptJSON{}}
		for _, a := range d.Log {
			out[i].Attempts = append(out[i].Attempts, attemptJSON{At: timeJSON(a.At), StatusCode: a.StatusCode, Error: a.Error, NextRetry: timeJSON(a.NextRetry)})
		}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"items": out})
}
