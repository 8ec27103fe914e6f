// A metronome in a worker. Browsers throttle timers of hidden pages to once a
// second (and far less after a few minutes), but not timers in workers; a
// person recording their screen usually has another window in front, so the
// recorder draws its frames on these ticks. Post an interval in ms to start,
// 0 to stop.
let timer: ReturnType<typeof setInterval> | undefined;

self.onmessage = (ev: MessageEvent<number>) => {
  if (timer !== undefined) clearInterval(timer);
  timer = undefined;
  if (ev.data > 0) timer = setInterval(() => self.postMessage(0), ev.data);
};
