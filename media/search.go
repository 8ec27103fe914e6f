package media

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
)

// Search finds words in the titles, comments and transcripts of the videos
// a member may see in their library: their own, and what others share
// with the workspace (the same rule ListOptions.Viewer applies). A video a
// member could only reach through its link (password, private) is not
// searched for them.

// Kinds of search result.
const (
	SearchTitle      = "title"
	SearchComment    = "comment"
	SearchTranscript = "transcript"
)

// SearchQuery asks the index.
type SearchQuery struct {
	// Viewer is the member searching; their library bounds the results.
	Viewer string
	// Terms are lower-case words; every one must match (as a word or the
	// start of one).
	Terms []string
	Limit int
	Now   time.Time
}

// SearchHit is one match.
type SearchHit struct {
	VideoID string
	Slug    string
	Title   string
	Kind    string
	Text    string
	// TimeMs is where in the video the match is (0 for titles).
	TimeMs int64
	// Marks are the matched words as [start, end) offsets into Text, in
	// UTF-16 code units (JavaScript string indices).
	Marks [][2]int
}

// SearchIndex finds text.
type SearchIndex interface {
	// Search returns up to q.Limit hits, newest videos first and, within a
	// video, titles, then by time. Transcript times are on the original
	// timeline.
	Search(ctx context.Context, q SearchQuery) ([]SearchHit, error)
}

// MaxSearchTerms bounds how many words a query may have.
const MaxSearchTerms = 8

// SearchTerms splits a query into the words the index matches: letters
// and digits, lower-cased; everything else (quotes, operators, markup)
// separates words and is dropped, so nothing a person types reaches the
// index's query syntax.
func SearchTerms(q string) ([]string, error) {
	fields := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	seen := map[string]bool{}
	var out []string
	for _, f := range fields {
		if seen[f] {
			continue
		}
		if len(f) > 64 {
			f = f[:64]
		}
		seen[f] = true
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, Errorf(EINVALID, "Type a word to search for.")
	}
	if len(out) > MaxSearchTerms {
		return nil, Errorf(EINVALID, "Search for at most %d words.", MaxSearchTerms)
	}
	return out, nil
}

// snippetRunes is how much text around the first match a hit shows.
const snippetRunes = 160

// MarkMatches cuts text to a snippet around its first match and returns
// the snippet with the words that start with one of terms marked.
func MarkMatches(text string, terms []string) (string, [][2]int) {
	rs := []rune(text)
	type word struct{ start, end int }
	var words []word
	for i := 0; i < len(rs); {
		if !unicode.IsLetter(rs[i]) && !unicode.IsDigit(rs[i]) {
			i++
			continue
		}
		j := i
		for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) {
			j++
		}
		w := strings.ToLower(string(rs[i:j]))
		for _, t := range terms {
			if strings.HasPrefix(w, t) || strings.HasPrefix(foldDiacritics(w), foldDiacritics(t)) {
				words = append(words, word{i, j})
				break
			}
		}
		i = j
	}
	from, to := 0, len(rs)
	if len(rs) > snippetRunes {
		first := 0
		if len(words) > 0 {
			first = words[0].start
		}
		from = max(0, first-snippetRunes/3)
		to = min(len(rs), from+snippetRunes)
		from = max(0, to-snippetRunes)
	}
	prefix, suffix := "", ""
	if from > 0 {
		prefix = "…"
	}
	if to < len(rs) {
		suffix = "…"
	}
	out := prefix + string(rs[from:to]) + suffix
	base := len(utf16.Encode([]rune(prefix)))
	var marks [][2]int
	for _, w := range words {
		if w.start < from || w.end > to {
			continue
		}
		s := base + len(utf16.Encode(rs[from:w.start]))
		e := s + len(utf16.Encode(rs[w.start:w.end]))
		marks = append(marks, [2]int{s, e})
	}
	return out, marks
}

// foldDiacritics drops the commonest Latin accents, as the index's
// tokenizer does, so "café" marks a search for "cafe".
func foldDiacritics(s string) string {
	return strings.NewReplacer("á", "a", "à", "a", "â", "a", "ä", "a", "ã", "a", "å", "a",
		"é", "e", "è", "e", "ê", "e", "ë", "e", "í", "i", "ì", "i", "î", "i", "ï", "i",
		"ó", "o", "ò", "o", "ô", "o", "ö", "o", "õ", "o", "ú", "u", "ù", "u", "û", "u", "ü", "u",
		"ç", "c", "ñ", "n", "ý", "y", "ÿ", "y").Replace(s)
}

// Search runs q for viewer and prepares the hits for showing: snippets
// with marks, transcript times on the current timeline (hits inside a
// trimmed-away part are dropped).
func (r *Record) Search(ctx context.Context, viewer, q string, limit int, now time.Time) ([]SearchHit, error) {
	terms, err := SearchTerms(q)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	hits, err := r.Store.Search(ctx, SearchQuery{Viewer: viewer, Terms: terms, Limit: limit, Now: now})
	if err != nil {
		return nil, err
	}
	cuts := map[string][]Cut{}
	out := hits[:0]
	for _, h := range hits {
		if h.Kind == SearchTranscript {
			c, ok := cuts[h.VideoID]
			if !ok {
				if c, err = r.currentCuts(ctx, h.VideoID); err != nil {
					return nil, err
				}
				cuts[h.VideoID] = c
			}
			t, removed := MapForward(c, h.TimeMs)
			if removed {
				continue
			}
			h.TimeMs = t
		}
		h.Text, h.Marks = MarkMatches(h.Text, terms)
		out = append(out, h)
	}
	return out, nil
}
