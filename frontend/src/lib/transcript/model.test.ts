import { describe, expect, it } from 'vitest';
import type { Thread } from '../comments/model';
import { findMatches, interleave, lineAt, matcher, pendingHint, recordComments, recordText, type RecordComment, type Segment } from './model';

const seg = (id: number, startMs: number, endMs: number, text = `line ${id}`): Segment => ({ id, startMs, endMs, text });
const lines = [seg(1, 1000, 2500), seg(2, 3000, 4800), seg(3, 6000, 7000)];

describe('lineAt', () => {
  it('is -1 before the first line', () => {
    expect(lineAt(lines, 0)).toBe(-1);
    expect(lineAt(lines, 999)).toBe(-1);
  });
  it('is the line being spoken, from its first millisecond', () => {
    expect(lineAt(lines, 1000)).toBe(0);
    expect(lineAt(lines, 2499)).toBe(0);
    expect(lineAt(lines, 3000)).toBe(1);
    expect(lineAt(lines, 6500)).toBe(2);
  });
  it('keeps a line through the pause after it and after the last one', () => {
    expect(lineAt(lines, 2900)).toBe(0);
    expect(lineAt(lines, 5999)).toBe(1);
    expect(lineAt(lines, 60_000)).toBe(2);
  });
  it('handles no lines and lines that start together', () => {
    expect(lineAt([], 5000)).toBe(-1);
    expect(lineAt([seg(1, 0, 10), seg(2, 0, 10), seg(3, 20, 30)], 5)).toBe(1);
  });
  it('agrees with a linear scan over many lines', () => {
    const many = Array.from({ length: 500 }, (_, i) => seg(i, i * 1700 + (i % 3) * 100, i * 1700 + 1500));
    for (let ms = -100; ms < 500 * 1700 + 2000; ms += 37) {
      let want = -1;
      many.forEach((s, i) => {
        if (s.startMs <= ms) want = i;
      });
      expect(lineAt(many, ms)).toBe(want);
    }
  });
});

describe('findMatches', () => {
  it('finds every occurrence regardless of case', () => {
    expect(findMatches('The budget, the BUDGET.', 'budget')).toEqual([[4, 10], [16, 22]]);
  });
  it('matches words in order across any spacing', () => {
    expect(findMatches('please  review the schedule', 'please review')).toEqual([[0, 14]]);
    expect(findMatches('review please', 'please review')).toEqual([]);
  });
  it('treats what is typed as text, not a pattern', () => {
    expect(findMatches('costs (a+b) rose', '(a+b)')).toEqual([[6, 11]]);
    expect(findMatches('anything', '.*')).toEqual([]);
  });
  it('finds nothing for an empty query', () => {
    expect(findMatches('text', '   ')).toEqual([]);
    expect(matcher('')).toBeNull();
  });
  it('reuses one matcher across texts', () => {
    const re = matcher('ab');
    expect(findMatches('ab ab', re)).toEqual([[0, 2], [3, 5]]);
    expect(findMatches('xab', re)).toEqual([[1, 3]]);
  });
  it('gives JS string indices for text beyond the basic plane', () => {
    const text = '🎉 Ünïcode ünïcode';
    const got = findMatches(text, 'ÜNÏCODE');
    expect(got.map(([a, b]) => text.slice(a, b))).toEqual(['Ünïcode', 'ünïcode']);
  });
});

const comment = (id: string, timeMs: number, extra: Partial<RecordComment> = {}): RecordComment => ({
  id, timeMs, authorName: 'Ann', body: id, replies: 0, resolved: false, byOwner: false, deleted: false, ...extra,
});

