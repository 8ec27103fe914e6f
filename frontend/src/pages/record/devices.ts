// Device setup and preview: the remembered choices (mode, camera,
// microphone, system audio, bubble corner), the camera preview and the
// microphone level meter before and between recordings, and which modes
// this browser and machine can record at all.
import {
  CaptureError, LevelMeter, listDevices, missingApis, modeUsesCamera, modeUsesScreen, openCamera, openMic, stopStream,
  type Mode,
} from '../../lib/capture';
import { indexedDBAvailable } from '../../lib/chunkstore';
import { $ } from '../../lib/dom';
import { isCorner, type Corner } from '../../lib/recording';
import { ui } from './ui';

export interface Prefs {
  mode: Mode;
  mic: boolean;
  cameraId: string;
  micId: string;
  systemAudio: boolean;
  corner: Corner;
}

const PREFS_KEY = 'baton.recorder';

export function loadPrefs(): Prefs {
  const d: Prefs = { mode: 'screen-camera', mic: true, cameraId: '', micId: '', systemAudio: true, corner: 'bottom-right' };
  try {
    const p = JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as Partial<Prefs>;
    if (p.mode === 'screen' || p.mode === 'camera' || p.mode === 'screen-camera') d.mode = p.mode;
    if (typeof p.mic === 'boolean') d.mic = p.mic;
    if (typeof p.cameraId === 'string') d.cameraId = p.cameraId;
    if (typeof p.micId === 'string') d.micId = p.micId;
    if (typeof p.systemAudio === 'boolean') d.systemAudio = p.systemAudio;
    if (isCorner(p.corner)) d.corner = p.corner;
  } catch {
    // Unreadable or unavailable storage: defaults.
  }
  return d;
}

export function savePrefs(p: Prefs): void {
  try {
    localStorage.setItem(PREFS_KEY, JSON.stringify(p));
  } catch {
    // Private mode: preferences just are not remembered.
  }
}

/** currentMode is the mode chosen in the form. */
export function currentMode(): Mode {
  const checked = document.querySelector<HTMLInputElement>('input[name="mode"]:checked');
  const v = checked?.value;
  return v === 'screen' || v === 'camera' ? v : 'screen-camera';
}

export function showSetupError(msg: string): void {
  ui.setupError.textContent = msg;
  ui.setupError.hidden = !msg;
}

function fillSelect(sel: HTMLSelectElement, devices: MediaDeviceInfo[], current: string, noun: string): void {
  const prev = sel.value || current;
  sel.replaceChildren();
  devices.forEach((d, i) => {
    const opt = document.createElement('option');
    opt.value = d.deviceId;
    opt.textContent = d.label || `${noun} ${i + 1}`;
    sel.append(opt);
  });
  if (devices.some((d) => d.deviceId === prev)) sel.value = prev;
  sel.disabled = devices.length === 0;
}

function showLevel(level: number): void {
  const pct = `${Math.round(level * 100)}%`;
  ui.micLevel.style.width = pct;
  ui.micLevelLive.style.width = pct;
}

/**
 * Devices owns the camera and microphone streams. They stay open between
 * recordings (the preview, and no second permission prompt); a recording
 * borrows them.
 */
export class Devices {
  camStream: MediaStream | null = null;
  micStream: MediaStream | null = null;
  cameraMissing = false;
  private camStreamId = '';
  private micStreamId = '';
  private meter: LevelMeter | null = null;
  private chain: Promise<void> = Promise.resolve();

  /**
   * @param prefs the remembered choices, read for defaults
   * @param idle whether no recording is using the devices (the camera may close)
   * @param changed called after every refresh (the page re-syncs its stage)
   */
  constructor(
    private readonly prefs: Prefs,
    private readonly idle: () => boolean,
    private readonly changed: () => void,
  ) {}

  /** refresh opens or closes the camera and microphone to match the settings; calls run one at a time. */
  refresh(): Promise<void> {
    this.chain = this.chain.then(() => this.doRefresh(), () => this.doRefresh());
    return this.chain;
  }

