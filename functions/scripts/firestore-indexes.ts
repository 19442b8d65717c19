/**
 * `npm run indexes [-- --check]`
 *
 * Writes emulator-config/firestore.indexes.json from the queries the code makes (collected
 * by ./query-shapes.ts, planned by shared/src/adapters/firestore/firestore-indexes.ts). firebase.json points the emulator
 * at it and Terraform reads the same file, so there is one list of indexes. `--check`
 * only compares, for CI.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { COMPOSITE_INDEX_LIMIT, renderIndexFile } from '@taskman/shared/adapters/firestore/firestore-indexes';
import { generateIndexFile } from './query-shapes.ts';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const target = new URL('../../emulator-config/firestore.indexes.json', import.meta.url);

const file = await generateIndexFile();
const text = renderIndexFile(file);
if (file.indexes.length > COMPOSITE_INDEX_LIMIT) {
  console.error(
    `${file.indexes.length} composite indexes exceed Firestore's limit of ${COMPOSITE_INDEX_LIMIT}.`,
  );
  process.exit(1);
}
const current = await readFile(target, 'utf8').catch(() => '');
if (values.check) {
  if (current !== text) {
    console.error('emulator-config/firestore.indexes.json is out of date: run `npm run indexes`.');
    process.exit(1);
  }
  console.log(`firestore.indexes.json is current (${file.indexes.length} composite indexes).`);
} else {
  await writeFile(target, text);
  console.log(`Wrote ${file.indexes.length} composite indexes to emulator-config/firestore.indexes.json.`);
}
process.exit(0);
