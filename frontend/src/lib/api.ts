// Typed client for Baton's JSON API. Every failure becomes an ApiError whose
// message is safe and meant to be shown to the person as is.

export type VideoStatus = 'created' | 'uploading' | 'processing' | 'ready' | 'failed';

export interface Video {
  id: string;
  slug: string;
  title: string;
  /** A few lines the owner wrote under the title; "" when none. */
  description?: string;
  status: VideoStatus;
  /** Processing percent, 0..100. */
  progress: number;
  /** Readable reason when status is "failed". */
  error: string;
  errorCode: string;
  durationMs: number;
  width: number;
  height: number;
  sizeBytes: number;
  uploadedBytes: number;
  /** Absolute link to the watch page. */
  shareUrl: string;
  /** "" until ready. */
  posterUrl: string;
  /** "" until ready. */
  mp4Url: string;
  /** tus upload URL, created by the server before the first byte. */
  uploadUrl: string;
  /**
   * HLS playlist of the growing output while the video is being recorded or
   * has just finished and is not ready yet; absent otherwise.
   */
  liveUrl?: string;
  /** True while the recording's upload is still open and live output exists. */
  recording?: boolean;
  /**
   * While a recording uploads: 'live' when the server converts it as it
   * arrives (ready about a second after Stop), 'after-upload' when it is
   * busy and a job processes it after Stop (ready a little later).
   */
  processing?: 'live' | 'after-upload';
  /** Why live conversion stopped, when it did. */
  processingNote?: string;
  /** RFC 3339. */
  createdAt: string;
  /** The caller may act as the owner (its creator, or an admin). */
  isOwner?: boolean;
  /** Watch-page loads by people other than the owner. */
  views?: number;
  /** Comments, in library listings. */
  commentCount?: number;
  /** Who made it, in library listings. */
  owner?: { id: string; name: string };
  /** The caller may download the MP4, from downloadUrl. */
  allowDownload?: boolean;
  downloadUrl?: string;
  /** Sharing settings; only for those who manage the video. */
  sharing?: Sharing;
  /** The owner's default playback speed (1: normal); the viewer's own choice wins. */
  defaultSpeed?: number;
  /** The scrub-thumbnail WebVTT track, once its sprite sheet is made. */
  thumbsUrl?: string;
}

export type Visibility = 'link' | 'workspace' | 'private';

/** Who may watch a video through its link, and on what terms. */
export interface Sharing {
  visibility: Visibility;
  hasPassword: boolean;
  /** RFC 3339, or "" for no expiry. */
  expiresAt: string;
  /** 0 for no limit. */
  maxViews: number;
  allowDownload: boolean;
  guestComments: boolean;
}

/** Limits the server announces to clients. */
export interface ServerConfig {
  /** Longest recording in seconds; 0 means no limit. */
  maxRecordingSeconds: number;
  maxUploadBytes: number;
}

export interface VideoPage {
  videos: Video[];
  /** Pass as `before` to get the next page; "" on the last page. */
  nextBefore: string;
}

/** Codes the client itself produces when there is no server answer. */
export const ECLIENT_NETWORK = 'network';
export const ECLIENT_BAD_RESPONSE = 'bad_response';

/** ApiError is a failed API call. `message` is meant for people. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }

  get notFound(): boolean {
    return this.status === 404;
  }
}

/** Message used when the server gives no usable message for a status. */
export function fallbackMessage(status: number): string {
  if (status === 0) return "Couldn’t reach Baton. Check your connection and try again.";
  if (status === 400 || status === 422) return "That request wasn’t accepted.";
  if (status === 401) return 'Please sign in and try again.';
  if (status === 403) return "You don’t have access to that.";
  if (status === 404) return "That video isn’t available.";
  if (status === 409) return 'That changed in the meantime. Reload and try again.';
  if (status === 413) return 'That file is too large.';
  if (status === 415) return "That file type isn’t supported.";
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return 'Something went wrong on the server. Try again in a moment.';
  return `Unexpected response (${status}).`;
}

/**
 * parseApiError turns an error response into an ApiError. Baton answers
 * `{"error":{"code":"...","message":"..."}}`; proxies and crashes may answer
 * anything else, which gets a generic message for the status.
 */
export function parseApiError(status: number, body: string): ApiError {
  let code = `http_${status}`;
  let message = '';
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed) && isRecord(parsed.error)) {
      if (typeof parsed.error.code === 'string' && parsed.error.code) code = parsed.error.code;
      if (typeof parsed.error.message === 'string') message = parsed.error.message.trim();
    }
  } catch {
    // Not JSON: fall through to the generic message.
  }
  return new ApiError(status, code, message || fallbackMessage(status));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RateLimitError is a 429; retryAfter is the seconds its Retry-After asks to wait. */
