import { test } from 'node:test';
import assert from 'node:assert/strict';
import { en } from './en.ts';
import { zh } from './zh.ts';
import { format, initialLanguage, translator } from './messages.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('the Chinese dictionary has exactly the English keys, each translated with the same placeholders', () => {
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  for (const key of Object.keys(en) as (keyof typeof en)[]) {
    assert.notEqual(zh[key].trim(), '', key);
    assert.deepEqual(placeholders(zh[key]), placeholders(en[key]), key);
  }
});

test('the Chinese dictionary is written in Chinese', () => {
  const untranslated = (Object.keys(en) as (keyof typeof en)[])
    .filter((key) => zh[key] === en[key] && /[a-z]{3}/i.test(en[key]) && key !== 'app.title');
  assert.deepEqual(untranslated, []);
});

test('format fills known placeholders and leaves unknown ones', () => {
  assert.equal(format('Delete {name}?', { name: 'alice' }), 'Delete alice?');
  assert.equal(format('{a}-{b}-{a}', { a: 1, b: 'x' }), '1-x-1');
  assert.equal(format('keep {missing}', {}), 'keep {missing}');
  assert.equal(format('no {toString}', {}), 'no {toString}');
});

test('initialLanguage prefers the stored choice, then the browser, then English', () => {
  const cases: readonly [string | null, readonly string[], string][] = [
    ['zh', ['en-US'], 'zh'],
    ['en', ['zh-CN'], 'en'],
    [null, ['zh-CN', 'en'], 'zh'],
    [null, ['zh-TW'], 'zh'],
    [null, ['fr-FR', 'en-GB'], 'en'],
    [null, ['fr-FR'], 'en'],
    ['klingon', ['de'], 'en'],
    [null, [], 'en'],
  ];
  for (const [stored, browser, want] of cases) assert.equal(initialLanguage(stored, browser), want, `${stored} ${browser.join(',')}`);
});

test('translator picks the dictionary of the language', () => {
  assert.equal(translator('en')('tokens.secretTitle', { name: 'ci' }), 'Token ci created');
  assert.equal(translator('zh')('tokens.secretTitle', { name: 'ci' }), '已创建令牌 ci');
});
