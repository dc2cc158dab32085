import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultContainerBounds, limitRangeWithinErrors, validateLimitRange } from './limit-range.ts';
import type { LimitRangeSpec } from './model.ts';

const msgs = (causes: { field?: string; message: string }[]) => causes.map((c) => `${c.field}: ${c.message}`);

describe('defaultContainerBounds', () => {
  const cases: [string, Parameters<typeof defaultContainerBounds>[0], ReturnType<typeof defaultContainerBounds>][] = [
    ['nothing to default', {}, {}],
    ['default limit from max, request from default', { max: { cpu: '2' } }, { max: { cpu: '2' }, default: { cpu: '2' }, defaultRequest: { cpu: '2' } }],
    ['request from default before min', { min: { cpu: '100m' }, default: { cpu: '1' } }, { min: { cpu: '100m' }, default: { cpu: '1' }, defaultRequest: { cpu: '1' } }],
    ['request from min', { min: { memory: '64Mi' } }, { min: { memory: '64Mi' }, defaultRequest: { memory: '64Mi' } }],
    ['given values win', { max: { cpu: '2' }, default: { cpu: '1' }, defaultRequest: { cpu: '500m' } },
      { max: { cpu: '2' }, default: { cpu: '1' }, defaultRequest: { cpu: '500m' } }],
  ];
  for (const [name, input, want] of cases) it(name, () => assert.deepEqual(defaultContainerBounds(input), want));
});

describe('validateLimitRange', () => {
  const cases: [string, LimitRangeSpec, string[]][] = [
    ['a complete valid range', {
      container: { min: { cpu: '50m', memory: '32Mi' }, max: { cpu: '2', memory: '2Gi' }, default: { cpu: '500m', memory: '512Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' }, maxLimitRequestRatio: { cpu: '10' } },
      pod: { max: { cpu: '4', memory: '4Gi' }, min: { cpu: '50m' } },
    }, []],
    ['empty', {}, []],
    ['min above max', { container: { min: { cpu: '3' }, max: { cpu: '2' }, default: { cpu: '2' }, defaultRequest: { cpu: '3' } } }, [
      'lr.container.min[cpu]: Invalid value: "3": min value 3 is greater than max value 2',
      'lr.container.defaultRequest[cpu]: Invalid value: "3": default request value 3 is greater than max value 2',
      'lr.container.defaultRequest[cpu]: Invalid value: "3": default request value 3 is greater than default limit value 2',
      'lr.container.default[cpu]: Invalid value: "3": min value 3 is greater than default value 2',
    ]],
    ['default above max', { container: { max: { memory: '1Gi' }, default: { memory: '2Gi' }, defaultRequest: { memory: '1Gi' } } }, [
      'lr.container.default[memory]: Invalid value: "1Gi": default value 2Gi is greater than max value 1Gi',
    ]],
    ['defaultRequest below min', { container: { min: { cpu: '200m' }, defaultRequest: { cpu: '100m' } } }, [
      'lr.container.defaultRequest[cpu]: Invalid value: "100m": min value 200m is greater than default request value 100m',
    ]],
    ['defaulted default limit (from max) below the given request', { container: { max: { cpu: '1' }, defaultRequest: { cpu: '1500m' } } }, [
      'lr.container.defaultRequest[cpu]: Invalid value: "1500m": default request value 1500m is greater than max value 1',
      'lr.container.defaultRequest[cpu]: Invalid value: "1500m": default request value 1500m is greater than default limit value 1',
    ]],
    ['ratio below 1', { pod: { maxLimitRequestRatio: { cpu: '500m' } } }, [
      'lr.pod.maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1',
    ]],
    ['ratio above max/min', { pod: { min: { cpu: '1' }, max: { cpu: '2' }, maxLimitRequestRatio: { cpu: '3' } } }, [
      'lr.pod.maxLimitRequestRatio[cpu]: Invalid value: "3": ratio 3 is greater than max/min = 2.000000',
    ]],
    ['defaults that break the ratio', { container: { default: { cpu: '2' }, defaultRequest: { cpu: '500m' }, maxLimitRequestRatio: { cpu: '2' } } }, [
      'lr.container.maxLimitRequestRatio[cpu]: Invalid value: "2": default limit 2 over default request 500m exceeds the ratio, so a container without resources would be refused',
    ]],
    ['defaults exactly at the ratio', { container: { default: { cpu: '1' }, defaultRequest: { cpu: '500m' }, maxLimitRequestRatio: { cpu: '2' } } }, []],
    ['Pod item with defaults', { pod: { default: { cpu: '1' }, defaultRequest: { cpu: '1' } } }, [
      "lr.pod.default: Forbidden: may not be specified when `type` is 'Pod'",
      "lr.pod.defaultRequest: Forbidden: may not be specified when `type` is 'Pod'",
    ]],
    ['unsupported resource', { container: { max: { 'nvidia.com/gpu': '1' } } }, [
      'lr.container.max[nvidia.com/gpu]: Unsupported value: "nvidia.com/gpu": supported values: "cpu", "ephemeral-storage", "memory"',
    ]],
    ['quantity that does not parse', { pod: { max: { cpu: 'lots' } } }, [
      'lr.pod.max[cpu]: Invalid value: "lots": quantity "lots" is invalid: quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
    ]],
    ['negative quantity', { pod: { min: { memory: '-1Gi' } } }, ['lr.pod.min[memory]: Invalid value: "-1Gi": must be greater than or equal to 0']],
    ['container default above pod max', { container: { default: { cpu: '2' } }, pod: { max: { cpu: '1' } } }, [
      'lr.container.default[cpu]: Invalid value: "2": default limit 2 is greater than the pod max 1, so a pod without resources would be refused',
    ]],
    ['container default request below pod min', { container: { defaultRequest: { memory: '64Mi' } }, pod: { min: { memory: '128Mi' } } }, [
      'lr.container.defaultRequest[memory]: Invalid value: "64Mi": default request 64Mi is less than the pod min 128Mi, so a pod without resources would be refused',
    ]],
  ];
  for (const [name, spec, want] of cases) it(name, () => assert.deepEqual(msgs(validateLimitRange(spec, 'lr')), want));
});

