import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dns1123LabelErrors, dns1123SubdomainErrors, labelValueErrors, qualifiedNameErrors } from './names.ts';

const labelFormat = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const subdomainFormat = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const namePartFormat = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const valueFormat = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

type Case = readonly [value: string, errors: readonly string[]];

function table(name: string, check: (value: string) => string[], cases: readonly Case[]): void {
  describe(name, () => {
    for (const [value, errors] of cases) {
      it(JSON.stringify(value.length > 40 ? `${value.slice(0, 20)}…(${value.length})` : value), () => assert.deepEqual(check(value), errors));
    }
  });
}

table('dns1123LabelErrors (IsDNS1123Label)', dns1123LabelErrors, [
  ['a', []],
  ['team-a', []],
  ['0-9', []],
  ['x'.repeat(63), []],
  ['x'.repeat(64), ['must be no more than 63 characters']],
  ['', [labelFormat]],
  ['Team', [labelFormat]],
  ['-a', [labelFormat]],
  ['a-', [labelFormat]],
  ['a_b', [labelFormat]],
  ['a.b', ['must not contain dots']],
  [`${'x'.repeat(64)}-`, ['must be no more than 63 characters', labelFormat]],
]);

table('dns1123SubdomainErrors (IsDNS1123Subdomain)', dns1123SubdomainErrors, [
  ['a', []],
  ['example.com', []],
  ['a-b.c-d.e', []],
  [`${'x'.repeat(63)}.${'y'.repeat(63)}.${'z'.repeat(63)}.${'w'.repeat(61)}`, []],
  ['x'.repeat(254), ['must be no more than 253 characters']],
  ['', [subdomainFormat]],
  ['Example.com', [subdomainFormat]],
  ['a..b', [subdomainFormat]],
  ['.a', [subdomainFormat]],
  ['a.', [subdomainFormat]],
  ['a_b', [subdomainFormat]],
  ['Not_Valid', [subdomainFormat]],
]);

table('qualifiedNameErrors (IsQualifiedName)', qualifiedNameErrors, [
  ['app', []],
  ['App.Kubernetes_io-x', []],
  ['example.com/MyName', []],
  ['x'.repeat(63), []],
  ['x'.repeat(64), ['name part must be no more than 63 characters']],
  ['', ['name part must be non-empty', namePartFormat]],
  ['-bad', [namePartFormat]],
  ['/x', ['prefix part must be non-empty']],
  ['example.com/', ['name part must be non-empty', namePartFormat]],
  ['Upper.com/x', [`prefix part ${subdomainFormat}`]],
  ['a/b/c', ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]],
]);

table('labelValueErrors (IsValidLabelValue)', labelValueErrors, [
  ['', []],
  ['v1', []],
  ['My_value.2', []],
  ['x'.repeat(63), []],
  ['x'.repeat(64), ['must be no more than 63 characters']],
  ['has space', [valueFormat]],
  ['-a', [valueFormat]],
  ['a/b', [valueFormat]],
]);
