// What other areas may import from compute.

export {
  NodePortAllocator,
  NodePortError,
  calculateRangeOffset,
  defaultNodePortRange,
  formatPortRange,
  parsePortRange,
} from './nodeport.ts';
export type {
  NodePortAllocatorOptions,
  NodePortFailure,
  NodePortSnapshot,
  PortRange,
  PortReservation,
  RandomInt,
} from './nodeport.ts';

export { compareQuantities, parseQuantity, quantityValue, zeroQuantity } from './quantity.ts';
export type { Quantity } from './quantity.ts';
export { labelSelectorAsSelector } from './labels.ts';
export type { LabelSelector, Selector } from './labels.ts';
