// What a viewer chose in the player and gets again next time, in this
// browser: the playback speed (and volume and mute, as people expect).

const KEY = 'baton.player';

/** The speeds the menu offers. */
export const RATES = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2] as const;

export interface PlayerPrefs {
  rate: number;
  volume: number;
  muted: boolean;
}

const DEFAULTS: PlayerPrefs = { rate: 1, volume: 1, muted: false };

/** readPrefs reads the stored choices; anything odd falls back to the default. */
export function readPrefs(storage: Pick<Storage, 'getItem'> | null = safeStorage()): PlayerPrefs {
  try {
    const raw: unknown = JSON.parse(storage?.getItem(KEY) ?? '{}');
    if (!raw || typeof raw !== 'object') return { ...DEFAULTS };
    const o = raw as Record<string, unknown>;
    return {
      rate: typeof o.rate === 'number' && (RATES as readonly number[]).includes(o.rate) ? o.rate : DEFAULTS.rate,
      volume: typeof o.volume === 'number' && o.volume >= 0 && o.volume <= 1 ? o.volume : DEFAULTS.volume,
      muted: typeof o.muted === 'boolean' ? o.muted : DEFAULTS.muted,
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

function safeStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}
