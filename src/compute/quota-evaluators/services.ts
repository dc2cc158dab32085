// pkg/quota/v1/evaluator/core/services.go: a Service consumes `services`, and as a NodePort or
// LoadBalancer Service one `services.nodeports` per port (for a LoadBalancer that does not
// allocate node ports, only the ports that name one), and a LoadBalancer one
// `services.loadbalancers`.
import { type KubeObject, newQuantity, type ResourceList } from '../../objects/index.ts';
import { objectCountResourceName, type QuotaEvaluator } from './types.ts';

const serviceResources = [objectCountResourceName('services'), 'services', 'services.loadbalancers', 'services.nodeports'];

/** The Service evaluator. */
export const serviceEvaluator = {
  groupResource: 'services',
  matchingResources: (input) => serviceResources.filter((n) => input.includes(n)),
  matchesScope: () => false,
  constraints: () => undefined,
  usage(obj: KubeObject): ResourceList {
    if (obj.kind !== 'Service') return {};
    let nodePorts = 0;
    let loadBalancers = 0;
    if (obj.serviceType === 'NodePort') {
      nodePorts = obj.ports.length;
    } else if (obj.serviceType === 'LoadBalancer') {
      nodePorts = obj.allocateLoadBalancerNodePorts === false ? obj.ports.filter((p) => (p.nodePort ?? 0) !== 0).length : obj.ports.length;
      loadBalancers = 1;
    }
    return {
      [objectCountResourceName('services')]: newQuantity(1),
      services: newQuantity(1),
      'services.loadbalancers': newQuantity(loadBalancers),
      'services.nodeports': newQuantity(nodePorts),
    };
  },
} satisfies QuotaEvaluator;
