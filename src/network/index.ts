// What other areas may import from network.

export {
  addressCount,
  cidrOf,
  cidrsOverlap,
  containsAddress,
  containsCidr,
  defaultNodeMaskSize,
  familyBits,
  formatCidr,
  formatIp,
  lastAddress,
  nextFreeSubnet,
  parseCidr,
  parseCidrAddress,
  parseIp,
  rangeToCidrs,
  subnetAt,
  subnetCount,
  subnetsOf,
} from './cidr.ts';
export type { Cidr, IpAddress, IpFamily, ParseCidrOptions, ParsedCidr, SubnetChoice } from './cidr.ts';