export class RateLimitError extends ApiError {
  readonly retryAfter: number;
  constructor(e: ApiError, retryAfter: number) {
    super(e.status, e.code, e.message);
    this.retryAfter = retryAfter;
  }
}

/** Options of one request besides its method, path and JSON body. */
export interface RequestOptions {
  /** Extra headers (e.g. a guest's X-Guest-Secret). */
  headers?: Record<string, string>;
  /** The fetch cache mode; live lists use 'no-store'. */
  cache?: RequestCache;
}

/**
 * request is the one way the pages call the JSON API: same-origin cookies,
 * a JSON body when given, and every failure turned into an ApiError (a
 * RateLimitError for 429) whose message can be shown as is.
 */
export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (opts.cache) init.cache = opts.cache;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, ECLIENT_NETWORK, fallbackMessage(0));
  }
  if (!res.ok) {
    const err = parseApiError(res.status, await res.text().catch(() => ''));
    if (res.status === 429) {
      const s = Number.parseInt(res.headers.get('Retry-After') ?? '', 10);
      throw new RateLimitError(err, Number.isFinite(s) && s > 0 ? s : 5);
    }
    throw err;
  }
  if (res.status === 204) return undefined as T;
  try {
    return (await res.json()) as T;
  } catch {
    throw new ApiError(res.status, ECLIENT_BAD_RESPONSE, 'The server sent an unreadable answer. Try again in a moment.');
  }
}

const enc = encodeURIComponent;

export function createVideo(title: string): Promise<Video> {
  return request('POST', '/api/videos', { title });
}

/** What a recorded reply shows (media.ReplyKind). */
export type ReplyKind = 'camera' | 'screen' | 'voice';

/** createReplyVideo creates a recording that replies in the thread of the video parentId. */
export function createReplyVideo(parentId: string, kind: ReplyKind): Promise<Video> {
  return request('POST', '/api/videos', { replyTo: { videoId: parentId, kind } });
}

export type LibraryScope = '' | 'mine' | 'workspace';

export function listVideos(opts: { limit?: number; before?: string; scope?: LibraryScope; q?: string } = {}): Promise<VideoPage> {
  const q = new URLSearchParams({ limit: String(opts.limit ?? 24) });
  if (opts.before) q.set('before', opts.before);
  if (opts.scope) q.set('scope', opts.scope);
  if (opts.q) q.set('q', opts.q);
  return request('GET', `/api/videos?${q}`);
}

export function getVideo(id: string): Promise<Video> {
  return request('GET', `/api/videos/${enc(id)}`);
}

export function renameVideo(id: string, title: string): Promise<Video> {
  return request('PATCH', `/api/videos/${enc(id)}`, { title });
}

export function deleteVideo(id: string): Promise<void> {
  return request('DELETE', `/api/videos/${enc(id)}`);
}

/** getConfig reads the limits that apply to recordings and uploads. */
export function getConfig(): Promise<ServerConfig> {
  return request('GET', '/api/config');
}

/**
 * getSharedVideo is the public view of a video behind a share link. With
 * view, the load counts as a view (watch and embed pages, once per load).
 * A password-protected video answers 403 `password_required`.
 */
export function getSharedVideo(slug: string, opts: { view?: boolean } = {}): Promise<Video> {
  return request('GET', `/api/share/${enc(slug)}${opts.view ? '?view=1' : ''}`);
}

/** isSettled reports whether a video will not change any more by itself. */
export function isSettled(status: VideoStatus): boolean {
  return status === 'ready' || status === 'failed';
}

/**
 * watchVideo streams a video's changes over Server-Sent Events and calls
 * onChange with each new state. EventSource reconnects by itself after
 * network errors; the stream is closed once the video is ready or failed.
 * Returns a function that stops watching. For the video's owner.
 */
export function watchVideo(id: string, onChange: (v: Video) => void): () => void {
  return streamVideo(`/api/videos/${enc(id)}/events`, onChange);
}

/** watchSharedVideo is watchVideo for whoever holds the share link, signed in or not. */
export function watchSharedVideo(slug: string, onChange: (v: Video) => void): () => void {
  return streamVideo(`/api/share/${enc(slug)}/events`, onChange);
}

function streamVideo(url: string, onChange: (v: Video) => void): () => void {
  if (typeof EventSource === 'undefined') return () => {};
  const es = new EventSource(url);
  es.addEventListener('video', (ev) => {
    let v: Video;
    try {
      v = JSON.parse((ev as MessageEvent<string>).data) as Video;
    } catch {
      return;
    }
    onChange(v);
    if (isSettled(v.status)) es.close();
  });
  return () => es.close();
}
