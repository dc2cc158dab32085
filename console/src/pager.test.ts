import { test } from 'node:test';
import assert from 'node:assert/strict';
import { currentToken, firstPage, nextPage, pageNumber, previousPage } from './pager.ts';

test('the pager walks forward with continue tokens and back to the first page', () => {
  assert.equal(currentToken(firstPage), undefined);
  assert.equal(pageNumber(firstPage), 1);
  const two = nextPage(firstPage, 'c1');
  const three = nextPage(two, 'c2');
  assert.equal(currentToken(three), 'c2');
  assert.equal(pageNumber(three), 3);
  assert.equal(currentToken(previousPage(three)), 'c1');
  assert.equal(currentToken(previousPage(two)), undefined);
  assert.deepEqual(previousPage(firstPage), firstPage);
  assert.deepEqual(two, { stack: ['c1'] }, 'moving on returns a new value and leaves the old one');
});
