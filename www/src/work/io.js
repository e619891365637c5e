// What every request does with files: reading them (many at once, the
// next batch while the core works on the current one), and telling a file
// that could not be read or a core that died from an error the core returned.

export const read = async (file) => new Uint8Array(await file.arrayBuffer());
// A file that cannot be read (changed or removed since it was dropped)
// comes back as its Error: it fails alone, the others go on.
export const readAll = (files) => Promise.all(files.map((file) => read(file).catch((e) => e)));
export const EMPTY = new Uint8Array();

/** The buffers of `read` (see readAll), with `unread` for the files that could not be read. */
export const buffersOf = (read, unread) => read.map((b) => (b instanceof Error ? unread : b));

/**
 * Calls `analyse(buffers)` with every unread file as no bytes; the
 * outcomes it returns then say why they were not read.
 */
export function analyseRead(read, analyse) {
  const outcomes = analyse(buffersOf(read, EMPTY));
  read.forEach((b, i) => b instanceof Error && (outcomes[i] = { status: 'failed', error: `could not read the file: ${errorText(b)}` }));
  return outcomes;
}

// Calls `analyse(indexes, read)` batch by batch (`read`: see readAll),
// reading the next batch from `files` (unless null) while the current one
// is analysed. The files in `alone` get a batch each.
export async function pass(wasm, indexes, files, alone, analyse) {
  // Big enough to keep every thread busy and many reads in flight.
  const size = Math.max(32, 16 * wasm.threadCount());
  const batches = [];
  for (const index of indexes) {
    const last = batches[batches.length - 1];
    if (last && last.length < size && !alone.has(index) && !alone.has(last[0])) last.push(index);
    else batches.push([index]);
  }
  const readBatch = (batch) => batch && files && readAll(batch.map((i) => files[i]));
  let next = readBatch(batches[0]);
  for (const [n, batch] of batches.entries()) {
    const read = await next;
    next = readBatch(batches[n + 1]);
    await analyse(batch, read);
  }
}

export const errorText = (e) => String(e && e.message ? e.message : e);
// A trap (a panic ends in one), or an exception through the core, rather
// than an error the core returned: its state can no longer be trusted, and
// the page replaces this worker.
export const died = (e) => e instanceof WebAssembly.RuntimeError || Boolean(e && e.died);
