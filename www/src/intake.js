// Turning drops and pickers into a flat list of { file, path }. Folders are
// walked (a whole /lib/modules tree works); inside folders only files that
// can carry BTF by name are kept, so modules.dep and friends are skipped.
// Files chosen one by one are always kept: the core decides by content.

const BTF_CARRIER = /\.ko(\.(xz|gz|zst))?$|vmlinu[xz]|\.btf$/i;

const promised = (call) => new Promise((resolve, reject) => call(resolve, reject));

async function walk(entry, out) {
  if (entry.isFile) {
    if (BTF_CARRIER.test(entry.name)) {
      out.push({ file: await promised((ok, fail) => entry.file(ok, fail)), path: entry.fullPath.replace(/^\//, '') });
    }
    return;
  }
  const reader = entry.createReader();
  // readEntries hands out a directory in chunks until it returns none.
  for (;;) {
    const chunk = await promised((ok, fail) => reader.readEntries(ok, fail));
    if (!chunk.length) break;
    for (const child of chunk) await walk(child, out);
  }
}

/** Files from a drop; must be called inside the drop handler (items expire). */
export function filesFromDrop(dataTransfer) {
  const entries = [...dataTransfer.items]
    .filter((item) => item.kind === 'file')
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
  if (entries.length === 0 || entries.some((e) => !e)) {
    const files = [...dataTransfer.files];
    return Promise.resolve(files.map((file) => ({ file, path: file.name })));
  }
  return (async () => {
    const out = [];
    for (const entry of entries) {
      if (entry.isFile) out.push({ file: await promised((ok, fail) => entry.file(ok, fail)), path: entry.name });
      else await walk(entry, out);
    }
    return out;
  })();
}

/** Files from an <input type=file>, with or without webkitdirectory. */
export function filesFromInput(input) {
  const files = [...input.files];
  const fromFolder = files.some((f) => f.webkitRelativePath);
  return files
    .filter((f) => !fromFolder || BTF_CARRIER.test(f.name))
    .map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}
