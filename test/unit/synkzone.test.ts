import { describe, expect, it } from '@jest/globals';
import { describeShape, extractCredential, passwordChars } from '../../src/synkzone.js';
import { describeDuration, parseDuration } from '../../src/duration.js';
import { renewalDueAt } from '../../src/renewal.js';

describe('passwordChars', () => {
  it.each([
    ['password', ['p', 'a', 's', 's', 'w', 'o', 'r', 'd']],
    ['', []],
    ['åäö', ['å', 'ä', 'ö']],
    // An emoji is two UTF-16 code units, as a Java char[] holds it: two lone surrogates.
    ['a😀', ['a', '\uD83D', '\uDE00']],
    ['"\\\n', ['"', '\\', '\n']]
  ])('splits %j into UTF-16 code units', (password, chars) => {
    expect(passwordChars(password)).toEqual(chars);
  });

  it('serialises lone surrogates as escapes, not as replacement characters', () => {
    expect(JSON.stringify(passwordChars('😀'))).toBe('["\\ud83d","\\ude00"]');
  });
});

describe('extractCredential', () => {
  const TOKEN_FIELDS = ['token', 'value', 'apiToken'];
  it.each<[unknown, string | undefined]>([
    ['P-ABC', 'P-ABC'],
    [{ token: 'P-ABC' }, 'P-ABC'],
    [{ value: 'P-ABC' }, 'P-ABC'],
    [{ apiToken: 'P-ABC', other: 1 }, 'P-ABC'],
    [{ token: 42, value: 'P-ABC' }, 'P-ABC'],
    [{ token: '' }, undefined],
    [{ token: 'has space' }, undefined],
    [{ token: 'line\nbreak' }, undefined],
    [{ token: { nested: 'x' } }, undefined],
    [{ Token: 'P-ABC' }, undefined],
    [['P-ABC'], undefined],
    [null, undefined],
    [42, undefined],
    ['', undefined]
  ])('%j → %j', (body, expected) => {
    expect(extractCredential(body, TOKEN_FIELDS)).toBe(expected);
  });
});

describe('describeShape', () => {
  it.each<[unknown, string]>([
    [{ error: 'secret-value', code: 1 }, 'had the fields error, code'],
    [{}, 'was an empty object'],
    [[1, 2], 'was a list of 2'],
    [null, 'was null'],
    [7, 'was a JSON number'],
    [{ 'a"b<script>': 1 }, 'had the fields a?b?script?']
  ])('%j → %s, never values', (body, expected) => {
    expect(describeShape(body)).toBe(expected);
  });
});

describe('durations', () => {
  it.each([
    ['60', 60],
    ['1m', 60],
    [' 2h ', 7200],
    ['0', undefined],
    ['', undefined],
    ['1.5h', undefined],
    ['h', undefined],
    ['10 days', undefined],
    ['2147483647', 2147483647],
    ['2147483648', undefined],
    ['99999999999999999999w', undefined]
  ])('parseDuration(%j) → %j', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each([
    [7776000, '90 days'],
    [86400, '1 day'],
    [3600, '1 hour'],
    [5400, '90 minutes'],
    [61, '61 seconds'],
    [1, '1 second']
  ])('describeDuration(%i) → %s', (seconds, text) => {
    expect(describeDuration(seconds)).toBe(text);
  });

  it('renewal falls due validity minus renew-before after the last write', () => {
    expect(renewalDueAt(new Date('2026-01-01T00:00:00Z'), 90 * 86400, 14 * 86400).toISOString()).toBe('2026-03-18T00:00:00.000Z');
  });
});
