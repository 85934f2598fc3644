// Lists every file vite built (relative names, sorted) in OUT/MANIFEST: apweb
// reads exactly these into memory at start and serves nothing else.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const out = resolve(process.env.CONSOLE_OUT || 'dist');
const names = [];
const walk = (dir) => {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (e !== 'MANIFEST') names.push(relative(out, p));
  }
};
walk(out);
names.sort();
const bad = names.filter((n) => !/^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\.(html|js|css|svg|png|ico|woff2|txt)$/.test(n) || n.includes('..'));
if (bad.length) {
  console.error(`manifest: these built files cannot be served: ${bad.join(', ')}`);
  process.exit(1);
}
writeFileSync(join(out, 'MANIFEST'), names.join('\n') + '\n');
console.log(`manifest: ${names.length} files in ${out}/MANIFEST`);
