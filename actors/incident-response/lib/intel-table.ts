/**
 * The bundled offline threat-intel table. Every entry is fake: IPs come from the documentation
 * ranges (RFC 5737: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24), domains end in `.example`
 * (RFC 2606), and hashes are SHA-256 digests of made-up labels.
 */
import type { IntelEntry } from '../types.js';

const FEED = 'troupe-offline-intel';

export const INTEL_TABLE: readonly IntelEntry[] = [
  // IPs
  { indicator: '203.0.113.66', kind: 'ip', verdict: 'malicious', score: 95, tags: ['c2', 'cobalt-strike'], source: FEED, lastSeen: '2024-05-12', family: 'CobaltStrike' },
  { indicator: '203.0.113.14', kind: 'ip', verdict: 'malicious', score: 88, tags: ['c2', 'qakbot'], source: FEED, lastSeen: '2024-04-30', family: 'Qakbot' },
  { indicator: '203.0.113.200', kind: 'ip', verdict: 'malicious', score: 82, tags: ['ransomware', 'exfiltration'], source: FEED, lastSeen: '2024-05-02', family: 'LockBit' },
  { indicator: '198.51.100.23', kind: 'ip', verdict: 'suspicious', score: 61, tags: ['tor-exit', 'scanner'], source: FEED, lastSeen: '2024-05-10' },
  { indicator: '198.51.100.77', kind: 'ip', verdict: 'malicious', score: 79, tags: ['brute-force', 'ssh'], source: FEED, lastSeen: '2024-05-11' },
  { indicator: '198.51.100.140', kind: 'ip', verdict: 'suspicious', score: 48, tags: ['vpn-provider'], source: FEED, lastSeen: '2024-03-18' },
  { indicator: '192.0.2.10', kind: 'ip', verdict: 'benign', score: 3, tags: ['corporate-proxy'], source: 'internal-allowlist', lastSeen: '2024-05-14' },
  { indicator: '192.0.2.53', kind: 'ip', verdict: 'benign', score: 1, tags: ['resolver'], source: 'internal-allowlist', lastSeen: '2024-05-14' },
  { indicator: '192.0.2.99', kind: 'ip', verdict: 'malicious', score: 90, tags: ['phishing-kit-host'], source: FEED, lastSeen: '2024-05-01' },
  { indicator: '198.51.100.5', kind: 'ip', verdict: 'suspicious', score: 55, tags: ['bulletproof-hosting'], source: FEED, lastSeen: '2024-02-27' },
  { indicator: '203.0.113.9', kind: 'ip', verdict: 'benign', score: 5, tags: ['cdn'], source: FEED, lastSeen: '2024-05-13' },
  { indicator: '192.0.2.250', kind: 'ip', verdict: 'malicious', score: 86, tags: ['miner-pool'], source: FEED, lastSeen: '2024-04-21', family: 'XMRig' },
  // Hashes
  { indicator: 'f28b5010d1182b4893f257bdd931e15ad54ed6e294852b928d6c065958b726cc', kind: 'hash', verdict: 'malicious', score: 97, tags: ['credential-dumper', 'lsass'], source: FEED, lastSeen: '2024-05-09', family: 'Mimikatz' },
  { indicator: 'f2c58bcf81066e145470caa32ef348f99ae410f6e2e2d46e0ffc4af305fe91df', kind: 'hash', verdict: 'malicious', score: 93, tags: ['loader', 'beacon'], source: FEED, lastSeen: '2024-05-12', family: 'CobaltStrike' },
  { indicator: 'ab094d45f0b35893d40208e1affb57d3b9168349794514ed41ca2fcb451b57d6', kind: 'hash', verdict: 'malicious', score: 99, tags: ['ransomware'], source: FEED, lastSeen: '2024-05-02', family: 'LockBit' },
  { indicator: '6694e69aa7f3ed5527d06ef7eff6d1dff187d8d8adf922e54e889e3459ed0893', kind: 'hash', verdict: 'malicious', score: 91, tags: ['banking-trojan', 'dll'], source: FEED, lastSeen: '2024-04-30', family: 'Qakbot' },
  { indicator: 'a0dd315a82d1621d0316eb9cee1460c0431d4abd9d53b097cf1e032ef465d416', kind: 'hash', verdict: 'malicious', score: 84, tags: ['infostealer'], source: FEED, lastSeen: '2024-04-11', family: 'AgentTesla' },
  { indicator: '1ff97ffc49a34d228d310746263d4ee0c1fa55bd2c07c13bf053ec896d1fed99', kind: 'hash', verdict: 'malicious', score: 80, tags: ['rat'], source: FEED, lastSeen: '2024-01-29', family: 'njRAT' },
  { indicator: 'a99718ff0fae78709af8a006eef4a5305f205c4c75c9fc86895bb9c0fe1745ac', kind: 'hash', verdict: 'malicious', score: 87, tags: ['maldoc', 'macro'], source: FEED, lastSeen: '2024-03-05', family: 'Emotet' },
  { indicator: '90f58ebfdeb3caed383cd5de93b0dc5c89a7c2e9f931d2e2ed67678cb27f3ef8', kind: 'hash', verdict: 'malicious', score: 89, tags: ['rat', 'sideloading'], source: FEED, lastSeen: '2024-02-14', family: 'PlugX' },
  { indicator: '22895d83144eb78ca4882abc1d3d362584146c410a5f60ab148538db0f64bed8', kind: 'hash', verdict: 'suspicious', score: 66, tags: ['coinminer'], source: FEED, lastSeen: '2024-04-21', family: 'XMRig' },
  { indicator: '488874dea9b4582fac2461a80d44e1ec5221c12e5b4ddfe7d5fabe94c558938b', kind: 'hash', verdict: 'suspicious', score: 58, tags: ['dual-use', 'renamed-psexec'], source: FEED, lastSeen: '2024-05-07' },
  { indicator: 'dd89d48dfc0c5f8753bf346d9fdb6b25c143573cabee78c5bfafb2e51ea0e282', kind: 'hash', verdict: 'benign', score: 2, tags: ['signed', 'archiver'], source: 'software-inventory', lastSeen: '2024-05-14' },
  { indicator: '03fdf6782eb5c38dd4fe05ca052f2da02c610d3d1d768393e4e5911872e45e4f', kind: 'hash', verdict: 'suspicious', score: 40, tags: ['dual-use', 'sysinternals'], source: 'software-inventory', lastSeen: '2024-05-14' },
  { indicator: 'a7ba0efd30a3ac32021a6aa11a57fc5cdaa16066fb6b27a82120dd537c1a4c21', kind: 'hash', verdict: 'benign', score: 1, tags: ['signed', 'editor'], source: 'software-inventory', lastSeen: '2024-05-14' },
  // Domains
  { indicator: 'update-check.badcdn.example', kind: 'domain', verdict: 'malicious', score: 94, tags: ['c2', 'cobalt-strike'], source: FEED, lastSeen: '2024-05-12', family: 'CobaltStrike' },
  { indicator: 'badcdn.example', kind: 'domain', verdict: 'malicious', score: 85, tags: ['c2-infrastructure'], source: FEED, lastSeen: '2024-05-12' },
  { indicator: 'login-microsoft-secure.example', kind: 'domain', verdict: 'malicious', score: 92, tags: ['phishing', 'credential-harvesting'], source: FEED, lastSeen: '2024-05-08' },
  { indicator: 'pastebin-mirror.example', kind: 'domain', verdict: 'suspicious', score: 57, tags: ['paste-site', 'staging'], source: FEED, lastSeen: '2024-04-02' },
  { indicator: 'files-share.example', kind: 'domain', verdict: 'suspicious', score: 50, tags: ['file-sharing', 'exfiltration'], source: FEED, lastSeen: '2024-05-03' },
  { indicator: 'qbot-gate.example', kind: 'domain', verdict: 'malicious', score: 90, tags: ['c2', 'qakbot'], source: FEED, lastSeen: '2024-04-30', family: 'Qakbot' },
  { indicator: 'lockbit-leaks.example', kind: 'domain', verdict: 'malicious', score: 96, tags: ['ransomware', 'leak-site'], source: FEED, lastSeen: '2024-05-02', family: 'LockBit' },
  { indicator: 'pool.minexmr.example', kind: 'domain', verdict: 'malicious', score: 78, tags: ['miner-pool'], source: FEED, lastSeen: '2024-04-21', family: 'XMRig' },
  { indicator: 'ddns-free.example', kind: 'domain', verdict: 'suspicious', score: 45, tags: ['dynamic-dns'], source: FEED, lastSeen: '2024-03-30' },
  { indicator: 'updates.vendor.example', kind: 'domain', verdict: 'benign', score: 2, tags: ['software-update'], source: 'internal-allowlist', lastSeen: '2024-05-14' },
  { indicator: 'cdn.jsdelivr.example', kind: 'domain', verdict: 'benign', score: 4, tags: ['cdn'], source: FEED, lastSeen: '2024-05-14' },
  { indicator: 'telemetry.office.example', kind: 'domain', verdict: 'benign', score: 3, tags: ['telemetry'], source: 'internal-allowlist', lastSeen: '2024-05-14' },
];
