import { describe, expect, it } from 'vitest';
import { markParts } from './moments';

describe('markParts', () => {
  it('splits text at the marked words', () => {
    expect(markParts('the release schedule, schedule', [[12, 20], [22, 30]])).toEqual([
      { text: 'the release ', mark: false },
      { text: 'schedule', mark: true },
      { text: ', ', mark: false },
      { text: 'schedule', mark: true },
    ]);
  });

  it('counts UTF-16 units, as the server does', () => {
    expect(markParts('💰 budget', [[3, 9]])).toEqual([
      { text: '💰 ', mark: false },
      { text: 'budget', mark: true },
    ]);
  });

  it('ignores ranges that overlap, run backwards or past the end', () => {
    expect(markParts('<b>hi</b>', [[0, 3], [1, 2], [5, 4], [8, 99]])).toEqual([
      { text: '<b>', mark: true },
      { text: 'hi</b>', mark: false },
    ]);
    expect(markParts('plain', [])).toEqual([{ text: 'plain', mark: false }]);
  });
});
