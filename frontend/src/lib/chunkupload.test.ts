import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { ChunkUploader, EUPLOAD_GAP, type Chunk, type ChunkSink } from './chunkupload';

type Fault = 'network' | 'partial' | 'lost-answer' | 500 | 423;

/** FakeTus is a tus 1.0 server with a deferred-length upload, in memory, with faults on demand. */
class FakeTus {
  data = new Uint8Array(0);
  length: number | null = null;
  faults: Fault[] = [];
  /** Status and message to refuse the file with when it completes. */
  refuse: { status: number; message: string } | null = null;
  log: string[] = [];

  fetch = async (_url: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const h = new Headers(init?.headers);
    expect(h.get('Tus-Resumable')).toBe('1.0.0');
    // A runaway uploader stops here, and the test fails on its assertions.
    if (this.log.length > 200) return new Promise<Response>(() => {});
    if (init?.method === 'HEAD') {
      this.log.push(`HEAD ${this.data.length}`);
      const headers: Record<string, string> = { 'Upload-Offset': String(this.data.length) };
      if (this.length !== null) headers['Upload-Length'] = String(this.length);
      return new Response(null, { status: 200, headers });
    }
    expect(init?.method).toBe('PATCH');
    expect(h.get('Content-Type')).toBe('application/offset+octet-stream');
    const offset = Number(h.get('Upload-Offset'));
    const body = new Uint8Array(await (init!.body as Blob).arrayBuffer());
    const len = h.get('Upload-Length');
    this.log.push(`PATCH ${offset}+${body.length}${len ? ` len=${len}` : ''}`);
    const fault = this.faults.shift();
    if (fault === 'network') throw new TypeError('Failed to fetch');
    if (fault === 500 || fault === 423) return json(fault, 'upload_locked', 'busy');
    if (offset !== this.data.length) return json(409, 'upload_offset_mismatch', 'mismatch');
    if (fault === 'partial') {
      this.append(body.slice(0, Math.floor(body.length / 2)));
      throw new TypeError('Failed to fetch');
    }
    this.append(body);
    if (len !== null) this.length = Number(len);
    if (this.length !== null && this.data.length === this.length && this.refuse) {
      return json(this.refuse.status, 'refused', this.refuse.message);
    }
    if (fault === 'lost-answer') throw new TypeError('Failed to fetch');
    return new Response(null, { status: 204, headers: { 'Upload-Offset': String(this.data.length) } });
  };

  private append(b: Uint8Array): void {
    const n = new Uint8Array(this.data.length + b.length);
    n.set(this.data);
    n.set(b, this.data.length);
    this.data = n;
  }
}

function json(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), { status, headers: { 'Content-Type': 'application/json' } });
}

/** MemorySink keeps chunks like the IndexedDB sink does. */
class MemorySink implements ChunkSink {
  chunks: Chunk[] = [];
  total = 0;
  fail = false;
  async put(c: Chunk, total: number): Promise<void> {
    if (this.fail) throw new Error('quota');
    this.chunks.push(c);
    this.total = total;
  }
  async ack(offset: number): Promise<void> {
    this.chunks = this.chunks.filter((c) => c.offset + c.size > offset);
  }
}

/** recording makes n chunks of distinct bytes, like MediaRecorder output. */
function recording(n: number, size = 100): { blobs: Blob[]; bytes: Uint8Array } {
  const bytes = new Uint8Array(n * size).map((_, i) => (i * 7 + 3) % 251);
  const blobs = Array.from({ length: n }, (_, i) => new Blob([bytes.slice(i * size, (i + 1) * size)]));
  return { blobs, bytes };
}

