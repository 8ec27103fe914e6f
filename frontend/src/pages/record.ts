// Recorder: /record. Screen, camera or both, with the microphone; the video
// and its share link exist from the moment recording starts, chunks upload
// as they are recorded (kept in IndexedDB until the server has them), and
// after Stop only the tail is left to upload and process.
//
// States (main[data-state], window.__baton.state):
//   idle -> starting -> countdown -> recording <-> paused -> finishing ->
//   processing -> ready | failed;  recovering -> processing for a recording
//   a closed tab left behind.
//
// This file wires the page together; the parts live in ./record/:
// devices.ts (setup and preview), machine.ts (the state machine),
// recovery.ts (crash recovery), locks.ts, hooks.ts (test hooks), ui.ts.
// One stylesheet per page, which @imports the shared ones in a fixed order.
import '../styles/record.css';

import { getConfig } from '../lib/api';
import { me } from '../lib/auth';
import { mountHeader } from '../lib/header';
import { copyWithToast } from '../lib/clipboard';
import { $ } from '../lib/dom';
import { formatDurationLong } from '../lib/format';
import { cornerAt, isCorner } from '../lib/recording';
import { currentMode, Devices, loadPrefs, savePrefs } from './record/devices';
import { defaultTitle, Recorder } from './record/machine';
import { Recovery } from './record/recovery';
import { ui } from './record/ui';
import { askDialog } from '../lib/asks/form';
import { attachToRound } from '../lib/checkins/record';
import { hooks } from './record/hooks';

const header = mountHeader('record', { signedIn: true });
const prefs = loadPrefs();
const rec = new Recorder(prefs, (r) => new Devices(prefs, () => r.state === 'idle', () => r.syncStage()));
const devices = rec.devices;
const recovery = new Recovery(rec);

function applyPrefs(): void {
  const modeInput = document.querySelector<HTMLInputElement>(`input[name="mode"][value="${prefs.mode}"]`);
  if (modeInput) modeInput.checked = true;
  ui.micToggle.checked = prefs.mic;
  ui.systemAudio.checked = prefs.systemAudio;
  syncMicSwitch();
}

function syncMicSwitch(): void {
  const text = ui.micToggle.parentElement?.querySelector('.switch__text');
  if (text) text.textContent = ui.micToggle.checked ? 'On' : 'Off';
  ui.micSelect.disabled = !ui.micToggle.checked || ui.micSelect.options.length === 0;
}

function remember(): void {
  savePrefs(prefs);
  void devices.refresh();
}

for (const input of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) {
  input.addEventListener('change', () => {
    prefs.mode = currentMode();
    remember();
  });
}
ui.cameraSelect.addEventListener('change', () => {
  prefs.cameraId = ui.cameraSelect.value;
  remember();
});
ui.micSelect.addEventListener('change', () => {
  prefs.micId = ui.micSelect.value;
  remember();
});
ui.micToggle.addEventListener('change', () => {
  prefs.mic = ui.micToggle.checked;
  syncMicSwitch();
  remember();
});
ui.systemAudio.addEventListener('change', () => {
  prefs.systemAudio = ui.systemAudio.checked;
  savePrefs(prefs);
});
for (const b of ui.cornerButtons) {
  b.addEventListener('click', () => {
    if (isCorner(b.dataset.corner)) rec.setCorner(b.dataset.corner);
  });
}
ui.stage.addEventListener('click', (e) => {
  if (currentMode() !== 'screen-camera' || (e.target as HTMLElement).closest('button')) return;
  const r = ui.stage.getBoundingClientRect();
  rec.setCorner(cornerAt(e.clientX - r.left, e.clientY - r.top, { width: r.width, height: r.height }));
});

ui.startBtn.addEventListener('click', () => void rec.start());
ui.pauseBtn.addEventListener('click', () => rec.togglePause());
ui.stopBtn.addEventListener('click', () => void rec.stop());
ui.cancelBtn.addEventListener('click', () => void rec.cancel());
ui.restartBtn.addEventListener('click', () => void rec.restart());
$('rec-copy-link').addEventListener('click', () => void copyWithToast(ui.shareInput.value, 'Link'));
$('rec-done-copy').addEventListener('click', () => void copyWithToast(ui.doneLink.value, 'Link'));
for (const input of [ui.shareInput, ui.doneLink]) input.addEventListener('focus', () => input.select());
ui.againBtn.addEventListener('click', () => {
  rec.again();
  void recovery.check();
  ui.startBtn.focus();
});
// The finish screen can ask people for an answer (lib/asks/form.ts).
$('rec-ask').addEventListener('click', () => {
  if (hooks.videoId) void askDialog(hooks.videoId);
});
ui.recoverStart.addEventListener('click', () => void recovery.recover());
ui.recoverDiscard.addEventListener('click', () => void recovery.discard());

document.addEventListener('keydown', (e) => {
  if (!e.altKey || e.ctrlKey || e.metaKey || !rec.recording) return;
  const k = e.key.toLowerCase();
  if (k === 'p') {
    e.preventDefault();
    rec.togglePause();
  } else if (k === 's') {
    e.preventDefault();
    void rec.stop();
  }
});

// Uploads resume at once when the browser says the network is back.
window.addEventListener('online', () => rec.wake());
window.addEventListener('pagehide', () => {
  if (rec.state === 'idle') devices.release();
});

async function init(): Promise<void> {
  // What an untitled recording will be called.
  ui.titleInput.placeholder = defaultTitle();
  void me().then((u) => header.setUser(u), () => header.setUser(null));
  applyPrefs();
  rec.setState('idle');
  devices.updateModeAvailability();
  void recovery.check();
  try {
    const cfg = await getConfig();
    rec.maxRecordingMs = Math.max(0, cfg.maxRecordingSeconds) * 1000;
  } catch {
    // Older server or offline: no limit shown; the server still enforces its own.
  }
  // A check-in's prompt link attaches this recording to its round (lib/checkins/record.ts).
  await attachToRound($('rec-setup'), () => hooks.videoId, (ms) => {
    rec.maxRecordingMs = rec.maxRecordingMs ? Math.min(rec.maxRecordingMs, ms) : ms;
  });
  if (rec.maxRecordingMs) {
    ui.limitHint.textContent = `Recordings can be up to ${formatDurationLong(rec.maxRecordingMs)}.`;
    ui.limitHint.hidden = false;
  }
  await devices.refresh();
}

void init();
