package api

import "time"

// Every JSON shape the API reads or writes lives in the payload_*.go
// files, one per resource (payload_videos.go, payload_comments.go,
// payload_accounts.go, payload_asks.go, payload_checkins.go): a reader of
// a handler finds there what goes over the wire, and a change to a shape
// is one diff next to openapi.yaml. Field names are camelCase; times are
// RFC 3339 in UTC (timeJSON), "" when unset.

func timeJSON(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