describe('interleave', () => {
  const kinds = (es: ReturnType<typeof interleave>): string[] =>
    es.map((e) => (e.kind === 'line' ? `L${e.seg.id}` : `C${e.comment.id}`));

  it('puts a comment after the line spoken at its moment', () => {
    expect(kinds(interleave(lines, [comment('a', 4200)]))).toEqual(['L1', 'L2', 'Ca', 'L3']);
  });
  it('puts a comment in a pause after the line before the pause', () => {
    expect(kinds(interleave(lines, [comment('a', 5500)]))).toEqual(['L1', 'L2', 'Ca', 'L3']);
  });
  it('puts a comment at a line’s first moment after that line', () => {
    expect(kinds(interleave(lines, [comment('a', 3000)]))).toEqual(['L1', 'L2', 'Ca', 'L3']);
  });
  it('puts comments before the first line first and after the last line last', () => {
    expect(kinds(interleave(lines, [comment('z', 90_000), comment('a', 0)]))).toEqual(['Ca', 'L1', 'L2', 'L3', 'Cz']);
  });
  it('orders comments by time, keeping ties in their order', () => {
    expect(kinds(interleave(lines, [comment('b', 4500), comment('c', 4000), comment('d', 4500)])))
      .toEqual(['L1', 'L2', 'Cc', 'Cb', 'Cd', 'L3']);
  });
  it('is the comments alone without a transcript, and the lines alone without comments', () => {
    expect(kinds(interleave([], [comment('b', 9), comment('a', 1)]))).toEqual(['Ca', 'Cb']);
    expect(kinds(interleave(lines, []))).toEqual(['L1', 'L2', 'L3']);
  });
  it('gives each entry its time and each line its index', () => {
    const es = interleave(lines, [comment('a', 4200)]);
    expect(es.map((e) => e.timeMs)).toEqual([1000, 3000, 4200, 6000]);
    expect(es.filter((e) => e.kind === 'line').map((e) => (e.kind === 'line' ? e.line : -1))).toEqual([0, 1, 2]);
  });
});

describe('recordComments', () => {
  const thread = (id: string, extra: Partial<Thread> = {}): Thread => ({
    id, videoId: 'v', timeMs: 1000, body: 'b', authorName: 'Ann', byOwner: false, mine: false, edited: false,
    deleted: false, resolved: false, createdAt: '', updatedAt: '', replies: [], ...extra,
  });
  const reply = (id: string, deleted = false): Thread['replies'][number] => ({ ...thread(id), parentId: 't', deleted });

  it('counts the replies that are still there', () => {
    const got = recordComments([thread('t', { replies: [reply('r1'), reply('r2', true), reply('r3')] })]);
    expect(got).toHaveLength(1);
    expect(got[0]!.replies).toBe(2);
  });
  it('leaves out deleted threads unless replies remain', () => {
    const got = recordComments([
      thread('gone', { deleted: true, body: '' }),
      thread('kept', { deleted: true, body: '', replies: [reply('r')] }),
    ]);
    expect(got.map((c) => c.id)).toEqual(['kept']);
  });
});

describe('pendingHint', () => {
  it('names the measured pace of pocketsphinx and the wait for this video', () => {
    expect(pendingHint('pocketsphinx', 120_000)).toBe('This usually takes about 25 s per minute of video (about 50 s for this video).');
    expect(pendingHint('pocketsphinx', 10 * 60_000)).toContain('(about 4 min for this video)');
    expect(pendingHint('pocketsphinx', 5000)).toBe('This usually takes about 25 s per minute of video.');
  });
  it('makes no promise for engines whose pace depends on the model', () => {
    expect(pendingHint('whisper', 60_000)).not.toMatch(/\d/);
  });
});

describe('recordText', () => {
  const clock = (ms: number): string => `${Math.floor(ms / 1000)}s`;
  const base = {
    videoId: 'v', byOwner: false, mine: false, edited: false, deleted: false, resolved: false, createdAt: '', updatedAt: '',
  };
  it('reads lines and comments in order, replies under their thread', () => {
    const threads: Thread[] = [{
      ...base, id: 't', timeMs: 4200, body: 'Is it final?\nFor everyone?', authorName: 'Kenji', resolved: true,
      replies: [
        { ...base, id: 'r1', parentId: 't', timeMs: 4200, body: 'Yes.', authorName: 'Rita' },
        { ...base, id: 'r2', parentId: 't', timeMs: 4200, body: '', authorName: 'Gone', deleted: true },
      ],
    }];
    expect(recordText('  Release ', lines, threads, clock)).toBe([
      'Release',
      'Transcript and comments, by time.',
      '',
      '[1s] line 1',
      '[3s] line 2',
      '[4s] Kenji: Is it final?',
      '     For everyone? (resolved)',
      '     ↳ Rita: Yes.',
      '[6s] line 3',
      '',
    ].join('\n'));
  });
  it('names an untitled video and keeps a deleted thread that holds replies', () => {
    const threads: Thread[] = [{
      ...base, id: 't', timeMs: 0, body: '', authorName: 'X', deleted: true,
      replies: [{ ...base, id: 'r', parentId: 't', timeMs: 0, body: 'Still here', authorName: 'Ann' }],
    }];
    expect(recordText('', [], threads, clock)).toBe('Untitled video\nTranscript and comments, by time.\n\n[0s] Comment deleted\n     ↳ Ann: Still here\n');
  });
});
