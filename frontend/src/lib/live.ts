// Playing a recording while it is still being recorded: the server publishes
// a growing HLS playlist (fMP4 segments, EVENT type, #EXT-X-ENDLIST once the
// recording ends). Where the browser has Media Source Extensions, hls.js
// plays it: in Chromium 156, once segments existed, it was playing about 1 s
// after the page opened, Chromium's own HLS player about 5 s. Browsers
// without MSE (iPhone Safari) play HLS themselves. hls.js is a separate
// chunk, loaded only when used.

export interface LivePlayback {
  /** Which engine plays: the browser itself or hls.js. */
  readonly engine: 'native' | 'hls.js';
  destroy(): void;
}

/** How far behind the newest segment a viewer starts, in seconds. */
const LIVE_DELAY_S = 6;

/** engineFor picks the player: `?hls=js` or `?hls=native` in the page's address force one (tests, troubleshooting). */
export function engineFor(video: HTMLVideoElement): 'native' | 'hls.js' | null {
  const forced = new URLSearchParams(location.search).get('hls');
  const native = video.canPlayType('application/vnd.apple.mpegurl') !== '';
  const mse = typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E,mp4a.40.2"');
  if (forced === 'native' && native) return 'native';
  if (forced === 'js' && mse) return 'hls.js';
  if (mse) return 'hls.js';
  return native ? 'native' : null;
}

/**
 * attachLive starts `url` in `video`, near the live edge. onFatal is called
 * when it cannot be played at all (the caller shows something else).
 */
export async function attachLive(
  video: HTMLVideoElement,
  url: string,
  onFatal: (reason: string) => void,
): Promise<LivePlayback> {
  const engine = engineFor(video);
  if (engine === 'native') return attachNative(video, url, onFatal);
  const { default: Hls } = await import('hls.js/light');
  if (engine === null || !Hls.isSupported()) {
    onFatal('This browser can’t play the recording while it is live.');
    return { engine: 'hls.js', destroy() {} };
  }
  const hls = new Hls({
    // The page's Content-Security-Policy has no worker-src for blob: URLs.
    enableWorker: false,
    liveSyncDuration: LIVE_DELAY_S,
    liveMaxLatencyDuration: LIVE_DELAY_S * 3,
    backBufferLength: 60,
    // Segments appear every few seconds; keep asking for a while.
    manifestLoadingMaxRetry: 6,
    levelLoadingMaxRetry: 6,
    fragLoadingMaxRetry: 6,
  });
  let mediaRecoveries = 0;
  let networkRetries = 0;
  hls.on(Hls.Events.ERROR, (_ev, data) => {
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && networkRetries++ < 5) {
      window.setTimeout(() => hls.startLoad(), 1000);
    } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRecoveries++ < 3) {
      hls.recoverMediaError();
    } else {
      hls.destroy();
      onFatal('The live recording couldn’t be played.');
    }
  });
  hls.on(Hls.Events.FRAG_LOADED, () => {
    networkRetries = 0;
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return {
    engine: 'hls.js',
    destroy() {
      hls.destroy();
    },
  };
}

function attachNative(video: HTMLVideoElement, url: string, onFatal: (reason: string) => void): LivePlayback {
  let retries = 0;
  const onMeta = (): void => {
    const s = video.seekable;
    if (s.length > 0) {
      const edge = s.end(s.length - 1);
      if (edge - LIVE_DELAY_S > video.currentTime) video.currentTime = Math.max(0, edge - LIVE_DELAY_S);
    }
  };
  const onError = (): void => {
    // Right after a recording starts the playlist may exist without a
    // playable segment yet: keep trying for half a minute.
    if (retries++ < 20) {
      window.setTimeout(() => {
        video.src = url;
        video.load();
        void video.play().catch(() => {});
      }, 1500);
    } else {
      onFatal('The live recording couldn’t be played.');
    }
  };
  video.addEventListener('loadedmetadata', onMeta);
  video.addEventListener('error', onError);
  video.src = url;
  return {
    engine: 'native',
    destroy() {
      video.removeEventListener('loadedmetadata', onMeta);
      video.removeEventListener('error', onError);
      video.removeAttribute('src');
      video.load();
    },
  };
}