function uploader(server: FakeTus, sink?: ChunkSink, extra: Partial<ConstructorParameters<typeof ChunkUploader>[0]> = {}): ChunkUploader {
  return new ChunkUploader({
    uploadUrl: 'http://baton.test/api/uploads/v1',
    fetch: server.fetch as typeof fetch,
    sink,
    sleep: async () => {},
    ...extra,
  });
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('ChunkUploader', () => {
  it('appends chunks in order and declares the length with the last one', async () => {
    const server = new FakeTus();
    const sink = new MemorySink();
    const up = uploader(server, sink);
    const { blobs, bytes } = recording(5);
    for (const b of blobs.slice(0, 4)) {
      up.push(b);
      await tick();
    }
    up.push(blobs[4]!);
    await up.finish();
    expect(server.data).toEqual(bytes);
    expect(server.length).toBe(500);
    expect(server.log.at(-1)).toBe('PATCH 400+100 len=500');
    expect(server.log.filter((l) => l.startsWith('HEAD'))).toEqual([]);
    expect(sink.total).toBe(500);
    expect(up.status()).toMatchObject({ produced: 500, acked: 500, chunksProduced: 5, done: true });
    expect(up.status().firstAckAt).toBeGreaterThan(0);
  });

  it('sends chunks pushed faster than they upload, in order', async () => {
    const server = new FakeTus();
    const up = uploader(server, new MemorySink());
    const { blobs, bytes } = recording(8);
    blobs.forEach((b) => up.push(b));
    await up.finish();
    expect(server.data).toEqual(bytes);
  });

  it('ignores empty chunks', async () => {
    const server = new FakeTus();
    const up = uploader(server);
    const { blobs, bytes } = recording(2);
    up.push(new Blob([]));
    up.push(blobs[0]!);
    up.push(new Blob([]));
    up.push(blobs[1]!);
    await up.finish();
    expect(server.data).toEqual(bytes);
    expect(up.status().chunksProduced).toBe(2);
  });

  it('stores every chunk before sending it and forgets it once the server has it', async () => {
    const server = new FakeTus();
    const sink = new MemorySink();
    server.faults = ['network', 'partial'];
    const unbacked: string[] = [];
    const inner = server.fetch;
    server.fetch = async (u, init) => {
      const h = new Headers(init?.headers);
      const off = Number(h.get('Upload-Offset'));
      if (init?.method === 'PATCH' && off < 300 && !sink.chunks.some((c) => c.offset <= off && off < c.offset + c.size)) {
        unbacked.push(`PATCH at ${off}`);
      }
      return inner(u, init);
    };
    const up = uploader(server, sink);
    const { blobs, bytes } = recording(3);
    blobs.forEach((b) => up.push(b));
    await up.finish();
    await tick();
    expect(server.data).toEqual(bytes);
    expect(unbacked).toEqual([]);
    expect(sink.chunks).toEqual([]);
  });

  it.each<[string, Fault[]]>([
    ['a dropped connection', ['network']],
    ['a server that kept half a request', ['partial']],
    ['an answer lost after the bytes were stored', ['lost-answer']],
    ['a busy or failing server', [500, 423, 500]],
    ['several faults in a row', ['partial', 'network', 'lost-answer', 'partial']],
  ])('resumes from the server offset after %s, losing and repeating nothing', async (_name, faults) => {
    const server = new FakeTus();
    server.faults = [...faults];
    const statuses: boolean[] = [];
    const up = uploader(server, new MemorySink(), { onStatus: (s) => statuses.push(s.retrying) });
    const { blobs, bytes } = recording(6, 64);
    for (const b of blobs) up.push(b);
    await up.finish();
    expect(server.data).toEqual(bytes);
    expect(server.length).toBe(bytes.length);
    expect(statuses).toContain(true);
    expect(up.status().retrying).toBe(false);
  });

  it('finishes when the answer to the final PATCH was lost', async () => {
    const server = new FakeTus();
    const up = uploader(server);
    const { blobs, bytes } = recording(2);
    up.push(blobs[0]!);
    while (server.data.length < 100) await tick();
    server.faults = ['lost-answer'];
    up.push(blobs[1]!);
    await up.finish();
    expect(server.data).toEqual(bytes);
    expect(server.log.slice(-2)).toEqual(['PATCH 100+100 len=200', 'HEAD 200']);
  });

  it('declares the length with an empty PATCH when everything was already sent', async () => {
    const server = new FakeTus();
    const up = uploader(server);
    const { blobs } = recording(2);
    blobs.forEach((b) => up.push(b));
    await new Promise((r) => setTimeout(r, 20));
    expect(server.data.length).toBe(200);
    await up.finish();
    expect(server.log.at(-1)).toBe('PATCH 200+0 len=200');
  });

  it('gives the server’s reason when it refuses the file', async () => {
    const server = new FakeTus();
    server.refuse = { status: 415, message: 'This file is not a video.' };
    const up = uploader(server);
    recording(2).blobs.forEach((b) => up.push(b));
    const err = await up.finish().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(415);
    expect((err as ApiError).message).toBe('This file is not a video.');
  });

  it('carries on without a backup when the sink fails', async () => {
    const server = new FakeTus();
    const sink = new MemorySink();
    sink.fail = true;
    const up = uploader(server, sink);
    const { blobs, bytes } = recording(3);
    blobs.forEach((b) => up.push(b));
    await up.finish();
    expect(server.data).toEqual(bytes);
    expect(up.status().unbacked).toBe(true);
  });

  describe('resuming kept chunks (recovery)', () => {
    const { blobs, bytes } = recording(6, 100);
    const kept = (from: number): Chunk[] =>
      blobs.slice(from).map((blob, i) => ({ seq: from + i, offset: (from + i) * 100, size: 100, blob }));

    it('asks the server first and sends only what it lacks, slicing a half-sent chunk', async () => {
      const server = new FakeTus();
      server.data = bytes.slice(0, 250); // chunks 0-1 and half of 2
      const up = uploader(server, undefined, { chunks: kept(2), produced: 600 } as never);
      await up.finish();
      expect(server.data).toEqual(bytes);
      expect(server.log[0]).toBe('HEAD 250');
      expect(server.log[1]).toBe('PATCH 250+50');
    });

    it('completes when the server already had every byte', async () => {
      const server = new FakeTus();
      server.data = bytes.slice();
      const up = uploader(server, undefined, { chunks: [], produced: 600 } as never);
      await up.finish();
      expect(server.log).toEqual(['HEAD 600', 'PATCH 600+0 len=600']);
    });

    it('refuses to finish with a hole in the file', async () => {
      const server = new FakeTus();
      server.data = bytes.slice(0, 150);
      const up = uploader(server, undefined, { chunks: kept(3), produced: 600 } as never);
      const err = await up.finish().catch((e: unknown) => e);
      expect((err as ApiError).code).toBe(EUPLOAD_GAP);
      expect(server.log.filter((l) => l.startsWith('PATCH'))).toEqual([]);
    });

    it('reports a deleted video', async () => {
      const up = new ChunkUploader({
        uploadUrl: 'http://baton.test/api/uploads/v1',
        fetch: (async () => new Response(null, { status: 404 })) as typeof fetch,
        chunks: kept(0),
        produced: 600,
        sleep: async () => {},
      });
      const err = await up.finish().catch((e: unknown) => e);
      expect((err as ApiError).status).toBe(404);
    });
  });

  it('stops on abort without sending more', async () => {
    const server = new FakeTus();
    server.faults = ['network', 'network', 'network', 'network'];
    const up = uploader(server, undefined, { sleep: (_ms, signal) => new Promise((r) => signal.addEventListener('abort', () => r(), { once: true })) });
    recording(3).blobs.forEach((b) => up.push(b));
    await tick();
    up.abort();
    const err = await up.finish().catch((e: unknown) => e);
    expect((err as ApiError).code).toBe('aborted');
    const n = server.log.length;
    await new Promise((r) => setTimeout(r, 20));
    expect(server.log.length).toBe(n);
  });
});
