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