describe('limitRangeWithinErrors', () => {
  const bounds: LimitRangeSpec = {
    container: { min: { cpu: '100m' }, max: { cpu: '2', memory: '2Gi' }, maxLimitRequestRatio: { cpu: '4' } },
    pod: { max: { cpu: '4' } },
  };
  const cases: [string, LimitRangeSpec, string[]][] = [
    ['tighter everywhere', { container: { min: { cpu: '200m' }, max: { cpu: '1', memory: '1Gi' }, maxLimitRequestRatio: { cpu: '2' } }, pod: { max: { cpu: '2' } } }, []],
    ['equal to the tenant', bounds, []],
    ['looser max, lower min, higher ratio', { container: { min: { cpu: '50m' }, max: { cpu: '3', memory: '2Gi' }, maxLimitRequestRatio: { cpu: '8' } }, pod: { max: { cpu: '4' } } }, [
      'lr.container.max[cpu]: Forbidden: max 3 must be less than or equal to the tenant max 2',
      'lr.container.min[cpu]: Forbidden: min 50m must be greater than or equal to the tenant min 100m',
      'lr.container.maxLimitRequestRatio[cpu]: Forbidden: maxLimitRequestRatio 8 must be less than or equal to the tenant maxLimitRequestRatio 4',
    ]],
    ['a bound the tenant sets is missing', { container: { min: { cpu: '100m' }, max: { cpu: '2' }, maxLimitRequestRatio: { cpu: '4' } } }, [
      "lr.container.max[memory]: Required value: the tenant's max of memory is 2Gi",
      "lr.pod.max[cpu]: Required value: the tenant's max of cpu is 4",
    ]],
    ['compares values, not texts', { container: { min: { cpu: '0.1' }, max: { cpu: '2000m', memory: '2048Mi' }, maxLimitRequestRatio: { cpu: '4' } }, pod: { max: { cpu: '4' } } }, []],
  ];
  for (const [name, spec, want] of cases) it(name, () => assert.deepEqual(msgs(limitRangeWithinErrors(spec, bounds, 'lr')), want));
});
