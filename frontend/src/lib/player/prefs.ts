// What a viewer chose in the player and gets again next time, in this
// browser: the playback speed, captions on or off (and volume and mute,
// as people expect).

const KEY = 'baton.player';

/** The speeds the menu offers (the server checks an owner's default against the same list). */
export const RATES = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2] as const;

export interface PlayerPrefs {
  /** The speed the viewer picked from the menu; null until they pick one (then the owner's default applies). */
  rate: number | null;
  volume: number;
  muted: boolean;
  /** Captions shown, where a video has them. */
  captions: boolean;
}

const DEFAULTS: PlayerPrefs = { rate: null, volume: 1, muted: false, captions: false };

/** isRate: one of the menu's speeds. */
export function isRate(r: unknown): r is number {
  return typeof r === 'number' && (RATES as readonly number[]).includes(r);
}

/**
 * startRate is the speed a player starts at: the viewer's own choice, or
 * else the owner's default for this video, or else normal speed.
 */
export function startRate(prefs: Pick<PlayerPrefs, 'rate'>, ownerDefault?: number): number {
  if (prefs.rate !== null) return prefs.rate;
  return isRate(ownerDefault) ? ownerDefault : 1;
}

/** readPrefs reads the stored choices; anything odd falls back to the default. */
export function readPrefs(storage: Pick<Storage, 'getItem'> | null = safeStorage()): PlayerPrefs {
  try {
    const raw: unknown = JSON.parse(storage?.getItem(KEY) ?? '{}');
    if (!raw || typeof raw !== 'object') return { ...DEFAULTS };
    const o = raw as Record<string, unknown>;
    return {
      rate: isRate(o.rate) ? o.rate : DEFAULTS.rate,
      volume: typeof o.volume === 'number' && o.volume >= 0 && o.volume <= 1 ? o.volume : DEFAULTS.volume,
      muted: typeof o.muted === 'boolean' ? o.muted : DEFAULTS.muted,
      captions: typeof o.captions === 'boolean' ? o.captions : DEFAULTS.captions,
    };
  } catch {
    return { ...DEFAULTS };
  }
}

/** writePrefs stores changed choices; a private window just forgets them. */
export function writePrefs(change: Partial<PlayerPrefs>, storage: Pick<Storage, 'getItem' | 'setItem'> | null = safeStorage()): void {
  try {
    storage?.setItem(KEY, JSON.stringify({ ...readPrefs(storage), ...change }));
  } catch {
    // Storage full or blocked.
  }
}

export function safeStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}
