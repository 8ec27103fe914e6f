// The owner's default playback speed for a video, set on the watch page:
// viewers who never picked a speed start at it (the watch page and the
// embed); a viewer's own choice from the speed menu still wins.
import { request, type Video } from '../api';
import { h } from '../dom';
import { toast } from '../toast';
import { RATES } from './prefs';

export interface OwnerSpeed {
  /** render shows the control to owners only, with the video's current default. */
  render(v: Video): void;
}

/** speedLabel: "1.5×", and "Normal" for 1. */
export function speedLabel(r: number): string {
  return r === 1 ? 'Normal' : `${r}×`;
}

/**
 * mountOwnerSpeed puts the control after `after` (the video's meta line):
 * a setting of the video, not a sharing tool, so it sits with the video's
 * facts rather than in the row of share buttons.
 */
export function mountOwnerSpeed(after: HTMLElement, onChange: (v: Video) => void): OwnerSpeed {
  const select = h('select', { id: 'default-speed', class: 'input owner-speed__select' },
    ...RATES.map((r) => h('option', { value: String(r), text: speedLabel(r) })));
  const root = h('div', { class: 'owner-speed', hidden: true, title: 'The speed the video starts at for viewers who have not picked one' },
    h('label', { class: 'owner-speed__label', for: 'default-speed', text: 'Viewers start at' }), select);
  after.after(root);
  let video: Video | null = null;

  select.addEventListener('change', async () => {
    const want = Number(select.value);
    // One request at a time, and none for what is already set.
    if (!video || select.disabled || want === (video.defaultSpeed ?? 1)) return;
    select.disabled = true;
    try {
      const nv = await request<Video>('PATCH', `/api/videos/${encodeURIComponent(video.id)}`, { defaultSpeed: want });
      toast(want === 1 ? 'Viewers start at normal speed' : `Viewers start at ${speedLabel(want)}`, 'success');
      onChange(nv);
    } catch (err) {
      select.value = String(video.defaultSpeed ?? 1);
      toast(err instanceof Error ? err.message : 'Couldn’t change the default speed.', 'error');
    } finally {
      select.disabled = false;
    }
  });

  return {
    render(v) {
      video = v;
      root.hidden = !v.isOwner || v.status !== 'ready';
      if (!select.disabled) select.value = String(v.defaultSpeed ?? 1);
    },
  };
}
