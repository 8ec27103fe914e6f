package gormstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// migrations are applied in order, once each, and never edited after they
// have shipped: add a new one instead.
//
// One list serves SQLite and Postgres. Write each migration in SQLite's
// words below, which pgMigration (dialect.go) translates mechanically:
//   - numbers and times (unix ms) INTEGER (BIGINT on Postgres), fractions
//     REAL, text TEXT, bytes BLOB;
//   - Go bool fields BOOLEAN NOT NULL DEFAULT FALSE (or TRUE), and compare
//     them with = TRUE / = FALSE in queries, never = 1 / = 0;
//   - an id counter INTEGER PRIMARY KEY AUTOINCREMENT (read it back with
//     RETURNING id, not LastInsertId);
//   - upserts as INSERT ... ON CONFLICT(cols) DO NOTHING / DO UPDATE, never
//     INSERT OR IGNORE / OR REPLACE; no PRAGMA, strftime, datetime(), GLOB
//     (pgMigration refuses them by name).
//
// Where a statement truly cannot be shared, make the entry
// pgVariant(sqliteSQL, postgresSQL). The suites in gormstore_test run every
// migration on both databases.
var migrations = []string{
	// 1: videos and jobs.
	`CREATE TABLE videos (
		id TEXT PRIMARY KEY,
		slug TEXT NOT NULL UNIQUE,
		title TEXT NOT NULL DEFAULT '',
		status TEXT NOT NULL,
		progress REAL NOT NULL DEFAULT 0,
		error_code TEXT NOT NULL DEFAULT '',
		error TEXT NOT NULL DEFAULT '',
		duration_ms INTEGER NOT NULL DEFAULT 0,
		width INTEGER NOT NULL DEFAULT 0,
		height INTEGER NOT NULL DEFAULT 0,
		size_bytes INTEGER NOT NULL DEFAULT 0,
		uploaded_bytes INTEGER NOT NULL DEFAULT 0,
		original_size INTEGER NOT NULL DEFAULT 0,
		original_format TEXT NOT NULL DEFAULT '',
		has_poster INTEGER NOT NULL DEFAULT 0,
		has_mp4 INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE jobs (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		kind TEXT NOT NULL,
		video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
		state TEXT NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		max_attempts INTEGER NOT NULL,
		run_at INTEGER NOT NULL,
		lease_owner TEXT NOT NULL DEFAULT '',
		lease_until INTEGER NOT NULL DEFAULT 0,
		last_error TEXT NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE UNIQUE INDEX jobs_kind_video ON jobs(kind, video_id);
	CREATE INDEX jobs_runnable ON jobs(state, run_at, id);`,
	// 2: live renditions of recordings in progress.
	`ALTER TABLE videos ADD COLUMN live INTEGER NOT NULL DEFAULT 0;`,
	// 3: per-video discussion settings (stored as what is off, so existing
	// videos keep everything on).
	`ALTER TABLE videos ADD COLUMN comments_off INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE videos ADD COLUMN guests_off INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE videos ADD COLUMN reactions_off INTEGER NOT NULL DEFAULT 0;`,
	// 4: comments (threads one level deep; end_ms 0 = a moment) and
	// reactions.
	`CREATE TABLE comments (
		id TEXT PRIMARY KEY,
		video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
		parent_id TEXT REFERENCES comments(id) ON DELETE CASCADE,
		time_ms INTEGER NOT NULL,
		end_ms INTEGER NOT NULL DEFAULT 0,
		body TEXT NOT NULL,
		author_name TEXT NOT NULL DEFAULT '',
		author_user_id TEXT NOT NULL DEFAULT '',
		by_owner INTEGER NOT NULL DEFAULT 0,
		guest_secret_hash TEXT NOT NULL DEFAULT '',
		resolved INTEGER NOT NULL DEFAULT 0,
		resolved_at INTEGER NOT NULL DEFAULT 0,
		deleted INTEGER NOT NULL DEFAULT 0,
		edited_at INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE INDEX comments_threads ON comments(video_id, parent_id, time_ms, id);
	CREATE INDEX comments_replies ON comments(parent_id, id) WHERE parent_id IS NOT NULL;
	CREATE INDEX comments_live ON comments(video_id, deleted);
	CREATE TABLE reactions (
		id TEXT PRIMARY KEY,
		video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
		emoji TEXT NOT NULL,
		time_ms INTEGER NOT NULL,
		user_id TEXT NOT NULL DEFAULT '',
		reactor_hash TEXT NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL
	);
	CREATE INDEX reactions_video ON reactions(video_id, time_ms, id);
	CREATE INDEX reactions_counts ON reactions(video_id, emoji);`,
	// 5: every change to a video's comments and reactions, appended in the
	// change's transaction; id is the SSE event id. comment_id names the
	// comment an event shows, so its text can be rewritten when the comment
	// is edited or deleted.
	`CREATE TABLE comment_events (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
		type TEXT NOT NULL,
		comment_id TEXT,
		payload TEXT NOT NULL,
		created_at INTEGER NOT NULL
	);
	CREATE INDEX comment_events_video ON comment_events(video_id, id);
	CREATE INDEX comment_events_comment ON comment_events(comment_id) WHERE comment_id IS NOT NULL;`,
	// 6: accounts (sessions and API tokens stored as hashes), invites, server
	// keys (signing viewers' passes), and each video's owner, sharing and
	// views. Existing videos stay shared with anyone who has the link; the
	// first account takes them over.
	`CREATE TABLE users (
		id TEXT PRIMARY KEY,
		email TEXT NOT NULL UNIQUE,
		name TEXT NOT NULL DEFAULT '',
		role TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE sessions (
		id TEXT PRIMARY KEY,
		user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		created_at INTEGER NOT NULL,
		last_seen_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		user_agent TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX sessions_user ON sessions(user_id);
	CREATE TABLE api_tokens (
		id TEXT PRIMARY KEY,
		user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		token_hash TEXT NOT NULL UNIQUE,
		prefix TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		last_used_at INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX api_tokens_user ON api_tokens(user_id, id);
	CREATE TABLE invites (
		id TEXT PRIMARY KEY,
		token_hash TEXT NOT NULL UNIQUE,
		role TEXT NOT NULL,
		created_by TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		used_at INTEGER NOT NULL DEFAULT 0,
		used_by TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE server_keys (
		name TEXT PRIMARY KEY,
		value TEXT NOT NULL,
		created_at INTEGER NOT NULL
	);
	ALTER TABLE videos ADD COLUMN owner_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE videos ADD COLUMN visibility TEXT NOT NULL DEFAULT 'link';
	ALTER TABLE videos ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
	ALTER TABLE videos ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE videos ADD COLUMN max_views INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE videos ADD COLUMN views INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE videos ADD COLUMN download_off INTEGER NOT NULL DEFAULT 0;
	CREATE INDEX videos_owner ON videos(owner_id, id);`,
	// 7: scale-out. ticks: which process runs each period of periodic work
	// (ClaimTick); upload_owners: which API process holds an upload's
	// staging, so others forward its requests there.
	`CREATE TABLE ticks (
		name TEXT PRIMARY KEY,
		next_at INTEGER NOT NULL,
		last_at INTEGER NOT NULL
	);
	CREATE TABLE upload_owners (
		video_id TEXT PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
		addr TEXT NOT NULL,
		updated_at INTEGER NOT NULL
	);`,
	// 8: the short description the owner writes under the title on the watch page.
	`ALTER TABLE videos ADD COLUMN description TEXT NOT NULL DEFAULT '';`,
	// 9: notifications: each member's settings and inbox, the email outbox
	// (one row per item; a sender joins a recipient's due rows into one
	// message) and its attempts, follows (thread_id '' = the whole video;
	// following false = explicitly stopped, which automatic follows respect),
	// guests' addresses, once-only markers (also "plan:<comment>", so each
	// comment is planned once), when a member last looked at a video,
	// webhooks with their deliveries and attempts, and comments by time for
	// the sweeper that plans what a crash left unplanned.
	`CREATE TABLE notify_prefs (
		user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
		time_zone TEXT NOT NULL,
		working_hours TEXT NOT NULL,
		email_mode TEXT NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE notifications (
		id TEXT PRIMARY KEY,
		user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		kind TEXT NOT NULL,
		video_id TEXT NOT NULL DEFAULT '',
		video_slug TEXT NOT NULL DEFAULT '',
		title TEXT NOT NULL DEFAULT '',
		comment_id TEXT NOT NULL DEFAULT '',
		actor TEXT NOT NULL DEFAULT '',
		text TEXT NOT NULL DEFAULT '',
		time_ms INTEGER NOT NULL DEFAULT 0,
		urgent BOOLEAN NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL,
		read_at INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX notifications_user ON notifications(user_id, id);
	CREATE INDEX notifications_unread ON notifications(user_id, read_at, video_id);
	CREATE TABLE email_outbox (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		recipient TEXT NOT NULL,
		to_addr TEXT NOT NULL,
		kind TEXT NOT NULL,
		video_id TEXT NOT NULL DEFAULT '',
		video_slug TEXT NOT NULL DEFAULT '',
		title TEXT NOT NULL DEFAULT '',
		comment_id TEXT NOT NULL DEFAULT '',
		actor TEXT NOT NULL DEFAULT '',
		text TEXT NOT NULL DEFAULT '',
		time_ms INTEGER NOT NULL DEFAULT 0,
		urgent BOOLEAN NOT NULL DEFAULT 0,
		state TEXT NOT NULL,
		due_at INTEGER NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		lease_owner TEXT NOT NULL DEFAULT '',
		lease_until INTEGER NOT NULL DEFAULT 0,
		last_error TEXT NOT NULL DEFAULT '',
		sent_at INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL
	);
	CREATE INDEX email_outbox_due ON email_outbox(state, due_at);
	CREATE INDEX email_outbox_recipient ON email_outbox(recipient, state, due_at);
	CREATE TABLE email_attempts (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		recipient TEXT NOT NULL,
		items INTEGER NOT NULL,
		at INTEGER NOT NULL,
		ok BOOLEAN NOT NULL,
		error TEXT NOT NULL DEFAULT '',
		next_retry INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX email_attempts_recipient ON email_attempts(recipient, id);
	CREATE TABLE follows (
		video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
		thread_id TEXT NOT NULL DEFAULT '',
		recipient TEXT NOT NULL,
		following BOOLEAN NOT NULL,
		created_at INTEGER NOT NULL,
		PRIMARY KEY (video_id, thread_id, recipient)
	);
	CREATE TABLE guest_emails (
		id TEXT PRIMARY KEY,
		email TEXT NOT NULL UNIQUE,
		confirmed_at INTEGER NOT NULL DEFAULT 0,
		confirm_sent_at INTEGER NOT NULL DEFAULT 0,
		unsubscribed BOOLEAN NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE notify_once (
		key TEXT PRIMARY KEY,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE video_seen (
		user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
		seen_at INTEGER NOT NULL,
		PRIMARY KEY (user_id, video_id)
	);
	CREATE TABLE webhooks (
		id TEXT PRIMARY KEY,
		owner_id TEXT NOT NULL,
		workspace BOOLEAN NOT NULL DEFAULT 0,
		url TEXT NOT NULL,
		events TEXT NOT NULL,
		format TEXT NOT NULL,
		secret TEXT NOT NULL,
		created_at INTEGER NOT NULL
	);
	CREATE INDEX webhooks_owner ON webhooks(owner_id);
	CREATE TABLE webhook_deliveries (
		id TEXT PRIMARY KEY,
		webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
		type TEXT NOT NULL,
		payload BLOB NOT NULL,
		state TEXT NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		next_at INTEGER NOT NULL,
		lease_owner TEXT NOT NULL DEFAULT '',
		lease_until INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_at);
	CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, created_at);
	CREATE TABLE webhook_attempts (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
		at INTEGER NOT NULL,
		status_code INTEGER NOT NULL DEFAULT 0,
		error TEXT NOT NULL DEFAULT '',
		next_retry INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);
	CREATE INDEX comments_created ON comments(created_at);`,
	// 10: the written record (record.go): transcripts with their timed
	// lines, chapters, scrub-thumbnail sheets, trims, and one full-text
	// index over titles, comments and transcript lines kept current by
	// triggers. FTS4 rather than FTS5: mattn/go-sqlite3 compiles FTS3/4 in
	// by default but FTS5 only under a build tag that every go build and go
	// test would then need. On Postgres the index is a tsvector column of
	// search_docs with a GIN index, kept by plpgsql triggers.
	pgVariant(`CREATE TABLE transcripts (
		video_id TEXT PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
		status TEXT NOT NULL,
		engine TEXT NOT NULL DEFAULT '',
		language TEXT NOT NULL DEFAULT '',
		error TEXT NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE INDEX transcripts_status ON transcripts(status);
	CREATE TABLE transcript_segments (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
		start_ms INTEGER NOT NULL,
		end_ms INTEGER NOT NULL,
		text TEXT NOT NULL,
		edited BOOLEAN NOT NULL DEFAULT FALSE
	);
	CREATE INDEX transcript_segments_video ON transcript_segments(video_id, start_ms, id);
	CREATE TABLE chapters (
		video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
		start_ms INTEGER NOT NULL,
		title TEXT NOT NULL,
		PRIMARY KEY (video_id, start_ms)
	);
	CREATE TABLE thumbnails (
		video_id TEXT PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
		status TEXT NOT NULL,
		error TEXT NOT NULL DEFAULT '',
		interval_ms INTEGER NOT NULL DEFAULT 0,
		columns INTEGER NOT NULL DEFAULT 0,
		count INTEGER NOT NULL DEFAULT 0,
		tile_width INTEGER NOT NULL DEFAULT 0,
		tile_height INTEGER NOT NULL DEFAULT 0,
		duration_ms INTEGER NOT NULL DEFAULT 0,
		updated_at INTEGER NOT NULL
	);
	CREATE INDEX thumbnails_status ON thumbnails(status);
	CREATE TABLE video_edits (
		video_id TEXT PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
		cuts TEXT NOT NULL,
		applied TEXT NOT NULL DEFAULT '[]',
		state TEXT NOT NULL,
		error TEXT NOT NULL DEFAULT '',
		original_ms INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE edit_moved (
		kind TEXT NOT NULL,
		item_id TEXT NOT NULL,
		video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
		original_ms INTEGER NOT NULL,
		PRIMARY KEY (kind, item_id)
	);
	CREATE INDEX edit_moved_video ON edit_moved(video_id);
	CREATE TABLE search_docs (
		docid INTEGER PRIMARY KEY AUTOINCREMENT,
		kind TEXT NOT NULL,
		ref TEXT NOT NULL,
		video_id TEXT NOT NULL,
		time_ms INTEGER NOT NULL DEFAULT 0,
		UNIQUE (kind, ref)
	);
	CREATE INDEX search_docs_video ON search_docs(video_id);
	CREATE VIRTUAL TABLE search_fts USING fts4(text, tokenize=unicode61 "remove_diacritics=2");
	CREATE TRIGGER search_video_ins AFTER INSERT ON videos BEGIN
		INSERT INTO search_docs(kind, ref, video_id) VALUES ('title', new.id, new.id);
		INSERT INTO search_fts(docid, text) VALUES ((SELECT docid FROM search_docs WHERE kind = 'title' AND ref = new.id), trim(new.title || char(10) || new.description));
	END;
	CREATE TRIGGER search_video_upd AFTER UPDATE OF title, description ON videos WHEN new.title IS NOT old.title OR new.description IS NOT old.description BEGIN
		UPDATE search_fts SET text = trim(new.title || char(10) || new.description) WHERE docid = (SELECT docid FROM search_docs WHERE kind = 'title' AND ref = new.id);
	END;
	CREATE TRIGGER search_video_del AFTER DELETE ON videos BEGIN
		DELETE FROM search_fts WHERE docid IN (SELECT docid FROM search_docs WHERE video_id = old.id);
		DELETE FROM search_docs WHERE video_id = old.id;
	END;
	CREATE TRIGGER search_comment_ins AFTER INSERT ON comments WHEN new.deleted = 0 BEGIN
		INSERT INTO search_docs(kind, ref, video_id, time_ms) VALUES ('comment', new.id, new.video_id, new.time_ms);
		INSERT INTO search_fts(docid, text) VALUES ((SELECT docid FROM search_docs WHERE kind = 'comment' AND ref = new.id), new.body);
	END;
	CREATE TRIGGER search_comment_upd AFTER UPDATE OF body, deleted, time_ms ON comments BEGIN
		DELETE FROM search_fts WHERE docid = (SELECT docid FROM search_docs WHERE kind = 'comment' AND ref = old.id);
		DELETE FROM search_docs WHERE kind = 'comment' AND ref = old.id;
		INSERT INTO search_docs(kind, ref, video_id, time_ms) SELECT 'comment', new.id, new.video_id, new.time_ms WHERE new.deleted = 0;
		INSERT INTO search_fts(docid, text) SELECT docid, new.body FROM search_docs WHERE kind = 'comment' AND ref = new.id;
	END;
	CREATE TRIGGER search_comment_del AFTER DELETE ON comments BEGIN
		DELETE FROM search_fts WHERE docid = (SELECT docid FROM search_docs WHERE kind = 'comment' AND ref = old.id);
		DELETE FROM search_docs WHERE kind = 'comment' AND ref = old.id;
	END;
	CREATE TRIGGER search_segment_ins AFTER INSERT ON transcript_segments BEGIN
		INSERT INTO search_docs(kind, ref, video_id, time_ms) VALUES ('transcript', CAST(new.id AS TEXT), new.video_id, new.start_ms);
		INSERT INTO search_fts(docid, text) VALUES ((SELECT docid FROM search_docs WHERE kind = 'transcript' AND ref = CAST(new.id AS TEXT)), new.text);
	END;
	CREATE TRIGGER search_segment_upd AFTER UPDATE OF text, start_ms ON transcript_segments BEGIN
		UPDATE search_docs SET time_ms = new.start_ms WHERE kind = 'transcript' AND ref = CAST(new.id AS TEXT);
		UPDATE search_fts SET text = new.text WHERE docid = (SELECT docid FROM search_docs WHERE kind = 'transcript' AND ref = CAST(new.id AS TEXT));
	END;
	CREATE TRIGGER search_segment_del AFTER DELETE ON transcript_segments BEGIN
		DELETE FROM search_fts WHERE docid = (SELECT docid FROM search_docs WHERE kind = 'transcript' AND ref = CAST(old.id AS TEXT));
		DELETE FROM search_docs WHERE kind = 'transcript' AND ref = CAST(old.id AS TEXT);
	END;
	INSERT INTO search_docs(kind, ref, video_id) SELECT 'title', id, id FROM videos;
	INSERT INTO search_docs(kind, ref, video_id, time_ms) SELECT 'comment', id, video_id, time_ms FROM comments WHERE deleted = 0;
	INSERT INTO search_fts(docid, text) SELECT d.docid, trim(v.title || char(10) || v.description) FROM search_docs d JOIN videos v ON d.kind = 'title' AND v.id = d.ref;
	INSERT INTO search_fts(docid, text) SELECT d.docid, c.body FROM search_docs d JOIN comments c ON d.kind = 'comment' AND c.id = d.ref;`, `CREATE TABLE transcripts (
		video_id TEXT PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
		status TEXT NOT NULL,
		engine TEXT NOT NULL DEFAULT '',
		language TEXT NOT NULL DEFAULT '',
		error TEXT NOT NULL DEFAULT '',
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL
	);
	CREATE INDEX transcripts_status ON transcripts(status);
	CREATE TABLE transcript_segments (
		id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
		video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
		start_ms BIGINT NOT NULL,
		end_ms BIGINT NOT NULL,
		text TEXT NOT NULL,
		edited BOOLEAN NOT NULL DEFAULT FALSE
	);
	CREATE INDEX transcript_segments_video ON transcript_segments(video_id, start_ms, id);
	CREATE TABLE chapters (
		video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
		start_ms BIGINT NOT NULL,
		title TEXT NOT NULL,
		PRIMARY KEY (video_id, start_ms)
	);
	CREATE TABLE thumbnails (
		video_id TEXT PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
		status TEXT NOT NULL,
		error TEXT NOT NULL DEFAULT '',
		interval_ms BIGINT NOT NULL DEFAULT 0,
		columns BIGINT NOT NULL DEFAULT 0,
		count BIGINT NOT NULL DEFAULT 0,
		tile_width BIGINT NOT NULL DEFAULT 0,
		tile_height BIGINT NOT NULL DEFAULT 0,
		duration_ms BIGINT NOT NULL DEFAULT 0,
		updated_at BIGINT NOT NULL
	);
	CREATE INDEX thumbnails_status ON thumbnails(status);
	CREATE TABLE video_edits (
		video_id TEXT PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
		cuts TEXT NOT NULL,
		applied TEXT NOT NULL DEFAULT '[]',
		state TEXT NOT NULL,
		error TEXT NOT NULL DEFAULT '',
		original_ms BIGINT NOT NULL,
		updated_at BIGINT NOT NULL
	);
	CREATE TABLE edit_moved (
		kind TEXT NOT NULL,
		item_id TEXT NOT NULL,
		video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
		original_ms BIGINT NOT NULL,
		PRIMARY KEY (kind, item_id)
	);
	CREATE INDEX edit_moved_video ON edit_moved(video_id);
	CREATE TABLE search_docs (
		docid BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
		kind TEXT NOT NULL,
		ref TEXT NOT NULL,
		video_id TEXT NOT NULL,
		time_ms BIGINT NOT NULL DEFAULT 0,
		text TEXT NOT NULL DEFAULT '',
		tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text)) STORED,
		UNIQUE (kind, ref)
	);
	CREATE INDEX search_docs_video ON search_docs(video_id);
	CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv);
	CREATE FUNCTION search_video_sync() RETURNS trigger LANGUAGE plpgsql AS $fn$
	BEGIN
		IF TG_OP = 'DELETE' THEN
			DELETE FROM search_docs WHERE video_id = OLD.id;
			RETURN OLD;
		END IF;
		INSERT INTO search_docs(kind, ref, video_id, text) VALUES ('title', NEW.id, NEW.id, trim(NEW.title || chr(10) || NEW.description))
			ON CONFLICT (kind, ref) DO UPDATE SET text = EXCLUDED.text;
		RETURN NEW;
	END $fn$;
	CREATE TRIGGER search_video AFTER INSERT OR UPDATE OF title, description OR DELETE ON videos
		FOR EACH ROW EXECUTE FUNCTION search_video_sync();
	CREATE FUNCTION search_comment_sync() RETURNS trigger LANGUAGE plpgsql AS $fn$
	BEGIN
		IF TG_OP <> 'INSERT' THEN
			DELETE FROM search_docs WHERE kind = 'comment' AND ref = OLD.id;
		END IF;
		IF TG_OP = 'DELETE' THEN
			RETURN OLD;
		END IF;
		IF NOT NEW.deleted THEN
			INSERT INTO search_docs(kind, ref, video_id, time_ms, text) VALUES ('comment', NEW.id, NEW.video_id, NEW.time_ms, NEW.body);
		END IF;
		RETURN NEW;
	END $fn$;
	CREATE TRIGGER search_comment AFTER INSERT OR UPDATE OF body, deleted, time_ms OR DELETE ON comments
		FOR EACH ROW EXECUTE FUNCTION search_comment_sync();
	CREATE FUNCTION search_segment_sync() RETURNS trigger LANGUAGE plpgsql AS $fn$
	BEGIN
		IF TG_OP = 'DELETE' THEN
			DELETE FROM search_docs WHERE kind = 'transcript' AND ref = OLD.id::text;
			RETURN OLD;
		END IF;
		INSERT INTO search_docs(kind, ref, video_id, time_ms, text) VALUES ('transcript', NEW.id::text, NEW.video_id, NEW.start_ms, NEW.text)
			ON CONFLICT (kind, ref) DO UPDATE SET time_ms = EXCLUDED.time_ms, text = EXCLUDED.text;
		RETURN NEW;
	END $fn$;
	CREATE TRIGGER search_segment AFTER INSERT OR UPDATE OF text, start_ms OR DELETE ON transcript_segments
		FOR EACH ROW EXECUTE FUNCTION search_segment_sync();
	INSERT INTO search_docs(kind, ref, video_id, text) SELECT 'title', id, id, trim(title || chr(10) || description) FROM videos;
	INSERT INTO search_docs(kind, ref, video_id, time_ms, text) SELECT 'comment', id, video_id, time_ms, body FROM comments WHERE NOT deleted;`),
	// 11: asks, their recipients' personal links and acknowledgements, the
	// members who are away, and watch receipts (asks.go, receipts.go).
	`ALTER TABLE email_outbox ADD COLUMN link TEXT NOT NULL DEFAULT '';
	CREATE TABLE asks (
		video_id TEXT PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
		owner_id TEXT NOT NULL,
		question TEXT NOT NULL,
		reply_by INTEGER NOT NULL,
		summary_at INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE INDEX asks_summary ON asks(summary_at, reply_by);
	CREATE TABLE ask_recipients (
		id TEXT PRIMARY KEY,
		video_id TEXT NOT NULL REFERENCES asks(video_id) ON DELETE CASCADE,
		user_id TEXT NOT NULL DEFAULT '',
		email TEXT NOT NULL,
		token TEXT NOT NULL UNIQUE,
		ack_at INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL
	);
	CREATE INDEX ask_recipients_video ON ask_recipients(video_id);
	CREATE INDEX ask_recipients_user ON ask_recipients(user_id);
	CREATE TABLE ask_replies (
		recipient_id TEXT NOT NULL REFERENCES ask_recipients(id) ON DELETE CASCADE,
		comment_id TEXT NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
		created_at INTEGER NOT NULL,
		PRIMARY KEY (recipient_id, comment_id)
	);
	CREATE TABLE user_away (
		user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
		away_until INTEGER NOT NULL
	);
	CREATE TABLE view_receipts (
		id TEXT PRIMARY KEY,
		video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
		viewer TEXT NOT NULL,
		user_id TEXT NOT NULL DEFAULT '',
		recipient_id TEXT NOT NULL DEFAULT '',
		ranges TEXT NOT NULL DEFAULT '[]',
		counted BOOLEAN NOT NULL DEFAULT FALSE,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE INDEX view_receipts_video ON view_receipts(video_id, created_at);`,
	// 12: recurring check-ins, their posts per round (a date), and the
	// prompts, reminders and round summaries already planned (checkins.go).
	`CREATE TABLE checkins (
		id TEXT PRIMARY KEY,
		owner_id TEXT NOT NULL,
		title TEXT NOT NULL,
		prompt TEXT NOT NULL,
		days TEXT NOT NULL,
		time_min INTEGER NOT NULL,
		due_after_ms INTEGER NOT NULL,
		max_length_ms INTEGER NOT NULL,
		participants TEXT NOT NULL,
		observers TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE checkin_posts (
		checkin_id TEXT NOT NULL REFERENCES checkins(id) ON DELETE CASCADE,
		round TEXT NOT NULL,
		user_id TEXT NOT NULL,
		video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
		created_at INTEGER NOT NULL,
		PRIMARY KEY (checkin_id, round, user_id)
	);
	CREATE TABLE checkin_events (
		checkin_id TEXT NOT NULL REFERENCES checkins(id) ON DELETE CASCADE,
		round TEXT NOT NULL,
		user_id TEXT NOT NULL,
		kind TEXT NOT NULL,
		at INTEGER NOT NULL,
		PRIMARY KEY (checkin_id, round, user_id, kind)
	);`,
	// 13: the owner's default playback speed of a video (0: none, the
	// player starts at normal speed unless the viewer chose one).
	`ALTER TABLE videos ADD COLUMN default_speed REAL NOT NULL DEFAULT 0;`,
	// 14: recorded replies (media/reply.go): the video whose thread a
	// recording replies in, what it shows, and the comment carrying it.
	// On videos rather than comments so the comment write path stays as
	// it is; a recording is found by its parent. And where an inbox item
	// about no video leads (check-ins).
	`ALTER TABLE videos ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
	ALTER TABLE videos ADD COLUMN reply_kind TEXT NOT NULL DEFAULT '';
	ALTER TABLE videos ADD COLUMN reply_comment_id TEXT NOT NULL DEFAULT '';
	CREATE INDEX videos_reply_to ON videos(reply_to) WHERE reply_to <> '';
	ALTER TABLE notifications ADD COLUMN link TEXT NOT NULL DEFAULT '';`,
	// 15: how a recording in progress is processed (live or after Stop), as
	// the process holding its upload decided, for every process to show.
	`ALTER TABLE videos ADD COLUMN processing TEXT NOT NULL DEFAULT '';
	ALTER TABLE videos ADD COLUMN processing_note TEXT NOT NULL DEFAULT '';`,
	// 16: notifications are planned from the comment event log after it
	// commits (media/notifyplan.go). notify holds what the author asked
	// of an event's notifications (urgent, a guest's address, who
	// resolved); event_cursors holds each reader's place in the log,
	// leased to one process at a time. The planner starts at the log's
	// end, so an upgrade does not notify about old comments.
	`ALTER TABLE comment_events ADD COLUMN notify TEXT NOT NULL DEFAULT '';
	CREATE TABLE event_cursors (
		name TEXT PRIMARY KEY,
		seq INTEGER NOT NULL DEFAULT 0,
		owner TEXT NOT NULL DEFAULT '',
		lease_until INTEGER NOT NULL DEFAULT 0
	);
	INSERT INTO event_cursors(name, seq) SELECT 'notify-plan', COALESCE(MAX(id), 0) FROM comment_events;`,
	// 17: summaries and chapter suggestions from a chat model, made after
	// the transcript (summary.go); chapters as JSON on the original
	// timeline.
	`CREATE TABLE summaries (
		video_id TEXT PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
		status TEXT NOT NULL,
		text TEXT NOT NULL DEFAULT '',
		chapters TEXT NOT NULL DEFAULT '[]',
		model TEXT NOT NULL DEFAULT '',
		error TEXT NOT NULL DEFAULT '',
		updated_at INTEGER NOT NULL
	);
	CREATE INDEX summaries_status ON summaries(status);`,
}

