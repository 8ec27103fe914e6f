package api

/* ---------- Check-ins (checkins.go) ---------- */

type checkinRequest struct {
	Title    string `json:"title"`
	Prompt   string `json:"prompt"`
	Schedule struct {
		Days []string `json:"days"`
		Time string   `json:"time"`
	} `json:"schedule"`
	Participants []string `json:"participants"`
	Observers    []string `json:"observers"`
	DueAfter     string   `json:"dueAfter"`
	MaxLength    string   `json:"maxLength"`
}

type checkinScheduleJSON struct {
	Days []string `json:"days"`
	Time string   `json:"time"`
}

type personJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type checkinJSON struct {
	ID           string              `json:"id"`
	Title        string              `json:"title"`
	Prompt       string              `json:"prompt"`
	Schedule     checkinScheduleJSON `json:"schedule"`
	DueAfter     string              `json:"dueAfter"`
	MaxLength    string              `json:"maxLength"`
	Participants []personJSON        `json:"participants"`
	Observers    []personJSON        `json:"observers"`
	IsOwner      bool                `json:"isOwner"`
	URL          string              `json:"url"`
	CreatedAt    string              `json:"createdAt"`
}

type roundJSON struct {
	Round   string       `json:"round"`
	Title   string       `json:"title"`
	Prompt  string       `json:"prompt"`
	DueAt   string       `json:"dueAt"`
	Posted  []postJSON   `json:"posted"`
	Missing []personJSON `json:"missing"`
	Away    []personJSON `json:"away"`
}

type postJSON struct {
	User       personJSON `json:"user"`
	VideoID    string     `json:"videoId"`
	Slug       string     `json:"slug"`
	Title      string     `json:"title"`
	DurationMs int64      `json:"durationMs"`
	Status     string     `json:"status"`
	PosterURL  string     `json:"posterUrl"`
	MP4URL     string     `json:"mp4Url"`
	ShareURL   string     `json:"shareUrl"`
	PostedAt   string     `json:"postedAt"`
}

type checkinPostRequest struct {
	VideoID string `json:"videoId"`
}
