// Open VSX's publish-time checks on a built .vsix, offline and without publishing: the
// ovsx CLI has no dry run (its `verify` and `verify-pat` ask the registry). `ovsx publish
// x.vsix` reads the package's manifest (readVSIXPackage), requires publisher, name and
// version (validateManifest), requires a licence (isLicenseOk: a `license` field or a
// LICENSE file) and then asks the registry for the namespace's size limit; this runs the
// same functions from ovsx's own library, and checks the size against ovsx's own upload
// cap (DEFAULT_PUBLISH_SIZE) instead of asking the registry for the namespace's limit.
//   node scripts/openvsx-check.mjs finetune-ls.vsix
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { readVSIXPackage, readZip } = require('ovsx/lib/zip');
const { validateManifest } = require('ovsx/lib/util');
const { DEFAULT_PUBLISH_SIZE } = require('ovsx/lib/registry');

const vsix = process.argv[2];
if (!vsix) throw new Error('usage: node scripts/openvsx-check.mjs EXTENSION.vsix');
const manifest = await readVSIXPackage(vsix);
validateManifest(manifest);
const entries = [];
await readZip(vsix, (name) => { entries.push(name); return false; }); // names only, no contents
const problems = [];
if (!manifest.license && !entries.some((name) => /^extension\/licen[sc]e(\.md|\.txt)?$/i.test(name))) {
  problems.push('no licence: Open VSX refuses unlicensed extensions');
}
const size = statSync(vsix).size;
if (size > DEFAULT_PUBLISH_SIZE) problems.push(`${size} bytes: over ovsx's upload cap of ${DEFAULT_PUBLISH_SIZE}`);
if (problems.length) {
  console.error(`ovsx checks failed for ${vsix}:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`ovsx checks passed: ${manifest.publisher}.${manifest.name} ${manifest.version}, license ${manifest.license}, ${size} bytes`);