// pgVariant is a migration whose Postgres text is written out because
// translating the SQLite text would be wrong.
func pgVariant(sqlite, postgres string) string { return sqlite + pgVariantSep + postgres }

const pgVariantSep = "\n-- postgres:\n"

// migrationSQL is migration v's text for g's dialect.
func migrationSQL(g *gorm.DB, v int) (string, error) {
	stmt := migrations[v-1]
	lite, pgText, split := strings.Cut(stmt, pgVariantSep)
	if !isPG(g) {
		return lite, nil
	}
	if split {
		return pgText, nil
	}
	return pgMigration(v, stmt)
}

func migrate(ctx context.Context, db *gorm.DB) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if isPG(tx) {
			// Processes starting together take turns; the second finds the
			// work done. Postgres DDL is transactional, so a failed
			// migration leaves nothing behind.
			if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, lockMigrate).Error; err != nil {
				return fmt.Errorf("gormstore: lock migrations: %w", err)
			}
		}
		if err := tx.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`).Error; err != nil {
			return fmt.Errorf("gormstore: migrations table: %w", err)
		}
		var have int
		if err := tx.Raw(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have).Error; err != nil {
			return fmt.Errorf("gormstore: read schema version: %w", err)
		}
		if have > len(migrations) {
			return fmt.Errorf("gormstore: database schema version %d is newer than this binary (%d); upgrade Baton", have, len(migrations))
		}
		for v := have + 1; v <= len(migrations); v++ {
			stmt, err := migrationSQL(tx, v)
			if err != nil {
				return err
			}
			if err := tx.Exec(stmt).Error; err != nil {
				return fmt.Errorf("gormstore: migration %d: %w", v, err)
			}
			if err := tx.Exec(`INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)`, v, time.Now().UnixMilli()).Error; err != nil {
				return fmt.Errorf("gormstore: record migration %d: %w", v, err)
			}
		}
		return nil
	})
}

// SchemaVersion reports the applied migration version.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.r.WithContext(ctx).Raw(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v).Error
	return v, err
}