  private async doRefresh(): Promise<void> {
    if (!navigator.mediaDevices?.getUserMedia) return;
    const mode = currentMode();
    const errors: string[] = [];

    if (modeUsesCamera(mode) && !this.cameraMissing) {
      const want = ui.cameraSelect.value || this.prefs.cameraId;
      if (!this.camStream || (want && want !== this.camStreamId)) {
        stopStream(this.camStream);
        this.camStream = null;
        try {
          this.camStream = await openCamera(want);
          this.camStreamId = this.camStream.getVideoTracks()[0]?.getSettings().deviceId ?? want;
          ui.camMessage.hidden = true;
        } catch (err) {
          const ce = err instanceof CaptureError ? err : new CaptureError('other', 'The camera couldn’t be started.');
          if (ce.kind === 'not-found') this.cameraMissing = true;
          errors.push(ce.message);
          ui.camMessage.textContent = ce.message;
          ui.camMessage.hidden = false;
        }
      }
    } else if (this.camStream && this.idle()) {
      stopStream(this.camStream);
      this.camStream = null;
      this.camStreamId = '';
    }
    ui.camPreview.srcObject = this.camStream;
    if (this.camStream) void ui.camPreview.play().catch(() => {});

    if (ui.micToggle.checked) {
      const want = ui.micSelect.value || this.prefs.micId;
      if (!this.micStream || (want && want !== this.micStreamId)) {
        stopStream(this.micStream);
        this.meter?.close();
        this.micStream = null;
        try {
          this.micStream = await openMic(want);
          this.micStreamId = this.micStream.getAudioTracks()[0]?.getSettings().deviceId ?? want;
          this.meter = new LevelMeter(this.micStream, showLevel);
        } catch (err) {
          errors.push(err instanceof Error ? err.message : 'The microphone couldn’t be started.');
        }
      }
    } else if (this.micStream) {
      stopStream(this.micStream);
      this.meter?.close();
      this.meter = null;
      this.micStream = null;
      this.micStreamId = '';
      showLevel(0);
    }

    const { cameras, mics } = await listDevices();
    if (cameras.length === 0) this.cameraMissing = true;
    fillSelect(ui.cameraSelect, cameras, this.camStreamId || this.prefs.cameraId, 'Camera');
    fillSelect(ui.micSelect, mics, this.micStreamId || this.prefs.micId, 'Microphone');
    ui.micSelect.disabled = ui.micSelect.disabled || !ui.micToggle.checked;

    this.updateModeAvailability();
    showSetupError(errors.join(' '));
    this.changed();
  }

  /** updateModeAvailability greys out what cannot be recorded here and says why; it reports whether Start may be pressed. */
  updateModeAvailability(): boolean {
    const mode = currentMode();
    const camInput = $<HTMLInputElement>('mode-camera');
    const both = $<HTMLInputElement>('mode-screen-camera');
    if (this.cameraMissing) {
      camInput.disabled = true;
      both.disabled = true;
      if (mode !== 'screen') {
        $<HTMLInputElement>('mode-screen').checked = true;
        ui.placeholderText.textContent = 'No camera was found, so this records your screen only.';
      }
    }
    const m = currentMode();
    ui.cameraField.hidden = !modeUsesCamera(m);
    ui.systemAudioField.hidden = !modeUsesScreen(m);
    if (!this.cameraMissing) {
      ui.placeholderText.textContent = m === 'camera'
        ? 'Your camera will appear here.'
        : 'You’ll choose a screen, window or tab when you start.';
    }
    const missing = missingApis(m);
    if (missing.length) {
      ui.unsupported.textContent = `This browser can’t record here: it lacks ${missing.join(', ')}. Try a current Chrome, Edge or Firefox${modeUsesScreen(m) ? ' on a computer' : ''}.`;
      ui.unsupported.hidden = false;
    } else if (!indexedDBAvailable()) {
      ui.unsupported.textContent = 'This browser can’t keep a backup of the recording (IndexedDB is unavailable, e.g. in private mode). You can still record, but keep this tab open until the upload finishes.';
      ui.unsupported.hidden = false;
    } else {
      ui.unsupported.hidden = true;
    }
    ui.startBtn.disabled = !this.idle() || missing.length > 0;
    return missing.length === 0;
  }

  /** release closes the preview devices when the page goes away. */
  release(): void {
    stopStream(this.camStream);
    stopStream(this.micStream);
  }
}
